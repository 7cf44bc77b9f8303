// patrol::store::Store — durable storage for patrold, shaped by use cases
// (log in, push a batch of ops, pull changes, list what the dashboard shows),
// not by tables, so that another implementation (PostgreSQL) can serve the
// same API. SqliteStore (sqlite_store.hpp) is the first implementation.
//
// Errors: every function returns result<T>; failures are in store_category():
//   not_found    the entity does not exist (callers map this to 404 / rejection),
//   conflict     the write contradicts stored data,
//   unavailable  disk full / I/O error / busy — nothing was written, retry later (503),
//   shutting_down after shutdown().
// No function throws.
//
// Durability: a write function returns only after the transaction holding it
// has COMMITted with synchronous=FULL; a success is never lost by a crash.
//
// Thread safety: every function may be called from any thread concurrently.
// Calls block (reads on a pooled connection, writes until their group commit).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "patrol/wire/field_error.hpp"
#include "patrol/wire/messages.hpp"
#include "store/entities.hpp"
#include "store/errors.hpp"

namespace patrol::store {

template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next;  // pass as `after` for the following page
};

// ---------- auth ----------

struct Credentials {
  User user;
  std::string password_hash;  // "scrypt$N$r$p$salt$hash"
};

struct NewSession {
  std::string token_hash;  // hex SHA-256 of the bearer token
  std::string user_id;
  std::string device_id;
  Ms created_at = 0;
  Ms expires_at = 0;
};

struct SessionInfo {
  User user;
  std::string device_id;
  Ms expires_at = 0;
};

// ---------- sync/push ----------

// A hazard item of an inspection, with what the template says about it.
struct HazardItem {
  std::string code;
  std::string severity;
  bool photo_required = false;
  std::vector<std::string> photos;
  std::string note;
};

struct InspectionWrite {
  Inspection inspection;            // received_ms is set by the store
  std::vector<HazardItem> hazards;  // items with result "hazard"
  // inspection.items as the JSON array [{code,result,note?,photos?},…] that the
  // store keeps as the inspection's items column; built by the caller (off the
  // writer thread) with items_json(), or by the store when empty.
  std::string items_json;
};

struct PositionsWrite {
  std::string user_id;
  std::string device_id;
  std::int64_t org_unit_id = 0;
  std::string org_path;
  std::vector<TrackPoint> points;
};

struct SosWrite {
  SosAlert alert;  // received_at is set by the store
};

// One op of a push after domain validation: either what to write, or why it
// is rejected (the rejection is recorded too, so a re-push returns it again).
struct PreparedOp {
  std::string op_id;
  std::string user_id;
  std::string device_id;
  std::string type;
  std::variant<wire::FieldError, InspectionWrite, PositionsWrite, SosWrite> action;
};

struct OpOutcome {
  std::string op_id;
  wire::OpStatus status = wire::OpStatus::applied;
  std::optional<wire::FieldError> error;  // when rejected (now or the first time)
  Ms received_at = 0;                     // when the op was first seen
};

// ---------- sync/pull ----------

struct ChangeEntry {
  std::int64_t seq = 0;
  std::string entity;
  std::string op;  // upsert | delete
  std::string id;
  std::string data;  // JSON text ("null" for delete)
};

struct ChangePage {
  std::vector<ChangeEntry> changes;
  std::int64_t cursor = 0;  // pass back as the next cursor
  bool has_more = false;
};

// ---------- reads ----------

struct SiteFilter {
  std::string scope_path;  // only sites at or below this org path
  std::optional<std::string> category;
  std::optional<std::string> after;  // site id
  int limit = 100;
};

struct InspectionFilter {
  std::string scope_path;
  std::optional<std::string> site_id;
  std::optional<std::string> user_id;
  std::optional<Ms> since;            // observed time, inclusive
  std::optional<Ms> until;            // observed time, exclusive
  std::optional<std::int64_t> after;  // seq of the last item of the previous page (newest first)
  int limit = 100;
};

struct HazardFilter {
  std::string scope_path;
  std::optional<std::string> state;
  std::optional<std::string> site_id;
  std::optional<std::string> after;  // hazard id
  int limit = 100;
};

struct TrackFilter {
  std::string user_id;
  std::optional<Ms> from;
  std::optional<Ms> to;
  // The last point of the previous page (points are ordered by time, then arrival).
  std::optional<std::pair<Ms, std::int64_t>> after;  // {t, seq}
  int limit = 100;
};

