#include "auth/login_throttle.hpp"

#include <algorithm>
#include <utility>

namespace patrol::auth {

void LoginThrottle::prune(std::deque<Clock::time_point>& q, Clock::time_point now) const {
  while (!q.empty() && now - q.front() >= window_) q.pop_front();
}

std::optional<std::chrono::seconds> LoginThrottle::blocked_locked(Entry& e,
                                                                  Clock::time_point now) const {
  prune(e.failures, now);
  const auto failures = static_cast<int>(e.failures.size());
  if (failures + e.in_flight < max_failures_) return std::nullopt;
  // Full of recorded failures: wait until the oldest leaves the window. Full
  // only because checks are still running: they finish within a second or so.
  if (failures < max_failures_ || e.failures.empty()) return std::chrono::seconds(1);
  auto wait = std::chrono::ceil<std::chrono::seconds>(e.failures.front() + window_ - now);
  return std::max(wait, std::chrono::seconds(1));
}

std::optional<LoginThrottle::Attempt> LoginThrottle::begin(std::string_view phone,
                                                           Clock::time_point now,
                                                           std::chrono::seconds& retry_after) {
  std::lock_guard lk(mu_);
  std::string key(phone);
  auto& e = entries_[key];
  if (auto wait = blocked_locked(e, now)) {
    retry_after = *wait;
    return std::nullopt;
  }
  ++e.in_flight;
  return Attempt(this, std::move(key));
}

std::optional<std::chrono::seconds> LoginThrottle::blocked(std::string_view phone,
                                                           Clock::time_point now) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(std::string(phone));
  if (it == entries_.end()) return std::nullopt;
  return blocked_locked(it->second, now);
}

void LoginThrottle::failure_locked(const std::string& phone, Clock::time_point now) {
  // Keep memory bounded under a spray of random phones: drop stale entries.
  if (entries_.size() > 100000) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      prune(it->second.failures, now);
      bool idle = it->second.failures.empty() && it->second.in_flight == 0 && it->first != phone;
      it = idle ? entries_.erase(it) : std::next(it);
    }
  }
  auto& q = entries_[phone].failures;
  prune(q, now);
  q.push_back(now);
  while (static_cast<int>(q.size()) > max_failures_) q.pop_front();
}

void LoginThrottle::record_failure(std::string_view phone, Clock::time_point now) {
  std::lock_guard lk(mu_);
  failure_locked(std::string(phone), now);
}

void LoginThrottle::record_success(std::string_view phone) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(std::string(phone));
  if (it == entries_.end()) return;
  it->second.failures.clear();
  if (it->second.in_flight == 0) entries_.erase(it);
}

void LoginThrottle::finish(const std::string& phone, bool failed, bool succeeded,
                           Clock::time_point now) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(phone);
  if (it != entries_.end() && it->second.in_flight > 0) --it->second.in_flight;
  if (failed) {
    failure_locked(phone, now);
    return;
  }
  it = entries_.find(phone);
  if (it == entries_.end()) return;
  if (succeeded) it->second.failures.clear();
  if (it->second.failures.empty() && it->second.in_flight == 0) entries_.erase(it);
}

LoginThrottle::Attempt::~Attempt() {
  if (t_) t_->finish(phone_, false, false, Clock::now());
}

void LoginThrottle::Attempt::failed(Clock::time_point now) {
  if (!t_) return;
  auto* t = std::exchange(t_, nullptr);
  t->finish(phone_, true, false, now);
}

void LoginThrottle::Attempt::succeeded() {
  if (!t_) return;
  auto* t = std::exchange(t_, nullptr);
  t->finish(phone_, false, true, Clock::now());
}

}  // namespace patrol::auth
