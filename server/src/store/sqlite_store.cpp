#include "store/sqlite_store.hpp"

#include <pthread.h>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

#include "metrics/metrics.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"
#include "store/sqlite_schema.hpp"

namespace patrol::store {
namespace json = boost::json;
using boost::system::error_code;
using sqlite::Database;
using sqlite::Statement;

namespace {

// ---------------------------------------------------------------------------
// Internal error plumbing. Inside this file a failing SQLite call throws
// Failure; every public entry point (and every write job) catches it and
// turns it into an error value, so nothing is thrown across the Store API.
struct Failure {
  error_code ec;
};
struct NotFound {};

[[noreturn]] void fail(error_code ec) {
  throw Failure{ec};
}

Statement& q(Database& db, std::string_view sql) {
  auto r = db.cached(sql);
  if (!r) fail(r.error());
  return **r;
}
bool step(Statement& s) {
  auto r = s.step();
  if (!r) fail(r.error());
  return *r;
}
void run(Statement& s) {
  if (auto ec = s.run()) fail(ec);
}
// Binds text without copying (SQLITE_STATIC): only for strings that outlive
// the statement's execution (the job's own data; statements are reset after).
void bind_ref(Statement& s, int i, std::string_view v) {
  sqlite3_bind_text64(s.native(), i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
}

// Runs a parameterless statement through the connection's statement cache.
error_code exec_cached(Database& db, std::string_view sql) {
  auto st = db.cached(sql);
  if (!st) return st.error();
  return (*st)->run();
}
// Resets every statement of a connection so no read snapshot stays open
// (an unreset statement would pin the WAL and block checkpoints).
void reset_all(Database& db) {
  for (sqlite3_stmt* s = sqlite3_next_stmt(db.native(), nullptr); s;
       s = sqlite3_next_stmt(db.native(), s))
    sqlite3_reset(s);
}

Ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// [prefix, upper) covers every path that starts with prefix ("/1/4/" → "/1/40"
// is the first string after all "/1/4/…"): an index range, not a LIKE.
std::string path_upper(std::string_view prefix) {
  std::string up(prefix);
  if (up.empty()) return std::string(1, '\x7f');
  up.back() = static_cast<char>(up.back() + 1);
  return up;
}

std::string to_text(const json::value& v) {
  return json::serialize(v);
}

std::vector<std::string> string_array(std::string_view text) {
  std::vector<std::string> out;
  auto v = json::parse(text);
  for (const auto& e : v.as_array()) out.emplace_back(e.as_string());
  return out;
}

// The inverse of items_json() (inspections.items).
std::vector<InspectionItem> read_items(std::string_view text) {
  std::vector<InspectionItem> out;
  auto v = json::parse(text);
  const auto& a = v.as_array();
  out.reserve(a.size());
  for (const auto& e : a) {
    const auto& o = e.as_object();
    InspectionItem it;
    it.code = o.at("code").as_string();
    it.result = o.at("result").as_string();
    if (const auto* n = o.if_contains("note")) it.note = n->as_string();
    if (const auto* ph = o.if_contains("photos"))
      for (const auto& p : ph->as_array()) it.photos.emplace_back(p.as_string());
    out.push_back(std::move(it));
  }
  return out;
}

std::string json_strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return to_text(a);
}

// ---------------------------------------------------------------------------
// SQL, in one place.
namespace sql {

constexpr std::string_view kCredentialsByPhone =
    "SELECT u.id, u.phone, u.name, u.role, u.org_unit_id, o.path, u.password_hash "
    "FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.phone = ?1";
constexpr std::string_view kUserById =
    "SELECT u.id, u.phone, u.name, u.role, u.org_unit_id, o.path "
    "FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.id = ?1";
constexpr std::string_view kInsertSession =
    "INSERT INTO sessions(token_hash, user_id, device_id, created_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kPurgeSessions =
    "DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2";
constexpr std::string_view kSession =
    "SELECT u.id, u.phone, u.name, u.role, u.org_unit_id, o.path, s.device_id, s.expires_at "
    "FROM sessions s JOIN users u ON u.id = s.user_id JOIN org_units o ON o.id = u.org_unit_id "
    "WHERE s.token_hash = ?1 AND s.expires_at > ?2";
constexpr std::string_view kDeleteSession = "DELETE FROM sessions WHERE token_hash = ?1";

constexpr std::string_view kOrgUnit =
    "SELECT id, parent_id, kind, name, path FROM org_units WHERE id = ?1";
constexpr std::string_view kCountOrgUnits = "SELECT count(*) FROM org_units";
constexpr std::string_view kInsertOrgUnit =
    "INSERT INTO org_units(id, parent_id, kind, name, path) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kInsertUser =
    "INSERT INTO users(id, phone, name, role, org_unit_id, password_hash, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr std::string_view kInsertTemplate =
    "INSERT INTO checklist_templates(id, version, name, categories, items) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kTemplate =
    "SELECT id, version, name, categories, items FROM checklist_templates "
    "WHERE id = ?1 AND version = ?2";

constexpr std::string_view kInsertSite =
    "INSERT INTO sites(id, org_unit_id, org_path, name, category, address, lat, lon, "
    "template_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr std::string_view kSite =
    "SELECT id, org_unit_id, org_path, name, category, address, lat, lon, template_id, "
    "updated_at FROM sites WHERE id = ?1";
constexpr std::string_view kSites =
    "SELECT id, org_unit_id, org_path, name, category, address, lat, lon, template_id, "
    "updated_at FROM sites WHERE org_path >= ?1 AND org_path < ?2 "
    "AND (?3 IS NULL OR category = ?3) AND id > ?4 ORDER BY id LIMIT ?5";

constexpr std::string_view kInsertTeam =
    "INSERT INTO teams(id, org_unit_id, org_path, name, leader_id) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kInsertTeamMember =
    "INSERT INTO team_members(team_id, user_id, role) VALUES (?1, ?2, ?3)";
constexpr std::string_view kInsertSchedule =
    "INSERT INTO schedules(id, team_id, org_unit_id, org_path, name, weekdays, start_time, "
    "duration_min, tz, route) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr std::string_view kInsertRound =
    "INSERT INTO rounds(id, schedule_id, team_id, org_unit_id, org_path, date, starts_at, "
    "ends_at, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr std::string_view kRound =
    "SELECT id, schedule_id, team_id, org_unit_id, org_path, date, starts_at, ends_at, state "
    "FROM rounds WHERE id = ?1";

constexpr std::string_view kOpById =
    "SELECT user_id, status, error, received_at FROM ops WHERE op_id = ?1";
// The op's record goes in first (one b-tree descent both checks for a
// duplicate and claims the id); a write that then turns out to conflict
// downgrades it with kRejectOp.
constexpr std::string_view kClaimOp =
    "INSERT INTO ops(op_id, user_id, device_id, type, status, error, received_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(op_id) DO NOTHING";
constexpr std::string_view kRejectOp =
    "UPDATE ops SET status = 'rejected', error = ?2 WHERE op_id = ?1";

constexpr std::string_view kInsertInspection =
    "INSERT INTO inspections(id, op_id, site_id, org_unit_id, org_path, user_id, device_id, "
    "template_id, template_version, round_id, observed_at, observed_ms, received_ms, lat, lon, "
    "accuracy_m, note, items) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
    "?14, ?15, ?16, ?17, ?18) ON CONFLICT(id) DO NOTHING";
constexpr std::string_view kInsertInspectionPhoto =
    "INSERT OR IGNORE INTO inspection_photos(sha256, inspection_id, item_code) "
    "VALUES (?1, ?2, ?3)";
constexpr std::string_view kAttachmentExists = "SELECT 1 FROM attachments WHERE sha256 = ?1";
constexpr std::string_view kInspections =
    "SELECT seq, id, op_id, site_id, org_unit_id, org_path, user_id, device_id, template_id, "
    "template_version, round_id, observed_at, observed_ms, received_ms, lat, lon, accuracy_m, "
    "note, items FROM inspections WHERE org_path >= ?1 AND org_path < ?2 "
    "AND (?3 IS NULL OR site_id = ?3) AND (?4 IS NULL OR observed_ms >= ?4) "
    "AND (?5 IS NULL OR observed_ms < ?5) AND (?6 IS NULL OR seq < ?6) "
    "AND (?8 IS NULL OR user_id = ?8) ORDER BY seq DESC LIMIT ?7";

#define PATROL_HAZARD_COLS                                                                       \
  "id, site_id, org_unit_id, org_path, item_code, severity, state, photo_missing, occurrences, " \
  "first_found_at, last_found_at, first_inspection_id, last_inspection_id, note, updated_at"
// Found again while not closed: the existing hazard is updated, never duplicated.
constexpr std::string_view kUpsertHazard =
    "INSERT INTO hazards(id, site_id, org_unit_id, org_path, item_code, severity, state, "
    "photo_missing, occurrences, first_found_at, last_found_at, first_inspection_id, "
    "last_inspection_id, note, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, 1, ?8, ?8, ?9, ?9, ?10, ?11) "
    "ON CONFLICT(site_id, item_code) WHERE state <> 'closed' DO UPDATE SET "
    "occurrences = occurrences + 1, "
    "last_found_at = max(last_found_at, excluded.last_found_at), "
    "last_inspection_id = excluded.last_inspection_id, "
    "photo_missing = min(photo_missing, excluded.photo_missing), "
    "note = CASE WHEN excluded.note <> '' THEN excluded.note ELSE note END, "
    "updated_at = excluded.updated_at "
    "RETURNING " PATROL_HAZARD_COLS;
constexpr std::string_view kInsertOccurrence =
    "INSERT OR IGNORE INTO hazard_occurrences(hazard_id, inspection_id, found_at, "
    "photo_missing) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view kHazards =
    "SELECT " PATROL_HAZARD_COLS
    " FROM hazards WHERE org_path >= ?1 AND org_path < ?2 AND (?3 IS NULL OR state = ?3) "
    "AND id > ?4 AND (?6 IS NULL OR site_id = ?6) ORDER BY id LIMIT ?5";
constexpr std::string_view kInsertAttachment =
    "INSERT INTO attachments(sha256, size, received_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(sha256) DO NOTHING";
constexpr std::string_view kLinkAttachment =
    "UPDATE hazards SET photo_missing = 0, updated_at = ?2 WHERE photo_missing = 1 AND id IN ("
    "SELECT o.hazard_id FROM inspection_photos p "
    "JOIN hazard_occurrences o ON o.inspection_id = p.inspection_id "
    "JOIN hazards h ON h.id = o.hazard_id AND h.item_code = p.item_code "
    "WHERE p.sha256 = ?1) RETURNING " PATROL_HAZARD_COLS;
#undef PATROL_HAZARD_COLS

constexpr std::string_view kInsertPosition =
    "INSERT INTO positions(user_id, device_id, org_path, t, lat, lon, accuracy_m, received_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr std::string_view kUpsertLatest =
    "INSERT INTO latest_positions(user_id, org_unit_id, org_path, t, lat, lon, accuracy_m) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(user_id) DO UPDATE SET "
    "org_unit_id = excluded.org_unit_id, org_path = excluded.org_path, t = excluded.t, "
    "lat = excluded.lat, lon = excluded.lon, accuracy_m = excluded.accuracy_m "
    "WHERE excluded.t >= latest_positions.t";
constexpr std::string_view kLatestPositions =
    "SELECT p.user_id, u.name, p.org_unit_id, p.t, p.lat, p.lon, p.accuracy_m "
    "FROM latest_positions p JOIN users u ON u.id = p.user_id "
    "WHERE p.org_path >= ?1 AND p.org_path < ?2 AND p.user_id > ?3 ORDER BY p.user_id LIMIT ?4";
constexpr std::string_view kTrack =
    "SELECT seq, user_id, t, lat, lon, accuracy_m FROM positions WHERE user_id = ?1 "
    "AND (?2 IS NULL OR t >= ?2) AND (?3 IS NULL OR t < ?3) "
    "AND (t > ?4 OR (t = ?4 AND seq > ?5)) ORDER BY t, seq LIMIT ?6";

constexpr std::string_view kInsertSos =
    "INSERT INTO sos_alerts(id, user_id, org_unit_id, org_path, raised_at, received_at, lat, "
    "lon, accuracy_m, note, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open') "
    "ON CONFLICT(id) DO NOTHING";
constexpr std::string_view kAlerts =
    "SELECT a.seq, a.id, a.user_id, u.name, a.org_unit_id, a.org_path, a.raised_at, "
    "a.received_at, a.lat, a.lon, a.accuracy_m, a.note, a.state "
    "FROM sos_alerts a JOIN users u ON u.id = a.user_id "
    "WHERE a.org_path >= ?1 AND a.org_path < ?2 AND (?3 IS NULL OR a.user_id = ?3) "
    "AND (?4 IS NULL OR a.seq < ?4) ORDER BY a.seq DESC LIMIT ?5";

constexpr std::string_view kAppendChange =
    "INSERT INTO change_log(entity, op, id, org_path, data) VALUES (?1, ?2, ?3, ?4, ?5)";
// Everything at or below the caller's path, plus the org units and templates
// above it (ancestors' paths are prefixes of the caller's; templates sit at "/").
constexpr std::string_view kChanges =
    "SELECT seq, entity, op, id, data FROM change_log WHERE seq > ?1 AND ("
    "(org_path >= ?2 AND org_path < ?3) OR "
    "(entity IN ('org_unit', 'checklist_template') AND substr(?2, 1, length(org_path)) = "
    "org_path)) ORDER BY seq LIMIT ?4";
constexpr std::string_view kMaxSeq = "SELECT coalesce(max(seq), 0) FROM change_log";

}  // namespace sql

// ---------------------------------------------------------------------------
// Row readers.

User read_user(Statement& s) {
  User u;
  u.id = s.column_text(0);
  u.phone = s.column_text(1);
  u.name = s.column_text(2);
  u.role = s.column_text(3);
  u.org_unit_id = s.column_int64(4);
  u.org_path = s.column_text(5);
  return u;
}

Site read_site(Statement& s) {
  Site x;
  x.id = s.column_text(0);
  x.org_unit_id = s.column_int64(1);
  x.org_path = s.column_text(2);
  x.name = s.column_text(3);
  x.category = s.column_text(4);
  x.address = s.column_text(5);
  x.lat = s.column_double(6);
  x.lon = s.column_double(7);
  x.template_id = s.column_text(8);
  x.updated_at = s.column_int64(9);
  return x;
}

Hazard read_hazard(Statement& s) {
  Hazard h;
  h.id = s.column_text(0);
  h.site_id = s.column_text(1);
  h.org_unit_id = s.column_int64(2);
  h.org_path = s.column_text(3);
  h.item_code = s.column_text(4);
  h.severity = s.column_text(5);
  h.state = s.column_text(6);
  h.photo_missing = s.column_int64(7) != 0;
  h.occurrences = s.column_int64(8);
  h.first_found_at = s.column_int64(9);
  h.last_found_at = s.column_int64(10);
  h.first_inspection_id = s.column_text(11);
  h.last_inspection_id = s.column_text(12);
  h.note = s.column_text(13);
  h.updated_at = s.column_int64(14);
  return h;
}

std::optional<GeoPoint> read_geo(Statement& s, int lat_col) {
  if (s.column_is_null(lat_col)) return std::nullopt;
  return GeoPoint{s.column_double(lat_col), s.column_double(lat_col + 1),
                  s.column_opt_double(lat_col + 2)};
}

json::value template_items_json(const std::vector<TemplateItem>& items) {
  json::array a;
  for (const auto& i : items)
    a.push_back(json::object{{"code", i.code},
                             {"label_zh", i.label_zh},
                             {"label_en", i.label_en},
                             {"severity", i.severity},
                             {"photo_required", i.photo_required}});
  return a;
}

void append_change(Database& db, std::string_view entity, std::string_view op, std::string_view id,
                   std::string_view org_path, const json::value& data) {
  auto& s = q(db, sql::kAppendChange);
  s.bind(1, entity).bind(2, op).bind(3, id).bind(4, org_path).bind(5, to_text(data));
  run(s);
}

std::string op_status_text(wire::OpStatus s) {
  return s == wire::OpStatus::rejected ? "rejected" : "applied";
}

// ---------------------------------------------------------------------------
// The writer's queue.

struct WriteJob {
  // Runs inside the group transaction, or alone outside any transaction when
  // `exclusive`. `careful` is true when the group is being redone with one
  // SAVEPOINT per job (named "job") after a job failed in the fast pass.
  std::function<error_code(Database&, bool careful)> apply;
  std::promise<error_code> done;
  std::size_t ops = 1;
  bool exclusive = false;
};

// Wraps a job body: Failure → its error code, anything else → internal.
template <class F>
std::function<error_code(Database&, bool)> guarded(F fn) {
  return [fn = std::move(fn)](Database& db, bool careful) mutable -> error_code {
    try {
      if constexpr (std::is_invocable_v<F&, Database&, bool>) {
        fn(db, careful);
      } else {
        fn(db);
      }
      return {};
    } catch (const Failure& f) {
      return f.ec;
    } catch (const NotFound&) {
      return errc::not_found;
    } catch (const std::exception&) {
      return errc::internal;
    }
  };
}

class ReaderPool {
 public:
  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Database> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (db_) {
        reset_all(*db_);
        pool_->release(std::move(db_));
      }
    }
    Database& operator*() { return *db_; }
    explicit operator bool() const { return static_cast<bool>(db_); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Database> db_;
  };

