// SyncEngine: moves the outbox to the server and reference data back.
//
// One cycle = push every queued op in batches (urgent lane first), upload
// pending photos in resumable chunks, pull reference data from the cursor
// (skipped when the thread woke only because new work was enqueued: a phone
// appending positions every few seconds should not pull each time).
// Ops leave the outbox only in the transaction that records the server's
// verdict, so a crash at any point at worst re-sends ops the server already
// has; it answers "duplicate" and the op is then removed.
//
// The engine may run its own thread (start()): it sleeps until nudged, until
// the next retry (exponential backoff with jitter after a failure) or until
// the periodic refresh, and never sends while the device is offline or the
// session needs a new login. sync()/pull()/login() may also be called from
// any thread; cycles and exchanges are serialised by an internal mutex.
//
// Thread safety: all public members are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "backoff.hpp"
#include "device_db.hpp"
#include "patrol/client.hpp"
#include "patrol/transport.hpp"

namespace patrol::sdk {

// Settings keys shared by the engine and the client.
namespace keys {
inline constexpr std::string_view kDeviceId = "device_id";
inline constexpr std::string_view kOnline = "online";  // "1" | "0"; absent = online
inline constexpr std::string_view kToken = "token";
inline constexpr std::string_view kTokenExpiresAt = "token_expires_at";
inline constexpr std::string_view kUserId = "user_id";
inline constexpr std::string_view kUserName = "user_name";
inline constexpr std::string_view kUserRole = "user_role";
inline constexpr std::string_view kUserOrgUnit = "user_org_unit_id";
inline constexpr std::string_view kLoginRequired = "login_required";  // "1" when set
inline constexpr std::string_view kLastSyncAt = "last_sync_at";
inline constexpr std::string_view kClockOffsetMs = "clock_offset_ms";
inline constexpr std::string_view kLastError = "last_error";
}  // namespace keys

struct EngineConfig {
  std::string device_id;
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(60)};
  std::chrono::milliseconds refresh_interval{std::chrono::minutes(5)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  std::size_t batch_max_ops = 500;
  std::size_t batch_max_bytes = 1024 * 1024;
  std::size_t photo_chunk_bytes = 256 * 1024;
  std::uint64_t jitter_seed = 0;
};

struct SessionInfo {
  std::string token;
  std::string expires_at;
  std::string user_id, user_name, role, org_unit_id;
};

class SyncEngine {
 public:
  using EmitFn = std::function<void(const Event&)>;
  SyncEngine(EngineConfig cfg, DeviceDb db, std::unique_ptr<Transport> transport, EmitFn emit);
  ~SyncEngine();  // stop()
  SyncEngine(const SyncEngine&) = delete;
  SyncEngine& operator=(const SyncEngine&) = delete;

  void start();
  // Cancels the exchange in progress and joins the thread. Idempotent.
  void stop();
  // New work: wakes the thread (to push; no pull) unless it is backing off
  // after a failure. urgent (an SOS, a report while online): wakes it even
  // during backoff, and resets the backoff.
  void notify_work(bool urgent = false);
  // Sync now, whatever the backoff (sync_now, set_online(true), login).
  void wake_now();

  Result<SyncSummary> sync(const std::function<void(const SyncProgress&)>& progress);
  Result<std::int64_t> pull();
  Result<SessionInfo> login(const std::string& phone, const std::string& password);
  // Tells the server the token is no longer used (best effort).
  void logout_remote(const std::string& token);
  // Ops sent whose answer is not applied yet (this engine's; any thread).
  std::int64_t in_flight() const noexcept { return in_flight_.load(); }

 private:
  void run();
  // How long to wait before retrying after the failure `e` (the backoff, cut
  // short while an SOS waits); nullopt = no automatic retry (offline, login
  // needed, or a non-retryable failure: the app's next action retries).
  std::optional<std::chrono::milliseconds> retry_after(const Error& e);
  // Sets a push batch's op aside as a dead letter, with the failure as its reason.
  Status isolate(const OutboxOp& op, const Error& why, std::string code, SyncSummary& sum);
  std::optional<std::int64_t> stored_clock_offset();
  Result<SyncSummary> run_sync(const std::function<void(const SyncProgress&)>& progress,
                               bool with_pull);
  Result<SyncSummary> cycle(const std::function<void(const SyncProgress&)>& progress,
                            bool with_pull);
  Status push_all(const std::string& token, SyncSummary& sum,
                  const std::function<void(const SyncProgress&)>& progress);
  struct PendingAnswer;
  struct PushState;
  struct Flight;
  // Up to `window` push batches in flight at once (a transport that allows
  // concurrent sends). True: the outbox is empty. False: an answer other than
  // a readable 200 came back; every flight is landed and the serial loop of
  // push_all takes over (it sends that batch again). Errors: stopped, offline,
  // storage.
  Result<bool> push_concurrent(const std::string& token, SyncSummary& sum, PushState& ps,
                               const std::function<void(const SyncProgress&)>& progress,
                               std::size_t window);
  HttpRequest push_request(const std::vector<OutboxOp>& batch, const PushState& ps);
  // A push's 200 answer as verdicts for `batch` (ops the server did not name
  // stay queued); re-estimates the clock offset into `ps`. Fails (protocol)
  // on a body that is not a push answer or names none of the batch's ops.
  Result<PendingAnswer> read_push_answer(const HttpResponse& r, const std::vector<OutboxOp>& batch,
                                         std::vector<std::int64_t> seqs,
                                         std::chrono::system_clock::time_point t0,
                                         std::chrono::system_clock::time_point t1, PushState& ps);
  // Applies a push answer to the outbox and reports it (events, progress).
  // With `meanwhile`, the database work runs on a helper thread while
  // `meanwhile` runs on this one (it must not touch db_). On failure the
  // batch's in-flight marks are cleared.
  Status apply_answer(PendingAnswer&& a, SyncSummary& sum, SyncProgress& prog,
                      const std::function<void(const SyncProgress&)>& progress,
                      const std::function<void()>& meanwhile);
  Status upload_photos(const std::string& token, SyncSummary& sum);
  Status upload_photo(const std::string& token, const PhotoRow& p);
  Result<std::int64_t> pull_all(const std::string& token);
  // Sends with auth; maps 401 to not_logged_in (and records login_required).
  Result<HttpResponse> exchange(HttpRequest req, const std::string& token);
  // Sends with auth; no database access (may run beside a helper that has db_).
  Result<HttpResponse> send_with_auth(HttpRequest& req, const std::string& token);
  Error http_error(const HttpResponse& r, std::string_view what);
  Error session_expired();
  bool is_online();

  EngineConfig cfg_;
  EmitFn emit_;
  std::mutex cycle_mu_;  // serialises cycles and every use of db_ and transport_
  DeviceDb db_;
  std::unique_ptr<Transport> transport_;
  bool in_flight_reset_ = false;
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<bool> sos_pending_{false};  // an SOS waited in the outbox when the last cycle failed

  std::mutex state_mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = false;
  bool full_ = false;  // the wake-up asks for a pull too (not just new work)
  Backoff backoff_;
  std::thread thread_;
};

}  // namespace patrol::sdk
