#include "auth/rate_limiter.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace patrol::auth {

RateLimiter::RateLimiter(double rate_per_second, double burst, std::size_t max_keys)
    : rate_(rate_per_second),
      burst_(burst > 0 ? burst : std::max(1.0, rate_per_second)),
      max_keys_(std::max<std::size_t>(1, max_keys)) {}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

bool RateLimiter::allow(std::string_view key, Clock::time_point now,
                        std::chrono::seconds& retry_after) {
  if (rate_ <= 0) return true;
  std::lock_guard lock(mu_);
  // Time for an empty bucket to be full again: after that a bucket is the
  // same as no bucket.
  const auto refill = std::chrono::duration<double>(burst_ / rate_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    // Drop refilled buckets from the old end, then the oldest if still full.
    while (!lru_.empty() && (now - lru_.back().last >= refill || lru_.size() >= max_keys_)) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
    lru_.push_front(Bucket{std::string(key), burst_, now});
    it = index_.emplace(lru_.front().key, lru_.begin()).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second);
    Bucket& b = *it->second;
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
    b.last = std::max(b.last, now);
  }
  Bucket& b = *it->second;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  const double wait = (1.0 - b.tokens) / rate_;
  retry_after =
      std::chrono::seconds(std::max<long long>(1, static_cast<long long>(std::ceil(wait))));
  return false;
}

std::string address_key(std::string_view ip) {
  const std::string s(ip);
  unsigned char v6[16];
  if (inet_pton(AF_INET6, s.c_str(), v6) != 1) return s;  // IPv4 (or not an address)
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6, kMapped, sizeof kMapped) == 0) {
    char buf[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, v6 + 12, buf, sizeof buf) != nullptr) return buf;
  }
  std::memset(v6 + 8, 0, 8);
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, v6, buf, sizeof buf) == nullptr) return s;
  return std::string(buf) + "/64";
}

}  // namespace patrol::auth