  void add(std::unique_ptr<Database> db) {
    std::lock_guard lk(mu_);
    free_.push_back(std::move(db));
    ++total_;
  }
  Lease acquire() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return closed_ || !free_.empty(); });
    if (closed_) return Lease(this, nullptr);
    auto db = std::move(free_.back());
    free_.pop_back();
    return Lease(this, std::move(db));
  }
  // Waits for every lease to come back, then closes all connections.
  void close() {
    std::unique_lock lk(mu_);
    if (closed_) return;
    cv_.wait(lk, [&] { return free_.size() == total_; });
    closed_ = true;
    free_.clear();
    cv_.notify_all();
  }

 private:
  void release(std::unique_ptr<Database> db) {
    {
      std::lock_guard lk(mu_);
      free_.push_back(std::move(db));
    }
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Database>> free_;
  std::size_t total_ = 0;
  bool closed_ = false;
};

error_code configure_writer(Database& db, const SqliteStoreOptions& o) {
  if (auto ec = db.exec("PRAGMA journal_mode=WAL")) return ec;
  if (auto ec = db.exec("PRAGMA synchronous=FULL")) return ec;
  if (auto ec = db.exec("PRAGMA foreign_keys=ON")) return ec;
  // A large page cache keeps the hot b-tree pages of a growing database in
  // memory (the writer is the throughput limit).
  if (auto ec = db.exec("PRAGMA cache_size=-65536")) return ec;
  // Savepoint sub-journals in memory, not in temp files.
  if (auto ec = db.exec("PRAGMA temp_store=MEMORY")) return ec;
  // The checkpointer thread checkpoints on its own schedule (WAL hook, interval).
  if (auto ec = db.exec("PRAGMA wal_autocheckpoint=0")) return ec;
  return db.exec("PRAGMA journal_size_limit=" + std::to_string(o.journal_size_limit));
}

