// Internal to the PostgreSQL store: the writer thread (group commit) and the
// reader pool, the PostgreSQL counterparts of sqlite_writer.hpp and
// sqlite_readers.hpp.
//
// Writer: ONE connection per node drains a queue of write jobs, many callers'
// jobs per transaction (one fsync per batch at synchronous_commit=on). Jobs
// run back to back without savepoints; if one fails on its own (constraint,
// bug) the transaction is rolled back and the group redone with one SAVEPOINT
// ("job") per job so only that job fails. A serialization failure or deadlock
// (another node holds the same hazard) redoes the whole group, up to 3 times.
// A lost connection or a server error answers every job of the group
// `unavailable`, and the writer reconnects for the next group. (A COMMIT
// whose answer was lost may still have committed: every write is idempotent
// by op id / entity id, so the client's retry is answered `duplicate`.)
//
// Tails keyed by transaction id, no lock across nodes: jobs append change
// entries to PgTx::changes, positions to PgTx::positions and the ids of the
// inspections they wrote to PgTx::inspections; at the end of the transaction
// the writer inserts the change entries with seq = xid << kXidShift | n
// (pg_current_xact_id(), n = 1, 2, … in order), the positions with the same
// kind of key, and gives the inspections live_seq keys likewise. Keys are
// not in commit order (a smaller xid may commit later), so readers only hand
// out keys of transactions older than the oldest one still running
// (pg_horizon.hpp, from pg_snapshot_xip: every such transaction has ended
// and its rows are visible): a pull or a live tail that reads `key > cursor`
// below that horizon never steps over a row that commits later, on any node.
// The same statement NOTIFYs channel `patrol_changes` with the last seq.
// A group stops taking jobs when PgTx::full() (the ordinals must stay below
// 2^kXidShift, and the live feed numbers at most kEventsPerXid events per
// transaction); the rest of the batch goes into the next group.
//
// Thread safety: PgWriter::submit/write/stopping from any thread; stop once
// (later calls return false). PgReaders: any thread.
#pragma once

#include <boost/system/error_code.hpp>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "store/errors.hpp"
#include "store/pg_support.hpp"

namespace patrol::store::pg {

// Advisory lock keys (pg_advisory_xact_lock(bigint)). 0x…0001 was the
// change-log lock every group took before tails were keyed by xid.
inline constexpr std::int64_t kMigrationLock = 0x70617472'6f6c0002;

// Tail keys (change_log.seq, inspections.live_seq, positions.seq written by
// PgWriter): xid << kXidShift | ordinal within the transaction (from 1).
inline constexpr int kXidShift = 24;
// Live event numbers (pg_live.cpp): xid << kEventShift | local; locals
// [0, kEventsPerXid) are the transaction's rows, the rest of each xid's range
// is left to the feed's own events (presence). Exact in a JavaScript number
// while xid < 2^37.
inline constexpr int kEventShift = 16;
inline constexpr std::int64_t kEventsPerXid = 61440;

struct ChangeRow {
  std::string entity, op, id, org_path, data;
};

// One position point to insert at commit (see PgTx::positions).
struct PositionRow {
  std::string user_id, device_id, org_path;
  std::int64_t t = 0;
  double lat = 0, lon = 0;
  std::optional<double> accuracy_m;
  std::int64_t received_ms = 0;
};

// What a write job sees: the writer's connection inside the group's
// transaction, and what is written at commit under kChangeLogLock, so that
// the live feed's tails (store/live_store.hpp) are in commit order across
// nodes: the change entries (numbered then), the positions (inserted then:
// their identity seq is taken under the lock) and the ids of the inspections
// written (their live_seq is assigned then).
struct PgTx {
  Conn& conn;
  std::vector<ChangeRow> changes;
  std::vector<PositionRow> positions;
  std::vector<std::string> inspections;
  std::string failed_sqlstate;  // of the last Failure a job threw
  void append_change(std::string_view entity, std::string_view op, std::string_view id,
                     std::string_view org_path, std::string data) {
    changes.push_back({std::string(entity), std::string(op), std::string(id), std::string(org_path),
                       std::move(data)});
  }
  // Where a job's (or an op's) pending rows start; rewind() drops what came
  // after it when that part of the transaction is rolled back to a savepoint.
  struct Mark {
    std::size_t changes, positions, inspections;
  };
  Mark mark() const { return {changes.size(), positions.size(), inspections.size()}; }
  void rewind(const Mark& m) {
    changes.resize(m.changes);
    positions.resize(m.positions);
    inspections.resize(m.inspections);
  }
  bool pending() const { return !changes.empty() || !positions.empty() || !inspections.empty(); }
  // Enough for one transaction: the live feed numbers its rows in at most
  // kEventsPerXid events and keys stay below 2^kXidShift (one job adds at
  // most a push's worth on top).
  bool full() const {
    return changes.size() + inspections.size() >= 16384 || positions.size() >= (1U << 22);
  }
};

struct PgJob {
  std::function<boost::system::error_code(PgTx&, bool careful)> apply;
  // Advisory lock keys (hashed with hashtextextended) the job will take; the
  // writer takes every key of the group at BEGIN in one global order, so two
  // nodes' groups wait for each other instead of deadlocking.
  std::vector<std::string> lock_keys;
  std::promise<boost::system::error_code> done;
  // When set (submit_async), called on the writer thread once the commit
  // holding the job returned, instead of fulfilling `done`. Must not block.
  std::function<void(boost::system::error_code)> then;
};

// Wraps `fn(PgTx&)` or `fn(PgTx&, bool careful)`: Failure → its error (its
// SQLSTATE noted in tx), NotFound → not_found, anything else → internal.
template <class F>
std::function<boost::system::error_code(PgTx&, bool)> guarded(F fn) {
  return [fn = std::move(fn)](PgTx& tx, bool careful) mutable -> boost::system::error_code {
    try {
      if constexpr (std::is_invocable_v<F&, PgTx&, bool>) {
        fn(tx, careful);
      } else {
        fn(tx);
      }
      return {};
    } catch (const Failure& f) {
      tx.failed_sqlstate = f.sqlstate;
      return f.ec;
    } catch (const NotFound&) {
      return errc::not_found;
    } catch (const std::exception&) {
      return errc::internal;
    }
  };
}

class PgWriter {
 public:
  // `on_commit` (may be empty) runs on the writer thread after every
  // successful COMMIT that wrote something to tail (the live feed's signal).
  PgWriter(std::unique_ptr<Conn> conn, std::size_t max_jobs_per_commit,
           std::function<void()> on_commit = {});
  ~PgWriter();
  PgWriter(const PgWriter&) = delete;
  PgWriter& operator=(const PgWriter&) = delete;

