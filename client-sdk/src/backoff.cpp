#include "backoff.hpp"

#include <algorithm>

namespace patrol::sdk {

Backoff::Backoff(ms initial, ms max, std::uint64_t seed)
    : initial_(std::max(initial, ms(1))), max_(std::max(max, initial_)), rng_(seed) {}

Backoff::ms Backoff::ceiling() const {
  // Doubling stops once past max, so no overflow however many failures.
  ms c = initial_;
  for (int i = 0; i < failures_ && c < max_; ++i) c *= 2;
  return std::min(c, max_);
}

Backoff::ms Backoff::next() {
  const ms c = ceiling();
  ++failures_;
  std::uniform_int_distribution<std::int64_t> half(0, c.count() / 2);
  return ms(c.count() - c.count() / 2 + half(rng_));
}

}  // namespace patrol::sdk