struct AlertFilter {
  std::string scope_path;
  std::optional<std::string> user_id;  // only this user's alerts (volunteers)
  std::optional<std::int64_t> after;   // seq
  int limit = 100;
};

// ---------- demo seed ----------

struct SeedUser {
  User user;
  std::string password_hash;
};

struct SeedData {
  std::vector<OrgUnit> org_units;  // parents before children
  std::vector<SeedUser> users;
  std::vector<ChecklistTemplate> templates;
  std::vector<Site> sites;
  std::vector<Team> teams;
  std::vector<Schedule> schedules;
  std::vector<Round> rounds;
};

// Result of storing a complete attachment.
struct AttachmentLinked {
  std::vector<std::string> hazard_ids;  // hazards whose photo_missing was cleared
};

class Store {
 public:
  virtual ~Store() = default;

  // ---- lifecycle ----
  // True when no org unit exists yet (a fresh database, eligible for the demo seed).
  [[nodiscard]] virtual result<bool> is_empty() = 0;
  // Inserts all of `seed` in one transaction, with change-log entries.
  [[nodiscard]] virtual result<void> seed(const SeedData& seed) = 0;
  // Cheap round trip through a read connection (health check).
  [[nodiscard]] virtual result<void> ping() = 0;
  // Stops accepting writes, commits what is queued, checkpoints, closes. Idempotent.
  virtual void shutdown() = 0;

  // ---- auth ----
  [[nodiscard]] virtual result<Credentials> credentials_by_phone(std::string_view phone) = 0;
  [[nodiscard]] virtual result<User> user(std::string_view id) = 0;
  [[nodiscard]] virtual result<void> create_session(const NewSession& s) = 0;
  // not_found when unknown or expired at `now`.
  [[nodiscard]] virtual result<SessionInfo> session(std::string_view token_hash, Ms now) = 0;
  [[nodiscard]] virtual result<void> delete_session(std::string_view token_hash) = 0;

  // ---- reference data ----
  [[nodiscard]] virtual result<OrgUnit> org_unit(std::int64_t id) = 0;
  [[nodiscard]] virtual result<Site> site(std::string_view id) = 0;
  [[nodiscard]] virtual result<Page<Site>> sites(const SiteFilter& f) = 0;
  [[nodiscard]] virtual result<ChecklistTemplate> checklist_template(std::string_view id,
                                                                     std::int64_t version) = 0;
  [[nodiscard]] virtual result<Round> round(std::string_view id) = 0;

  // ---- sync ----
  // Applies a push's ops in one group commit, in order. For each op: if its
  // op_id was seen before, the first outcome is returned (status duplicate when
  // it was applied; rejected with the first error when it was rejected) and
  // nothing is written; otherwise the action is written (or the rejection
  // recorded) together with the op record and change-log entries. An op whose
  // write conflicts (e.g. an inspection id reused) is rejected alone.
  // Whole-call failure (unavailable) means nothing of this call was committed.
  [[nodiscard]] virtual result<std::vector<OpOutcome>> apply_ops(std::vector<PreparedOp> ops) = 0;
  // Changes visible to a caller at `scope_path` after `cursor`, oldest first:
  // everything at or below the path, plus org units and templates above it.
  // page.cursor < cursor means the cursor is beyond the log's end.
  [[nodiscard]] virtual result<ChangePage> changes(std::string_view scope_path, std::int64_t cursor,
                                                   int limit) = 0;

  // ---- dashboard reads (all limited to the filter's scope) ----
  [[nodiscard]] virtual result<Page<Inspection>> inspections(const InspectionFilter& f) = 0;
  [[nodiscard]] virtual result<Page<Hazard>> hazards(const HazardFilter& f) = 0;
  // Newest-first inspections; hazards and latest positions by id.
  [[nodiscard]] virtual result<Page<LatestPosition>> latest_positions(
      std::string_view scope_path, std::optional<std::string> after_user, int limit) = 0;
  [[nodiscard]] virtual result<Page<TrackPoint>> track(const TrackFilter& f) = 0;
  [[nodiscard]] virtual result<Page<SosAlert>> alerts(const AlertFilter& f) = 0;

  // ---- attachments ----
  // Records a complete, verified attachment and links it: hazards whose
  // inspection named this photo get photo_missing cleared (with change-log entries).
  [[nodiscard]] virtual result<AttachmentLinked> attachment_stored(std::string_view sha256,
                                                                   std::int64_t size) = 0;
};

}  // namespace patrol::store
