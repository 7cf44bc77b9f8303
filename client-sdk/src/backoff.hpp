// Backoff: the retry schedule of the sync engine — exponential with "equal
// jitter": after the n-th consecutive failure the ceiling is
// min(max, initial * 2^(n-1)) and the delay is drawn uniformly from
// [ceiling/2, ceiling], so a fleet of phones coming back online together
// spreads out instead of hammering the server in lock step.
//
// Thread safety: not thread-safe; owned by the engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace patrol::sdk {

class Backoff {
 public:
  using ms = std::chrono::milliseconds;
  Backoff(ms initial, ms max, std::uint64_t seed);

  // Records one more failure and returns how long to wait before retrying.
  ms next();
  // The ceiling the next delay would be drawn under (for tests and status).
  ms ceiling() const;
  // A success: the next failure starts from `initial` again.
  void reset() noexcept { failures_ = 0; }
  int failures() const noexcept { return failures_; }

 private:
  ms initial_;
  ms max_;
  int failures_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace patrol::sdk
