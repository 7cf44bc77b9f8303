// The few platform services the SDK core needs, behind a small interface so
// the core stays portable (Android NDK, iOS, desktop). platform_posix.cpp
// implements them with POSIX calls that all those systems provide.
#pragma once

#include <filesystem>
#include <string>

#include "patrol/result.hpp"

namespace patrol::sdk::platform {

// Flushes a file's data to stable storage (fsync).
Status sync_file(const std::filesystem::path& p);
// Makes a rename or create in a directory durable (fsync of the directory;
// a no-op where the platform does not support it).
Status sync_dir(const std::filesystem::path& dir);

}  // namespace patrol::sdk::platform
