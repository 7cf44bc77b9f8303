// Polls a condition the SDK's engine thread makes true in the background
// (an outbox drained, a proxy fault seen), for the SDK tests.
#pragma once

#include <chrono>
#include <thread>

namespace patrol::test {

// True as soon as `p()` is; false if it is still false after `timeout`
// (checked once more at the end, so a slow last step is not missed).
template <class Pred>
bool wait_until(Pred p, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(20)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(poll);
  }
  return p();
}

}  // namespace patrol::test
