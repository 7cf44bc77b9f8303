#include "store/sqlite_live_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <exception>

#include "store/inspection_text.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store {
using namespace detail;
using sqlite::Database;
using sqlite::Statement;

namespace {

constexpr std::string_view kHead =
    "SELECT (SELECT coalesce(max(seq), 0) FROM change_log), "
    "(SELECT coalesce(max(seq), 0) FROM inspections), "
    "(SELECT coalesce(max(seq), 0) FROM positions)";
constexpr std::string_view kChangesAfter =
    "SELECT seq, entity, op, id, org_path, data FROM change_log WHERE seq > ?1 ORDER BY seq "
    "LIMIT ?2";
// PATROL_INSPECTION_COLS, read as views into the event's text (live_row).
constexpr std::string_view kInspectionsAfter =
    "SELECT " PATROL_INSPECTION_COLS " FROM inspections WHERE seq > ?1 ORDER BY seq LIMIT ?2";
// The end of the next position range: at most ?2 rows after ?1.
constexpr std::string_view kPositionsEnd =
    "SELECT coalesce(max(seq), ?1) FROM (SELECT seq FROM positions WHERE seq > ?1 ORDER BY seq "
    "LIMIT ?2)";
// One row per user with points in (?1, ?2]: the newest arrival and the marker.
constexpr std::string_view kPositionsIn =
    "WITH t AS (SELECT user_id, max(seq) AS seq, max(received_ms) AS rcv FROM positions "
    "WHERE seq > ?1 AND seq <= ?2 GROUP BY user_id) "
    "SELECT t.seq, t.rcv, l.org_path, l.user_id, u.name, l.org_unit_id, l.t, l.lat, l.lon, "
    "l.accuracy_m FROM t JOIN latest_positions l ON l.user_id = t.user_id "
    "JOIN users u ON u.id = t.user_id ORDER BY t.seq";
constexpr std::string_view kRounds =
    "SELECT " PATROL_ROUND_COLS
    " FROM rounds WHERE org_path >= ?1 AND org_path < ?2 AND "
    "(state = 'in_progress' OR (starts_at >= ?3 AND starts_at < ?4)) ORDER BY starts_at, id";
constexpr std::string_view kPhotoVisible =
    "SELECT 1 FROM inspection_photos p JOIN inspections i ON i.id = p.inspection_id "
    "WHERE p.sha256 = ?1 AND i.org_path >= ?2 AND i.org_path < ?3 LIMIT 1";

// A PATROL_INSPECTION_COLS row as the feed needs it: its JSON text written
// from the columns' own bytes (no Inspection, no parsed items).
LiveInspection live_row(Statement& s) {
  LiveInspection li;
  li.seq = s.column_int64(0);
  li.org_path = s.column_text(5);
  InspectionColumns c;
  c.id = s.column_text_view(1);
  c.op_id = s.column_text_view(2);
  c.site_id = s.column_text_view(3);
  c.org_unit_id = s.column_int64(4);
  c.user_id = s.column_text_view(6);
  c.device_id = s.column_text_view(7);
  c.template_id = s.column_text_view(8);
  c.template_version = s.column_int64(9);
  if (!s.column_is_null(10)) c.round_id = s.column_text_view(10);
  c.observed_at = s.column_text_view(11);
  c.observed_ms = s.column_int64(12);
  c.received_ms = s.column_int64(13);
  c.position = read_geo(s, 14);
  c.note = s.column_text_view(17);
  c.items = s.column_text_view(18);
  li.data.reserve(inspection_json_size(c));
  append_inspection_json(li.data, c);
  return li;
}

}  // namespace

result<std::unique_ptr<SqliteLiveStore>> SqliteLiveStore::open(const std::filesystem::path& db_path,
                                                               SqliteStore& writer,
                                                               std::size_t connections) {
  std::unique_ptr<SqliteLiveStore> s(new SqliteLiveStore(writer));
  for (std::size_t i = 0; i < std::max<std::size_t>(1, connections); ++i) {
    sqlite::OpenOptions ro;
    ro.read_only = true;
    auto db = Database::open(db_path.string(), ro);
    if (!db) return {boost::system::in_place_error, errc::unavailable};
    s->free_.push_back(std::make_unique<Database>(std::move(*db)));
  }
  return s;
}

std::unique_ptr<Database> SqliteLiveStore::acquire() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return !free_.empty(); });
  auto db = std::move(free_.back());
  free_.pop_back();
  return db;
}

void SqliteLiveStore::release(std::unique_ptr<Database> db) {
  {
    std::lock_guard lk(mu_);
    free_.push_back(std::move(db));
  }
  cv_.notify_one();
}

