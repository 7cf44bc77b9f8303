// Token buckets keyed by a string (a client address, a user id): `rate`
// tokens per second up to `burst`; a request takes one.
//
// Memory is bounded without forgetting everyone: the table holds at most
// `max_keys` buckets in least-recently-used order. A bucket that has refilled
// to `burst` carries no information and is dropped first (lazily, from the
// old end); when every bucket is still in use, the least recently seen key is
// forgotten — it starts again with a full bucket, nobody else does. (The old
// limiter cleared the whole table past 100k keys: one IPv6 sweep reset every
// client's budget.)
//
// Thread safety: allow() is thread-safe (one mutex; O(1) per call).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace patrol::auth {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // rate <= 0 disables the limiter (allow() always true). burst <= 0 means
  // max(1, rate).
  RateLimiter(double rate_per_second, double burst, std::size_t max_keys = 100000);
  // true: allowed (a token was taken). false: rejected; retry_after is how
  // long until a token is available, rounded up to whole seconds (>= 1).
  bool allow(std::string_view key, Clock::time_point now, std::chrono::seconds& retry_after);
  bool enabled() const { return rate_ > 0; }
  std::size_t size() const;

 private:
  struct Bucket {
    std::string key;
    double tokens;
    Clock::time_point last;
  };
  double rate_;
  double burst_;
  std::size_t max_keys_;
  mutable std::mutex mu_;
  std::list<Bucket> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Bucket>::iterator> index_;  // views into lru_
};

// The key a client address is limited by: an IPv4 address as is (IPv4-mapped
// IPv6 as IPv4), an IPv6 address by its /64 — one subscriber usually gets a
// whole /64, so per-address limits per /128 would be no limit at all.
std::string address_key(std::string_view ip);

}  // namespace patrol::auth
