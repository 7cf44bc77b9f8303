#include "auth/token.hpp"

#include <gtest/gtest.h>

#include <set>

#include "auth/base64url.hpp"

namespace patrol::auth {
namespace {

TEST(Token, Is256RandomBitsInBase64Url) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto t = new_token();
    ASSERT_TRUE(t);
    EXPECT_EQ(t->size(), 43u);
    EXPECT_EQ(
        t->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    auto bytes = base64url_decode(*t);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(bytes->size(), 32u);
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Token, HashIsSha256Hex) {
  // SHA-256("abc"), FIPS 180-2 test vector.
  EXPECT_EQ(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(hash_token("abd"), hash_token("abc"));
}

TEST(Token, FromHeader) {
  EXPECT_EQ(token_from_header("Bearer abc"), "abc");
  EXPECT_EQ(token_from_header("bearer   abc "), "abc");
  EXPECT_EQ(token_from_header("abc"), "abc");
  EXPECT_FALSE(token_from_header(""));
  EXPECT_FALSE(token_from_header("Bearer "));
  EXPECT_FALSE(token_from_header("Bearer a b"));
  EXPECT_FALSE(token_from_header(std::string(300, 'a')));
}

TEST(Base64Url, RoundTripsEveryLength) {
  for (std::size_t n = 0; n < 40; ++n) {
    std::vector<unsigned char> in(n);
    for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<unsigned char>(i * 37 + 11);
    auto enc = base64url_encode(in);
    auto dec = base64url_decode(enc);
    ASSERT_TRUE(dec) << n;
    EXPECT_EQ(*dec, in) << n;
  }
  EXPECT_EQ(base64url_encode(std::vector<unsigned char>{0xfb, 0xff}), "-_8");
  EXPECT_FALSE(base64url_decode("a"));
  EXPECT_FALSE(base64url_decode("ab+c"));
}

}  // namespace
}  // namespace patrol::auth
