// Internal to the SQLite store: the writer thread, owner of the only
// read-write connection, draining a queue of write jobs in group commits
// (many callers' jobs in one transaction).
//
// Jobs run back to back without savepoints; if one fails on its own
// (constraint, bug) the group is rolled back and redone with one SAVEPOINT
// ("job") per job, so only that job fails. A caller blocks until the COMMIT
// holding its job returned (submit) or is called back then from the writer
// thread (submit_async). A disk-full / I/O error rolls back the whole
// group, answers every job in it `unavailable`, and the writer keeps running.
// An exclusive job runs alone, outside any transaction (maintenance, tests).
//
// Thread safety: submit()/write()/stopping() from any thread; stop() once
// (later calls return false); db() only before start() or after stop().
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
#include <thread>
#include <type_traits>
#include <vector>

#include "sqlite/database.hpp"
#include "store/errors.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::metrics {
class Metrics;
}

namespace patrol::store::detail {

struct WriteJob {
  // Runs inside the group transaction, or alone outside any transaction when
  // `exclusive`. `careful` is true when the group is being redone with one
  // SAVEPOINT per job (named "job") after a job failed in the fast pass.
  std::function<boost::system::error_code(sqlite::Database&, bool careful)> apply;
  std::promise<boost::system::error_code> done;
  // When set (submit_async), called on the writer thread once the commit
  // holding the job returned, instead of fulfilling `done`. It must not
  // block: it posts the rest of the work elsewhere (the connection's strand).
  std::function<void(boost::system::error_code)> then;
  std::size_t ops = 1;  // ops the job holds (for the commit metrics)
  bool exclusive = false;
};

// Wraps a job body `fn(Database&)` or `fn(Database&, bool careful)`:
// Failure → its error code, NotFound → not_found, anything else → internal.
template <class F>
std::function<boost::system::error_code(sqlite::Database&, bool)> guarded(F fn) {
  return [fn = std::move(fn)](sqlite::Database& db,
                              bool careful) mutable -> boost::system::error_code {
    try {
      if constexpr (std::is_invocable_v<F&, sqlite::Database&, bool>) {
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

class SqliteWriter {
 public:
  // `db` is the configured, migrated read-write connection. `on_commit(pages)`
  // runs on the writer thread after each commit with the WAL's page count.
  SqliteWriter(sqlite::Database db, std::size_t max_jobs_per_commit, metrics::Metrics* metrics,
               std::function<void(int pages)> on_commit);
  ~SqliteWriter();
  SqliteWriter(const SqliteWriter&) = delete;
  SqliteWriter& operator=(const SqliteWriter&) = delete;

  // Starts the writer thread ("patrol-writer").
  void start();

  // Queues `job` and blocks until the commit holding it returned: its error,
  // or shutting_down (nothing queued) once stop() began.
  boost::system::error_code submit(std::unique_ptr<WriteJob> job);

  // Queues `job` (its `then` set) and returns at once; `then` gets the job's
  // error after the commit holding it returned (on the writer thread), or
  // shutting_down at once (on this thread) once stop() began.
  void submit_async(std::unique_ptr<WriteJob> job);

  // submit() of a guarded(fn) job holding `ops` ops.
  template <class F>
  boost::system::error_code write(F fn, std::size_t ops = 1) {
    auto job = std::make_unique<WriteJob>();
    job->apply = guarded(std::move(fn));
    job->ops = ops;
    return submit(std::move(job));
  }

  // True once stop() began (new writes are refused).
  bool stopping();
  // Answers a finished job: `then` or `done`.
  static void finish(WriteJob& job, boost::system::error_code ec);

  // Refuses new jobs, commits what is queued, joins the thread. True the
  // first time (the caller then owns closing), false when already stopped.
  bool stop();

  sqlite::Database& db() { return db_; }

 private:
  void loop();
  void commit_group(std::vector<std::unique_ptr<WriteJob>>& batch);

  sqlite::Database db_;
  std::size_t max_jobs_per_commit_;
  metrics::Metrics* metrics_;
  std::function<void(int)> on_commit_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<WriteJob>> queue_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace patrol::store::detail
