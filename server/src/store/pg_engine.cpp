#include "store/pg_engine.hpp"

#include <pthread.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace patrol::store::pg {
using boost::system::error_code;
namespace json = boost::json;

namespace {

// What a group writes for the tails (change log, inspections' live_seq,
// positions) is keyed by its transaction id: key = xid << 24 | ordinal
// (kXidShift, pg_engine.hpp). No lock: readers only hand out keys below the
// oldest transaction still running (pg_live.cpp, pg_sync_pull.cpp), so a key
// taken by a transaction that commits late is never stepped over.
constexpr std::string_view kInsertChanges =
    "WITH ins AS (INSERT INTO change_log(seq, entity, op, id, org_path, data) "
    "SELECT (pg_current_xact_id()::text::bigint << 24) + t.ord, e->>0, e->>1, e->>2, "
    "e->>3, e->>4 FROM json_array_elements($1::json) WITH ORDINALITY AS t(e, ord) "
    "RETURNING seq) SELECT pg_notify('patrol_changes', max(seq)::text) FROM ins";
constexpr std::string_view kNotify = "SELECT pg_notify('patrol_changes', '0')";
// The group's points: [[user, device, path, t, lat, lon, accuracy|null, received], …].
constexpr std::string_view kInsertPositions =
    "INSERT INTO positions(seq, user_id, device_id, org_path, t, lat, lon, accuracy_m, "
    "received_ms) OVERRIDING SYSTEM VALUE "
    "SELECT (pg_current_xact_id()::text::bigint << 24) + t.ord, e->>0, e->>1, e->>2, "
    "(e->>3)::bigint, (e->>4)::float8, (e->>5)::float8, (e->>6)::float8, (e->>7)::bigint "
    "FROM json_array_elements($1::json) WITH ORDINALITY AS t(e, ord) ORDER BY ord";
constexpr std::string_view kNumberInspections =
    "UPDATE inspections i SET live_seq = (pg_current_xact_id()::text::bigint << 24) + o.ord "
    "FROM json_array_elements_text($1::json) WITH ORDINALITY AS o(id, ord) WHERE i.id = o.id";
// The group's keys in ascending hash order (the same order on every node).
constexpr std::string_view kLockKeys =
    "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h "
    "FROM json_array_elements_text($1::json) AS k) s ORDER BY h";

std::string positions_json(const std::vector<PositionRow>& rows) {
  json::array a;
  a.reserve(rows.size());
  for (const auto& r : rows) {
    json::array e{r.user_id, r.device_id, r.org_path, r.t, r.lat, r.lon};
    if (r.accuracy_m) {
      e.emplace_back(*r.accuracy_m);
    } else {
      e.emplace_back(nullptr);
    }
    e.emplace_back(r.received_ms);
    a.push_back(std::move(e));
  }
  return json::serialize(a);
}

std::string strings_json(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& x : v) a.emplace_back(x);
  return json::serialize(a);
}

std::string changes_json(const std::vector<ChangeRow>& rows) {
  json::array a;
  a.reserve(rows.size());
  for (const auto& r : rows) a.push_back(json::array{r.entity, r.op, r.id, r.org_path, r.data});
  return json::serialize(a);
}

bool transient(std::string_view sqlstate) {
  return from_sqlstate(sqlstate) == errc::unavailable;
}

}  // namespace

PgWriter::PgWriter(std::unique_ptr<Conn> conn, std::size_t max_jobs_per_commit,
                   std::function<void()> on_commit)
    : conn_(std::move(conn)),
      max_jobs_per_commit_(max_jobs_per_commit),
      on_commit_(std::move(on_commit)) {}

PgWriter::~PgWriter() {
  stop();
}

void PgWriter::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "patrol-pgwriter");
    loop();
  });
}

namespace {
void finish(PgJob& job, error_code ec) {
  if (job.then)
    job.then(ec);
  else
    job.done.set_value(ec);
}
}  // namespace

void PgWriter::submit_async(std::unique_ptr<PgJob> job) {
  {
    std::lock_guard lk(mu_);
    if (!stopping_) queue_.push_back(std::move(job));
  }
  if (job) {
    finish(*job, errc::shutting_down);  // nothing was queued
    return;
  }
  cv_.notify_one();
}

