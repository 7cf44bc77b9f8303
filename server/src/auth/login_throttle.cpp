#include "auth/login_throttle.hpp"

namespace patrol::auth {

void LoginThrottle::prune(std::deque<Clock::time_point>& q, Clock::time_point now) const {
  while (!q.empty() && now - q.front() >= window_) q.pop_front();
}

std::optional<std::chrono::seconds> LoginThrottle::blocked(std::string_view phone,
                                                           Clock::time_point now) {
  std::lock_guard lk(mu_);
  auto it = failures_.find(std::string(phone));
  if (it == failures_.end()) return std::nullopt;
  prune(it->second, now);
  if (static_cast<int>(it->second.size()) < max_failures_) return std::nullopt;
  auto wait = std::chrono::ceil<std::chrono::seconds>(it->second.front() + window_ - now);
  return std::max(wait, std::chrono::seconds(1));
}

void LoginThrottle::record_failure(std::string_view phone, Clock::time_point now) {
  std::lock_guard lk(mu_);
  // Keep memory bounded under a spray of random phones: drop stale entries.
  if (failures_.size() > 100000) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      prune(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
  }
  auto& q = failures_[std::string(phone)];
  prune(q, now);
  q.push_back(now);
  while (static_cast<int>(q.size()) > max_failures_) q.pop_front();
}

void LoginThrottle::record_success(std::string_view phone) {
  std::lock_guard lk(mu_);
  failures_.erase(std::string(phone));
}

}  // namespace patrol::auth
