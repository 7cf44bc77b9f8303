// patrol::Client — the offline-first SDK a phone app embeds.
//
// Everything the volunteer does is written to the on-device database first
// (one SQLite transaction, WAL, synchronous=FULL) and returns; a sync engine
// on its own thread sends the outbox to the server when the device is online,
// in batches, urgent lane (SOS, latest position) first, then the backlog
// oldest first, and pulls reference data so a round can be walked offline.
// An op leaves the outbox only after the server answered for it: applied or
// duplicate -> gone, with a receipt "received by server"; rejected -> moved to
// the dead-letter list with the server's reason. Never silently dropped.
//
// Errors: no function throws; fallible calls return Result<T>/Status whose
// Error carries a code, a message and a retryable flag.
//
// Thread safety: every member function may be called from any thread,
// concurrently. Event callbacks run on the engine's thread (or on the thread
// calling sync()); they must not call close() or sync() on the same Client.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "patrol/result.hpp"
#include "patrol/transport.hpp"

namespace patrol {

struct GeoPoint {
  double lat = 0;  // WGS84 unless crs says "gcj02"
  double lon = 0;
  std::optional<double> accuracy_m;
  std::string crs = "wgs84";  // "wgs84" | "gcj02"
};

enum class ItemResult : std::int32_t { ok = 0, hazard = 1, not_applicable = 2 };

struct InspectionItem {
  std::string code;  // template item code
  ItemResult result = ItemResult::ok;
  std::string note;
  std::vector<std::string> photos;  // sha256 hex as returned by attach_photo
};

struct InspectionDraft {
  std::string site_id;
  // Defaults to the site's template and its cached version (needs a pull first).
  std::optional<std::string> template_id;
  std::optional<std::int64_t> template_version;
  std::optional<std::string> round_id;
  std::optional<std::chrono::system_clock::time_point> observed_at;  // default: now
  std::optional<GeoPoint> position;
  std::vector<InspectionItem> items;  // at least one
  std::string note;
};

struct TrackPoint {
  std::chrono::system_clock::time_point t;
  double lat = 0;
  double lon = 0;
  std::optional<double> accuracy_m;
};

enum class ReceiptState : std::int32_t {
  saved = 0,     // saved on the phone, not yet confirmed by the server
  received = 1,  // the server has it (received_at = server time)
  rejected = 2,  // the server refused it: see dead letters / reason
};

// Per report (inspection or SOS): what the volunteer sees.
struct Receipt {
  std::string report_id;  // the inspection/SOS id
  std::string op_id;
  std::string kind;  // "inspection" | "sos" | "round" | "hazard"
  std::string site_id;
  std::int64_t local_seq = 0;
  ReceiptState state = ReceiptState::saved;
  std::string saved_at;     // device time, RFC 3339
  std::string received_at;  // server time, RFC 3339; empty until received
  std::string reason;       // when rejected
};

struct DeadLetter {
  std::int64_t local_seq = 0;
  std::string op_id;
  std::string type;
  std::string op_json;  // the op as it was sent
  std::string code;     // the server's machine-readable reason
  std::string field;
  std::string message;
  std::string rejected_at;
};

struct QueueStatus {
  std::int64_t pending = 0;    // ops not yet acknowledged (including in flight)
  std::int64_t in_flight = 0;  // ops sent, answer not yet processed
  std::int64_t dead_letters = 0;
  std::int64_t photos_pending = 0;
  bool online = true;
  bool logged_in = false;
  bool login_required = false;                  // the server refused the session: log in again
  std::optional<std::string> last_sync_at;      // RFC 3339 (device clock)
  std::optional<std::int64_t> clock_offset_ms;  // server minus device, estimated
  std::int64_t cursor = 0;
  std::string device_id;
  std::string user_id;
  std::string user_name;
  std::string last_error;  // last sync failure, empty after a success
};

enum class EventType : std::int32_t {
  sync_started = 1,
  sync_finished = 2,
  sync_failed = 3,             // code/message say why; retried with backoff if retryable
  op_rejected = 4,             // op_id, code, message: moved to dead letters
  reference_data_changed = 5,  // count = changes applied
  login_required = 6,          // the session expired or was revoked; the outbox is kept
  photo_uploaded = 7,          // op_id holds the photo's sha256
  report_received = 8,         // op_id = report id; the server confirmed it
};

struct Event {
  EventType type = EventType::sync_started;
  std::string op_id;
  std::string code;
  std::string message;
  std::int64_t count = 0;
  bool retryable = false;
};

struct SyncProgress {
  std::int64_t pushed = 0;  // ops acknowledged so far in this sync
  std::int64_t total = 0;   // ops pending when the sync began (grows if more are enqueued)
};

struct SyncSummary {
  std::int64_t pushed = 0;  // applied + duplicate
  std::int64_t rejected = 0;
  std::int64_t pulled = 0;  // reference changes applied
  std::int64_t photos_uploaded = 0;
};

struct SiteInfo {
  std::string id, org_unit_id, name, category, address, template_id;
  double lat = 0, lon = 0;
  std::string json;  // the cached record as the server sent it
};

struct TemplateItemInfo {
  std::string code, label_zh, label_en, severity;
  bool photo_required = false;
};

struct TemplateInfo {
  std::string id, name;
  std::int64_t version = 1;
  std::vector<TemplateItemInfo> items;
  std::string json;
};

struct RoundInfo {
  std::string id, schedule_id, team_id, status;
  std::string date;  // local date of the round, YYYY-MM-DD, when the server says
  std::string starts_at, ends_at;
  std::vector<std::string> site_ids;  // route order
  std::string json;
};

struct ClientOptions {
  std::string data_dir;    // created if missing; holds device.db and photos/
  std::string server_url;  // "https://host:port"
  bool insecure = false;   // accept a self-signed server certificate (demo only)
  std::vector<std::string> spki_sha256_pins;
  // Plug in the platform's HTTP stack; null = the default Beast/OpenSSL transport.
  std::unique_ptr<Transport> transport;
  // Start the sync engine thread. Off for one-shot tools that call sync().
  bool background_sync = true;
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(60)};
  // While online and idle, pull reference data this often.
  std::chrono::milliseconds refresh_interval{std::chrono::minutes(5)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  std::size_t batch_max_ops = 500;
  std::size_t batch_max_bytes = 1024 * 1024;
  // The default transport's connections: a backlog is pushed with up to this
  // many batches in flight (reports, positions, SOS; round and hazard ops go
  // one batch at a time, in order). 1 = one batch at a time. A custom
  // transport decides through Transport::max_concurrent_sends(). A batch
  // holding an op of the urgent lane (an SOS, the newest position) is sent
  // alone, so the server's arrival order stays the outbox's priority order
  // (SOS, newest position, backlog); the backlog behind it goes two batches
  // at a time. Default 2: a 10k backlog on 2 quiet cores takes 0.27-0.30 s
  // with two, 0.33-0.36 s with one.
  std::size_t push_connections = 2;
  std::size_t photo_chunk_bytes = 256 * 1024;
  std::uint64_t jitter_seed = 0;  // 0 = random
};

class Client {
 public:
  // Opens (creating if needed) the device database in opts.data_dir and, with
  // background_sync, starts the sync engine. Fails with storage (unwritable
  // dir, newer database) or invalid_argument (bad URL).
  static Result<std::unique_ptr<Client>> open(ClientOptions opts);
  // Stops the engine (aborting a request in progress) and closes the database.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ---- session ----
  // Logs in (blocking network call) and stores token and user. Fails with
  // auth_failed (wrong credentials), network/server/protocol. Ops already
  // queued are sent with the new session (a device is one volunteer's); when a
  // different user logs in, the cached reference data is dropped and pulled again.
  Status login(const std::string& phone, const std::string& password);
  // Forgets the session locally (and tells the server, best effort). The
  // outbox is kept and sent after the next login.
  Status logout();