error_code migrate(Database& db) {
  auto v = db.scalar_int64("PRAGMA user_version");
  if (!v) return v.error();
  auto all = schema::migrations();
  if (*v > static_cast<std::int64_t>(all.size())) return errc::internal;  // newer schema
  for (std::size_t i = static_cast<std::size_t>(*v); i < all.size(); ++i) {
    sqlite::Transaction tx(db);
    if (auto ec = tx.begin_error()) return ec;
    if (auto ec = db.exec(all[i])) return ec;
    if (auto ec = db.exec("PRAGMA user_version=" + std::to_string(i + 1))) return ec;
    if (auto ec = tx.commit()) return ec;
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------

struct SqliteStore::Impl {
  SqliteStoreOptions opts;
  Database writer_db;
  ReaderPool readers;
  std::filesystem::path wal_path;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<WriteJob>> queue;
  bool stopping = false;
  bool stopped = false;
  std::thread writer;

  // Checkpointer: its own connection and thread, woken by the writer's WAL hook.
  Database ckpt_db;
  std::thread checkpointer;
  std::mutex ck_mu;
  std::condition_variable ck_cv;
  bool ck_wanted = false;
  bool ck_stop = false;
  std::atomic<bool> ck_dirty{false};

  // ---- writer side ----

  error_code submit(std::unique_ptr<WriteJob> job) {
    auto fut = job->done.get_future();
    {
      std::lock_guard lk(mu);
      if (stopping) return errc::shutting_down;
      queue.push_back(std::move(job));
      // Under the lock so the gauge never goes back to a stale value.
      if (opts.metrics) opts.metrics->set_writer_queue_depth(queue.size());
    }
    cv.notify_one();
    return fut.get();
  }

  template <class F>
  error_code write(F fn, std::size_t ops = 1) {
    auto job = std::make_unique<WriteJob>();
    job->apply = guarded(std::move(fn));
    job->ops = ops;
    return submit(std::move(job));
  }

  void writer_loop() {
    for (;;) {
      std::vector<std::unique_ptr<WriteJob>> batch;
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return !queue.empty() || stopping; });
        if (queue.empty() && stopping) break;
        if (queue.front()->exclusive) {
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        } else {
          while (!queue.empty() && !queue.front()->exclusive &&
                 batch.size() < opts.max_jobs_per_commit) {
            batch.push_back(std::move(queue.front()));
            queue.pop_front();
          }
        }
        if (opts.metrics) opts.metrics->set_writer_queue_depth(queue.size());
      }
      if (batch.front()->exclusive) {
        error_code ec = batch.front()->apply(writer_db, false);
        reset_all(writer_db);
        batch.front()->done.set_value(ec);
        continue;
      }
      commit_group(batch);
    }
  }

  // Writer thread, after each commit (sqlite3_wal_hook): `pages` in the WAL.
  void on_wal_commit(int pages) {
    ck_dirty = true;
    if (pages >= opts.checkpoint_pages) {
      {
        std::lock_guard lk(ck_mu);
        ck_wanted = true;
      }
      ck_cv.notify_one();
    }
  }

  void checkpointer_loop() {
    for (;;) {
      bool wanted;
      {
        std::unique_lock lk(ck_mu);
        ck_cv.wait_for(lk, opts.checkpoint_interval, [&] { return ck_wanted || ck_stop; });
        if (ck_stop) return;
        wanted = std::exchange(ck_wanted, false);
      }
      bool dirty = ck_dirty.exchange(false);
      if (wanted || dirty) checkpoint();
    }
  }

  // PASSIVE copies what no reader still needs into the database without
  // blocking the writer; TRUNCATE is only tried (never waited for) when the
  // WAL file has grown large, e.g. after a long reader held it.
  void checkpoint() {
    int log = 0, done = 0;
    sqlite3_wal_checkpoint_v2(ckpt_db.native(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    std::error_code fec;
    auto size = std::filesystem::file_size(wal_path, fec);
    if (!fec && static_cast<std::int64_t>(size) > opts.wal_truncate_threshold) {
      sqlite3_wal_checkpoint_v2(ckpt_db.native(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    }
  }

  // One group commit. The fast pass runs every job back to back with no
  // savepoints (each savepoint makes SQLite copy every page it touches into a
  // sub-journal). If a job fails for a reason of its own (constraint, bug),
  // the whole transaction is rolled back and the group redone carefully, each
  // job in a SAVEPOINT, so only that job fails. Disk full / I/O errors fail
  // the whole group as unavailable; nothing of it is committed.
  void commit_group(std::vector<std::unique_ptr<WriteJob>>& batch) {
    auto start = std::chrono::steady_clock::now();
    std::vector<error_code> results(batch.size());
    std::size_t ops = 0;
    for (const auto& j : batch) ops += j->ops;
    error_code fatal;
    bool redo = false;
    for (bool careful : {false, true}) {
      std::fill(results.begin(), results.end(), error_code{});
      redo = false;
      sqlite::Transaction tx(writer_db);
      if (tx.begin_error()) {
        fatal = tx.begin_error();
        break;
      }
      for (std::size_t i = 0; i < batch.size() && !fatal && !redo; ++i) {
        if (careful) {
          if (auto ec = exec_cached(writer_db, "SAVEPOINT job")) {
            fatal = ec;
            break;
          }
        }
        error_code ec = batch[i]->apply(writer_db, careful);
        reset_all(writer_db);
        if (!ec) {
          if (careful) {
            if (auto rel = exec_cached(writer_db, "RELEASE job")) fatal = rel;
          }
        } else if (sqlite::is_transient(ec) || ec == errc::unavailable) {
          fatal = ec;  // disk full / I/O: the whole group goes
        } else if (!careful) {
          redo = true;
        } else {
          // This job alone fails: undo just it.
          error_code rb = exec_cached(writer_db, "ROLLBACK TO job");
          error_code rel = rb ? rb : exec_cached(writer_db, "RELEASE job");
          if (rel) fatal = rel;
          results[i] = from_sqlite(ec);
        }
      }
      if (!fatal && !redo) fatal = tx.commit();
      if (fatal || redo) tx.rollback();
      if (!redo) break;
    }
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    if (fatal) {
      if (opts.metrics) opts.metrics->count_storage_error();
      error_code mapped = from_sqlite(fatal);
      if (mapped == errc::internal && sqlite::is_transient(fatal)) mapped = errc::unavailable;
      for (auto& r : results) r = mapped;
    } else if (opts.metrics) {
      opts.metrics->observe_commit(batch.size(), ops, took);
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->done.set_value(results[i]);
  }

  // ---- reader side ----

  template <class F>
  auto read(F fn) -> result<decltype(fn(std::declval<Database&>()))> {
    using R = result<decltype(fn(std::declval<Database&>()))>;
    auto err = [](error_code ec) { return R(boost::system::in_place_error, ec); };
    try {
      auto lease = readers.acquire();
      if (!lease) return err(errc::shutting_down);
      return fn(*lease);
    } catch (const Failure& f) {
      return err(from_sqlite(f.ec));
    } catch (const NotFound&) {
      return err(errc::not_found);
    } catch (const std::exception&) {
      return err(errc::internal);
    }
  }

  // ---- write bodies (run on the writer thread) ----

  // False (nothing written) when the inspection id is already stored.
  bool write_inspection(Database& db, InspectionWrite& w, const std::string& op_id, Ms now) {
    auto& i = w.inspection;
    auto& s = q(db, sql::kInsertInspection);
    bind_ref(s, 1, i.id);
    bind_ref(s, 2, op_id);
    bind_ref(s, 3, i.site_id);
    s.bind(4, i.org_unit_id);
    bind_ref(s, 5, i.org_path);
    bind_ref(s, 6, i.user_id);
    bind_ref(s, 7, i.device_id);
    bind_ref(s, 8, i.template_id);
    s.bind(9, i.template_version);
    s.bind(10, i.round_id);
    bind_ref(s, 11, i.observed_at);
    s.bind(12, i.observed_ms).bind(13, now);
    if (i.position) {
      s.bind(14, i.position->lat).bind(15, i.position->lon).bind(16, i.position->accuracy_m);
    }
    bind_ref(s, 17, i.note);
    if (w.items_json.empty()) w.items_json = items_json(i.items);
    bind_ref(s, 18, w.items_json);
    run(s);
    if (db.changes() == 0) return false;
    for (const auto& it : i.items) {
      for (const auto& p : it.photos) {
        auto& sp = q(db, sql::kInsertInspectionPhoto);
        sp.bind(1, p).bind(2, i.id).bind(3, it.code);
        run(sp);
      }
    }
    for (const auto& h : w.hazards) {
      bool have_photo = false;
      for (const auto& p : h.photos) {
        auto& sa = q(db, sql::kAttachmentExists);
        sa.bind(1, p);
        if (step(sa)) {
          have_photo = true;
          break;
        }
      }
      bool missing = h.photo_required && !have_photo;
      auto& su = q(db, sql::kUpsertHazard);
      su.bind(1, wire::make_uuid_v7()).bind(2, i.site_id).bind(3, i.org_unit_id);
      su.bind(4, i.org_path).bind(5, h.code).bind(6, h.severity).bind(7, missing ? 1 : 0);
      su.bind(8, i.observed_ms).bind(9, i.id).bind(10, h.note).bind(11, now);
      if (!step(su)) fail(errc::internal);
      Hazard hz = read_hazard(su);
      su.reset();
      auto& so = q(db, sql::kInsertOccurrence);
      so.bind(1, hz.id).bind(2, i.id).bind(3, i.observed_ms).bind(4, missing ? 1 : 0);
      run(so);
      append_change(db, "hazard", "upsert", hz.id, hz.org_path, to_json(hz));
    }
    return true;
  }

  void write_positions(Database& db, const PositionsWrite& w, Ms now) {
    const TrackPoint* latest = nullptr;
    for (const auto& p : w.points) {
      auto& s = q(db, sql::kInsertPosition);
      s.bind(1, w.user_id).bind(2, w.device_id).bind(3, w.org_path).bind(4, p.t);
      s.bind(5, p.lat).bind(6, p.lon).bind(7, p.accuracy_m).bind(8, now);
      run(s);
      if (!latest || p.t >= latest->t) latest = &p;
    }
    if (latest) {
      auto& s = q(db, sql::kUpsertLatest);
      s.bind(1, w.user_id).bind(2, w.org_unit_id).bind(3, w.org_path).bind(4, latest->t);
      s.bind(5, latest->lat).bind(6, latest->lon).bind(7, latest->accuracy_m);
      run(s);
    }
  }

  // False (nothing written) when the alert id is already stored.
  bool write_sos(Database& db, SosWrite& w, Ms now) {
    auto& a = w.alert;
    a.received_at = now;
    a.state = "open";
    auto& s = q(db, sql::kInsertSos);
    s.bind(1, a.id).bind(2, a.user_id).bind(3, a.org_unit_id).bind(4, a.org_path);
    s.bind(5, a.raised_at).bind(6, now);
    if (a.position)
      s.bind(7, a.position->lat).bind(8, a.position->lon).bind(9, a.position->accuracy_m);
    s.bind(10, a.note);
    run(s);
    if (db.changes() == 0) return false;
    a.seq = db.last_insert_rowid();
    append_change(db, "sos", "upsert", a.id, a.org_path, to_json(a));
    return true;
  }

  // Inserts the op's record unless its id is already there; true when inserted.
  bool claim_op(Database& db, const PreparedOp& op, const OpOutcome& out) {
    auto& s = q(db, sql::kClaimOp);
    bind_ref(s, 1, op.op_id);
    bind_ref(s, 2, op.user_id);
    bind_ref(s, 3, op.device_id);
    bind_ref(s, 4, op.type);
    s.bind(5, op_status_text(out.status));
    if (out.error) s.bind(6, to_text(wire::to_json(*out.error)));
    s.bind(7, out.received_at);
    run(s);
    return db.changes() != 0;
  }

  // The claimed op turned out rejected: its record says so.
  void reject_op(Database& db, const PreparedOp& op, OpOutcome& out, wire::FieldError err) {
    out.status = wire::OpStatus::rejected;
    out.error = std::move(err);
    auto& s = q(db, sql::kRejectOp);
    bind_ref(s, 1, op.op_id);
    s.bind(2, to_text(wire::to_json(*out.error)));
    run(s);
  }

  // The first outcome recorded under an op id that is already stored.
  static void previous_outcome(Database& db, const PreparedOp& op, OpOutcome& out) {
    auto& s = q(db, sql::kOpById);
    bind_ref(s, 1, op.op_id);
    if (!step(s)) fail(errc::internal);  // claimed moments ago in this transaction
    std::string user = s.column_text(0);
    std::string status = s.column_text(1);
    auto err = s.column_opt_text(2);
    out.received_at = s.column_int64(3);
    s.reset();
    out.error.reset();
    if (user != op.user_id) {
      // Someone else's op id: do not reveal or reuse its outcome.
      out.status = wire::OpStatus::rejected;
      out.error = wire::FieldError{"conflict", "op_id", "op id already used"};
      out.received_at = now_ms();
    } else if (status == "applied") {
      out.status = wire::OpStatus::duplicate;
    } else {
      out.status = wire::OpStatus::rejected;
      out.error = err ? wire::field_error_from_json(json::parse(*err))
                      : wire::FieldError{"rejected", "", ""};
    }
  }

  // False when the op's entity id is already stored (nothing written).
  bool write_action(Database& db, PreparedOp& op, Ms now) {
    if (auto* w = std::get_if<InspectionWrite>(&op.action)) {
      return write_inspection(db, *w, op.op_id, now);
    } else if (auto* p = std::get_if<PositionsWrite>(&op.action)) {
      write_positions(db, *p, now);
    } else if (auto* a = std::get_if<SosWrite>(&op.action)) {
      return write_sos(db, *a, now);
    }
    return true;
  }

  // Applies one op (see Store::apply_ops). `careful` wraps the write in its
  // own savepoint so a failing op is rejected alone.
  OpOutcome apply_one(Database& db, PreparedOp& op, bool careful) {
    OpOutcome out;
    out.op_id = op.op_id;
    out.received_at = now_ms();
    const auto* rej = std::get_if<wire::FieldError>(&op.action);
    if (rej) {
      out.status = wire::OpStatus::rejected;
      out.error = *rej;
    } else {
      out.status = wire::OpStatus::applied;
    }
    if (!claim_op(db, op, out)) {
      previous_outcome(db, op, out);
      return out;
    }
    if (rej) return out;
    // Fast path: no per-op savepoint (each one makes SQLite copy every page
    // the op touches into a sub-journal). An id already stored under another
    // op is the one conflict a valid op can meet; the entity's INSERT … ON
    // CONFLICT DO NOTHING is its first write, so it is detected with nothing
    // to undo. Any other failure is unexpected; the caller then redoes the
    // whole job carefully, one savepoint per op (the op's record stays, it
    // was claimed before the savepoint).
    if (careful) run(q(db, "SAVEPOINT op"));
    try {
      bool written = write_action(db, op, out.received_at);
      if (careful) run(q(db, "RELEASE op"));
      if (!written)
        reject_op(db, op, out,
                  wire::FieldError{"conflict", "body.id", "id already used by another report"});
    } catch (const Failure& f) {
      if (!careful || sqlite::is_transient(f.ec)) throw;
      reset_all(db);
      run(q(db, "ROLLBACK TO op"));
      run(q(db, "RELEASE op"));
      reject_op(db, op, out,
                wire::FieldError{"conflict", "body",
                                 "conflicts with stored data (reference gone or id reused)"});
    }
    return out;
  }
};

// ---------------------------------------------------------------------------

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() {
  shutdown();
}

int SqliteStore::schema_version() {
  return static_cast<int>(schema::migrations().size());
}

result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteStoreOptions& opts) {
  // No global allocation statistics: they put a process-wide mutex around
  // every SQLite malloc. Only possible before SQLite initializes; harmless
  // (SQLITE_MISUSE, ignored) when something else already used SQLite.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  auto impl = std::make_unique<Impl>();
  impl->opts = opts;
  impl->wal_path = opts.db_path;
  impl->wal_path += "-wal";
  auto db = Database::open(opts.db_path.string());
  if (!db)
    return from_sqlite(db.error()) == errc::internal ? errc::unavailable : from_sqlite(db.error());
  impl->writer_db = std::move(*db);
  if (auto ec = configure_writer(impl->writer_db, opts)) return from_sqlite(ec);
  if (auto ec = migrate(impl->writer_db)) return from_sqlite(ec);
  std::size_t n = std::max<std::size_t>(1, opts.read_connections);
  for (std::size_t i = 0; i < n; ++i) {
    sqlite::OpenOptions ro;
    ro.read_only = true;
    auto r = Database::open(opts.db_path.string(), ro);
    if (!r) return from_sqlite(r.error());
    impl->readers.add(std::make_unique<Database>(std::move(*r)));
  }
  auto ck = Database::open(opts.db_path.string());
  if (!ck) return from_sqlite(ck.error());
  impl->ckpt_db = std::move(*ck);
  // The checkpointer never waits on locks: a busy checkpoint is simply retried later.
  sqlite3_busy_timeout(impl->ckpt_db.native(), 0);
  if (auto ec = impl->ckpt_db.exec("PRAGMA synchronous=FULL")) return from_sqlite(ec);
  Impl* raw = impl.get();
  sqlite3_wal_hook(
      impl->writer_db.native(),
      [](void* ctx, sqlite3*, const char*, int pages) {
        static_cast<Impl*>(ctx)->on_wal_commit(pages);
        return SQLITE_OK;
      },
      raw);
  impl->writer = std::thread([raw] {
    pthread_setname_np(pthread_self(), "patrol-writer");
    raw->writer_loop();
  });
  impl->checkpointer = std::thread([raw] {
    pthread_setname_np(pthread_self(), "patrol-ckpt");
    raw->checkpointer_loop();
  });
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

void SqliteStore::shutdown() {
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopping = true;
    impl_->stopped = true;
  }
  impl_->cv.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
  {
    std::lock_guard lk(impl_->ck_mu);
    impl_->ck_stop = true;
  }
  impl_->ck_cv.notify_all();
  if (impl_->checkpointer.joinable()) impl_->checkpointer.join();
  impl_->ckpt_db = Database();
  impl_->readers.close();
  reset_all(impl_->writer_db);
  (void)sqlite3_wal_checkpoint_v2(impl_->writer_db.native(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                  nullptr, nullptr);
  impl_->writer_db = Database();
}

error_code SqliteStore::run_on_writer(std::function<error_code(Database&)> fn) {
  auto job = std::make_unique<WriteJob>();
  job->apply = [fn = std::move(fn)](Database& db, bool) { return fn(db); };
  job->exclusive = true;
  return impl_->submit(std::move(job));
}

result<bool> SqliteStore::is_empty() {
  return impl_->read([](Database& db) {
    auto& s = q(db, sql::kCountOrgUnits);
    step(s);
    return s.column_int64(0) == 0;
  });
}

result<void> SqliteStore::ping() {
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->stopping) return errc::shutting_down;
  }
  auto r = impl_->read([](Database& db) {
    auto& s = q(db, "SELECT 1");
    step(s);
    return true;
  });
  if (!r) return r.error();
  return {};
}

result<void> SqliteStore::seed(const SeedData& d) {
  Ms now = now_ms();
  auto ec = impl_->write([&d, now](Database& db) {
    for (const auto& o : d.org_units) {
      auto& s = q(db, sql::kInsertOrgUnit);
      s.bind(1, o.id).bind(2, o.parent_id).bind(3, o.kind).bind(4, o.name).bind(5, o.path);
      run(s);
      append_change(db, "org_unit", "upsert", id_string(o.id), o.path, to_json(o));
    }
    for (const auto& u : d.users) {
      auto& s = q(db, sql::kInsertUser);
      s.bind(1, u.user.id).bind(2, u.user.phone).bind(3, u.user.name).bind(4, u.user.role);
      s.bind(5, u.user.org_unit_id).bind(6, u.password_hash).bind(7, now);
      run(s);
    }
    for (const auto& t : d.templates) {
      json::array cats;
      for (const auto& c : t.categories) cats.emplace_back(c);
      auto& s = q(db, sql::kInsertTemplate);
      s.bind(1, t.id).bind(2, t.version).bind(3, t.name).bind(4, to_text(cats));
      s.bind(5, to_text(template_items_json(t.items)));
      run(s);
      append_change(db, "checklist_template", "upsert", t.id + "@" + std::to_string(t.version), "/",
                    wire::to_json(t));
    }
    for (const auto& x : d.sites) {
      auto& s = q(db, sql::kInsertSite);
      s.bind(1, x.id).bind(2, x.org_unit_id).bind(3, x.org_path).bind(4, x.name);
      s.bind(5, x.category).bind(6, x.address).bind(7, x.lat).bind(8, x.lon);
      s.bind(9, x.template_id).bind(10, now);
      run(s);
      Site copy = x;
      copy.updated_at = now;
      append_change(db, "site", "upsert", x.id, x.org_path, to_json(copy));
    }
    for (const auto& t : d.teams) {
      auto& s = q(db, sql::kInsertTeam);
      s.bind(1, t.id).bind(2, t.org_unit_id).bind(3, t.org_path).bind(4, t.name);
      s.bind(5, t.leader_id);
      run(s);
      for (const auto& m : t.members) {
        auto& sm = q(db, sql::kInsertTeamMember);
        sm.bind(1, t.id).bind(2, m.user_id).bind(3, m.role);
        run(sm);
      }
      append_change(db, "team", "upsert", t.id, t.org_path, to_json(t));
    }
    for (const auto& x : d.schedules) {
      json::array days;
      for (int w : x.weekdays) days.emplace_back(w);
      auto& s = q(db, sql::kInsertSchedule);
      s.bind(1, x.id).bind(2, x.team_id).bind(3, x.org_unit_id).bind(4, x.org_path);
      s.bind(5, x.name).bind(6, to_text(days)).bind(7, x.start_time).bind(8, x.duration_min);
      s.bind(9, x.tz).bind(10, json_strings(x.route));
      run(s);
      append_change(db, "schedule", "upsert", x.id, x.org_path, to_json(x));
    }
    for (const auto& r : d.rounds) {
      auto& s = q(db, sql::kInsertRound);
      s.bind(1, r.id).bind(2, r.schedule_id).bind(3, r.team_id).bind(4, r.org_unit_id);
      s.bind(5, r.org_path).bind(6, r.date).bind(7, r.starts_at).bind(8, r.ends_at);
      s.bind(9, r.state);
      run(s);
      append_change(db, "round", "upsert", r.id, r.org_path, to_json(r));
    }
  });
  if (ec) return from_sqlite(ec);
  return {};
}

result<Credentials> SqliteStore::credentials_by_phone(std::string_view phone) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kCredentialsByPhone);
    s.bind(1, phone);
    if (!step(s)) throw NotFound{};
    Credentials c;
    c.user = read_user(s);
    c.password_hash = s.column_text(6);
    return c;
  });
}

