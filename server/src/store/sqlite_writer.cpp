#include "store/sqlite_writer.hpp"

#include <pthread.h>
#include <algorithm>
#include <chrono>

#include "metrics/metrics.hpp"

namespace patrol::store::detail {
using boost::system::error_code;

SqliteWriter::SqliteWriter(sqlite::Database db, std::size_t max_jobs_per_commit,
                           metrics::Metrics* metrics, std::function<void(int)> on_commit)
    : db_(std::move(db)),
      max_jobs_per_commit_(max_jobs_per_commit),
      metrics_(metrics),
      on_commit_(std::move(on_commit)) {}

SqliteWriter::~SqliteWriter() {
  stop();
}

void SqliteWriter::start() {
  if (on_commit_) {
    sqlite3_wal_hook(
        db_.native(),
        [](void* ctx, sqlite3*, const char*, int pages) {
          static_cast<SqliteWriter*>(ctx)->on_commit_(pages);
          return SQLITE_OK;
        },
        this);
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "patrol-writer");
    loop();
  });
}

error_code SqliteWriter::submit(std::unique_ptr<WriteJob> job) {
  auto fut = job->done.get_future();
  {
    std::lock_guard lk(mu_);
    if (stopping_) return errc::shutting_down;
    queue_.push_back(std::move(job));
    // Under the lock so the gauge never goes back to a stale value.
    if (metrics_) metrics_->set_writer_queue_depth(queue_.size());
  }
  cv_.notify_one();
  return fut.get();
}

void SqliteWriter::submit_async(std::unique_ptr<WriteJob> job) {
  {
    std::lock_guard lk(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(job));
      if (metrics_) metrics_->set_writer_queue_depth(queue_.size());
    }
  }
  if (job) {
    finish(*job, errc::shutting_down);  // nothing was queued
    return;
  }
  cv_.notify_one();
}

void SqliteWriter::finish(WriteJob& job, error_code ec) {
  if (job.then)
    job.then(ec);
  else
    job.done.set_value(ec);
}

bool SqliteWriter::stopping() {
  std::lock_guard lk(mu_);
  return stopping_;
}

bool SqliteWriter::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopped_) return false;
    stopping_ = true;
    stopped_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return true;
}

void SqliteWriter::loop() {
  for (;;) {
    std::vector<std::unique_ptr<WriteJob>> batch;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) break;
      if (queue_.front()->exclusive) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } else {
        while (!queue_.empty() && !queue_.front()->exclusive &&
               batch.size() < max_jobs_per_commit_) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      if (metrics_) metrics_->set_writer_queue_depth(queue_.size());
    }
    if (batch.front()->exclusive) {
      error_code ec = batch.front()->apply(db_, false);
      reset_all(db_);
      finish(*batch.front(), ec);
      continue;
    }
    commit_group(batch);
  }
}

// One group commit. The fast pass runs every job back to back with no
// savepoints (each savepoint makes SQLite copy every page it touches into a
// sub-journal). If a job fails for a reason of its own (constraint, bug),
// the whole transaction is rolled back and the group redone carefully, each
// job in a SAVEPOINT, so only that job fails. Disk full / I/O errors fail
// the whole group as unavailable; nothing of it is committed.
void SqliteWriter::commit_group(std::vector<std::unique_ptr<WriteJob>>& batch) {
  auto start = std::chrono::steady_clock::now();
  std::vector<error_code> results(batch.size());
  std::size_t ops = 0;
  for (const auto& j : batch) ops += j->ops;
  error_code fatal;
  bool redo = false;
  for (bool careful : {false, true}) {
    std::fill(results.begin(), results.end(), error_code{});
    redo = false;
    sqlite::Transaction tx(db_);
    if (tx.begin_error()) {
      fatal = tx.begin_error();
      break;
    }
    for (std::size_t i = 0; i < batch.size() && !fatal && !redo; ++i) {
      if (careful) {
        if (auto ec = exec_cached(db_, "SAVEPOINT job")) {
          fatal = ec;
          break;
        }
      }
      error_code ec = batch[i]->apply(db_, careful);
      reset_all(db_);
      if (!ec) {
        if (careful) {
          if (auto rel = exec_cached(db_, "RELEASE job")) fatal = rel;
        }
      } else if (sqlite::is_transient(ec) || ec == errc::unavailable) {
        fatal = ec;  // disk full / I/O: the whole group goes
      } else if (!careful) {
        redo = true;
      } else {
        // This job alone fails: undo just it.
        error_code rb = exec_cached(db_, "ROLLBACK TO job");
        error_code rel = rb ? rb : exec_cached(db_, "RELEASE job");
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
    if (metrics_) metrics_->count_storage_error();
    error_code mapped = from_sqlite(fatal);
    if (mapped == errc::internal && sqlite::is_transient(fatal)) mapped = errc::unavailable;
    for (auto& r : results) r = mapped;
  } else if (metrics_) {
    metrics_->observe_commit(batch.size(), ops, took);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) finish(*batch[i], results[i]);
}

}  // namespace patrol::store::detail
