// Login throttling: after `max_failures` failed logins for one phone within a
// sliding minute, further attempts for that phone are refused (HTTP 429 with
// Retry-After) until the oldest failure leaves the window. Checked BEFORE the
// KDF runs, so a password-guessing burst costs no CPU.
//
// Password checks still running count against the limit too: begin() checks
// and reserves in one locked step, so a burst of parallel guesses for one
// phone gets at most `max_failures` password checks, not one per worker thread
// that passed the check before the first failure was recorded.
//
// Thread safety: all member functions are thread-safe. An Attempt is used by
// one thread at a time and must not outlive its LoginThrottle.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace patrol::auth {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoginThrottle(int max_failures, Clock::duration window = std::chrono::minutes(1))
      : max_failures_(max_failures), window_(window) {}

  // One reserved password check. failed() records a failure, succeeded()
  // clears the phone's failures; destroying it without either (the store
  // failed, the KDF was busy, an exception) just releases the reservation.
  class Attempt {
   public:
    Attempt(Attempt&& o) noexcept : t_(o.t_), phone_(std::move(o.phone_)) { o.t_ = nullptr; }
    Attempt& operator=(Attempt&&) = delete;
    ~Attempt();
    void failed(Clock::time_point now);
    void succeeded();

   private:
    friend class LoginThrottle;
    Attempt(LoginThrottle* t, std::string phone) : t_(t), phone_(std::move(phone)) {}
    LoginThrottle* t_;
    std::string phone_;
  };

  // Reserves one password check for `phone` when its failures in the window
  // plus its checks in flight stay below the limit. Otherwise nullopt, and
  // `retry_after` (>= 1 s) says when to try again.
  std::optional<Attempt> begin(std::string_view phone, Clock::time_point now,
                               std::chrono::seconds& retry_after);

  // When blocked: how long until an attempt is allowed again (>= 1 s).
  // Counts checks in flight like begin(), but reserves nothing.
  std::optional<std::chrono::seconds> blocked(std::string_view phone, Clock::time_point now);
  void record_failure(std::string_view phone, Clock::time_point now);
  void record_success(std::string_view phone);

 private:
  struct Entry {
    std::deque<Clock::time_point> failures;
    int in_flight = 0;
  };
  void prune(std::deque<Clock::time_point>& q, Clock::time_point now) const;
  // With mu_ held.
  std::optional<std::chrono::seconds> blocked_locked(Entry& e, Clock::time_point now) const;
  void failure_locked(const std::string& phone, Clock::time_point now);
  void finish(const std::string& phone, bool failed, bool succeeded, Clock::time_point now);

  int max_failures_;
  Clock::duration window_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace patrol::auth
