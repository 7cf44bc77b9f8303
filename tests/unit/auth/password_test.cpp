#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace patrol::auth {
namespace {

// Cheap parameters where a test hashes many times; one test keeps the default.
constexpr ScryptParams kCheap{1u << 10, 8, 1};

TEST(Password, DefaultHashVerifiesAndEncodesItsParameters) {
  auto h = hash_password("patrol-demo");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("scrypt$32768$8$1$", 0), 0u) << *h;
  EXPECT_TRUE(verify_password("patrol-demo", *h));
  EXPECT_FALSE(verify_password("patrol-demO", *h));
}

TEST(Password, SaltMakesEveryHashDifferent) {
  auto a = hash_password("same", kCheap);
  auto b = hash_password("same", kCheap);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(verify_password("same", *a));
  EXPECT_TRUE(verify_password("same", *b));
}

TEST(Password, MalformedStoredHashesNeverVerify) {
  auto good = *hash_password("pw", kCheap);
  const std::vector<std::string> bad = {
      "",
      "pw",
      "bcrypt$1024$8$1$AAAA$AAAA",
      "scrypt$1000$8$1$AAAA$AAAA",        // N not a power of two
      "scrypt$1024$8$1$AAAA",             // missing hash
      "scrypt$1024$8$1$!!!!$AAAA",        // bad base64
      "scrypt$4294967296$8$1$AAAA$AAAA",  // absurd cost refused, not run
      "scrypt$1024$0$1$AAAA$AAAA",
      good.substr(0, good.size() - 2),  // truncated hash
  };
  for (const auto& s : bad) EXPECT_FALSE(verify_password("pw", s)) << s;
}

TEST(Password, ConcurrentHashesAreBoundedNotSerializedForever) {
  // Eight threads at once still all finish (the gate admits two at a time).
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&] {
      auto h = hash_password("x", kCheap);
      if (h && verify_password("x", *h)) ++ok;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok, 8);
}

}  // namespace
}  // namespace patrol::auth
