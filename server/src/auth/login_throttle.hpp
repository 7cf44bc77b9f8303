// Login throttling: after `max_failures` failed logins for one phone within a
// sliding minute, further attempts for that phone are refused (HTTP 429 with
// Retry-After) until the oldest failure leaves the window. Checked BEFORE the
// KDF runs, so a password-guessing burst costs no CPU.
//
// Thread safety: all member functions are thread-safe.
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

  // When blocked: how long until an attempt is allowed again (>= 1 s).
  std::optional<std::chrono::seconds> blocked(std::string_view phone, Clock::time_point now);
  void record_failure(std::string_view phone, Clock::time_point now);
  void record_success(std::string_view phone);

 private:
  void prune(std::deque<Clock::time_point>& q, Clock::time_point now) const;
  int max_failures_;
  Clock::duration window_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> failures_;
};

}  // namespace patrol::auth