  // ---- writes: durable when they return, no network needed ----
  Result<Receipt> enqueue_inspection(const InspectionDraft& draft);
  // Splits the track into ops of at most 1000 points. The newest point goes to
  // the urgent lane (older urgent positions move to the backlog), the rest to
  // the backlog. Returns the number of ops enqueued.
  Result<std::int64_t> enqueue_positions(const std::vector<TrackPoint>& points,
                                         const std::string& crs = "wgs84");
  Result<Receipt> raise_sos(const std::optional<GeoPoint>& position, const std::string& note);
  // A round op, queued like a report: `action` is "start", "finish" or
  // "checkin" (checkin names the site, optionally where the phone was). The
  // server judges it by when it was made (the op's device_time), so a round
  // walked offline is recorded as walked. Receipt kind "round", report_id the
  // op id. Fails with invalid_argument for another action or an empty id.
  Result<Receipt> enqueue_round_op(const std::string& action, const std::string& round_id,
                                   const std::string& site_id = {},
                                   const std::optional<GeoPoint>& position = std::nullopt);
  // A hazard transition, queued like a report (e.g. "rectified" when the owner
  // fixed it, "verified" or back to "assigned" when checking it on the next
  // round). Photos are SHA-256s from attach_photo(). Receipt kind "hazard".
  Result<Receipt> enqueue_hazard_transition(const std::string& hazard_id, const std::string& to,
                                            const std::string& note = {},
                                            const std::vector<std::string>& photos = {});
  // Copies the file into the SDK's store and returns its SHA-256 (hex), to be
  // named in an InspectionItem's photos. Uploaded after the inspection is sent.
  Result<std::string> attach_photo(const std::string& path);