  void start();
  // Queues `job`, blocks until the commit holding it returned.
  boost::system::error_code submit(std::unique_ptr<PgJob> job);
  // Queues `job` (its `then` set) and returns at once; `then` gets the job's
  // error after its commit (writer thread), or shutting_down at once (here).
  void submit_async(std::unique_ptr<PgJob> job);
  template <class F>
  boost::system::error_code write(F fn, std::vector<std::string> lock_keys = {}) {
    auto job = std::make_unique<PgJob>();
    job->apply = guarded(std::move(fn));
    job->lock_keys = std::move(lock_keys);
    return submit(std::move(job));
  }
  bool stopping();
  // Refuses new jobs, commits what is queued, joins. True the first time.
  bool stop();

 private:
  enum class Pass { ok, job_failed, retry, broken };
  void loop();
  void commit_group(std::vector<std::unique_ptr<PgJob>>& batch);
  // `used`: how many jobs of `batch` the pass took (fewer when PgTx::full).
  Pass run_pass(std::vector<std::unique_ptr<PgJob>>& batch,
                std::vector<boost::system::error_code>& res, bool careful, std::size_t& used);

  std::unique_ptr<Conn> conn_;
  std::size_t max_jobs_per_commit_;
  std::function<void()> on_commit_;
  bool committed_rows_ = false;  // the last ok pass wrote something to tail
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<PgJob>> queue_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

class PgReaders {
 public:
  void add(std::unique_ptr<Conn> c);
  // Waits for every connection to come back, then closes them. Idempotent.
  void close();

  // Runs `fn(Conn&)` on a pooled connection: Failure → its error, NotFound →
  // not_found, other exceptions → internal, closed pool → shutting_down.
  template <class F>
  auto read(F fn) -> result<decltype(fn(std::declval<Conn&>()))> {
    using R = result<decltype(fn(std::declval<Conn&>()))>;
    auto err = [](boost::system::error_code ec) { return R(boost::system::in_place_error, ec); };
    std::unique_ptr<Conn> c = acquire();
    if (!c) return err(errc::shutting_down);
    struct Back {
      PgReaders* p;
      std::unique_ptr<Conn>& c;
      ~Back() { p->release(std::move(c)); }
    } back{this, c};
    try {
      return fn(*c);
    } catch (const Failure& f) {
      return err(f.ec);
    } catch (const NotFound&) {
      return err(errc::not_found);
    } catch (const std::exception&) {
      return err(errc::internal);
    }
  }

 private:
  std::unique_ptr<Conn> acquire();
  void release(std::unique_ptr<Conn> c);
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> free_;
  std::size_t total_ = 0;
  bool closed_ = false;
};

}  // namespace patrol::store::pg