result<User> SqliteStore::user(std::string_view id) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kUserById);
    s.bind(1, id);
    if (!step(s)) throw NotFound{};
    return read_user(s);
  });
}

result<void> SqliteStore::create_session(const NewSession& n) {
  auto ec = impl_->write([&n](Database& db) {
    auto& p = q(db, sql::kPurgeSessions);
    p.bind(1, n.user_id).bind(2, n.created_at);
    run(p);
    auto& s = q(db, sql::kInsertSession);
    s.bind(1, n.token_hash).bind(2, n.user_id).bind(3, n.device_id).bind(4, n.created_at);
    s.bind(5, n.expires_at);
    run(s);
  });
  if (ec) return from_sqlite(ec);
  return {};
}

result<SessionInfo> SqliteStore::session(std::string_view token_hash, Ms now) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kSession);
    s.bind(1, token_hash).bind(2, now);
    if (!step(s)) throw NotFound{};
    SessionInfo i;
    i.user = read_user(s);
    i.device_id = s.column_text(6);
    i.expires_at = s.column_int64(7);
    return i;
  });
}

result<void> SqliteStore::delete_session(std::string_view token_hash) {
  std::string h(token_hash);
  auto ec = impl_->write([h](Database& db) {
    auto& s = q(db, sql::kDeleteSession);
    s.bind(1, h);
    run(s);
  });
  if (ec) return from_sqlite(ec);
  return {};
}

