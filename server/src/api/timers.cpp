#include "api/timers.hpp"

#include <algorithm>
#include <cstdio>

#include "domain/hazard_decisions.hpp"
#include "domain/round_planner.hpp"

namespace patrol::api {

void Timers::start() {
  std::lock_guard lk(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Timers::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

TimerCounts Timers::run_once(std::int64_t now, bool replan) {
  TimerCounts n;
  // Missed rounds: planned and past their grace. The decider re-checks on the
  // current row (a start may have landed since the read).
  if (auto due = store_.planned_rounds_starting_before(now - cfg_.rounds.grace_ms, 500)) {
    std::vector<std::string> ids;
    for (const auto& r : *due) ids.push_back(r.id);
    if (!ids.empty()) {
      auto changed =
          store_.update_rounds(ids, [&](const store::Round& cur) -> std::optional<store::Round> {
            domain::RoundTimes t{
                domain::parse_round_state(cur.state).value_or(domain::RoundState::planned),
                cur.starts_at, cur.ends_at, cur.started_at, cur.finished_at};
            if (!domain::is_missed(t, now, cfg_.rounds)) return std::nullopt;
            store::Round next = cur;
            next.state = std::string(domain::to_string(domain::RoundState::missed));
            next.updated_at = now;
            return next;
          });
      if (changed) n.rounds_missed = static_cast<int>(changed->size());
    }
  }
  // Hazards: deadlines, overdue, escalation.
  if (auto due = store_.hazards_due(now, 500)) {
    std::vector<std::string> ids;
    for (const auto& h : *due) ids.push_back(h.id);
    if (!ids.empty()) {
      auto changed = store_.change_hazards(ids, [&](const store::Hazard& cur) {
        return domain::decide_timer(cur, now, cfg_.hazards);
      });
      if (changed) n.hazards_changed = static_cast<int>(changed->size());
    }
  }
  if (replan) {
    if (auto all = store_.all_schedules()) {
      std::vector<store::Round> plan;
      for (const auto& s : *all)
        if (auto r = domain::plan_rounds(s, now, now + cfg_.horizon_ms, now))
          plan.insert(plan.end(), r->begin(), r->end());
      if (!plan.empty())
        if (auto added = store_.add_rounds(plan))
          n.rounds_planned = static_cast<int>(added->size());
    }
  }
  return n;
}

std::int64_t Timers::run_retention(std::int64_t now) {
  if (cfg_.track_retention_ms <= 0) return 0;
  constexpr std::int64_t kBatch = 5000;  // a few ms of the writer per batch
  std::int64_t total = 0;
  for (;;) {
    auto n = store_.delete_positions_before(now - cfg_.track_retention_ms, kBatch);
    if (!n) break;
    total += *n;
    if (*n < kBatch) break;
    std::lock_guard lk(mu_);
    if (stopping_) break;
  }
  return total;
}

void Timers::loop() {
  std::int64_t last_plan = 0;
  std::int64_t last_retention = 0;
  const std::int64_t retention_every =
      std::clamp<std::int64_t>(cfg_.track_retention_ms / 10, 1000, 3600LL * 1000);
  std::unique_lock lk(mu_);
  while (!stopping_) {
    lk.unlock();
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    bool replan = now - last_plan >= cfg_.replan_every_ms;
    if (replan) last_plan = now;
    try {
      run_once(now, replan);
      if (now - last_retention >= retention_every) {
        last_retention = now;
        run_retention(now);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "patrold: timer pass failed: %s\n", e.what());
    }
    lk.lock();
    cv_.wait_for(lk, cfg_.tick, [this] { return stopping_; });
  }
}

}  // namespace patrol::api
