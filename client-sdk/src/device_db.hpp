// DeviceDb: the SDK's on-device SQLite database (one file, `device.db`, in the
// data dir). It holds the outbox (two lanes), in-flight marks, dead letters,
// per-report receipts, cached reference data with its pull cursor, the photo
// store index and small settings (session, online flag, clock offset, …).
//
// A report's receipt ("saved on phone") lives in its outbox row until the
// server answers, then in `receipts` ("received" / "rejected"): a durable
// enqueue inserts one row into one b-tree (device schema 6).
//
// Durability: WAL with synchronous=FULL, and every write is one transaction,
// so a call that returned success survives kill -9 or power loss, and a call
// interrupted at any instant leaves either everything or nothing behind.
// Migrations are numbered (PRAGMA user_version) and run by open().
//
// Thread safety: one DeviceDb is one SQLite connection and belongs to one
// thread at a time. Several DeviceDb objects (threads or processes) may open
// the same file; SQLite's locking serialises their writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "patrol/result.hpp"
#include "sqlite/database.hpp"

namespace patrol::sdk {

enum class Lane : int { urgent = 0, backlog = 1 };

// An op to put in the outbox. `op_json` is the complete wire op
// ({"op_id","type","device_time","body"}), stored verbatim and sent as is.
struct NewOp {
  std::string op_id;
  std::string type;
  Lane lane = Lane::backlog;
  std::string op_json;
  // For reports the app tracks (inspections, SOS, round and hazard ops):
  // the op carries a receipt, "saved" while it waits in the outbox.
  std::optional<std::string> report_id;
  std::string receipt_kind;  // "inspection" | "sos"
  std::string site_id;       // shown with the receipt; may be empty
};

struct OutboxOp {
  std::int64_t seq = 0;  // local sequence, assigned in the enqueue transaction
  std::string op_id;
  std::string type;
  Lane lane = Lane::backlog;
  std::string op_json;
  bool in_flight = false;
  std::int64_t attempts = 0;
};

enum class ReceiptState : int { saved = 0, received = 1, rejected = 2 };

struct ReceiptRow {
  std::string report_id;
  std::string op_id;
  std::string kind;
  std::string site_id;
  std::int64_t seq = 0;
  ReceiptState state = ReceiptState::saved;
  std::string saved_at;     // device time, RFC 3339
  std::string received_at;  // server time the server first applied it ("" until then)
  std::string reason;       // rejection message
};

struct DeadLetterRow {
  std::int64_t seq = 0;
  std::string op_id;
  std::string type;
  std::string op_json;
  std::string code;
  std::string field;
  std::string message;
  std::string rejected_at;  // device time
};

// The server's verdict on one op (from a push response).
struct OpVerdict {
  std::string op_id;
  enum class Kind { done, rejected } kind = Kind::done;  // done = applied or duplicate
  std::string received_at;                               // server time, may be ""
  std::string code, field, message;                      // when rejected
  // The op's local seq when known (the engine's batch has it): found by its
  // rowid then; 0 = found by op id (a scan of the outbox).
  std::int64_t seq = 0;
};

struct ApplyOutcome {
  std::int64_t done = 0;
  std::int64_t rejected = 0;
  std::int64_t unknown = 0;  // verdicts for ops no longer in the outbox
  std::vector<DeadLetterRow> new_dead_letters;
  // Reports (inspections, SOS) the server now has: report id, server time.
  std::vector<std::pair<std::string, std::string>> received_reports;
};

struct Counts {
  std::int64_t pending = 0;  // ops in the outbox, in flight or not
  std::int64_t in_flight = 0;
  std::int64_t dead_letters = 0;
  std::int64_t photos_pending = 0;
};

// One change from sync/pull, as cached.
struct CachedChange {
  std::string entity;
  std::string id;
  bool remove = false;
  std::string data_json;  // when !remove
  std::int64_t seq = 0;
};

struct PhotoRow {
  std::string sha256;
  std::string path;
  std::int64_t size = 0;
  bool uploaded = false;
};

class DeviceDb {
 public:
  // full: every commit is on stable storage when it returns (synchronous=FULL)
  //   — the app's writes: an enqueue that returned survives power loss.
  // relaxed: commits are atomic and survive a crash of the process, and reach
  //   the disk with the next full commit or checkpoint (WAL, synchronous=NORMAL)
  //   — for the sync engine, whose writes (acks, in-flight marks, pulled data,
  //   cursor) can all be lost without harm: the ops are then sent again and the
  //   server, which deduplicates by op id, answers with their first outcome;
  //   the pull resumes from the older cursor. Saves fsyncs on every batch.
  enum class Durability { full, relaxed };

  // Opens or creates `path`, sets WAL and the durability, runs migrations.
  // Fails with code storage when the file cannot be opened or is from a newer SDK.
  static Result<DeviceDb> open(const std::string& path, Durability d = Durability::full);

  DeviceDb(DeviceDb&&) noexcept = default;
  DeviceDb& operator=(DeviceDb&&) noexcept = default;
  // Closes the connection, keeping the WAL file for the next session.
  ~DeviceDb();

  static constexpr int kSchemaVersion = 6;
  // The numbered migrations (entry i brings user_version from i to i+1): for
  // tests that build an older device database the way that SDK did.
  static std::span<const std::string_view> migrations();
  // Answered receipts kept (newest first); older ones are dropped as answers come in.
  static constexpr std::int64_t kKeptReceipts = 1000;

  // Moves committed WAL frames into the database file (best effort, never
  // blocks on other connections). The engine calls it after each sync so the
  // app's enqueues rarely run into an automatic checkpoint.
  void checkpoint() noexcept;

