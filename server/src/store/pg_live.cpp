// PgStore's LiveStore and TrackerStore: the live feed's three tails (change
// log, inspections, positions) and tracker identifiers, as sqlite_live.cpp
// and sqlite_trackers.cpp. Each tail is keyed xid << kXidShift | n by the
// writing transaction (pg_engine.hpp: change_log.seq, inspections.live_seq,
// positions.seq), and a batch holds whole transactions, all older than the
// oldest one of this database still running (pg_horizon.hpp: each of them
// has ended and its rows are visible in the batch's snapshot). A transaction that commits
// later has an id at or above that horizon, so a node tailing `> cursor`
// never steps over it: a viewer on node A sees what was pushed to node B.
// No lock is shared between the nodes' writers.
//
// Event numbers are xid << kEventShift | local, local counting the
// transaction's inspections, then its change entries, then its users with
// positions, so every node numbers the same events alike.
#include <algorithm>
#include <string>
#include <unordered_map>

#include "store/inspection_text.hpp"
#include "store/pg_horizon.hpp"
#include "store/pg_store_impl.hpp"
#include "store/sqlite_rows.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

// The (limit+1)-th key of a tail in [$1, $2): where a batch of about `limit`
// rows must end (before that key's transaction).
constexpr std::string_view kInspectionsCut =
    "SELECT live_seq FROM inspections WHERE live_seq >= $1 AND live_seq < $2 ORDER BY live_seq "
    "OFFSET $3 LIMIT 1";
constexpr std::string_view kChangesCut =
    "SELECT seq FROM change_log WHERE seq >= $1 AND seq < $2 ORDER BY seq OFFSET $3 LIMIT 1";
constexpr std::string_view kPositionsCut =
    "SELECT seq FROM positions WHERE seq >= $1 AND seq < $2 ORDER BY seq OFFSET $3 LIMIT 1";
constexpr std::string_view kChangesIn =
    "SELECT seq, entity, op, id, org_path, data FROM change_log WHERE seq >= $1 AND seq < $2 "
    "ORDER BY seq";
constexpr std::string_view kInspectionsIn =
    "SELECT live_seq, seq, id, op_id, site_id, org_unit_id, org_path, user_id, device_id, "
    "template_id, template_version, round_id, observed_at, observed_ms, received_ms, lat, lon, "
    "accuracy_m, note, items FROM inspections WHERE live_seq >= $1 AND live_seq < $2 "
    "ORDER BY live_seq";
// One row per (transaction, user): the user's last point in it, the newest
// arrival in it and the marker now; in the order the users first appear.
constexpr std::string_view kPositionsIn =
    "WITH t AS (SELECT seq >> 24 AS x, user_id, max(seq) AS seq, min(seq) AS first, "
    "max(received_ms) AS rcv FROM positions WHERE seq >= $1 AND seq < $2 GROUP BY 1, 2) "
    "SELECT t.seq, t.rcv, l.org_path, l.user_id, u.name, l.org_unit_id, l.t, l.lat, l.lon, "
    "l.accuracy_m FROM t JOIN latest_positions l ON l.user_id = t.user_id "
    "JOIN users u ON u.id = t.user_id ORDER BY t.x, t.first";
constexpr std::string_view kRounds =
    "SELECT " PATROL_PG_ROUND_COLS
    " FROM rounds WHERE org_path >= $1 AND org_path < $2 AND "
    "(state = 'in_progress' OR (starts_at >= $3 AND starts_at < $4)) ORDER BY starts_at, id";

constexpr std::string_view kOwner =
    "SELECT " PATROL_PG_USER_COLS
    " FROM trackers t JOIN users u ON u.id = t.user_id JOIN org_units o ON o.id = u.org_unit_id "
    "WHERE t.identifier = $1";
constexpr std::string_view kInsertTracker =
    "INSERT INTO trackers(identifier, user_id, created_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (identifier) DO NOTHING";
constexpr std::string_view kTrackerUser = "SELECT user_id FROM trackers WHERE identifier = $1";

// RAII: one read-only snapshot for the three tails (a consistent view), past
// the transactions running when it was taken (pg_horizon.hpp; a short wait:
// the feed also looks again while LiveBatch::pending).
struct Snapshot {
  Conn& c;
  Horizon h;
  explicit Snapshot(Conn& conn)
      : c(conn), h(begin_past_running(conn, std::chrono::milliseconds(250))) {}
  ~Snapshot() {
    try {
      c.exec("COMMIT");
    } catch (const Failure&) {
    }
  }
};

}  // namespace

namespace {

// Where a reader stands after handing out every transaction below `xid`.
LiveCursors cursors_below(std::int64_t xid) {
  LiveCursors c;
  c.changes = c.inspections = c.positions = (xid << kXidShift) - 1;
  c.events = ((xid - 1) << kEventShift) + kEventsPerXid - 1;
  c.events_free = xid << kEventShift;
  return c;
}

}  // namespace

result<LiveCursors> PgStore::live_head() {
  return impl_->readers.read([&](Conn& c) {
    Snapshot snap(c);  // so the head is past every row committed before
    return cursors_below(snap.h.xmin);
  });
}

