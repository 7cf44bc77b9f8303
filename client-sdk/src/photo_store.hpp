// PhotoStore: the SDK's own copy of every attached photo, content-addressed
// under <data_dir>/photos/<sha256>, so the app may delete its file as soon as
// attach_photo returns and the upload can resume after any restart.
//
// Thread safety: stateless functions; safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "patrol/result.hpp"

namespace patrol::sdk {

struct StoredPhoto {
  std::string sha256;  // lower-case hex
  std::filesystem::path path;
  std::int64_t size = 0;
};

// Copies `source` into `dir` while hashing it (SHA-256, OpenSSL), fsyncs the
// copy, renames it to its hash and fsyncs the directory. Idempotent: the same
// content attached twice is stored once. Fails with invalid_argument when the
// source cannot be read, storage when the copy cannot be written.
Result<StoredPhoto> store_photo(const std::filesystem::path& source,
                                const std::filesystem::path& dir);

// SHA-256 of a byte string, lower-case hex.
std::string sha256_hex(const void* data, std::size_t n);

}  // namespace patrol::sdk
