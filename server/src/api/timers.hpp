// The server's own clock-driven work, on one background thread:
//   - a planned round not started by starts_at + grace turns missed;
//   - an open or assigned hazard gets its deadline by severity, turns overdue
//     past it and escalates village → town → city (history entry "system");
//   - every schedule's rounds are planned `horizon` ahead (at start, then every
//     `replan_every`), so phones can pull tonight's round offline;
//   - track points older than `track_retention` are deleted (PIPL), checked
//     every retention/10 (at least every second, at most every hour), in
//     batches so the single writer is never held long.
// Each pass runs every `tick` (1 s by default): the due-time queries are two
// indexed min() lookups, so the timers act within a couple of seconds of a due
// time (DESIGN: within 15 s).
//
// Every change goes through the store's decide-in-the-write functions with a
// domain rule, so a round started by a phone at the same moment is never
// turned missed (the decider sees the current row).
//
// Thread safety: start()/stop() from one thread; run_once() from any thread
// (tests), not concurrently with the timer thread's own pass.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "domain/hazard_workflow.hpp"
#include "domain/round_rules.hpp"
#include "store/store.hpp"

namespace patrol::api {

struct TimerConfig {
  domain::RoundPolicy rounds;
  domain::HazardPolicy hazards;
  std::int64_t horizon_ms = 14LL * 24 * 3600 * 1000;
  std::int64_t replan_every_ms = 10LL * 60 * 1000;
  std::chrono::milliseconds tick{1000};
  std::int64_t track_retention_ms = 90LL * 24 * 3600 * 1000;  // 0 = keep forever
};

struct TimerCounts {
  int rounds_missed = 0;
  int hazards_changed = 0;
  int rounds_planned = 0;
};

class Timers {
 public:
  Timers(store::Store& store, TimerConfig cfg) : store_(store), cfg_(std::move(cfg)) {}
  ~Timers() { stop(); }
  Timers(const Timers&) = delete;
  Timers& operator=(const Timers&) = delete;

  void start();
  // Wakes the thread and joins it. Idempotent.
  void stop();
  // One pass of everything due at `now` (ms since the epoch). Store failures
  // are skipped (retried next tick).
  TimerCounts run_once(std::int64_t now, bool replan);
  // The retention pass alone: deletes track points older than now − retention
  // (all of them, in batches); returns how many. Store failures end the pass
  // (retried at the next one).
  std::int64_t run_retention(std::int64_t now);

 private:
  void loop();

  store::Store& store_;
  TimerConfig cfg_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace patrol::api
