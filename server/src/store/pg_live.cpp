// PgStore's LiveStore and TrackerStore: the live feed's three tails (change
// log, inspections, positions) and tracker identifiers, as sqlite_live.cpp
// and sqlite_trackers.cpp. Each tail is read by a number that is in commit
// order across every node (pg_engine.hpp: change-log seqs and positions are
// written, and inspections numbered by live_seq, under kChangeLogLock at
// commit), so a node tailing `> cursor` never steps over a row another node
// commits later: a viewer on node A sees what was pushed to node B.
#include "store/pg_store_impl.hpp"
#include "store/sqlite_rows.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kHead =
    "SELECT (SELECT coalesce(max(seq), 0) FROM change_log), "
    "(SELECT coalesce(max(live_seq), 0) FROM inspections), "
    "(SELECT coalesce(max(seq), 0) FROM positions)";
constexpr std::string_view kChangesAfter =
    "SELECT seq, entity, op, id, org_path, data FROM change_log WHERE seq > $1 ORDER BY seq "
    "LIMIT $2";
constexpr std::string_view kInspectionsAfter =
    "SELECT live_seq, seq, id, op_id, site_id, org_unit_id, org_path, user_id, device_id, "
    "template_id, template_version, round_id, observed_at, observed_ms, received_ms, lat, lon, "
    "accuracy_m, note, items FROM inspections WHERE live_seq > $1 ORDER BY live_seq LIMIT $2";
constexpr std::string_view kPositionsEnd =
    "SELECT coalesce(max(seq), $1) FROM (SELECT seq FROM positions WHERE seq > $1 ORDER BY seq "
    "LIMIT $2) s";
constexpr std::string_view kPositionsIn =
    "WITH t AS (SELECT user_id, max(seq) AS seq, max(received_ms) AS rcv FROM positions "
    "WHERE seq > $1 AND seq <= $2 GROUP BY user_id) "
    "SELECT t.seq, t.rcv, l.org_path, l.user_id, u.name, l.org_unit_id, l.t, l.lat, l.lon, "
    "l.accuracy_m FROM t JOIN latest_positions l ON l.user_id = t.user_id "
    "JOIN users u ON u.id = t.user_id ORDER BY t.seq";
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

// RAII: one read-only snapshot for the three tails (a consistent view).
struct Snapshot {
  Conn& c;
  explicit Snapshot(Conn& conn) : c(conn) {
    c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }
  ~Snapshot() {
    try {
      c.exec("COMMIT");
    } catch (const Failure&) {
    }
  }
};

}  // namespace

result<LiveCursors> PgStore::live_head() {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kHead, Params());
    return LiveCursors{r.int64(0, 0), r.int64(0, 1), r.int64(0, 2)};
  });
}

result<LiveBatch> PgStore::live_tail(const LiveCursors& from, int limit) {
  return impl_->readers.read([&](Conn& c) {
    LiveBatch b;
    b.upto = from;
    Snapshot snap(c);
    {
      auto r = c.exec(kInspectionsAfter, Params().add(from.inspections).add(limit));
      for (int k = 0; k < r.rows(); ++k) {
        Inspection i;
        i.seq = r.int64(k, 1);
        i.id = r.text(k, 2);
        i.op_id = r.text(k, 3);
        i.site_id = r.text(k, 4);
        i.org_unit_id = r.int64(k, 5);
        i.org_path = r.text(k, 6);
        i.user_id = r.text(k, 7);
        i.device_id = r.text(k, 8);
        i.template_id = r.text(k, 9);
        i.template_version = r.int64(k, 10);
        i.round_id = r.opt_text(k, 11);
        i.observed_at = r.text(k, 12);
        i.observed_ms = r.int64(k, 13);
        i.received_ms = r.int64(k, 14);
        i.position = read_geo(r, k, 15);
        i.note = r.text(k, 18);
        i.items = detail::read_items(r.text_view(k, 19));
        b.upto.inspections = r.int64(k, 0);
        b.inspections.push_back(std::move(i));
      }
      if (r.rows() == limit) b.more = true;
    }
    {
      auto r = c.exec(kChangesAfter, Params().add(from.changes).add(limit));
      for (int k = 0; k < r.rows(); ++k) {
        LiveChange ch;
        ch.seq = r.int64(k, 0);
        ch.entity = r.text(k, 1);
        ch.op = r.text(k, 2);
        ch.id = r.text(k, 3);
        ch.org_path = r.text(k, 4);
        ch.data = r.text(k, 5);
        b.upto.changes = ch.seq;
        b.changes.push_back(std::move(ch));
      }
      if (r.rows() == limit) b.more = true;
    }
    {
      std::int64_t end = c.exec(kPositionsEnd, Params().add(from.positions).add(limit)).int64(0, 0);
      if (end > from.positions) {
        auto r = c.exec(kPositionsIn, Params().add(from.positions).add(end));
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
          b.positions.push_back(std::move(p));
        }
        if (end - from.positions >= limit) b.more = true;
        b.upto.positions = end;
      }
    }
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
