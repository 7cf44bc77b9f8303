#include "patrol/wire/uuid.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace patrol::wire {
namespace {

TEST(Uuid, AcceptsCanonicalForms) {
  for (const std::string s :
       {"0193a8f2-6c1d-7e4b-9a2f-3c4d5e6f7a8b", "0193A8F2-6C1D-7E4B-9A2F-3C4D5E6F7A8B",
        "00000000-0000-0000-0000-000000000000"})
    EXPECT_TRUE(is_uuid(s)) << "input: " << s;
}

TEST(Uuid, RejectsOtherForms) {
  for (const std::string s :
       {"", "0193a8f26c1d7e4b9a2f3c4d5e6f7a8b", "{0193a8f2-6c1d-7e4b-9a2f-3c4d5e6f7a8b}",
        "0193a8f2-6c1d-7e4b-9a2f-3c4d5e6f7a8", "0193a8f2-6c1d-7e4b-9a2f-3c4d5e6f7a8bb",
        "0193a8f2_6c1d-7e4b-9a2f-3c4d5e6f7a8b", "0193a8f2-6c1d-7e4b-9a2f-3c4d5e6f7a8g",
        "0193a8f-26c1d-7e4b-9a2f-3c4d5e6f7a8b"})
    EXPECT_FALSE(is_uuid(s)) << "input: " << s;
}

TEST(Uuid, V7HasVersionVariantAndTime) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto id = make_uuid_v7();
  ASSERT_TRUE(is_uuid(id)) << id;
  EXPECT_EQ(id[14], '7') << id;
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
  for (char c : id) EXPECT_FALSE(c >= 'A' && c <= 'F') << id;
  const auto hex = id.substr(0, 8) + id.substr(9, 4);
  const auto ms = static_cast<long long>(std::stoull(hex, nullptr, 16));
  EXPECT_GE(ms, before) << id;
  EXPECT_LT(ms, before + 5000) << id;
}

TEST(Uuid, V7IsStrictlyIncreasingAndUnique) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(make_uuid_v7());
  for (std::size_t i = 1; i < ids.size(); ++i)
    ASSERT_LT(ids[i - 1], ids[i]) << "at " << i << ": " << ids[i - 1] << " then " << ids[i];
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

}  // namespace
}  // namespace patrol::wire