  // ---- outbox ----
  // Appends ops in ONE transaction (all or nothing) and returns their local
  // sequence numbers. With demote_urgent_positions, urgent position ops already
  // waiting move to the backlog first (only the newest position stays urgent).
  // `saved_at`, if given, receives the device time the rows (and receipts)
  // were stamped with; if it holds a time already, that one is used (the
  // caller's "now", formatted once per report).
  Result<std::vector<std::int64_t>> enqueue(const std::vector<NewOp>& ops,
                                            bool demote_urgent_positions = false,
                                            std::string* saved_at = nullptr);
  // The next ops to send: urgent lane first, then backlog, each by sequence;
  // at most max_ops and (beyond the first op) at most max_bytes of op JSON.
  // Ops whose seq is in `skip` (sorted: a batch whose answer is still being
  // applied) are passed over.
  Result<std::vector<OutboxOp>> next_batch(std::size_t max_ops, std::size_t max_bytes,
                                           const std::vector<std::int64_t>& skip = {});
  // Marks ops in flight (and counts an attempt) / clears marks.
  Status mark_in_flight(const std::vector<std::int64_t>& seqs);
  Status clear_in_flight(const std::vector<std::int64_t>& seqs);
  Status clear_all_in_flight();
  // Counts one more failed request made of this op alone; returns the count.
  Result<std::int64_t> record_failure(std::int64_t seq);
  // Applies a push response in one transaction: done ops leave the outbox and
  // their receipts become "received"; rejected ops move to the dead letters
  // with the server's reason. Ops without a verdict stay queued.
  // In the same transaction (one fsync per answer): clears the in-flight mark
  // of `sent` (ops of the batch left without a verdict stay queued), writes
  // `settings` (e.g. the new clock offset) and drops answered receipts beyond
  // the newest kKeptReceipts.
  Result<ApplyOutcome> apply_verdicts(
      const std::vector<OpVerdict>& verdicts, const std::string& server_time,
      const std::vector<std::int64_t>& sent = {},
      const std::vector<std::pair<std::string, std::string>>& settings = {});
  Result<Counts> counts();
  // Whether an op of this type waits in the outbox (false when unknown).
  bool has_pending(std::string_view type);
  Result<std::vector<OutboxOp>> outbox(std::size_t limit);  // in send order

  // ---- dead letters, receipts ----
  Result<std::vector<DeadLetterRow>> dead_letters();
  // Puts a dead letter back at the end of its lane (same op id, so the server
  // still deduplicates it) and its receipt back to "saved", in one
  // transaction. false when there is no dead letter with that op id.
  Result<bool> retry_dead_letter(const std::string& op_id);
  // Forgets a dead letter (its receipt keeps saying "rejected"). false when absent.
  Result<bool> dismiss_dead_letter(const std::string& op_id);
  // One receipt, by report id (a scan) or by its op's local seq (the key).
  // A report waiting for the server has its receipt in its outbox row, an
  // answered one in `receipts` (migration 6); both answer the same here, and
  // one lookup reads one snapshot, so a report is found exactly once while
  // the engine's answer moves it. Empty when unknown.
  using ReceiptKey = std::variant<std::string_view, std::int64_t>;
  Result<std::optional<ReceiptRow>> receipt(ReceiptKey key);
  Result<std::vector<ReceiptRow>> receipts(std::size_t limit);  // newest first (by seq)

  // ---- settings ----
  Result<std::optional<std::string>> get(std::string_view key);
  Status set(std::string_view key, std::string_view value);
  Status erase(std::string_view key);
  // Sets several keys in one transaction (e.g. a whole session).
  Status set_many(const std::vector<std::pair<std::string, std::string>>& kv,
                  const std::vector<std::string>& erase_keys = {});

  // ---- reference data ----
  // Applies one pull page and the new cursor in one transaction.
  Status apply_changes(const std::vector<CachedChange>& changes, std::int64_t new_cursor);
  Result<std::int64_t> cursor();
  Result<std::vector<std::string>> entities(std::string_view entity);  // data JSON, by id
  Result<std::optional<std::string>> entity(std::string_view entity, std::string_view id);
  // The newest cached version of checklist template `id` (pull keys them "id@version").
  Result<std::optional<std::int64_t>> newest_template_version(std::string_view id);
  // Forgets all cached reference data and the cursor (e.g. another user logs in).
  Status clear_reference_data();
  // Changes whenever what this connection reads may have changed since the
  // last call: a commit by another connection (PRAGMA data_version, no I/O)
  // or a settings or reference-data write through this one (an enqueue does
  // not count). Lets the caller keep what it derived from those tables (the
  // site's template, the online flag) across enqueues. Thread safety: as the
  // connection (one thread at a time).
  Result<std::pair<std::int64_t, std::uint64_t>> change_epoch();

  // ---- photos ----
  Status add_photo(const PhotoRow& p);
  Result<std::vector<PhotoRow>> pending_photos();
  Status mark_photo_uploaded(const std::string& sha256);
  // Whether the server already has this photo (false when unknown).
  Result<bool> photo_uploaded(const std::string& sha256);

  sqlite::Database& raw() { return db_; }

 private:
  explicit DeviceDb(sqlite::Database db) : db_(std::move(db)) {}
  Status migrate();
  // The seq for the next op (inside the caller's write transaction).
  Result<std::int64_t> next_seq();
  // Calls take(OutboxOp&&) for up to `limit` ops in send order until it returns false.
  template <class Take>
  Status in_send_order(std::size_t limit, Take&& take);
  sqlite::Database db_;
  std::uint64_t local_epoch_ = 0;  // bumped by this connection's settings/reference writes
};

// Error helpers shared by the SDK's sources.
Error storage_error(const boost::system::error_code& ec, std::string_view what);

}  // namespace patrol::sdk
