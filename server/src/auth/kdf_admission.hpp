// Admission to the password KDF for requests. scrypt already runs at most
// kMaxConcurrentKdf at a time (password.hpp), but callers beyond that used to
// wait on a worker thread each: a flood of logins (random unknown phones cost
// a KDF too) then held the whole worker pool and a 1-op push waited seconds.
// KdfAdmission bounds the callers in the KDF path (running or waiting) to
// `capacity`; try_enter() fails at once beyond that, so the caller answers
// 429 with Retry-After and its worker thread is free again.
//
// Thread safety: all member functions are thread-safe (one atomic counter).
// A Ticket must not outlive its KdfAdmission.
#pragma once

#include <atomic>
#include <optional>

namespace patrol::auth {

class KdfAdmission {
 public:
  // capacity <= 0: nobody is admitted.
  explicit KdfAdmission(int capacity) : capacity_(capacity) {}

  // Holds one admission until destroyed.
  class Ticket {
   public:
    Ticket(Ticket&& o) noexcept : a_(o.a_) { o.a_ = nullptr; }
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket() {
      if (a_) a_->in_use_.fetch_sub(1, std::memory_order_acq_rel);
    }

   private:
    friend class KdfAdmission;
    explicit Ticket(KdfAdmission* a) : a_(a) {}
    KdfAdmission* a_;
  };

  // An admission when fewer than `capacity` are held; nullopt otherwise (never waits).
  std::optional<Ticket> try_enter() {
    int n = in_use_.load(std::memory_order_acquire);
    while (n < capacity_)
      if (in_use_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel)) return Ticket(this);
    return std::nullopt;
  }
  int in_use() const { return in_use_.load(std::memory_order_acquire); }
  int capacity() const { return capacity_; }

 private:
  const int capacity_;
  std::atomic<int> in_use_{0};
};

}  // namespace patrol::auth