result<OrgUnit> SqliteStore::org_unit(std::int64_t id) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kOrgUnit);
    s.bind(1, id);
    if (!step(s)) throw NotFound{};
    OrgUnit o;
    o.id = s.column_int64(0);
    o.parent_id = s.column_opt_int64(1);
    o.kind = s.column_text(2);
    o.name = s.column_text(3);
    o.path = s.column_text(4);
    return o;
  });
}

result<Site> SqliteStore::site(std::string_view id) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kSite);
    s.bind(1, id);
    if (!step(s)) throw NotFound{};
    return read_site(s);
  });
}

result<Page<Site>> SqliteStore::sites(const SiteFilter& f) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kSites);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.category);
    s.bind(4, f.after.value_or("")).bind(5, f.limit + 1);
    Page<Site> page;
    while (step(s)) page.items.push_back(read_site(s));
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = page.items.back().id;
    }
    return page;
  });
}

result<ChecklistTemplate> SqliteStore::checklist_template(std::string_view id,
                                                          std::int64_t version) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kTemplate);
    s.bind(1, id).bind(2, version);
    if (!step(s)) throw NotFound{};
    ChecklistTemplate t;
    t.id = s.column_text(0);
    t.version = s.column_int64(1);
    t.name = s.column_text(2);
    t.categories = string_array(s.column_text_view(3));
    auto items = json::parse(s.column_text_view(4));
    for (const auto& v : items.as_array()) {
      const auto& o = v.as_object();
      TemplateItem it;
      it.code = o.at("code").as_string();
      it.label_zh = o.at("label_zh").as_string();
      it.label_en = o.at("label_en").as_string();
      it.severity = o.at("severity").as_string();
      it.photo_required = o.at("photo_required").as_bool();
      t.items.push_back(std::move(it));
    }
    return t;
  });
}

