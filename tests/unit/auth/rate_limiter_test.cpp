#include "auth/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace patrol::auth;
using namespace std::chrono_literals;

// The old per-address limiter cleared its whole table past 100k addresses:
// an attacker who had used up its budget got it back as soon as 100k other
// addresses (trivial with IPv6) had been seen. The table is now bounded by
// forgetting the least recently seen address only.
TEST(RateLimiter, AnActiveClientStaysLimitedWhileManyNewAddressesArrive) {
  RateLimiter rl(1, 5);  // default bound: 100k keys
  const auto t = RateLimiter::Clock::now();
  std::chrono::seconds retry{0};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rl.allow("attacker", t, retry));
  EXPECT_FALSE(rl.allow("attacker", t, retry));
  for (int i = 0; i < 150000; ++i) {
    EXPECT_TRUE(rl.allow("10." + std::to_string(i), t, retry));
    if (i % 1000 == 0) {
      ASSERT_FALSE(rl.allow("attacker", t, retry)) << "forgotten after " << i << " new keys";
    }
  }
  EXPECT_LE(rl.size(), 100000u);
  EXPECT_FALSE(rl.allow("attacker", t, retry));
}

TEST(RateLimiter, RefilledBucketsAreDroppedFirst) {
  RateLimiter rl(10, 10, 3);
  auto t = RateLimiter::Clock::now();
  std::chrono::seconds retry{0};
  EXPECT_TRUE(rl.allow("a", t, retry));
  EXPECT_TRUE(rl.allow("b", t, retry));
  t += 2s;  // a and b are full again: no information left in them
  EXPECT_TRUE(rl.allow("c", t, retry));
  EXPECT_EQ(rl.size(), 1u);
  for (int i = 0; i < 10; ++i) rl.allow("c", t, retry);
  EXPECT_FALSE(rl.allow("c", t, retry));
  EXPECT_GE(retry.count(), 1);
}

TEST(RateLimiter, RetryAfterAndRefill) {
  RateLimiter rl(0.5, 1);
  auto t = RateLimiter::Clock::now();
  std::chrono::seconds retry{0};
  EXPECT_TRUE(rl.allow("k", t, retry));
  EXPECT_FALSE(rl.allow("k", t, retry));
  EXPECT_EQ(retry, 2s);
  EXPECT_TRUE(rl.allow("k", t + 2s, retry));
  RateLimiter off(0, 0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(off.allow("k", t, retry));
}

TEST(RateLimiter, AddressKeyGroupsAnIpv6SubscriberByItsSlash64) {
  EXPECT_EQ(address_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(address_key("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:3::1"));
}
