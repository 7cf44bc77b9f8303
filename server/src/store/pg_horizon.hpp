// Internal to the PostgreSQL store: where a reader of the xid-keyed tails
// (change log, inspections' live_seq, positions; pg_engine.hpp) may read up
// to. Rows of transactions below the horizon (the oldest transaction of this
// database running at the read's snapshot) are final and visible; rows of a
// transaction still running are above it and must wait.
//
// begin_past_running() opens a REPEATABLE READ READ ONLY transaction on `c`
// whose horizon is past every transaction that was running when it was
// called, waiting (up to `max_wait`, in short sleeps) for them to end: so a
// read returns every row committed before the call (a phone that pushed and
// then pulls gets its own change), at the cost of waiting for the other
// nodes' group commits in flight (milliseconds). After `max_wait` (a long
// transaction elsewhere) it returns the transaction anyway: still correct,
// the held-back rows come in a later read. The caller COMMITs.
//
// Thread safety: as the Conn (one thread at a time).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <thread>

#include "store/pg_support.hpp"

namespace patrol::store::pg {

struct Horizon {
  std::int64_t xmin = 0;  // every transaction of this database below it has ended
  std::int64_t xmax = 0;  // the next transaction id; > xmin: some are running
};

// The horizon of the current transaction's snapshot for THIS database: the
// oldest transaction in progress at the snapshot (pg_snapshot_xip) that is
// not known to belong to another database of the server (its backend's
// backend_xid, in pg_stat_activity, connected elsewhere), else xmax. Other
// databases' transactions never write our tables, so they need not hold
// our readers back (the test cluster runs many databases at once). A
// transaction whose backend is not found counts as ours (conservative).
inline constexpr std::string_view kHorizonSql =
    "SELECT coalesce((SELECT min(x::text::bigint) FROM pg_snapshot_xip(s) AS x "
    "WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid <> "
    "(SELECT oid FROM pg_database WHERE datname = current_database()) AND "
    "a.backend_xid::text::bigint = x::text::bigint % 4294967296)), "
    "pg_snapshot_xmax(s)::text::bigint), pg_snapshot_xmax(s)::text::bigint "
    "FROM pg_current_snapshot() AS s";

inline Horizon begin_past_running(Conn& c, std::chrono::milliseconds max_wait) {
  const std::int64_t want =
      c.exec("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint", Params()).int64(0, 0);
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    auto r = c.exec(kHorizonSql, Params());  // of the transaction's snapshot
    Horizon h{r.int64(0, 0), r.int64(0, 1)};
    if (h.xmin >= want || std::chrono::steady_clock::now() >= deadline) return h;
    c.exec("COMMIT");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

}  // namespace patrol::store::pg
