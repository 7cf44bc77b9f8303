#include "device_db.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <unordered_map>
#include <variant>

#include "patrol/wire/time.hpp"
#include "platform.hpp"

namespace patrol::sdk {

Error storage_error(const boost::system::error_code& ec, std::string_view what) {
  return make_error(ErrorCode::storage,
                    std::string("device database: ") + std::string(what) + ": " + ec.message(),
                    sqlite::is_transient(ec));
}

namespace {

using sqlite::Statement;
using sqlite::Transaction;

// Migrations, numbered from 1: entry i brings user_version from i to i+1.
// Never edit a released entry; append a new one.
constexpr std::array<std::string_view, 6> kMigrations = {
    R"sql(
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- local sequence, never reused
  op_id TEXT NOT NULL UNIQUE,
  lane INTEGER NOT NULL,                  -- 0 urgent, 1 backlog
  type TEXT NOT NULL,
  op_json TEXT NOT NULL,
  report_id TEXT,
  in_flight INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  enqueued_at TEXT NOT NULL
);
CREATE INDEX outbox_send_order ON outbox(lane, seq);
CREATE TABLE dead_letters (
  seq INTEGER PRIMARY KEY,
  op_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  op_json TEXT NOT NULL,
  code TEXT NOT NULL,
  field TEXT NOT NULL,
  message TEXT NOT NULL,
  rejected_at TEXT NOT NULL
);
CREATE TABLE receipts (
  report_id TEXT PRIMARY KEY,
  op_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  site_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  state INTEGER NOT NULL,                 -- 0 saved, 1 received, 2 rejected
  saved_at TEXT NOT NULL,
  received_at TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX receipts_by_seq ON receipts(seq);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE ref_entities (
  entity TEXT NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (entity, id)
) WITHOUT ROWID;
CREATE TABLE photos (
  sha256 TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  uploaded INTEGER NOT NULL DEFAULT 0,
  added_at TEXT NOT NULL
) WITHOUT ROWID;
)sql",
    // 2: how often the server failed a request made of this op alone (the
    // engine isolates an op the server keeps failing on, see SyncEngine).
    R"sql(
ALTER TABLE outbox ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: fewer pages written per enqueue (each is a 4 KiB WAL frame under the
    // fsync). The backlog is sent in seq (= rowid) order, so only the small
    // urgent lane needs an index; receipts are keyed by report id alone
    // (WITHOUT ROWID: no second b-tree for the key).
    R"sql(
DROP INDEX outbox_send_order;
CREATE INDEX outbox_urgent ON outbox(seq) WHERE lane=0;
CREATE TABLE receipts_v3 (
  report_id TEXT PRIMARY KEY,
  op_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  site_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  state INTEGER NOT NULL,                 -- 0 saved, 1 received, 2 rejected
  saved_at TEXT NOT NULL,
  received_at TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
INSERT INTO receipts_v3 SELECT report_id, op_id, kind, site_id, seq, state, saved_at,
  received_at, reason FROM receipts;
DROP TABLE receipts;
ALTER TABLE receipts_v3 RENAME TO receipts;
CREATE INDEX receipts_by_seq ON receipts(seq);
)sql",
    // 4: two b-trees fewer under every durable enqueue. The outbox is found by
    // seq (the engine knows each sent op's seq), so op_id needs no UNIQUE
    // index; and seq is assigned by enqueue above every seq still referenced
    // (outbox, receipts, dead letters: see DeviceDb::next_seq) instead of by
    // AUTOINCREMENT, whose sqlite_sequence row was one more page per commit.
    R"sql(
CREATE TABLE outbox_v4 (
  seq INTEGER PRIMARY KEY,                -- local sequence (next_seq), not reused while referenced
  op_id TEXT NOT NULL,
  lane INTEGER NOT NULL,                  -- 0 urgent, 1 backlog
  type TEXT NOT NULL,
  op_json TEXT NOT NULL,
  report_id TEXT,
  in_flight INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  enqueued_at TEXT NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_v4(seq, op_id, lane, type, op_json, report_id, in_flight, attempts,
  enqueued_at, failures) SELECT seq, op_id, lane, type, op_json, report_id, in_flight, attempts,
  enqueued_at, failures FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v4 RENAME TO outbox;
CREATE INDEX outbox_urgent ON outbox(seq) WHERE lane=0;
DELETE FROM sqlite_sequence WHERE name IN ('outbox', 'outbox_v4');
)sql",
    // 5: one b-tree fewer again (three pages per durable enqueue become two:
    // the outbox's and the receipts' right-most leaves). A receipt is keyed by
    // its op's seq (the rowid, as the outbox), which is how the engine finds
    // it when the answer comes and how the list is ordered, so it needs no
    // index; a lookup by report id (the app asking about one report) scans
    // the table, which holds the newest 1,000 answered receipts plus the
    // reports still waiting. Seqs are unique per op (never reused while a
    // receipt refers to one), so no row collides.
    R"sql(
CREATE TABLE receipts_v5 (
  seq INTEGER PRIMARY KEY,                -- the op's local seq (outbox.seq)
  report_id TEXT NOT NULL,
  op_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  site_id TEXT NOT NULL,
  state INTEGER NOT NULL,                 -- 0 saved, 1 received, 2 rejected
  saved_at TEXT NOT NULL,
  received_at TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT ''
);
INSERT OR REPLACE INTO receipts_v5(seq, report_id, op_id, kind, site_id, state, saved_at,
  received_at, reason) SELECT seq, report_id, op_id, kind, site_id, state, saved_at, received_at,
  reason FROM receipts ORDER BY seq;
DROP TABLE receipts;
ALTER TABLE receipts_v5 RENAME TO receipts;
)sql",
    // 6: one page per durable enqueue (the outbox's right-most leaf). A
    // report waiting for the server keeps its receipt in its outbox row
    // (receipt_kind, site_id; saved_at is enqueued_at, state is "saved"), so
    // an enqueue is one insert into one b-tree; the answer's transaction
    // (which deletes the row anyway) writes the receipt into `receipts`,
    // received or rejected, under the same seq. A retried dead letter takes
    // its receipt back into its new outbox row. `all_receipts` is what the
    // app sees: both halves, by seq. Carried over exactly: every waiting
    // receipt whose op is still in the outbox moves into that row (its saved
    // time included); every other receipt stays where it was.
    R"sql(
ALTER TABLE outbox ADD COLUMN receipt_kind TEXT;  -- NULL: the op has no receipt
ALTER TABLE outbox ADD COLUMN site_id TEXT;
UPDATE outbox SET report_id = r.report_id, receipt_kind = r.kind, site_id = r.site_id,
  enqueued_at = r.saved_at
  FROM receipts AS r WHERE r.seq = outbox.seq AND r.op_id = outbox.op_id AND r.state = 0;
DELETE FROM receipts WHERE state = 0 AND EXISTS (SELECT 1 FROM outbox AS o
  WHERE o.seq = receipts.seq AND o.op_id = receipts.op_id);
CREATE VIEW all_receipts(seq, report_id, op_id, kind, site_id, state, saved_at, received_at,
  reason) AS
  SELECT seq, report_id, op_id, kind, site_id, state, saved_at, received_at, reason FROM receipts
  UNION ALL
  SELECT seq, report_id, op_id, receipt_kind, coalesce(site_id, ''), 0, enqueued_at, '', ''
  FROM outbox WHERE receipt_kind IS NOT NULL;
)sql",
};