result<Round> SqliteStore::round(std::string_view id) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kRound);
    s.bind(1, id);
    if (!step(s)) throw NotFound{};
    Round r;
    r.id = s.column_text(0);
    r.schedule_id = s.column_text(1);
    r.team_id = s.column_text(2);
    r.org_unit_id = s.column_int64(3);
    r.org_path = s.column_text(4);
    r.date = s.column_text(5);
    r.starts_at = s.column_int64(6);
    r.ends_at = s.column_int64(7);
    r.state = s.column_text(8);
    return r;
  });
}

result<std::vector<OpOutcome>> SqliteStore::apply_ops(std::vector<PreparedOp> ops) {
  auto out = std::make_shared<std::vector<OpOutcome>>();
  Impl* impl = impl_.get();
  std::size_t n = ops.size();
  // The ops stay owned by this frame (this thread waits for the job), so
  // their many strings are freed here, not on the single writer thread.
  auto ec = impl_->write(
      [impl, out, ops_ptr = &ops](Database& db, bool careful) {
        auto& ops = *ops_ptr;
        out->clear();
        if (!careful) {
          // Fast pass: an unexpected failure throws and the writer redoes the
          // group with savepoints.
          for (auto& op : ops) out->push_back(impl->apply_one(db, op, false));
          return;
        }
        try {
          for (auto& op : ops) out->push_back(impl->apply_one(db, op, false));
        } catch (const Failure& f) {
          if (sqlite::is_transient(f.ec)) throw;
          // Inside SAVEPOINT job: undo this job and redo it op by op.
          reset_all(db);
          run(q(db, "ROLLBACK TO job"));
          out->clear();
          for (auto& op : ops) out->push_back(impl->apply_one(db, op, true));
        }
      },
      n);
  if (ec) return from_sqlite(ec);
  return std::move(*out);
}

