// patrol::store::LiveStore — what the live feed reads: the committed changes
// after a cursor (change log, inspections, positions), tailed by sequence
// number, and the rounds a snapshot shows. The live publisher (server/src/live)
// turns these rows into events; it never sees a request.
//
// Tailing is safe because a row committed later always has a larger key than
// every row a reader has already been given: on SQLite every tail is an
// INTEGER PRIMARY KEY assigned by the single writer in commit order; on
// PostgreSQL (several writers) keys start with the writing transaction's id
// and a reader only hands out rows of transactions older than every one
// still running (pg_engine.hpp).
//
// Event numbers: a store whose nodes share one database (PostgreSQL) numbers
// the live feed's events itself (`event` below, the same on every node, in
// the order the tails hand them out), so a viewer can resume with `since` on
// another node. A store that does not (SQLite: one node) leaves them 0 and
// the feed numbers events itself.
//
// Errors: result<T> as every store interface (unavailable, shutting_down).
// Thread safety: every function may be called from any thread; calls block on
// a read-only connection of the implementation's own small pool.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/entities.hpp"
#include "store/errors.hpp"

namespace patrol::store {

// Where a reader of the three tails stands (the last seq of each it has seen).
struct LiveCursors {
  std::int64_t changes = 0;      // change_log.seq
  std::int64_t inspections = 0;  // inspections.seq
  std::int64_t positions = 0;    // positions.seq
  // Stores that number events: every event numbered <= `events` has been
  // handed out before this cursor, and the numbers in (events, events_free)
  // are never used by the store, so the feed may number its own events
  // (presence) there. Both 0 when the store does not number events.
  std::int64_t events = 0;
  std::int64_t events_free = 0;
  friend bool operator==(const LiveCursors&, const LiveCursors&) = default;
};

// An inspection committed after the cursor: what the feed routes it by, and
// its REST shape as JSON text made straight from the row (inspection_text.hpp:
// the items column is spliced in, never parsed; the bytes are those of
// boost::json::serialize(to_json(Inspection)) of the same row).
struct LiveInspection {
  std::int64_t seq = 0;    // inspections.seq
  std::string org_path;    // the site's org path (scope)
  std::string data;        // JSON text, the REST shape of the inspection
  std::int64_t event = 0;  // event number (see above); 0: none
};

// A change-log entry with the org path it is scoped by.
struct LiveChange {
  std::int64_t seq = 0;
  std::string entity;  // hazard | round | sos | site | ...
  std::string op;      // upsert | delete
  std::string id;
  std::string org_path;
  std::string data;        // JSON text, the REST shape of the entity
  std::int64_t event = 0;  // event number (see above); 0: none
};

// One user's positions that arrived in the tailed range, reduced to their
// latest marker (latest_positions: never moved back by a late point).
struct LivePosition {
  std::int64_t seq = 0;    // the last positions.seq of this user in the range
  Ms received_ms = 0;      // when the newest of those points arrived
  std::string org_path;    // the user's org path (scope)
  LatestPosition latest;   // the marker after this range
  std::int64_t event = 0;  // event number (see above); 0: none
};

struct LiveBatch {
  LiveCursors upto;                         // pass back as `from` for the next batch
  std::vector<LiveInspection> inspections;  // ordered by seq
  std::vector<LiveChange> changes;
  std::vector<LivePosition> positions;  // ordered by seq
  bool more = false;                    // a tail hit the limit: read again at once
  // Rows may be committed but not handed out yet because an older
  // transaction is still running (PostgreSQL): read again shortly, as its
  // end may not be notified.
  bool pending = false;
};

class LiveStore {
 public:
  virtual ~LiveStore() = default;

  // The current ends of the three tails (where a new publisher starts).
  [[nodiscard]] virtual result<LiveCursors> live_head() = 0;
  // Rows committed after `from`, about `limit` per tail (PostgreSQL: whole
  // transactions, so a single larger one comes in one batch), read in one
  // read transaction (a consistent view).
  [[nodiscard]] virtual result<LiveBatch> live_tail(const LiveCursors& from, int limit) = 0;
  // Rounds at or below `scope_path` that are in progress, or start in [from, to).
  [[nodiscard]] virtual result<std::vector<Round>> live_rounds(std::string_view scope_path, Ms from,
                                                               Ms to) = 0;
  // True when an inspection at or below `scope_path` names the photo `sha256`
  // (who may see the inspection may see its photos).
  [[nodiscard]] virtual result<bool> photo_visible(std::string_view sha256,
                                                   std::string_view scope_path) = 0;
};

}  // namespace patrol::store
