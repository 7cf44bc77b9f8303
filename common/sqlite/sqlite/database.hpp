// patrol::sqlite — a thin RAII layer over the SQLite C API, shared by the
// server's store and the SDK's device database.
//
// Errors are values: every fallible call returns boost::system::error_code or
// boost::system::result<T> in sqlite_category(), whose value is SQLite's
// *extended* result code (e.g. SQLITE_FULL, SQLITE_IOERR_FSYNC), so callers can
// tell "disk full / I/O error, retry later" from "constraint violated".
//
// Thread safety: a Database and its Statements belong to one thread at a time
// (SQLite is built serialized on Debian, but we never share a connection).
#pragma once

#include <sqlite3.h>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace patrol::sqlite {

using boost::system::error_code;
template <class T>
using result = boost::system::result<T>;

// Category whose values are SQLite extended result codes.
const boost::system::error_category& sqlite_category() noexcept;
inline error_code make_error(int rc) noexcept {
  return {rc, sqlite_category()};
}

// True for errors that go away on their own (disk full, I/O error, busy/locked):
// the caller should answer 503 / retry, never treat the data as bad.
bool is_transient(const error_code& ec) noexcept;
// True for SQLITE_CONSTRAINT and its extended codes.
bool is_constraint(const error_code& ec) noexcept;

class Database;

// A prepared statement. Movable, finalized on destruction. Bind indices are
// 1-based as in SQLite; column indices 0-based.
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)) {}
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Statement& bind(int i, double v);
  Statement& bind(int i, std::string_view v);  // copied (SQLITE_TRANSIENT)
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Statement& bind_blob(int i, std::span<const std::byte> v);
  Statement& bind_null(int i);
  template <class T>
  Statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  // Steps once: true when a row is available, false when done.
  [[nodiscard]] result<bool> step();
  // Steps to completion, ignoring rows (INSERT/UPDATE/DELETE).
  [[nodiscard]] error_code run();
  // Resets for re-execution and clears bindings.
  void reset() noexcept;

  std::int64_t column_int64(int i) const;
  double column_double(int i) const;
  std::string column_text(int i) const;
  std::string_view column_text_view(int i) const;  // valid until next step/reset
  bool column_is_null(int i) const;
  std::optional<std::string> column_opt_text(int i) const;
  std::optional<std::int64_t> column_opt_int64(int i) const;
  std::optional<double> column_opt_double(int i) const;

  sqlite3_stmt* native() const noexcept { return stmt_; }

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* s) : db_(db), stmt_(s) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

struct OpenOptions {
  bool read_only = false;
  bool create = true;          // ignored when read_only
  int busy_timeout_ms = 5000;  // how long to wait on a lock before SQLITE_BUSY
};

// One connection. Movable; closed on destruction (statements first).
class Database {
 public:
  Database() = default;
  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;
  ~Database();

  [[nodiscard]] static result<Database> open(const std::string& path, const OpenOptions& opts = {});

  // Runs one or more statements without results (PRAGMAs, DDL).
  [[nodiscard]] error_code exec(std::string_view sql);
  // Prepares a fresh statement owned by the caller.
  [[nodiscard]] result<Statement> prepare(std::string_view sql);
  // Prepares once per connection and returns the cached statement, reset and
  // with bindings cleared. The reference stays valid while the Database lives.
  [[nodiscard]] result<Statement*> cached(std::string_view sql);

  std::int64_t last_insert_rowid() const noexcept;
  int changes() const noexcept;
  std::string error_message() const;
  // Reads a single integer PRAGMA or scalar query (e.g. "PRAGMA user_version").
  [[nodiscard]] result<std::int64_t> scalar_int64(std::string_view sql);

  sqlite3* native() const noexcept { return db_.get(); }
  explicit operator bool() const noexcept { return static_cast<bool>(db_); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const noexcept;
  };
  std::unique_ptr<sqlite3, Closer> db_;
  // Declared after db_ so cached statements are finalized before the connection closes.
  // Looked up by the caller's string_view, without building a std::string
  // per statement run.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using StatementCache = std::unordered_map<std::string, Statement, SqlHash, std::equal_to<>>;
  std::unique_ptr<StatementCache> cache_;
};

// RAII transaction: BEGIN IMMEDIATE (or DEFERRED for readers) on construction,
// ROLLBACK on destruction unless commit() succeeded. Writes are meant to take a
// Transaction& so that a write outside one does not compile.
class Transaction {
 public:
  enum class Mode { deferred, immediate };
  // Check begin_error() before use; on error the transaction is inactive.
  explicit Transaction(Database& db, Mode mode = Mode::immediate);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  error_code begin_error() const noexcept { return begin_ec_; }
  [[nodiscard]] error_code commit();
  void rollback() noexcept;
  Database& db() noexcept { return db_; }

 private:
  Database& db_;
  error_code begin_ec_;
  bool active_ = false;
};

}  // namespace patrol::sqlite