result<ChangePage> SqliteStore::changes(std::string_view scope_path, std::int64_t cursor,
                                        int limit) {
  return impl_->read([&](Database& db) {
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::deferred);
    if (tx.begin_error()) fail(tx.begin_error());
    ChangePage page;
    auto& s = q(db, sql::kChanges);
    s.bind(1, cursor).bind(2, scope_path).bind(3, path_upper(scope_path)).bind(4, limit + 1);
    while (step(s)) {
      ChangeEntry c;
      c.seq = s.column_int64(0);
      c.entity = s.column_text(1);
      c.op = s.column_text(2);
      c.id = s.column_text(3);
      c.data = s.column_text(4);
      page.changes.push_back(std::move(c));
    }
    s.reset();
    if (static_cast<int>(page.changes.size()) > limit) {
      page.changes.pop_back();
      page.has_more = true;
      page.cursor = page.changes.back().seq;
    } else {
      // Nothing more in scope up to the log's end: skip past what others changed.
      auto& m = q(db, sql::kMaxSeq);
      step(m);
      // The log's end, even when below `cursor`: a cursor beyond the end (a
      // database restored from a backup) must not be echoed back (the API
      // answers cursor_reset).
      page.cursor = m.column_int64(0);
    }
    return page;
  });
}

result<Page<Inspection>> SqliteStore::inspections(const InspectionFilter& f) {
  return impl_->read([&](Database& db) {
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::deferred);
    if (tx.begin_error()) fail(tx.begin_error());
    Page<Inspection> page;
    auto& s = q(db, sql::kInspections);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.site_id);
    s.bind(4, f.since).bind(5, f.until).bind(6, f.after).bind(7, f.limit + 1).bind(8, f.user_id);
    while (step(s)) {
      Inspection i;
      i.seq = s.column_int64(0);
      i.id = s.column_text(1);
      i.op_id = s.column_text(2);
      i.site_id = s.column_text(3);
      i.org_unit_id = s.column_int64(4);
      i.org_path = s.column_text(5);
      i.user_id = s.column_text(6);
      i.device_id = s.column_text(7);
      i.template_id = s.column_text(8);
      i.template_version = s.column_int64(9);
      i.round_id = s.column_opt_text(10);
      i.observed_at = s.column_text(11);
      i.observed_ms = s.column_int64(12);
      i.received_ms = s.column_int64(13);
      i.position = read_geo(s, 14);
      i.note = s.column_text(17);
      i.items = read_items(s.column_text_view(18));
      page.items.push_back(std::move(i));
    }
    s.reset();
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = std::to_string(page.items.back().seq);
    }
    return page;
  });
}

