// The HTTP API of patrold as one object the net layer calls: every route under
// /api/v1 plus /healthz, /metrics and the dashboard's static files.
//
// Thread safety: handle(), handle_async() and authenticate() are thread-safe
// and BLOCKING (they wait for SQLite reads, the password KDF; handle() also
// for the writer's group commit). Call them only from the blocking worker
// pool, never from an I/O thread. try_handle_inline() is the exception: it
// never blocks and is meant for the I/O thread.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"
#include "api/observer.hpp"
#include "domain/principal.hpp"
#include "patrol/wire/messages.hpp"

namespace patrol::metrics {
class Metrics;
}
namespace patrol::store {
class Store;
class LiveStore;
}  // namespace patrol::store

namespace patrol::api {

struct ApiConfig {
  std::filesystem::path data_dir;  // holds patrol.db (+ -wal), attachments/, certs
  std::filesystem::path web_root;  // dashboard static files served at "/"
  bool demo = false;               // seed the demo org on an empty database
  // Empty: SQLite in data_dir (the default, the demo). A postgresql:// URL:
  // PostgreSQL (store::PgStore), shared by several patrold nodes.
  std::string database;
  std::chrono::seconds token_ttl{std::chrono::hours(24 * 30)};
  std::size_t read_connections = 4;  // pooled read connections (SQLite or PostgreSQL)
  // Ops per sync/push request beyond which the push is 413 too_many_ops. The
  // wire contract's own bound (push_request.schema.json maxItems) is the
  // ceiling: the flag may lower it, never raise it (one limit, one place).
  std::size_t max_batch_ops = wire::kMaxOpsPerPush;
  // Track points in all position.append ops of one push, beyond which the
  // push is 413 too_many_points (the SDK halves its batch on 413). At least
  // wire::kMaxPointsPerAppend, so one full op always fits. 5000 points are
  // ~0.5 MB of JSON and a few ms of the single writer: a phone sending one
  // point a second that was offline for over an hour still syncs in a few
  // pushes, while one push can no longer hold the writer for everyone.
  std::size_t max_push_points = 5000;
  // Login throttling: failed logins per phone per minute before 429.
  int max_failed_logins_per_minute = 10;
  // Logins (and other callers of the password KDF) in the KDF path at once,
  // running or waiting for one of the 2 KDF slots; beyond that a login is
  // answered 429 with Retry-After at once instead of holding a worker thread,
  // so a login flood never stalls the other requests.
  int max_pending_logins = 8;
  // scrypt cost (N = 2^scrypt_log2_n) for password hashes the server creates
  // (the demo seed). Verification always uses the cost stored in the hash.
  // Keep the default in production; tests lower it to stay fast under ASan.
  int scrypt_log2_n = 15;
  // Requests per second per authenticated user (all their devices and tabs
  // together), then 429 rate_limited + Retry-After. A phone pushes every few
  // seconds and a dashboard opens with ~10 requests then follows the live
  // feed: 10/s with a burst of 100 is ~30x what either needs, and stops one
  // stolen or buggy token from taking the server's capacity. 0 = off.
  double user_rate_per_s = 10;
  double user_burst = 100;
  // Partial photo uploads: bytes one user may hold in unfinished uploads
  // (four full-size photos in flight), and how long an upload nobody touches
  // is kept before the background sweep removes it (a phone offline for a
  // night resumes the next evening; one gone longer starts the photo again).
  std::int64_t upload_quota_bytes = std::int64_t{128} << 20;
  std::chrono::seconds partial_upload_ttl{std::chrono::hours(48)};
  // The dashboard's base map (GET /config.json): an XYZ tile URL template and
  // the datum its tiles are drawn in ("wgs84" or "gcj02"). Empty URL: no base map.
  std::string tile_url;
  std::string tile_crs = "wgs84";
  std::string tile_attribution;
  // A round not started this long after its planned start turns missed
  // (--round-grace); rounds are planned this far ahead (--round-horizon).
  std::chrono::milliseconds round_grace{std::chrono::minutes(30)};
  std::chrono::milliseconds round_horizon{std::chrono::hours(24 * 14)};
  // Track points (positions) older than this are deleted by the timers'
  // retention pass (--track-retention, PIPL); inspections, hazards and
  // alerts are kept.
  std::chrono::milliseconds track_retention{std::chrono::hours(24 * 90)};
  // Run the timers' thread (missed rounds, hazard deadlines, planning); unit
  // tests drive Timers::run_once themselves instead.
  bool timers = true;
};

// The outcome of checking a bearer token.
struct AuthResult {
  // forbidden: a valid session whose user has a role outside the role table
  // (domain/roles.hpp): answered 403, never served.
  enum class Status { ok, invalid, unavailable, forbidden };
  Status status = Status::invalid;
  domain::Principal who;  // filled when status == ok
  bool ok() const { return status == Status::ok; }
};

// A connection's memory of the last bearer token it was checked with, so
// the phones' hot routes (sync/push, sync/pull) skip the session lookup
// (token hash + a read) on every request of a keep-alive connection. A hit
// needs the same Authorization header, at most kAuthCacheFor old, the
// session not expired, and no request since that could end a session or
// change a user (logout, users PUT/DELETE/erase, on this node: the API's
// revocation counter). Another node's logout (PostgreSQL) takes effect here
// within kAuthCacheFor. Only successful checks are kept. Not thread-safe:
// one per connection, used by one request at a time.
struct AuthCache {
  static constexpr std::chrono::milliseconds kAuthCacheFor{1000};
  std::string header;
  AuthResult result;
  std::chrono::steady_clock::time_point checked_at{};
  std::uint64_t generation = 0;  // the revocation counter read before the check
  bool valid = false;
};

// An answer produced later (handle_async): makes the Response. Run it on the
// thread that sends the response; it runs once and never throws.
using Answer = std::function<Response()>;
// Receives the Answer, once, from any thread; must not block.
using Reply = std::function<void(Answer)>;

// One row of the route table Api::handle serves (api.cpp): the method, the
// pattern as matched ("/api/v1/sites/{id}") and whether a bearer token is
// required. The authorisation matrix test enumerates these, so a route added
// without a row in its expected table fails the test.
struct RouteInfo {
  std::string method;
  std::string pattern;
  bool needs_auth = true;
};
// The whole table, in the order it is matched. Thread-safe (builds a copy).
std::vector<RouteInfo> route_table();

class Api {
 public:
  // Opens (creating if needed) the database in data_dir, runs migrations,
  // seeds the demo when asked and the database is empty, starts the writer.
  // Fails with a descriptive error (e.g. unwritable directory, newer schema).
  [[nodiscard]] static boost::system::result<std::unique_ptr<Api>> open(const ApiConfig& cfg,
                                                                        metrics::Metrics& metrics);
  virtual ~Api() = default;

