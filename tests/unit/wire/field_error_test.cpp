#include "patrol/wire/field_error.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "patrol/wire/messages.hpp"

namespace patrol::wire {
namespace {

TEST(FieldError, EncodesAndWrapsAsErrorBody) {
  const FieldError e{"out_of_range", "body.items[1].result", "bad"};
  EXPECT_EQ(boost::json::serialize(error_body(e)),
            R"({"error":{"code":"out_of_range","field":"body.items[1].result","message":"bad"}})");
}

TEST(FieldError, RoundTrips) {
  const FieldError e{"required", "phone", "is required"};
  const auto back = field_error_from_json(to_json(e));
  EXPECT_EQ(back.code, e.code);
  EXPECT_EQ(back.field, e.field);
  EXPECT_EQ(back.message, e.message);
}

TEST(FieldError, MissingMembersBecomeEmpty) {
  const auto e = field_error_from_json(boost::json::parse(R"({"code":"x","field":3})"));
  EXPECT_EQ(e.code, "x");
  EXPECT_EQ(e.field, "");
  EXPECT_EQ(e.message, "");
  const auto n = field_error_from_json(boost::json::parse("[1]"));
  EXPECT_EQ(n.code, "");
}

TEST(FieldError, ResultValueThrowsWithCodeAndField) {
  const auto r = decode_login_request(boost::json::parse(R"({"password":"x","device_id":"d"})"));
  ASSERT_FALSE(r);
  try {
    (void)r.value();
    FAIL() << "value() did not throw";
  } catch (const std::invalid_argument& ex) {
    EXPECT_NE(std::string(ex.what()).find("required at phone"), std::string::npos) << ex.what();
  }
}

TEST(FieldError, ValidUtf8ReplacesIllFormedBytes) {
  EXPECT_EQ(valid_utf8("plain 大田 ✓"), "plain 大田 ✓");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(valid_utf8("a\xff"
                       "b"),
            "a" + fffd + "b");
  EXPECT_EQ(valid_utf8("\xc0\xaf"), fffd + fffd) << "overlong '/'";
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), fffd + fffd + fffd) << "surrogate U+D800";
  EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80"), fffd + fffd + fffd + fffd) << "above U+10FFFF";
  EXPECT_EQ(valid_utf8("\xe5\xa4"), fffd + fffd) << "truncated";
  EXPECT_EQ(valid_utf8("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80") << "U+1F600";
  auto o = to_json(FieldError{"x", "f\xfe", "m\xff"});
  EXPECT_EQ(o.at("field").as_string(), "f" + fffd);
  EXPECT_EQ(o.at("message").as_string(), "m" + fffd);
}

}  // namespace
}  // namespace patrol::wire