std::string now_text() {
  return wire::format_rfc3339(wire::now_millis());
}

// Appends `s` as a JSON string (for the arrays apply_verdicts hands SQLite's
// json_each): quote, backslash and control characters escaped.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0x0f];
    } else {
      out += c;
    }
  }
  out += '"';
}

#define PATROL_TRY_EC(expr, what)                                \
  do {                                                           \
    if (auto ec_ = (expr); ec_) return storage_error(ec_, what); \
  } while (0)

#define PATROL_TRY_STMT(var, db, sql, what)                  \
  auto var##_r = (db).cached(sql);                           \
  if (!var##_r) return storage_error(var##_r.error(), what); \
  Statement& var = **var##_r

// A write transaction whose BEGIN IMMEDIATE and COMMIT are cached statements
// (sqlite::Transaction runs them through sqlite3_exec, which parses both
// again every time: ~10k instructions of a durable enqueue's ~60k). Same
// contract: rolled back unless committed; a failed COMMIT rolls back too.
class FastTransaction {
 public:
  explicit FastTransaction(sqlite::Database& db) : db_(db) {
    begin_ec_ = run("BEGIN IMMEDIATE");
    active_ = !begin_ec_;
  }
  FastTransaction(const FastTransaction&) = delete;
  FastTransaction& operator=(const FastTransaction&) = delete;
  ~FastTransaction() { rollback(); }
  boost::system::error_code begin_error() const noexcept { return begin_ec_; }
  boost::system::error_code commit() {
    if (!active_) return begin_ec_;
    if (auto ec = run("COMMIT")) {
      rollback();
      return ec;
    }
    active_ = false;
    return {};
  }

 private:
  boost::system::error_code run(std::string_view sql) {
    auto st = db_.cached(sql);
    if (!st) return st.error();
    auto ec = (*st)->run();
    (*st)->reset();
    return ec;
  }
  void rollback() noexcept {
    if (!active_) return;
    active_ = false;
    if (!sqlite3_get_autocommit(db_.native())) (void)db_.exec("ROLLBACK");
  }
  sqlite::Database& db_;
  boost::system::error_code begin_ec_;
  bool active_ = false;
};

}  // namespace