error_code PgWriter::submit(std::unique_ptr<PgJob> job) {
  auto fut = job->done.get_future();
  {
    std::lock_guard lk(mu_);
    if (stopping_) return errc::shutting_down;
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return fut.get();
}

bool PgWriter::stopping() {
  std::lock_guard lk(mu_);
  return stopping_;
}

bool PgWriter::stop() {
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

void PgWriter::loop() {
  for (;;) {
    std::vector<std::unique_ptr<PgJob>> batch;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) break;
      while (!queue_.empty() && batch.size() < max_jobs_per_commit_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_group(batch);
  }
}

void PgWriter::commit_group(std::vector<std::unique_ptr<PgJob>>& batch) {
  std::vector<error_code> res(batch.size());
  Pass p = Pass::broken;
  std::size_t used = batch.size();
  for (int attempt = 0; attempt < 4; ++attempt) {
    p = run_pass(batch, res, false, used);
    if (p == Pass::job_failed) p = run_pass(batch, res, true, used);
    if (p != Pass::retry) break;
  }
  if (p != Pass::ok) {
    used = batch.size();
    for (auto& r : res) r = errc::unavailable;
  }
  if (used < batch.size()) {
    // The group was cut (PgTx::full): the rest goes first into the next one.
    std::lock_guard lk(mu_);
    for (std::size_t i = batch.size(); i-- > used;) queue_.push_front(std::move(batch[i]));
  }
  for (std::size_t i = 0; i < used; ++i) finish(*batch[i], res[i]);
  if (p == Pass::ok && committed_rows_ && on_commit_) on_commit_();
}

PgWriter::Pass PgWriter::run_pass(std::vector<std::unique_ptr<PgJob>>& batch,
                                  std::vector<error_code>& res, bool careful, std::size_t& used) {
  used = batch.size();
  if (!conn_->healthy()) return Pass::broken;
  PgTx tx{*conn_, {}, {}, {}, {}};
  committed_rows_ = false;
  auto abort = [&](std::string_view sqlstate) {
    try {
      conn_->exec("ROLLBACK");
    } catch (const Failure&) {
    }
    return is_retryable(sqlstate) ? Pass::retry : Pass::broken;
  };
  try {
    conn_->exec("BEGIN");
    json::array keys;
    for (const auto& j : batch)
      for (const auto& k : j->lock_keys) keys.emplace_back(k);
    if (!keys.empty()) conn_->exec(kLockKeys, Params().add(json::serialize(keys)));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto mark = tx.mark();
      if (careful) conn_->exec("SAVEPOINT job");
      tx.failed_sqlstate.clear();
      error_code ec = batch[i]->apply(tx, careful);
      if (ec && transient(tx.failed_sqlstate) && !tx.failed_sqlstate.empty())
        return abort(tx.failed_sqlstate);
      if (ec && !careful) {
        abort("");
        return Pass::job_failed;
      }
      if (ec) {
        conn_->exec("ROLLBACK TO SAVEPOINT job");
        tx.rewind(mark);
      } else if (careful) {
        conn_->exec("RELEASE SAVEPOINT job");
      }
      res[i] = ec;
      if (i + 1 < batch.size() && tx.full()) {
        used = i + 1;
        break;
      }
    }
    if (tx.pending()) {
      if (!tx.positions.empty())
        conn_->exec(kInsertPositions, Params().add(positions_json(tx.positions)));
      if (!tx.inspections.empty())
        conn_->exec(kNumberInspections, Params().add(strings_json(tx.inspections)));
      if (!tx.changes.empty()) {
        conn_->exec(kInsertChanges, Params().add(changes_json(tx.changes)));
      } else {
        conn_->exec(kNotify, Params());
      }
    }
    conn_->exec("COMMIT");
    committed_rows_ = tx.pending();
    return Pass::ok;
  } catch (const Failure& f) {
    return abort(f.sqlstate);
  }
}

void PgReaders::add(std::unique_ptr<Conn> c) {
  std::lock_guard lk(mu_);
  free_.push_back(std::move(c));
  ++total_;
}

std::unique_ptr<Conn> PgReaders::acquire() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return closed_ || !free_.empty(); });
  if (closed_) return nullptr;
  auto c = std::move(free_.back());
  free_.pop_back();
  return c;
}

void PgReaders::release(std::unique_ptr<Conn> c) {
  if (!c) return;
  // A failed read may leave a transaction open or the connection broken.
  (void)c->healthy();
  {
    std::lock_guard lk(mu_);
    free_.push_back(std::move(c));
  }
  cv_.notify_all();
}

void PgReaders::close() {
  std::unique_lock lk(mu_);
  closed_ = true;
  cv_.notify_all();
  cv_.wait(lk, [&] { return free_.size() == total_; });
  free_.clear();
  total_ = 0;
}

}  // namespace patrol::store::pg
