// The few platform services the SDK core needs, behind a small interface so
// the core stays portable (Android NDK, iOS, desktop). platform_posix.cpp
// implements them with POSIX calls that all those systems provide, and the
// Apple-only F_FULLFSYNC where fsync() is not enough. Nothing outside
// platform_* calls the OS directly (std::filesystem and SQLite aside).
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

// SQLite pragmas that make a synchronous=FULL commit mean "on stable storage"
// on this platform, run on every device database connection. Apple's fsync()
// only hands the data to the drive, whose cache may still lose it in a power
// cut; F_FULLFSYNC flushes that cache, and SQLite uses it for commits with
// `fullfsync` and for checkpoints with `checkpoint_fullfsync`. Empty where
// fsync() already reaches stable storage (Linux, Android).
const char* sqlite_durability_pragmas() noexcept;

}  // namespace patrol::sdk::platform