Result<DeviceDb> DeviceDb::open(const std::string& path, Durability durability) {
  auto db = sqlite::Database::open(path);
  if (!db) return storage_error(db.error(), "open " + path);
  DeviceDb d(std::move(*db));
  // WAL: readers never block the writer; FULL: a committed enqueue survives
  // power loss, not just a process crash (see Durability) — with the
  // platform's pragmas (F_FULLFSYNC on Apple) where fsync alone is not enough.
  PATROL_TRY_EC(d.db_.exec(durability == Durability::full
                               ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                               : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"),
                "pragmas");
  if (const char* p = platform::sqlite_durability_pragmas(); *p)
    PATROL_TRY_EC(d.db_.exec(p), "platform pragmas");
  // A WAL reused, not grown. Each connection checkpoints at 1000 frames
  // (~4 MiB; the engine's also after every sync), and a checkpoint that
  // completes lets the next commit start again at the WAL's first frame;
  // that commit cuts the file back to 6 MiB if something (a big pull page)
  // made it longer. The file is kept when the last connection closes (an app
  // is closed and reopened all day; see ~DeviceDb), so in the steady state a
  // commit overwrites blocks the file already has: its fsync flushes data,
  // not also the file's new size.
  int persist = 1;
  (void)sqlite3_file_control(d.db_.native(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  PATROL_TRY_EC(d.db_.exec("PRAGMA wal_autocheckpoint=1000; PRAGMA journal_size_limit=6291456"),
                "pragmas");
  // Deleted rows are zeroed only where that costs no extra write: SQLite
  // builds that default to secure_delete=ON (Debian's, Android's) otherwise
  // zero and write every page an answered batch empties, about doubling what
  // the engine's apply writes. A freed page's stale bytes (ops the server
  // already has) stay in the app's private file until the page is reused.
  PATROL_TRY_EC(d.db_.exec("PRAGMA secure_delete=FAST"), "pragmas");
  if (auto st = d.migrate(); !st) return std::move(st).error();
  return d;
}

DeviceDb::~DeviceDb() {
  // The last connection to close checkpoints the WAL and, in persistent-WAL
  // mode with a journal_size_limit, truncates the file to zero bytes (SQLite's
  // sqlite3WalClose), so every app session would grow it again, 4 KiB per
  // commit. Without a limit at close the file is kept as it is (its frames
  // are all checkpointed; the next open's recovery skips nothing it needs);
  // open() sets the 6 MiB bound again for the session.
  if (db_.native()) (void)db_.exec("PRAGMA journal_size_limit=-1");
}

std::span<const std::string_view> DeviceDb::migrations() {
  return kMigrations;
}

Status DeviceDb::migrate() {
  Transaction tx(db_);
  PATROL_TRY_EC(tx.begin_error(), "begin migration");
  auto v = db_.scalar_int64("PRAGMA user_version");
  if (!v) return storage_error(v.error(), "read schema version");
  if (*v > static_cast<std::int64_t>(kMigrations.size()))
    return make_error(ErrorCode::storage, "device database was written by a newer SDK (schema " +
                                              std::to_string(*v) + ")");
  for (auto i = *v; i < static_cast<std::int64_t>(kMigrations.size()); ++i) {
    PATROL_TRY_EC(db_.exec(kMigrations[static_cast<std::size_t>(i)]),
                  "migration " + std::to_string(i + 1));
    PATROL_TRY_EC(db_.exec("PRAGMA user_version=" + std::to_string(i + 1)), "set schema version");
  }
  PATROL_TRY_EC(tx.commit(), "commit migration");
  return {};
}

void DeviceDb::checkpoint() noexcept {
  // PASSIVE: copies what it can without waiting for readers or writers.
  (void)db_.exec("PRAGMA wal_checkpoint(PASSIVE)");
}

// ---------------------------------------------------------------- outbox

Result<std::int64_t> DeviceDb::next_seq() {
  // Three b-tree descents, no write: above every seq the outbox, the receipts
  // and the dead letters still hold, so a seq is never reused while anything
  // refers to it (a position op answered long ago leaves nothing behind).
  PATROL_TRY_STMT(st, db_,
                  "SELECT max(coalesce((SELECT max(seq) FROM outbox), 0), "
                  "coalesce((SELECT max(seq) FROM receipts), 0), "
                  "coalesce((SELECT max(seq) FROM dead_letters), 0)) + 1",
                  "next seq");
  auto row = st.step();
  if (!row) return storage_error(row.error(), "next seq");
  if (!*row) return make_error(ErrorCode::internal, "next seq: no row");
  const std::int64_t seq = st.column_int64(0);
  st.reset();
  return seq;
}

Result<std::vector<std::int64_t>> DeviceDb::enqueue(const std::vector<NewOp>& ops,
                                                    bool demote_urgent_positions,
                                                    std::string* saved_at) {
  std::vector<std::int64_t> seqs;
  seqs.reserve(ops.size());
  FastTransaction tx(db_);
  PATROL_TRY_EC(tx.begin_error(), "begin enqueue");
  if (demote_urgent_positions) {
    PATROL_TRY_STMT(st, db_, "UPDATE outbox SET lane=1 WHERE lane=0 AND type='position.append'",
                    "demote");
    PATROL_TRY_EC(st.run(), "demote urgent positions");
  }
  const std::string now = saved_at && !saved_at->empty() ? *saved_at : now_text();
  auto first = next_seq();
  if (!first) return std::move(first).error();
  std::int64_t seq = *first;
  // One insert per op: a report's receipt ("saved") is part of its outbox
  // row until the server answers (migration 6).
  PATROL_TRY_STMT(st, db_,
                  "INSERT INTO outbox(seq, op_id, lane, type, op_json, report_id, receipt_kind, "
                  "site_id, enqueued_at) VALUES(?,?,?,?,?,?,?,?,?)",
                  "insert op");
  for (const auto& op : ops) {
    st.bind(1, seq)
        .bind(2, op.op_id)
        .bind(3, static_cast<int>(op.lane))
        .bind(4, op.type)
        .bind(5, op.op_json)
        .bind(6, op.report_id)
        .bind(9, now);
    if (op.report_id) st.bind(7, op.receipt_kind).bind(8, op.site_id);
    PATROL_TRY_EC(st.run(), "insert op");
    st.reset();
    seqs.push_back(seq);
    ++seq;
  }
  PATROL_TRY_EC(tx.commit(), "commit enqueue");
  if (saved_at) *saved_at = now;
  return seqs;
}

namespace {
OutboxOp read_op(const Statement& st) {
  OutboxOp op;
  op.seq = st.column_int64(0);
  op.op_id = st.column_text(1);
  op.type = st.column_text(2);
  op.lane = static_cast<Lane>(st.column_int64(3));
  op.op_json = st.column_text(4);
  op.in_flight = st.column_int64(5) != 0;
  op.attempts = st.column_int64(6);
  return op;
}
// Send order: the urgent lane (its partial index), then the backlog by seq,
// which is the rowid: two ordered scans, no sort and no (lane, seq) index to
// update on every enqueue.
constexpr std::array<std::string_view, 2> kSelectLanes = {
    "SELECT seq, op_id, type, lane, op_json, in_flight, attempts FROM outbox "
    "WHERE lane=0 ORDER BY seq LIMIT ?",
    "SELECT seq, op_id, type, lane, op_json, in_flight, attempts FROM outbox "
    "WHERE lane=1 ORDER BY seq LIMIT ?"};
}  // namespace

template <class Take>
Status DeviceDb::in_send_order(std::size_t limit, Take&& take) {
  std::size_t n = 0;
  for (auto sql : kSelectLanes) {
    if (n >= limit) break;
    PATROL_TRY_STMT(st, db_, sql, "select outbox");
    st.bind(1, static_cast<std::int64_t>(limit - n));
    for (;;) {
      auto row = st.step();
      if (!row) return storage_error(row.error(), "read outbox");
      if (!*row) break;
      if (!take(read_op(st))) {
        st.reset();
        return {};
      }
      ++n;
    }
    st.reset();
  }
  return {};
}

Result<std::vector<OutboxOp>> DeviceDb::next_batch(std::size_t max_ops, std::size_t max_bytes,
                                                   const std::vector<std::int64_t>& skip) {
  std::vector<OutboxOp> out;
  // A read transaction so the batch is one consistent snapshot.
  Transaction tx(db_, Transaction::Mode::deferred);
  PATROL_TRY_EC(tx.begin_error(), "begin read");
  std::size_t bytes = 0;
  auto st = in_send_order(max_ops + skip.size(), [&](OutboxOp&& op) {
    if (std::binary_search(skip.begin(), skip.end(), op.seq)) return true;
    if (out.size() >= max_ops) return false;
    if (!out.empty() && bytes + op.op_json.size() > max_bytes) return false;
    bytes += op.op_json.size();
    out.push_back(std::move(op));
    return true;
  });
  if (!st) return std::move(st).error();
  (void)tx.commit();
  return out;
}

Result<std::vector<OutboxOp>> DeviceDb::outbox(std::size_t limit) {
  std::vector<OutboxOp> out;
  Transaction tx(db_, Transaction::Mode::deferred);
  PATROL_TRY_EC(tx.begin_error(), "begin read");
  auto st = in_send_order(limit, [&](OutboxOp&& op) {
    out.push_back(std::move(op));
    return true;
  });
  if (!st) return std::move(st).error();
  (void)tx.commit();
  return out;
}

Status DeviceDb::mark_in_flight(const std::vector<std::int64_t>& seqs) {
  Transaction tx(db_);
  PATROL_TRY_EC(tx.begin_error(), "begin mark");
  for (auto s : seqs) {
    PATROL_TRY_STMT(st, db_, "UPDATE outbox SET in_flight=1, attempts=attempts+1 WHERE seq=?",
                    "mark in flight");
    st.bind(1, s);
    PATROL_TRY_EC(st.run(), "mark in flight");
  }
  PATROL_TRY_EC(tx.commit(), "commit mark");
  return {};
}

Status DeviceDb::clear_in_flight(const std::vector<std::int64_t>& seqs) {
  Transaction tx(db_);
  PATROL_TRY_EC(tx.begin_error(), "begin clear");
  for (auto s : seqs) {
    PATROL_TRY_STMT(st, db_, "UPDATE outbox SET in_flight=0 WHERE seq=?", "clear in flight");
    st.bind(1, s);
    PATROL_TRY_EC(st.run(), "clear in flight");
  }
  PATROL_TRY_EC(tx.commit(), "commit clear");
  return {};
}

Result<std::int64_t> DeviceDb::record_failure(std::int64_t seq) {
  PATROL_TRY_STMT(st, db_, "UPDATE outbox SET failures=failures+1 WHERE seq=? RETURNING failures",
                  "record failure");
  st.bind(1, seq);
  auto row = st.step();
  if (!row) return storage_error(row.error(), "record failure");
  const std::int64_t n = *row ? st.column_int64(0) : 0;
  st.reset();
  return n;
}

Status DeviceDb::clear_all_in_flight() {
  PATROL_TRY_EC(db_.exec("UPDATE outbox SET in_flight=0 WHERE in_flight<>0"), "clear in flight");
  return {};
}

Result<ApplyOutcome> DeviceDb::apply_verdicts(
    const std::vector<OpVerdict>& verdicts, const std::string& server_time,
    const std::vector<std::int64_t>& sent,
    const std::vector<std::pair<std::string, std::string>>& settings) {
  ApplyOutcome out;
  const std::string now = now_text();
  Transaction tx(db_);
  PATROL_TRY_EC(tx.begin_error(), "begin apply");
  for (const auto& [k, v] : settings) {
    PATROL_TRY_STMT(st, db_, "INSERT OR REPLACE INTO settings(key, value) VALUES(?,?)", "setting");
    st.bind(1, k).bind(2, v);
    PATROL_TRY_EC(st.run(), "write setting");
  }
  // The engine's common case, ops the server has (applied or duplicate) and
  // whose seq is known, is settled in two statements for the whole batch
  // rather than two per op: one INSERT of the waiting receipts among them
  // into `receipts` as received (read from their outbox rows, migration 6),
  // then one DELETE of every such op still in the outbox (by seq, the rowid,
  // and the same op id); json_each hands SQLite the list [[seq, op_id,
  // received_at], ...]. Everything else goes op by op below.
  std::unordered_map<std::int64_t, std::optional<std::string>> removed;  // seq -> report id
  {
    std::string ids = "[";
    std::unordered_map<std::int64_t, bool> listed;  // a repeated verdict: the first one counts
    for (const auto& v : verdicts) {
      if (v.kind != OpVerdict::Kind::done || v.seq <= 0) continue;
      if (!listed.emplace(v.seq, true).second) continue;
      if (ids.size() > 1) ids += ',';
      ids += '[';
      ids += std::to_string(v.seq);
      ids += ',';
      append_json_string(ids, v.op_id);
      ids += ',';
      append_json_string(ids, v.received_at.empty() ? server_time : v.received_at);
      ids += ']';
    }
    ids += ']';
    if (ids.size() > 2) {
      {
        PATROL_TRY_STMT(st, db_,
                        "INSERT OR REPLACE INTO receipts(seq, report_id, op_id, kind, site_id, "
                        "state, saved_at, received_at, reason) SELECT o.seq, o.report_id, "
                        "o.op_id, o.receipt_kind, coalesce(o.site_id, ''), 1, o.enqueued_at, "
                        "json_extract(j.value, '$[2]'), '' FROM json_each(?) j "
                        "JOIN outbox o ON o.seq = json_extract(j.value, '$[0]') "
                        "AND o.op_id = json_extract(j.value, '$[1]') "
                        "WHERE o.receipt_kind IS NOT NULL",
                        "receipts");
        st.bind(1, ids);
        PATROL_TRY_EC(st.run(), "insert receipts");
      }
      PATROL_TRY_STMT(st, db_,
                      "DELETE FROM outbox WHERE seq IN (SELECT o.seq FROM json_each(?) j "
                      "JOIN outbox o ON o.seq = json_extract(j.value, '$[0]') "
                      "AND o.op_id = json_extract(j.value, '$[1]')) RETURNING seq, report_id",
                      "delete ops");
      st.bind(1, ids);
      for (;;) {
        auto row = st.step();
        if (!row) {
          st.reset();
          return storage_error(row.error(), "delete ops");
        }
        if (!*row) break;
        removed.emplace(st.column_int64(0), st.column_opt_text(1));
      }
      st.reset();
    }
  }
  for (const auto& v : verdicts) {
    if (v.kind != OpVerdict::Kind::done || v.seq <= 0) continue;
    auto it = removed.find(v.seq);
    if (it == removed.end()) {
      ++out.unknown;  // already handled (another process, or a repeated answer)
      continue;
    }
    ++out.done;
    if (it->second)
      out.received_reports.emplace_back(std::move(*it->second),
                                        v.received_at.empty() ? server_time : v.received_at);
    removed.erase(it);  // a second verdict for the same op finds nothing
  }
  // A receipt leaves its outbox row for `receipts` (received or rejected).
  auto put_receipt = [&](std::int64_t seq, const ReceiptRow& r) -> Status {
    PATROL_TRY_STMT(st, db_,
                    "INSERT OR REPLACE INTO receipts(seq, report_id, op_id, kind, site_id, state, "
                    "saved_at, received_at, reason) VALUES(?,?,?,?,?,?,?,?,?)",
                    "receipt");
    st.bind(1, seq)
        .bind(2, r.report_id)
        .bind(3, r.op_id)
        .bind(4, r.kind)
        .bind(5, r.site_id)
        .bind(6, static_cast<std::int64_t>(r.state))
        .bind(7, r.saved_at)
        .bind(8, r.received_at)
        .bind(9, r.reason);
    PATROL_TRY_EC(st.run(), "write receipt");
    return {};
  };
  for (const auto& v : verdicts) {
    if (v.kind == OpVerdict::Kind::done && v.seq > 0) continue;  // settled above
    std::int64_t seq = 0;
    std::optional<std::string> report_id, kind;
    ReceiptRow receipt;
    auto read_receipt_columns = [&](const Statement& st, int first) {
      // report_id, receipt_kind, site_id, enqueued_at
      report_id = st.column_opt_text(first);
      kind = st.column_opt_text(first + 1);
      if (!kind) return;
      receipt.report_id = report_id.value_or("");
      receipt.op_id = v.op_id;
      receipt.kind = *kind;
      receipt.site_id = st.column_opt_text(first + 2).value_or("");
      receipt.saved_at = st.column_text(first + 3);
    };
    if (v.kind == OpVerdict::Kind::done) {
      // An answer without a seq (not the engine's): one statement finds the
      // op by op id (a scan: there is no op_id index, see migration 4) and
      // removes it, reading only what the receipt needs.
      {
        PATROL_TRY_STMT(st, db_,
                        "DELETE FROM outbox WHERE op_id=? "
                        "RETURNING seq, report_id, receipt_kind, site_id, enqueued_at",
                        "delete op");
        st.bind(1, v.op_id);
        auto row = st.step();
        if (!row) {
          st.reset();
          return storage_error(row.error(), "delete op");
        }
        if (!*row) {
          st.reset();
          ++out.unknown;  // already handled (another process, or a repeated answer)
          continue;
        }
        seq = st.column_int64(0);
        read_receipt_columns(st, 1);
        st.reset();
      }
      ++out.done;
      const std::string& at = v.received_at.empty() ? server_time : v.received_at;
      if (kind) {
        receipt.state = ReceiptState::received;
        receipt.received_at = at;
        if (auto w = put_receipt(seq, receipt); !w) return std::move(w).error();
      }
      if (report_id) out.received_reports.emplace_back(std::move(*report_id), at);
      continue;
    }
    std::string type, op_json;
    {
      PATROL_TRY_STMT(st, db_,
                      v.seq > 0 ? "SELECT seq, type, op_json, report_id, receipt_kind, site_id, "
                                  "enqueued_at FROM outbox WHERE seq=? AND op_id=?"
                                : "SELECT seq, type, op_json, report_id, receipt_kind, site_id, "
                                  "enqueued_at FROM outbox WHERE ?=0 AND op_id=?",
                      "find op");
      st.bind(1, v.seq).bind(2, v.op_id);
      auto row = st.step();
      if (!row) return storage_error(row.error(), "find op");
      if (!*row) {
        ++out.unknown;  // already handled (another process, or a repeated answer)
        continue;
      }
      seq = st.column_int64(0);
      type = st.column_text(1);
      op_json = st.column_text(2);
      read_receipt_columns(st, 3);
      st.reset();
    }
    ++out.rejected;
    DeadLetterRow dl{seq, v.op_id, type, op_json, v.code, v.field, v.message, now};
    {
      PATROL_TRY_STMT(st, db_,
                      "INSERT OR REPLACE INTO dead_letters(seq, op_id, type, op_json, code, "
                      "field, message, rejected_at) VALUES(?,?,?,?,?,?,?,?)",
                      "dead letter");
      st.bind(1, dl.seq)
          .bind(2, dl.op_id)
          .bind(3, dl.type)
          .bind(4, dl.op_json)
          .bind(5, dl.code)
          .bind(6, dl.field)
          .bind(7, dl.message)
          .bind(8, dl.rejected_at);
      PATROL_TRY_EC(st.run(), "insert dead letter");
    }
    if (kind) {
      receipt.state = ReceiptState::rejected;
      receipt.reason = v.code + (v.message.empty() ? "" : ": " + v.message);
      if (auto w = put_receipt(seq, receipt); !w) return std::move(w).error();
    }
    out.new_dead_letters.push_back(std::move(dl));
    PATROL_TRY_STMT(st, db_, "DELETE FROM outbox WHERE seq=?", "delete op");
    st.bind(1, seq);
    PATROL_TRY_EC(st.run(), "delete op");
  }
  // After the deletes, one range scan: the ops of the batch left without a
  // verdict (normally none) still have a row, whose mark (written only by an
  // older SDK: the engine counts ops in flight in memory) is cleared. `sent`
  // is sorted; rows in its range that were not sent carry no mark either.
  if (!sent.empty()) {
    PATROL_TRY_STMT(st, db_,
                    "UPDATE outbox SET in_flight=0 WHERE seq BETWEEN ? AND ? AND in_flight<>0",
                    "clear in flight");
    st.bind(1, *std::min_element(sent.begin(), sent.end()))
        .bind(2, *std::max_element(sent.begin(), sent.end()));
    PATROL_TRY_EC(st.run(), "clear in flight");
  }
  if (out.done + out.rejected > 0) {
    // Receipts the server has answered are history: keep the newest
    // kKeptReceipts so a phone's database stays bounded over months of rounds
    // (a report still waiting keeps its receipt, however old).
    PATROL_TRY_STMT(st, db_,
                    "DELETE FROM receipts WHERE state<>0 AND seq < (SELECT seq FROM receipts "
                    "WHERE state<>0 ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                    "prune receipts");
    st.bind(1, kKeptReceipts - 1);
    PATROL_TRY_EC(st.run(), "prune receipts");
  }
  PATROL_TRY_EC(tx.commit(), "commit apply");
  return out;
}

bool DeviceDb::has_pending(std::string_view type) {
  auto st = db_.cached("SELECT 1 FROM outbox WHERE type=? LIMIT 1");
  if (!st) return false;
  (*st)->bind(1, type);
  auto row = (*st)->step();
  const bool found = row && *row;
  (*st)->reset();
  return found;
}

Result<Counts> DeviceDb::counts() {
  Counts c;
  Transaction tx(db_, Transaction::Mode::deferred);
  PATROL_TRY_EC(tx.begin_error(), "begin read");
  PATROL_TRY_STMT(st, db_,
                  "SELECT (SELECT count(*) FROM outbox), "
                  "(SELECT count(*) FROM outbox WHERE in_flight<>0), "
                  "(SELECT count(*) FROM dead_letters), "
                  "(SELECT count(*) FROM photos WHERE uploaded=0)",
                  "counts");
  auto row = st.step();
  if (!row) return storage_error(row.error(), "counts");
  c.pending = st.column_int64(0);
  c.in_flight = st.column_int64(1);
  c.dead_letters = st.column_int64(2);
  c.photos_pending = st.column_int64(3);
  st.reset();
  (void)tx.commit();
  return c;
}

// ---------------------------------------------------------------- dead letters, receipts

Result<std::vector<DeadLetterRow>> DeviceDb::dead_letters() {
  std::vector<DeadLetterRow> out;
  PATROL_TRY_STMT(st, db_,
                  "SELECT seq, op_id, type, op_json, code, field, message, rejected_at "
                  "FROM dead_letters ORDER BY seq",
                  "dead letters");
  for (;;) {
    auto row = st.step();
    if (!row) return storage_error(row.error(), "dead letters");
    if (!*row) break;
    out.push_back({st.column_int64(0), st.column_text(1), st.column_text(2), st.column_text(3),
                   st.column_text(4), st.column_text(5), st.column_text(6), st.column_text(7)});
  }
  return out;
}

Result<bool> DeviceDb::retry_dead_letter(const std::string& op_id) {
  Transaction tx(db_);
  PATROL_TRY_EC(tx.begin_error(), "begin retry");
  std::string type, op_json;
  std::int64_t old_seq = 0;
  {
    PATROL_TRY_STMT(st, db_, "SELECT type, op_json, seq FROM dead_letters WHERE op_id=?",
                    "dead letter");
    st.bind(1, op_id);
    auto row = st.step();
    if (!row) return storage_error(row.error(), "dead letter");
    if (!*row) return false;
    type = st.column_text(0);
    op_json = st.column_text(1);
    old_seq = st.column_int64(2);
    st.reset();
  }
  // Its receipt (the op's seq, which the dead letter kept) goes back into
  // the new outbox row, "saved" again with its first saved time (migration 6).
  std::optional<std::string> report_id, kind, site_id, saved_at;
  {
    PATROL_TRY_STMT(st, db_,
                    "DELETE FROM receipts WHERE seq=? AND op_id=? "
                    "RETURNING report_id, kind, site_id, saved_at",
                    "receipt");
    st.bind(1, old_seq).bind(2, op_id);
    auto row = st.step();
    if (!row) {
      st.reset();
      return storage_error(row.error(), "receipt");
    }
    if (*row) {
      report_id = st.column_text(0);
      kind = st.column_text(1);
      site_id = st.column_text(2);
      saved_at = st.column_text(3);
    }
    st.reset();
  }
  // Back at the end of its lane with a new local sequence (above the dead
  // letter's own, which next_seq still sees), and the same op id.
  const Lane lane = type == "sos.raise" ? Lane::urgent : Lane::backlog;
  auto next = next_seq();
  if (!next) return std::move(next).error();
  const std::int64_t seq = *next;
  {
    PATROL_TRY_STMT(st, db_,
                    "INSERT INTO outbox(seq, op_id, lane, type, op_json, report_id, receipt_kind, "
                    "site_id, enqueued_at) VALUES(?,?,?,?,?,?,?,?,?)",
                    "requeue");
    st.bind(1, seq)
        .bind(2, op_id)
        .bind(3, static_cast<std::int64_t>(lane))
        .bind(4, type)
        .bind(5, op_json)
        .bind(6, report_id)
        .bind(7, kind)
        .bind(8, site_id)
        .bind(9, saved_at.value_or(now_text()));
    PATROL_TRY_EC(st.run(), "requeue");
  }
  {
    PATROL_TRY_STMT(st, db_, "DELETE FROM dead_letters WHERE op_id=?", "dead letter");
    st.bind(1, op_id);
    PATROL_TRY_EC(st.run(), "delete dead letter");
  }
  PATROL_TRY_EC(tx.commit(), "commit retry");
  return true;
}

Result<bool> DeviceDb::dismiss_dead_letter(const std::string& op_id) {
  PATROL_TRY_STMT(st, db_, "DELETE FROM dead_letters WHERE op_id=?", "dead letter");
  st.bind(1, op_id);
  PATROL_TRY_EC(st.run(), "dismiss dead letter");
  return db_.changes() > 0;
}

namespace {
ReceiptRow read_receipt(const Statement& st) {
  ReceiptRow r;
  r.report_id = st.column_text(0);
  r.op_id = st.column_text(1);
  r.kind = st.column_text(2);
  r.site_id = st.column_text(3);
  r.seq = st.column_int64(4);
  r.state = static_cast<ReceiptState>(st.column_int64(5));
  r.saved_at = st.column_text(6);
  r.received_at = st.column_text(7);
  r.reason = st.column_text(8);
  return r;
}
}  // namespace

Result<std::optional<ReceiptRow>> DeviceDb::receipt(ReceiptKey key) {
  // By seq: the rowid of either table (SQLite pushes the term into both
  // halves of the view). By report id: a scan of both (no index, see
  // migrations 5 and 6; the app asks about one report now and then).
  const bool by_seq = std::holds_alternative<std::int64_t>(key);
  PATROL_TRY_STMT(st, db_,
                  by_seq ? "SELECT report_id, op_id, kind, site_id, seq, state, saved_at, "
                           "received_at, reason FROM all_receipts WHERE seq=? LIMIT 1"
                         : "SELECT report_id, op_id, kind, site_id, seq, state, saved_at, "
                           "received_at, reason FROM all_receipts WHERE report_id=? LIMIT 1",
                  "receipt");
  if (by_seq)
    st.bind(1, std::get<std::int64_t>(key));
  else
    st.bind(1, std::get<std::string_view>(key));
  auto row = st.step();
  if (!row) return storage_error(row.error(), "receipt");
  if (!*row) return std::optional<ReceiptRow>{};
  auto r = read_receipt(st);
  st.reset();
  return std::optional<ReceiptRow>(std::move(r));
}

Result<std::vector<ReceiptRow>> DeviceDb::receipts(std::size_t limit) {
  std::vector<ReceiptRow> out;
  // Both halves (answered ones in `receipts`, waiting ones in their outbox
  // rows), each read backwards by its rowid and merged (not the view: SQLite
  // would read all of both and sort), so a long backlog costs LIMIT rows.
  PATROL_TRY_STMT(st, db_,
                  "SELECT report_id, op_id, kind, site_id, seq, state, saved_at, received_at, "
                  "reason FROM receipts UNION ALL SELECT report_id, op_id, receipt_kind, "
                  "coalesce(site_id, ''), seq, 0, enqueued_at, '', '' FROM outbox "
                  "WHERE receipt_kind IS NOT NULL ORDER BY seq DESC LIMIT ?",
                  "receipts");
  st.bind(1, static_cast<std::int64_t>(limit));
  for (;;) {
    auto row = st.step();
    if (!row) return storage_error(row.error(), "receipts");
    if (!*row) break;
    out.push_back(read_receipt(st));
  }
  return out;
}

// ---------------------------------------------------------------- settings

Result<std::optional<std::string>> DeviceDb::get(std::string_view key) {
  PATROL_TRY_STMT(st, db_, "SELECT value FROM settings WHERE key=?", "setting");
  st.bind(1, key);
  auto row = st.step();
  if (!row) return storage_error(row.error(), "read setting");
  if (!*row) return std::optional<std::string>{};
  std::optional<std::string> v = st.column_text(0);
  st.reset();
  return v;
}

Status DeviceDb::set(std::string_view key, std::string_view value) {
  return set_many({{std::string(key), std::string(value)}});
}

Status DeviceDb::erase(std::string_view key) {
  return set_many({}, {std::string(key)});
}

Status DeviceDb::set_many(const std::vector<std::pair<std::string, std::string>>& kv,
                          const std::vector<std::string>& erase_keys) {
  Transaction tx(db_);
  PATROL_TRY_EC(tx.begin_error(), "begin settings");
  for (const auto& [k, v] : kv) {
    PATROL_TRY_STMT(st, db_, "INSERT OR REPLACE INTO settings(key, value) VALUES(?,?)", "setting");
    st.bind(1, k).bind(2, v);
    PATROL_TRY_EC(st.run(), "write setting");
  }
  for (const auto& k : erase_keys) {
    PATROL_TRY_STMT(st, db_, "DELETE FROM settings WHERE key=?", "setting");
    st.bind(1, k);
    PATROL_TRY_EC(st.run(), "erase setting");
  }
  PATROL_TRY_EC(tx.commit(), "commit settings");
  ++local_epoch_;
  return {};
}

// ---------------------------------------------------------------- reference data

Status DeviceDb::apply_changes(const std::vector<CachedChange>& changes, std::int64_t new_cursor) {
  Transaction tx(db_);
  PATROL_TRY_EC(tx.begin_error(), "begin pull");
  for (const auto& c : changes) {
    if (c.remove) {
      PATROL_TRY_STMT(st, db_, "DELETE FROM ref_entities WHERE entity=? AND id=?", "delete ref");
      st.bind(1, c.entity).bind(2, c.id);
      PATROL_TRY_EC(st.run(), "delete ref");
    } else {
      PATROL_TRY_STMT(st, db_,
                      "INSERT OR REPLACE INTO ref_entities(entity, id, data, seq) VALUES(?,?,?,?)",
                      "upsert ref");
      st.bind(1, c.entity).bind(2, c.id).bind(3, c.data_json).bind(4, c.seq);
      PATROL_TRY_EC(st.run(), "upsert ref");
    }
  }
  PATROL_TRY_STMT(st, db_, "INSERT OR REPLACE INTO settings(key, value) VALUES('cursor', ?)",
                  "cursor");
  st.bind(1, std::to_string(new_cursor));
  PATROL_TRY_EC(st.run(), "write cursor");
  PATROL_TRY_EC(tx.commit(), "commit pull");
  ++local_epoch_;
  return {};
}

Result<std::int64_t> DeviceDb::cursor() {
  auto v = get("cursor");
  if (!v) return std::move(v).error();
  if (!*v) return std::int64_t{0};
  try {
    return static_cast<std::int64_t>(std::stoll(**v));
  } catch (...) {
    return std::int64_t{0};
  }
}

Result<std::vector<std::string>> DeviceDb::entities(std::string_view entity) {
  std::vector<std::string> out;
  PATROL_TRY_STMT(st, db_, "SELECT data FROM ref_entities WHERE entity=? ORDER BY id", "refs");
  st.bind(1, entity);
  for (;;) {
    auto row = st.step();
    if (!row) return storage_error(row.error(), "read refs");
    if (!*row) break;
    out.push_back(st.column_text(0));
  }
  return out;
}

Result<std::optional<std::int64_t>> DeviceDb::newest_template_version(std::string_view id) {
  // One range of the primary key (the pull keys a template "id@version", and
  // '@' + 1 is 'A'), JSON read by SQLite itself: an enqueue must not read
  // every cached template to learn one number.
  PATROL_TRY_STMT(st, db_,
                  "SELECT max(json_extract(data, '$.version')) FROM ref_entities "
                  "WHERE entity='checklist_template' AND id >= ?1 || '@' AND id < ?1 || 'A' "
                  "AND json_extract(data, '$.id') = ?1",
                  "template version");
  st.bind(1, id);
  auto row = st.step();
  if (!row) return storage_error(row.error(), "read template version");
  std::optional<std::int64_t> v;
  if (*row) v = st.column_opt_int64(0);
  st.reset();
  return v;
}

Result<std::optional<std::string>> DeviceDb::entity(std::string_view entity, std::string_view id) {
  PATROL_TRY_STMT(st, db_, "SELECT data FROM ref_entities WHERE entity=? AND id=?", "ref");
  st.bind(1, entity).bind(2, id);
  auto row = st.step();
  if (!row) return storage_error(row.error(), "read ref");
  if (!*row) return std::optional<std::string>{};
  std::optional<std::string> v = st.column_text(0);
  st.reset();
  return v;
}

Status DeviceDb::clear_reference_data() {
  Transaction tx(db_);
  PATROL_TRY_EC(tx.begin_error(), "begin clear");
  PATROL_TRY_EC(db_.exec("DELETE FROM ref_entities; DELETE FROM settings WHERE key='cursor';"),
                "clear reference data");
  PATROL_TRY_EC(tx.commit(), "commit clear");
  ++local_epoch_;
  return {};
}

Result<std::pair<std::int64_t, std::uint64_t>> DeviceDb::change_epoch() {
  PATROL_TRY_STMT(st, db_, "PRAGMA data_version", "data version");
  auto row = st.step();
  if (!row) return storage_error(row.error(), "data version");
  const std::int64_t v = *row ? st.column_int64(0) : 0;
  st.reset();
  return std::pair<std::int64_t, std::uint64_t>{v, local_epoch_};
}

// ---------------------------------------------------------------- photos

Status DeviceDb::add_photo(const PhotoRow& p) {
  PATROL_TRY_STMT(st, db_,
                  "INSERT OR IGNORE INTO photos(sha256, path, size, uploaded, added_at) "
                  "VALUES(?,?,?,0,?)",
                  "photo");
  st.bind(1, p.sha256).bind(2, p.path).bind(3, p.size).bind(4, now_text());
  PATROL_TRY_EC(st.run(), "insert photo");
  return {};
}

Result<std::vector<PhotoRow>> DeviceDb::pending_photos() {
  std::vector<PhotoRow> out;
  PATROL_TRY_STMT(st, db_,
                  "SELECT sha256, path, size FROM photos WHERE uploaded=0 ORDER BY added_at",
                  "photos");
  for (;;) {
    auto row = st.step();
    if (!row) return storage_error(row.error(), "read photos");
    if (!*row) break;
    out.push_back({st.column_text(0), st.column_text(1), st.column_int64(2), false});
  }
  return out;
}

Result<bool> DeviceDb::photo_uploaded(const std::string& sha256) {
  PATROL_TRY_STMT(st, db_, "SELECT uploaded FROM photos WHERE sha256=?", "photo");
  st.bind(1, sha256);
  auto row = st.step();
  if (!row) return storage_error(row.error(), "photo");
  const bool up = *row && st.column_int64(0) != 0;
  st.reset();
  return up;
}

Status DeviceDb::mark_photo_uploaded(const std::string& sha256) {
  PATROL_TRY_STMT(st, db_, "UPDATE photos SET uploaded=1 WHERE sha256=?", "photo");
  st.bind(1, sha256);
  PATROL_TRY_EC(st.run(), "mark photo uploaded");
  return {};
}

}  // namespace patrol::sdk
