#include "auth/login_throttle.hpp"

#include <gtest/gtest.h>

namespace patrol::auth {
namespace {

using namespace std::chrono_literals;

TEST(LoginThrottle, BlocksAfterMaxFailuresUntilTheWindowPasses) {
  LoginThrottle t(3);
  auto t0 = LoginThrottle::Clock::now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(t.blocked("139", t0 + i * 1s));
    t.record_failure("139", t0 + i * 1s);
  }
  auto wait = t.blocked("139", t0 + 3s);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 57s) << "until the first failure is a minute old";
  EXPECT_FALSE(t.blocked("138", t0 + 3s)) << "other phones are not affected";
  EXPECT_FALSE(t.blocked("139", t0 + 61s));
}

TEST(LoginThrottle, SuccessClearsFailures) {
  LoginThrottle t(2);
  auto t0 = LoginThrottle::Clock::now();
  t.record_failure("139", t0);
  t.record_success("139");
  t.record_failure("139", t0);
  EXPECT_FALSE(t.blocked("139", t0));
}

}  // namespace
}  // namespace patrol::auth
