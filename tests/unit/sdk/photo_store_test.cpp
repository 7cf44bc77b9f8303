#include "photo_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "patrol/wire/uuid.hpp"

namespace patrol::sdk {
namespace {
namespace fs = std::filesystem;

TEST(PhotoStore, Sha256MatchesKnownVector) {
  EXPECT_EQ(sha256_hex("abc", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(PhotoStore, CopiesContentAddressedAndIdempotently) {
  const fs::path dir = fs::temp_directory_path() / ("patrol-photo-" + wire::make_uuid_v7());
  fs::create_directories(dir);
  const fs::path src = dir / "in.jpg";
  std::string content(300000, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 + 3);
  std::ofstream(src, std::ios::binary) << content;
  auto a = store_photo(src, dir / "store");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->sha256, sha256_hex(content.data(), content.size()));
  EXPECT_EQ(a->size, 300000);
  EXPECT_EQ(a->path, dir / "store" / a->sha256);
  fs::remove(src);  // the app may delete its file: the SDK has its own copy
  std::ifstream in(a->path, std::ios::binary);
  std::string copy((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(copy, content);
  std::ofstream(src, std::ios::binary) << content;
  auto b = store_photo(src, dir / "store");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->sha256, a->sha256);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "store")) ++files;
  EXPECT_EQ(files, 1u);  // no temp files left behind
  auto missing = store_photo(dir / "nope.jpg", dir / "store");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::invalid_argument);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace patrol::sdk
