// Internal to the PostgreSQL store (not part of the Store API): a thin RAII
// layer over libpq. Inside the store a failing call throws pg::Failure; every
// public entry point (PgReaders::read, PgWriter's job wrapper) catches it and
// turns it into an error value, so nothing is thrown across the Store API.
//
// Statements are prepared once per connection (keyed by their SQL text) and
// run with text parameters; results are read as text and converted here.
//
// Thread safety: a Conn is used by one thread at a time (the writer thread, or
// the holder of a reader lease).
#pragma once

#include <libpq-fe.h>

#include <boost/system/error_code.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/errors.hpp"

namespace patrol::store::pg {

// A failed statement: the store error it maps to and PostgreSQL's SQLSTATE.
struct Failure {
  boost::system::error_code ec;
  std::string sqlstate;
  std::string message;
};
struct NotFound {};

// SQLSTATE → store error: 23xxx (constraints) conflict; 40xxx (serialization,
// deadlock), 08xxx (connection), 53xxx (resources), 57xxx (shutdown, cancel),
// 58xxx (I/O) unavailable; anything else internal.
boost::system::error_code from_sqlstate(std::string_view sqlstate) noexcept;
// 40001 / 40P01: the whole transaction may simply be retried.
bool is_retryable(std::string_view sqlstate) noexcept;

// Text parameters of one statement (nullopt is SQL NULL).
class Params {
 public:
  Params& add(std::string_view v) {
    v_.emplace_back(std::string(v));
    return *this;
  }
  Params& add(const std::string& v) { return add(std::string_view(v)); }
  Params& add(const char* v) { return add(std::string_view(v)); }
  Params& add(std::int64_t v) {
    v_.emplace_back(std::to_string(v));
    return *this;
  }
  Params& add(int v) { return add(static_cast<std::int64_t>(v)); }
  Params& add(bool v) { return add(std::int64_t{v ? 1 : 0}); }
  Params& add(double v);
  template <class T>
  Params& add(const std::optional<T>& v) {
    if (v) return add(*v);
    v_.emplace_back(std::nullopt);
    return *this;
  }
  Params& null() {
    v_.emplace_back(std::nullopt);
    return *this;
  }
  const std::vector<std::optional<std::string>>& values() const { return v_; }

 private:
  std::vector<std::optional<std::string>> v_;
};

// One statement's result (owned PGresult).
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* r) : r_(r, &PQclear) {}
  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view text_view(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col),
            static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
  }
  std::string text(int row, int col) const { return std::string(text_view(row, col)); }
  std::int64_t int64(int row, int col) const;
  double dbl(int row, int col) const;
  bool boolean(int row, int col) const;  // 0/1 integers and t/f booleans
  std::optional<std::string> opt_text(int row, int col) const {
    if (null(row, col)) return std::nullopt;
    return text(row, col);
  }
  std::optional<std::int64_t> opt_int64(int row, int col) const {
    if (null(row, col)) return std::nullopt;
    return int64(row, col);
  }
  std::optional<double> opt_dbl(int row, int col) const {
    if (null(row, col)) return std::nullopt;
    return dbl(row, col);
  }
  // Rows an INSERT/UPDATE/DELETE touched.
  std::int64_t affected() const;

 private:
  std::shared_ptr<PGresult> r_;
};

class Conn {
 public:
  // Connects; unavailable when the server cannot be reached (message logged
  // in `error_message` when given).
  static result<std::unique_ptr<Conn>> open(const std::string& conninfo,
                                            std::string* error_message = nullptr);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs `sql` (prepared once on this connection) with `p`; throws Failure.
  Result exec(std::string_view sql, const Params& p);
  // Runs parameterless SQL (one or more statements) as a simple query; throws Failure.
  void exec(std::string_view sql);
  // True when the connection is usable; otherwise tries one reset.
  bool healthy();
  PGconn* native() { return c_; }

 private:
  explicit Conn(PGconn* c) : c_(c) {}
  [[noreturn]] void fail_with(PGresult* r);
  PGconn* c_;
  std::unordered_map<std::string, std::string> prepared_;  // sql → statement name
};

// [prefix, upper) covers every path that starts with prefix (see sqlite_support.hpp).
std::string path_upper(std::string_view prefix);

}  // namespace patrol::store::pg
