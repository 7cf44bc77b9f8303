#include "backoff.hpp"

#include <gtest/gtest.h>

#include <set>

namespace patrol::sdk {
namespace {
using ms = std::chrono::milliseconds;

TEST(Backoff, CeilingDoublesUpToMaxAndDelayStaysWithinHalfToCeiling) {
  Backoff b(ms(500), ms(8000), 42);
  const std::int64_t expected_ceilings[] = {500, 1000, 2000, 4000, 8000, 8000, 8000};
  for (auto c : expected_ceilings) {
    SCOPED_TRACE("failures=" + std::to_string(b.failures()));
    EXPECT_EQ(b.ceiling().count(), c);
    const auto d = b.next();
    EXPECT_GE(d.count(), c - c / 2);
    EXPECT_LE(d.count(), c);
  }
}

TEST(Backoff, ResetStartsOverFromInitial) {
  Backoff b(ms(100), ms(60000), 1);
  for (int i = 0; i < 5; ++i) (void)b.next();
  EXPECT_EQ(b.ceiling().count(), 3200);
  b.reset();
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.ceiling().count(), 100);
  EXPECT_LE(b.next().count(), 100);
}

TEST(Backoff, JitterSpreadsDelaysAndIsReproducibleFromTheSeed) {
  Backoff a(ms(1000), ms(1000), 7), b(ms(1000), ms(1000), 7), c(ms(1000), ms(1000), 8);
  std::set<std::int64_t> seen;
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    const auto x = a.next().count();
    EXPECT_EQ(x, b.next().count());
    if (c.next().count() != x) differs = true;
    seen.insert(x);
  }
  EXPECT_GT(seen.size(), 20u);  // not lock-step
  EXPECT_TRUE(differs);
}

TEST(Backoff, ManyFailuresDoNotOverflow) {
  Backoff b(ms(1), ms(3600000), 3);
  for (int i = 0; i < 10000; ++i) (void)b.next();
  EXPECT_EQ(b.ceiling().count(), 3600000);
}

}  // namespace
}  // namespace patrol::sdk
