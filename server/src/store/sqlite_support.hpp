// Internal to the SQLite store (not part of the Store API): the statement
// helpers every sqlite_*.cpp uses. Inside the SQLite store a failing SQLite
// call throws Failure; every public entry point (SqliteReaders::read,
// SqliteWriter's job wrapper) catches it and turns it into an error value, so
// nothing is thrown across the Store API.
//
// Thread safety: the functions are reentrant; a Database is used by one
// thread at a time (the writer thread, or the holder of a reader lease).
#pragma once

#include <sqlite3.h>

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite/database.hpp"
#include "store/audit_store.hpp"
#include "store/entities.hpp"

namespace patrol::store::detail {

struct Failure {
  boost::system::error_code ec;
};
struct NotFound {};

[[noreturn]] inline void fail(boost::system::error_code ec) {
  throw Failure{ec};
}

// The connection's cached statement for `sql` (prepared once per connection).
inline sqlite::Statement& q(sqlite::Database& db, std::string_view sql) {
  auto r = db.cached(sql);
  if (!r) fail(r.error());
  return **r;
}
// True while there is a row.
inline bool step(sqlite::Statement& s) {
  auto r = s.step();
  if (!r) fail(r.error());
  return *r;
}
inline void run(sqlite::Statement& s) {
  if (auto ec = s.run()) fail(ec);
}
// Binds text without copying (SQLITE_STATIC): only for strings that outlive
// the statement's execution (the job's own data; statements are reset after).
inline void bind_ref(sqlite::Statement& s, int i, std::string_view v) {
  sqlite3_bind_text64(s.native(), i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
}

// Runs a parameterless statement through the connection's statement cache.
inline boost::system::error_code exec_cached(sqlite::Database& db, std::string_view sql) {
  auto st = db.cached(sql);
  if (!st) return st.error();
  return (*st)->run();
}
// Resets every statement of a connection so no read snapshot stays open
// (an unreset statement would pin the WAL and block checkpoints).
inline void reset_all(sqlite::Database& db) {
  for (sqlite3_stmt* s = sqlite3_next_stmt(db.native(), nullptr); s;
       s = sqlite3_next_stmt(db.native(), s))
    sqlite3_reset(s);
}

inline Ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// [prefix, upper) covers every path that starts with prefix ("/1/4/" → "/1/40"
// is the first string after all "/1/4/…"): an index range, not a LIKE.
std::string path_upper(std::string_view prefix);

std::string to_text(const boost::json::value& v);
// ["a","b"] → {"a","b"}; throws on anything else (caught at the entry point).
std::vector<std::string> string_array(std::string_view text);
// {"a","b"} → ["a","b"].
std::string json_strings(const std::vector<std::string>& v);

// Appends one change-log entry (sync/pull's source) in the current transaction.
void append_change(sqlite::Database& db, std::string_view entity, std::string_view op,
                   std::string_view id, std::string_view org_path, const boost::json::value& data);

// Appends one audit entry in the current transaction (sqlite_audit.cpp).
void insert_audit(sqlite::Database& db, const AuditEntry& e);

}  // namespace patrol::store::detail