boost::system::error_code SqliteLiveStore::read(const std::function<void(Database&)>& fn) {
  auto db = acquire();
  boost::system::error_code ec;
  try {
    fn(*db);
  } catch (const Failure& e) {
    ec = from_sqlite(e.ec);
  } catch (const std::exception&) {
    ec = errc::internal;
  }
  // Leave no statement mid-step (it would pin an old WAL snapshot).
  for (auto* s = sqlite3_next_stmt(db->native(), nullptr); s;
       s = sqlite3_next_stmt(db->native(), s))
    sqlite3_reset(s);
  if (!sqlite3_get_autocommit(db->native())) (void)db->exec("ROLLBACK");
  release(std::move(db));
  return ec;
}

result<LiveCursors> SqliteLiveStore::live_head() {
  LiveCursors c;
  auto ec = read([&](Database& db) {
    auto& s = q(db, kHead);
    if (!step(s)) fail(errc::internal);
    c.changes = s.column_int64(0);
    c.inspections = s.column_int64(1);
    c.positions = s.column_int64(2);
    s.reset();
  });
  if (ec) return {boost::system::in_place_error, ec};
  return c;
}

result<LiveBatch> SqliteLiveStore::live_tail(const LiveCursors& from, int limit) {
  LiveBatch b;
  b.upto = from;
  auto ec = read([&](Database& db) {
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::deferred);
    if (tx.begin_error()) fail(tx.begin_error());
    {
      auto& s = q(db, kInspectionsAfter);
      s.bind(1, from.inspections).bind(2, limit);
      while (step(s)) {
        b.inspections.push_back(live_row(s));
        b.upto.inspections = b.inspections.back().seq;
      }
      s.reset();
      if (static_cast<int>(b.inspections.size()) == limit) b.more = true;
    }
    {
      auto& s = q(db, kChangesAfter);
      s.bind(1, from.changes).bind(2, limit);
      int n = 0;
      while (step(s)) {
        ++n;
        LiveChange c;
        c.seq = s.column_int64(0);
        c.entity = s.column_text(1);
        c.op = s.column_text(2);
        c.id = s.column_text(3);
        c.org_path = s.column_text(4);
        c.data = s.column_text(5);
        b.upto.changes = c.seq;
        b.changes.push_back(std::move(c));
      }
      s.reset();
      if (n == limit) b.more = true;
    }
    {
      auto& e = q(db, kPositionsEnd);
      e.bind(1, from.positions).bind(2, limit);
      if (!step(e)) fail(errc::internal);
      std::int64_t end = e.column_int64(0);
      e.reset();
      if (end > from.positions) {
        auto& s = q(db, kPositionsIn);
        s.bind(1, from.positions).bind(2, end);
        while (step(s)) {
          LivePosition p;
          p.seq = s.column_int64(0);
          p.received_ms = s.column_int64(1);
          p.org_path = s.column_text(2);
          p.latest.user_id = s.column_text(3);
          p.latest.user_name = s.column_text(4);
          p.latest.org_unit_id = s.column_int64(5);
          p.latest.t = s.column_int64(6);
          p.latest.lat = s.column_double(7);
          p.latest.lon = s.column_double(8);
          p.latest.accuracy_m = s.column_opt_double(9);
          b.positions.push_back(std::move(p));
        }
        s.reset();
        if (end - from.positions >= limit) b.more = true;
        b.upto.positions = end;
      }
    }
    (void)tx.commit();
  });
  if (ec) return {boost::system::in_place_error, ec};
  return b;
}

result<std::vector<Round>> SqliteLiveStore::live_rounds(std::string_view scope_path, Ms from,
                                                        Ms to) {
  std::vector<Round> out;
  auto ec = read([&](Database& db) {
    auto& s = q(db, kRounds);
    s.bind(1, scope_path).bind(2, path_upper(scope_path)).bind(3, from).bind(4, to);
    while (step(s)) out.push_back(read_round(s));
    s.reset();
  });
  if (ec) return {boost::system::in_place_error, ec};
  return out;
}

result<bool> SqliteLiveStore::photo_visible(std::string_view sha256, std::string_view scope_path) {
  bool found = false;
  auto ec = read([&](Database& db) {
    auto& s = q(db, kPhotoVisible);
    s.bind(1, sha256).bind(2, scope_path).bind(3, path_upper(scope_path));
    found = step(s);
    s.reset();
  });
  if (ec) return {boost::system::in_place_error, ec};
  return found;
}

}  // namespace patrol::store