result<LiveBatch> PgStore::live_tail(const LiveCursors& from, int limit) {
  return impl_->readers.read([&](Conn& c) {
    LiveBatch b;
    b.upto = from;
    Snapshot snap(c);
    const std::int64_t horizon = snap.h.xmin;
    b.pending = snap.h.xmax > horizon;
    // Every transaction below `lo` was handed out before (a cursor of
    // cursors_below(lo); the three tails move together).
    const std::int64_t lo = (from.changes + 1) >> kXidShift;
    if (horizon <= lo) return b;
    std::int64_t hi = horizon;
    for (auto cut : {kInspectionsCut, kChangesCut, kPositionsCut}) {
      auto r = c.exec(cut, Params().add(lo << kXidShift).add(hi << kXidShift).add(limit));
      if (r.rows() == 0) continue;
      // More than `limit` rows before hi: stop before the transaction of the
      // (limit+1)-th, or after the first one when it alone is that big.
      hi = std::max(lo + 1, r.int64(0, 0) >> kXidShift);
    }
    b.more = hi < horizon;
    const Params range = Params().add(lo << kXidShift).add(hi << kXidShift);
    std::unordered_map<std::int64_t, std::int64_t> next_local;  // xid → next event local
    auto event = [&](std::int64_t key) -> std::int64_t {
      const std::int64_t xid = key >> kXidShift;
      const std::int64_t local = next_local[xid]++;
      return local < kEventsPerXid ? (xid << kEventShift) + local : 0;
    };
    {
      auto r = c.exec(kInspectionsIn, range);
      b.inspections.reserve(static_cast<std::size_t>(r.rows()));
      for (int k = 0; k < r.rows(); ++k) {
        // Its JSON text from the columns' own bytes (inspection_text.hpp).
        LiveInspection li;
        li.seq = r.int64(k, 1);
        li.org_path = r.text(k, 6);
        InspectionColumns col;
        col.id = r.text_view(k, 2);
        col.op_id = r.text_view(k, 3);
        col.site_id = r.text_view(k, 4);
        col.org_unit_id = r.int64(k, 5);
        col.user_id = r.text_view(k, 7);
        col.device_id = r.text_view(k, 8);
        col.template_id = r.text_view(k, 9);
        col.template_version = r.int64(k, 10);
        if (!r.null(k, 11)) col.round_id = r.text_view(k, 11);
        col.observed_at = r.text_view(k, 12);
        col.observed_ms = r.int64(k, 13);
        col.received_ms = r.int64(k, 14);
        col.position = read_geo(r, k, 15);
        col.note = r.text_view(k, 18);
        col.items = r.text_view(k, 19);
        li.data.reserve(inspection_json_size(col));
        append_inspection_json(li.data, col);
        li.event = event(r.int64(k, 0));
        b.inspections.push_back(std::move(li));
      }
    }
    {
      auto r = c.exec(kChangesIn, range);
      for (int k = 0; k < r.rows(); ++k) {
        LiveChange ch;
        ch.seq = r.int64(k, 0);
        ch.entity = r.text(k, 1);
        ch.op = r.text(k, 2);
        ch.id = r.text(k, 3);
        ch.org_path = r.text(k, 4);
        ch.data = r.text(k, 5);
        ch.event = event(ch.seq);
        b.changes.push_back(std::move(ch));
      }
    }
    {
      auto r = c.exec(kPositionsIn, range);
      std::unordered_map<std::string, std::size_t> last;  // user → index in b.positions
      for (int k = 0; k < r.rows(); ++k) {
        LivePosition p;
        p.seq = r.int64(k, 0);
        p.received_ms = r.int64(k, 1);
        p.org_path = r.text(k, 2);
        p.latest.user_id = r.text(k, 3);
        p.latest.user_name = r.text(k, 4);
        p.latest.org_unit_id = r.int64(k, 5);
        p.latest.t = r.int64(k, 6);
        p.latest.lat = r.dbl(k, 7);
        p.latest.lon = r.dbl(k, 8);
        p.latest.accuracy_m = r.opt_dbl(k, 9);
        p.event = event(p.seq);
        // One marker per user per batch (the newest; every (transaction,
        // user) still takes its number, so numbers do not depend on where
        // a node's batches end).
        auto [at, fresh] = last.try_emplace(p.latest.user_id, b.positions.size());
        if (fresh) {
          b.positions.push_back(std::move(p));
        } else {
          b.positions[at->second] = std::move(p);
        }
      }
      std::sort(b.positions.begin(), b.positions.end(),
                [](const LivePosition& x, const LivePosition& y) { return x.seq < y.seq; });
    }
    b.upto = cursors_below(hi);
    return b;
  });
}

result<std::vector<Round>> PgStore::live_rounds(std::string_view scope_path, Ms from, Ms to) {
  return impl_->readers.read([&](Conn& c) {
    auto r =
        c.exec(kRounds, Params().add(scope_path).add(path_upper(scope_path)).add(from).add(to));
    std::vector<Round> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_round(r, i));
    return out;
  });
}

result<bool> PgStore::photo_visible(std::string_view sha256, std::string_view scope_path) {
  return photo_named_in_scope(sha256, scope_path);
}

result<bool> PgStore::register_tracker(std::string_view identifier, std::string_view user_id,
                                       Ms now) {
  bool created = false;
  bool conflict = false;
  auto ec = impl_->writer->write([&](PgTx& tx) {
    created =
        tx.conn.exec(kInsertTracker, Params().add(identifier).add(user_id).add(now)).affected() !=
        0;
    conflict = false;
    if (!created) {
      auto r = tx.conn.exec(kTrackerUser, Params().add(identifier));
      conflict = r.rows() > 0 && r.text_view(0, 0) != user_id;
    }
  });
  if (ec) return {boost::system::in_place_error, ec};
  if (conflict) return {boost::system::in_place_error, errc::conflict};
  return created;
}

result<User> PgStore::tracker_owner(std::string_view identifier) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kOwner, Params().add(identifier));
    if (r.rows() == 0) throw NotFound{};
    return read_user(r, 0);
  });
}

}  // namespace patrol::store
