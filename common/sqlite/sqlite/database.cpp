#include "sqlite/database.hpp"

#include <utility>

namespace patrol::sqlite {
namespace {

class SqliteCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "sqlite"; }
  std::string message(int rc) const override { return sqlite3_errstr(rc); }
};

}  // namespace

const boost::system::error_category& sqlite_category() noexcept {
  static const SqliteCategory category;
  return category;
}

bool is_transient(const error_code& ec) noexcept {
  if (ec.category() != sqlite_category()) return false;
  switch (ec.value() & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
      return true;
    default:
      return false;
  }
}

bool is_constraint(const error_code& ec) noexcept {
  return ec.category() == sqlite_category() && (ec.value() & 0xff) == SQLITE_CONSTRAINT;
}

// ---- Statement ----

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = std::exchange(o.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, std::string_view v) {
  sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Statement& Statement::bind_blob(int i, std::span<const std::byte> v) {
  sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // sqlite3_step returns the extended code when extended codes are enabled.
  return {boost::system::in_place_error, make_error(rc)};
}

error_code Statement::run() {
  for (;;) {
    auto r = step();
    if (!r) {
      error_code ec = r.error();
      sqlite3_reset(stmt_);
      return ec;
    }
    if (!*r) return {};
  }
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int64(int i) const {
  return sqlite3_column_int64(stmt_, i);
}
double Statement::column_double(int i) const {
  return sqlite3_column_double(stmt_, i);
}
std::string_view Statement::column_text_view(int i) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  if (!p) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i))};
}
std::string Statement::column_text(int i) const {
  return std::string(column_text_view(i));
}
bool Statement::column_is_null(int i) const {
  return sqlite3_column_type(stmt_, i) == SQLITE_NULL;
}
std::optional<std::string> Statement::column_opt_text(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_text(i);
}
std::optional<std::int64_t> Statement::column_opt_int64(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_int64(i);
}
std::optional<double> Statement::column_opt_double(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_double(i);
}

// ---- Database ----

void Database::Closer::operator()(sqlite3* db) const noexcept {
  sqlite3_close_v2(db);
}

Database::~Database() {
  cache_.reset();  // finalize cached statements before the connection goes
}

result<Database> Database::open(const std::string& path, const OpenOptions& opts) {
  int flags = SQLITE_OPEN_NOMUTEX;  // one thread per connection by design
  if (opts.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (opts.create) flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db;
  db.db_.reset(raw);  // closes even on failure
  if (rc != SQLITE_OK) return make_error(rc);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, opts.busy_timeout_ms);
  db.cache_ = std::make_unique<StatementCache>();
  return db;
}

error_code Database::exec(std::string_view sql) {
  std::string s(sql);
  int rc = sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return make_error(sqlite3_extended_errcode(db_.get()));
  return {};
}

result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return make_error(rc);
  return Statement(db_.get(), s);
}

result<Statement*> Database::cached(std::string_view sql) {
  auto it = cache_->find(sql);
  if (it == cache_->end()) {
    auto st = prepare(sql);
    if (!st) return st.error();
    it = cache_->emplace(std::string(sql), std::move(*st)).first;
  } else {
    it->second.reset();
  }
  return &it->second;
}

std::int64_t Database::last_insert_rowid() const noexcept {
  return sqlite3_last_insert_rowid(db_.get());
}
int Database::changes() const noexcept {
  return sqlite3_changes(db_.get());
}
std::string Database::error_message() const {
  return sqlite3_errmsg(db_.get());
}

result<std::int64_t> Database::scalar_int64(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return make_error(SQLITE_NOTFOUND);
  return st->column_int64(0);
}

// ---- Transaction ----

Transaction::Transaction(Database& db, Mode mode) : db_(db) {
  begin_ec_ = db_.exec(mode == Mode::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  active_ = !begin_ec_;
}

Transaction::~Transaction() {
  rollback();
}

error_code Transaction::commit() {
  if (!active_) return begin_ec_ ? begin_ec_ : make_error(SQLITE_MISUSE);
  error_code ec = db_.exec("COMMIT");
  // A failed COMMIT (e.g. SQLITE_FULL) may leave the transaction open: roll back
  // so the connection is usable again and nothing half-written stays.
  if (ec) {
    rollback();
    return ec;
  }
  active_ = false;
  return {};
}

void Transaction::rollback() noexcept {
  if (!active_) return;
  active_ = false;
  if (!sqlite3_get_autocommit(db_.native())) (void)db_.exec("ROLLBACK");
}

}  // namespace patrol::sqlite
