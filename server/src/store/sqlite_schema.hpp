// The numbered migrations of the SQLite store. Migration i (0-based) moves the
// database from PRAGMA user_version i to i+1; each runs in its own transaction.
#pragma once

#include <span>
#include <string_view>

namespace patrol::store::schema {

std::span<const std::string_view> migrations();

}  // namespace patrol::store::schema