  // ---- sync control ----
  // Remembered in the device database. true: the engine tries at once
  // (resetting the backoff); false: nothing is sent until set_online(true).
  Status set_online(bool online);
  // Asks the engine to sync now (non-blocking; resets the backoff).
  void sync_now();
  // Runs one full sync in the calling thread: push everything, upload photos,
  // pull. Blocks; serialised with the engine. progress may be empty.
  Result<SyncSummary> sync(const std::function<void(const SyncProgress&)>& progress = {});
  // Pulls reference data only (blocking).
  Result<std::int64_t> pull();

  // ---- queries (device database only, never the network) ----
  Result<QueueStatus> status();
  // Ops the server rejected, or that the SDK set aside because the server
  // kept failing requests containing them (code = the server's error code,
  // e.g. "invalid_format", or "http_500"), oldest first.
  Result<std::vector<DeadLetter>> dead_letters();
  // Puts a dead letter back in the outbox (same op id, end of its lane; its
  // receipt is "saved" again) and wakes the engine. An op the server itself
  // rejected gets the same answer again (the server records outcomes by op
  // id); retry is for ops set aside after failures that have since been
  // fixed. Fails with not_found when no dead letter has that op id.
  Status retry_dead_letter(const std::string& op_id);
  // Forgets a dead letter; its receipt stays "rejected". not_found when absent.
  Status dismiss_dead_letter(const std::string& op_id);
  Result<Receipt> receipt(const std::string& report_id);
  Result<std::vector<Receipt>> receipts(std::size_t limit = 100);
  Result<std::vector<SiteInfo>> sites();
  Result<SiteInfo> site(const std::string& site_id);
  Result<TemplateInfo> template_for_site(const std::string& site_id);
  Result<std::vector<RoundInfo>> rounds();
  // The round for today's local date (planned or in progress), else not_found.
  Result<RoundInfo> tonights_round();
  Result<std::vector<SiteInfo>> round_sites(const std::string& round_id);
  // Raw cached records of one entity kind ("hazard", "team", "org_unit", …), JSON.
  Result<std::vector<std::string>> cached(const std::string& entity);

  // ---- events ----
  // Callback for every event (engine thread). Replaces the previous one.
  void set_event_callback(std::function<void(const Event&)> cb);
  // Events are also queued (the newest 1000) for polling.
  std::optional<Event> poll_event();

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace patrol