result<Page<Hazard>> SqliteStore::hazards(const HazardFilter& f) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kHazards);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.state);
    s.bind(4, f.after.value_or("")).bind(5, f.limit + 1).bind(6, f.site_id);
    Page<Hazard> page;
    while (step(s)) page.items.push_back(read_hazard(s));
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = page.items.back().id;
    }
    return page;
  });
}

result<Page<LatestPosition>> SqliteStore::latest_positions(std::string_view scope_path,
                                                           std::optional<std::string> after_user,
                                                           int limit) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kLatestPositions);
    s.bind(1, scope_path).bind(2, path_upper(scope_path)).bind(3, after_user.value_or(""));
    s.bind(4, limit + 1);
    Page<LatestPosition> page;
    while (step(s)) {
      LatestPosition p;
      p.user_id = s.column_text(0);
      p.user_name = s.column_text(1);
      p.org_unit_id = s.column_int64(2);
      p.t = s.column_int64(3);
      p.lat = s.column_double(4);
      p.lon = s.column_double(5);
      p.accuracy_m = s.column_opt_double(6);
      page.items.push_back(std::move(p));
    }
    if (static_cast<int>(page.items.size()) > limit) {
      page.items.pop_back();
      page.next = page.items.back().user_id;
    }
    return page;
  });
}

result<Page<TrackPoint>> SqliteStore::track(const TrackFilter& f) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kTrack);
    s.bind(1, f.user_id).bind(2, f.from).bind(3, f.to);
    s.bind(4, f.after ? f.after->first : std::numeric_limits<std::int64_t>::min());
    s.bind(5, f.after ? f.after->second : std::int64_t{0}).bind(6, f.limit + 1);
    Page<TrackPoint> page;
    while (step(s)) {
      TrackPoint p;
      p.seq = s.column_int64(0);
      p.user_id = s.column_text(1);
      p.t = s.column_int64(2);
      p.lat = s.column_double(3);
      p.lon = s.column_double(4);
      p.accuracy_m = s.column_opt_double(5);
      page.items.push_back(std::move(p));
    }
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = std::to_string(page.items.back().t) + "." + std::to_string(page.items.back().seq);
    }
    return page;
  });
}

result<Page<SosAlert>> SqliteStore::alerts(const AlertFilter& f) {
  return impl_->read([&](Database& db) {
    auto& s = q(db, sql::kAlerts);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.user_id);
    s.bind(4, f.after).bind(5, f.limit + 1);
    Page<SosAlert> page;
    while (step(s)) {
      SosAlert a;
      a.seq = s.column_int64(0);
      a.id = s.column_text(1);
      a.user_id = s.column_text(2);
      a.user_name = s.column_text(3);
      a.org_unit_id = s.column_int64(4);
      a.org_path = s.column_text(5);
      a.raised_at = s.column_int64(6);
      a.received_at = s.column_int64(7);
      a.position = read_geo(s, 8);
      a.note = s.column_text(11);
      a.state = s.column_text(12);
      page.items.push_back(std::move(a));
    }
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = std::to_string(page.items.back().seq);
    }
    return page;
  });
}

result<AttachmentLinked> SqliteStore::attachment_stored(std::string_view sha256,
                                                        std::int64_t size) {
  auto out = std::make_shared<AttachmentLinked>();
  std::string sha(sha256);
  Ms now = now_ms();
  auto ec = impl_->write([out, sha, size, now](Database& db) {
    out->hazard_ids.clear();
    auto& s = q(db, sql::kInsertAttachment);
    s.bind(1, sha).bind(2, size).bind(3, now);
    run(s);
    auto& l = q(db, sql::kLinkAttachment);
    l.bind(1, sha).bind(2, now);
    std::vector<Hazard> changed;
    while (step(l)) changed.push_back(read_hazard(l));
    l.reset();
    for (const auto& h : changed) {
      out->hazard_ids.push_back(h.id);
      append_change(db, "hazard", "upsert", h.id, h.org_path, to_json(h));
    }
  });
  if (ec) return from_sqlite(ec);
  return std::move(*out);
}

}  // namespace patrol::store