  // Answers one request. Never throws: every failure becomes a JSON error
  // response {"error":{"code","field","message"}} with a fitting status.
  virtual Response handle(const Request& req) = 0;

  // handle() without waiting for the writer: `reply` gets the answer exactly
  // once. Most routes reply before handle_async returns (on this thread).
  // sync/push queues its validated ops on the store's writer and returns;
  // the writer replies after the commit holding them is on disk (errors,
  // rate limits, audit rows and observer calls as with handle()), so no
  // thread waits on the commit. The caller runs the Answer on its own thread
  // (it builds the push's results there, off the writer). Never throws.
  virtual void handle_async(const Request& req, Reply reply) = 0;

  // handle_async for what can be served on the calling I/O thread without
  // a blocking store read or wait: today a sync/push whose token check is in
  // the connection's AuthCache and whose ops validate from the store's site
  // and template caches (handlers::push_async_nonblocking). Returns false,
  // having done nothing (reply untouched), for every other request: run
  // handle_async on the worker pool then. When true, `reply` gets the answer
  // exactly once as with handle_async. NON-BLOCKING; never throws.
  virtual bool try_handle_inline(const Request& req, const Reply& reply) {
    (void)req;
    (void)reply;
    return false;
  }

  // Resolves "Bearer <token>" or a bare token to the caller (used by the
  // WebSocket upgrade). status invalid: unknown, expired or logged out (401).
  // status unavailable: the store could not answer (I/O error, busy, shutting
  // down): the token may well be valid, so the caller must answer 503 +
  // Retry-After and never 401 — a 401 makes every phone drop its login.
  virtual AuthResult authenticate(std::string_view token) = 0;

  // Stops accepting writes, drains the writer queue (committing what is
  // queued), checkpoints the WAL and closes the database. Idempotent.
  virtual void shutdown() = 0;

  // The storage, for components beside the API that read it (the live feed).
  // Valid until the Api is destroyed.
  virtual store::Store& store() = 0;
  virtual store::LiveStore& live_store() = 0;
  // Installs (or, with nullptr, removes) the observer told about commits,
  // logouts and device activity. The observer must outlive the Api's
  // shutdown() or be removed before it is destroyed.
  virtual void set_observer(ApiObserver* observer) = 0;
};

}  // namespace patrol::api
