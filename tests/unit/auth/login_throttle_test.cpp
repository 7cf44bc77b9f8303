#include "auth/login_throttle.hpp"

#include <gtest/gtest.h>

#include <vector>

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

TEST(LoginThrottle, ChecksInFlightCountAgainstTheLimit) {
  LoginThrottle t(3);
  auto t0 = LoginThrottle::Clock::now();
  std::chrono::seconds wait{0};
  std::vector<LoginThrottle::Attempt> running;
  for (int i = 0; i < 3; ++i) {
    auto a = t.begin("139", t0, wait);
    ASSERT_TRUE(a) << i;
    running.push_back(std::move(*a));
  }
  EXPECT_FALSE(t.begin("139", t0, wait)) << "three checks running: a fourth must wait";
  EXPECT_EQ(wait, 1s);
  EXPECT_TRUE(t.begin("138", t0, wait)) << "other phones are not affected";
  for (auto& a : running) a.failed(t0);
  EXPECT_FALSE(t.begin("139", t0 + 1s, wait));
  EXPECT_EQ(wait, 59s) << "three recorded failures: until the first is a minute old";
}

TEST(LoginThrottle, AnAttemptEndedWithoutOutcomeOnlyReleasesItsReservation) {
  LoginThrottle t(1);
  auto t0 = LoginThrottle::Clock::now();
  std::chrono::seconds wait{0};
  {
    auto a = t.begin("139", t0, wait);
    ASSERT_TRUE(a);
    EXPECT_TRUE(t.blocked("139", t0));
  }
  EXPECT_FALSE(t.blocked("139", t0)) << "released, no failure recorded";
  auto a = t.begin("139", t0, wait);
  ASSERT_TRUE(a);
  a->failed(t0);
  EXPECT_TRUE(t.blocked("139", t0));
}

TEST(LoginThrottle, SuccessOfAnAttemptClearsFailures) {
  LoginThrottle t(2);
  auto t0 = LoginThrottle::Clock::now();
  std::chrono::seconds wait{0};
  t.record_failure("139", t0);
  auto a = t.begin("139", t0, wait);
  ASSERT_TRUE(a);
  a->succeeded();
  EXPECT_FALSE(t.blocked("139", t0));
  t.record_failure("139", t0);
  EXPECT_FALSE(t.blocked("139", t0)) << "one failure after the success";
}

}  // namespace
}  // namespace patrol::auth
