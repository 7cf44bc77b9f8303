// Internal to sqlite_live.cpp / sqlite_trackers.cpp: statement helpers that
// throw LiveSqlError, caught once by SqliteLiveStore::read().
#pragma once

#include <string>
#include <string_view>

#include "sqlite/database.hpp"
#include "store/errors.hpp"

namespace patrol::store::live_sql {

struct LiveSqlError {
  boost::system::error_code ec;
};

[[noreturn]] inline void fail(boost::system::error_code ec) {
  throw LiveSqlError{ec};
}

inline sqlite::Statement& q(sqlite::Database& db, std::string_view sql) {
  auto r = db.cached(sql);
  if (!r) fail(r.error());
  return **r;
}

inline bool step(sqlite::Statement& s) {
  auto r = s.step();
  if (!r) fail(r.error());
  return *r;
}

inline void run(sqlite::Statement& s) {
  if (auto ec = s.run()) fail(ec);
}

// The smallest string greater than every path starting with `prefix`.
inline std::string path_upper(std::string_view prefix) {
  std::string up(prefix);
  if (up.empty()) return std::string(1, '\x7f');
  up.back() = static_cast<char>(up.back() + 1);
  return up;
}

}  // namespace patrol::store::live_sql
