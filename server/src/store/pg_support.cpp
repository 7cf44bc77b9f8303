#include "store/pg_support.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace patrol::store::pg {

boost::system::error_code from_sqlstate(std::string_view s) noexcept {
  if (s.size() < 2) return errc::unavailable;  // no SQLSTATE: the connection failed
  auto cls = s.substr(0, 2);
  if (cls == "23") return errc::conflict;
  if (cls == "40" || cls == "08" || cls == "53" || cls == "57" || cls == "58")
    return errc::unavailable;
  return errc::internal;
}

bool is_retryable(std::string_view s) noexcept {
  return s == "40001" || s == "40P01";
}

Params& Params::add(double v) {
  char buf[32];
  // Shortest text that reads back as the same double.
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  v_.emplace_back(std::string(buf, r.ptr));
  return *this;
}

std::int64_t Result::int64(int row, int col) const {
  auto t = text_view(row, col);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

double Result::dbl(int row, int col) const {
  return std::strtod(PQgetvalue(r_.get(), row, col), nullptr);
}

bool Result::boolean(int row, int col) const {
  auto t = text_view(row, col);
  return !t.empty() && (t[0] == 't' || (t[0] >= '1' && t[0] <= '9'));
}

std::int64_t Result::affected() const {
  const char* t = PQcmdTuples(r_.get());
  return t && *t ? std::strtoll(t, nullptr, 10) : 0;
}

result<std::unique_ptr<Conn>> Conn::open(const std::string& conninfo, std::string* error_message) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (!c) return errc::unavailable;
  if (PQstatus(c) != CONNECTION_OK) {
    if (error_message) *error_message = PQerrorMessage(c);
    PQfinish(c);
    return errc::unavailable;
  }
  auto conn = std::unique_ptr<Conn>(new Conn(c));
  // Durable commits (the Store contract) whatever the server's default, UTC,
  // and no notices on stderr.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  try {
    conn->exec("SET synchronous_commit = on; SET TIME ZONE 'UTC'");
  } catch (const Failure& f) {
    if (error_message) *error_message = f.message;
    return f.ec;
  }
  return conn;
}

Conn::~Conn() {
  PQfinish(c_);
}

void Conn::fail_with(PGresult* r) {
  Failure f;
  const char* st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  f.sqlstate = st ? st : "";
  f.message = r ? PQresultErrorMessage(r) : PQerrorMessage(c_);
  if (PQstatus(c_) != CONNECTION_OK) f.sqlstate = "08006";
  f.ec = from_sqlstate(f.sqlstate);
  if (r) PQclear(r);
  throw f;
}

Result Conn::exec(std::string_view sql, const Params& p) {
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    PGresult* r = PQprepare(c_, name.c_str(), key.c_str(), 0, nullptr);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) fail_with(r);
    PQclear(r);
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  const auto& v = p.values();
  std::vector<const char*> vals(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) vals[i] = v[i] ? v[i]->c_str() : nullptr;
  PGresult* r = PQexecPrepared(c_, it->second.c_str(), static_cast<int>(vals.size()), vals.data(),
                               nullptr, nullptr, 0);
  auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) fail_with(r);
  return Result(r);
}

void Conn::exec(std::string_view sql) {
  std::string s(sql);
  PGresult* r = PQexec(c_, s.c_str());
  auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) fail_with(r);
  PQclear(r);
}

bool Conn::healthy() {
  if (PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) == PQTRANS_IDLE) return true;
  if (PQstatus(c_) == CONNECTION_OK) {
    // Left inside a transaction by a failure: end it.
    PGresult* r = PQexec(c_, "ROLLBACK");
    if (r) PQclear(r);
    if (PQtransactionStatus(c_) == PQTRANS_IDLE) return true;
  }
  PQreset(c_);
  prepared_.clear();  // a new session has no prepared statements
  if (PQstatus(c_) != CONNECTION_OK) return false;
  PQsetNoticeProcessor(
      c_, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(c_, "SET synchronous_commit = on; SET TIME ZONE 'UTC'");
  bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  if (r) PQclear(r);
  return ok;
}

std::string path_upper(std::string_view prefix) {
  std::string up(prefix);
  if (up.empty()) return std::string(1, '\x7f');
  up.back() = static_cast<char>(up.back() + 1);
  return up;
}

}  // namespace patrol::store::pg
