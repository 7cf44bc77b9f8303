// PgStore: the Store on PostgreSQL 15 (libpq), the implementation for
// several stateless patrold nodes over one database (`patrold --database
// postgresql://…`). Same semantics as SqliteStore (the conformance suite runs
// against both); the domain rules (domain/hazard_rules.hpp) are called the
// same way, inside the write transaction.
//
// Concurrency model: per node ONE writer connection drains a queue of write
// jobs in group commits (pg_engine.hpp: one transaction per batch, durable at
// synchronous_commit=on, change-log seqs keyed by the transaction id and read
// only below the oldest running transaction, so pulls are correct with
// writers on several nodes without a lock between them); reads run on a
// pool of connections. Across nodes: a hazard's open row is decided under a
// per-(site, item) advisory lock, so two nodes finding the same hazard at
// once update one row instead of racing to insert two.
//
// Migrations: numbered (pg_schema.cpp), table patrol_schema, applied under an
// advisory lock at open.
//
// Files: pg_store.cpp (open, lifecycle), pg_<use case>.cpp like SQLite's.
//
// Thread safety: all public functions are thread-safe (see store.hpp).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "store/live_store.hpp"
#include "store/store.hpp"
#include "store/tracker_store.hpp"

namespace patrol::store {

struct PgStoreOptions {
  std::string conninfo;              // "postgresql://user@host:port/db" or "host=… dbname=…"
  std::size_t read_connections = 4;  // pooled read connections
  std::size_t max_jobs_per_commit = 512;
  // Called after every group commit of this node that wrote rows the live
  // feed tails (on the writer thread) and, with `listen`, whenever another
  // node announces one (LISTEN patrol_changes, on the listener's thread; also
  // after the listener reconnected). Quick, must not throw.
  std::function<void()> on_commit;
  bool listen = false;
};

// Store, plus the live feed's reads (LiveStore) and tracker identifiers
// (TrackerStore), which SQLite keeps in SqliteLiveStore.
class PgStore final : public Store, public LiveStore, public TrackerStore {
 public:
  // Connects, migrates, opens the pool and starts the writer. unavailable
  // when the server cannot be reached; internal when the schema is newer
  // than this binary. `error_message` (optional) gets libpq's reason.
  [[nodiscard]] static result<std::unique_ptr<PgStore>> open(const PgStoreOptions& opts,
                                                             std::string* error_message = nullptr);
  ~PgStore() override;

  static int schema_version();

  // ---- LifecycleStore (pg_store.cpp, pg_seed.cpp) ----
  result<bool> is_empty() override;
  result<void> seed(const SeedData& seed) override;
  result<void> ping() override;
  void shutdown() override;

  // ---- AuthStore (pg_auth.cpp) ----
  result<Credentials> credentials_by_phone(std::string_view phone) override;
  result<User> user(std::string_view id) override;
  result<void> create_session(const NewSession& s) override;
  result<SessionInfo> session(std::string_view token_hash, Ms now) override;
  result<void> delete_session(std::string_view token_hash) override;

  // ---- ReferenceStore (pg_reference.cpp) ----
  result<OrgUnit> org_unit(std::int64_t id) override;
  result<Site> site(std::string_view id) override;
  SiteCache* site_cache() override;
  result<Page<Site>> sites(const SiteFilter& f) override;
  result<ChecklistTemplate> checklist_template(std::string_view id, std::int64_t version) override;
  result<Round> round(std::string_view id) override;

  // ---- SyncStore (pg_sync_push.cpp, pg_sync_pull.cpp) ----
  void apply_ops_async(std::vector<PreparedOp> ops, OpsDone done) override;
  result<ChangePage> changes(std::string_view scope_path, std::int64_t cursor, int limit) override;

  // ---- DashboardStore (pg_dashboard.cpp) ----
  result<Page<Inspection>> inspections(const InspectionFilter& f) override;
  result<Page<Hazard>> hazards(const HazardFilter& f) override;
  result<Page<LatestPosition>> latest_positions(std::string_view scope_path,
                                                std::optional<std::string> after_user,
                                                int limit) override;
  result<Page<TrackPoint>> track(const TrackFilter& f) override;
  result<Page<SosAlert>> alerts(const AlertFilter& f) override;

  // ---- AttachmentStore (pg_attachments.cpp) ----
  result<AttachmentLinked> attachment_stored(std::string_view sha256, std::int64_t size) override;

  // ---- RoundStore (pg_rounds.cpp) ----
  result<Team> team(std::string_view id) override;
  result<Schedule> schedule(std::string_view id) override;
  result<Page<Schedule>> schedules(const ScheduleFilter& f) override;
  result<std::vector<Schedule>> all_schedules() override;
  result<void> put_schedule(const Schedule& s, const std::vector<Round>& plan, Ms plan_from,
                            Ms plan_to, const std::optional<AuditEntry>& audit) override;
  result<void> delete_schedule(std::string_view id, Ms now,
                               const std::optional<AuditEntry>& audit) override;
  result<std::vector<Round>> add_rounds(const std::vector<Round>& plan) override;
  result<Page<Round>> rounds(const RoundFilter& f) override;
  result<std::vector<Round>> planned_rounds_starting_before(Ms starts_before, int limit) override;
  result<std::optional<Ms>> earliest_planned_start() override;
  result<std::vector<Round>> update_rounds(const std::vector<std::string>& ids,
                                           RoundDecider decide) override;
  result<RoundActivity> round_activity(const Round& round, Ms from, Ms to) override;
  result<void> add_checkin(std::string_view round_id, std::string_view site_id,
                           std::string_view user_id, Ms at) override;

  // ---- HazardWorkflowStore (pg_hazard_workflow.cpp) ----
  result<Hazard> hazard(std::string_view id) override;
  result<std::vector<HazardHistoryEntry>> hazard_history(std::string_view id) override;
  result<std::optional<Hazard>> change_hazard(std::string_view id, HazardDecider decide) override;
  result<std::vector<Hazard>> hazards_due(Ms due, int limit) override;
  result<std::optional<Ms>> earliest_hazard_deadline() override;
  result<std::vector<Hazard>> change_hazards(const std::vector<std::string>& ids,
                                             HazardDecider decide) override;

  // ---- AdminStore (pg_admin.cpp) ----
  result<Page<User>> users(const UserFilter& f) override;
  result<void> create_user(const UserWrite& u, Ms now) override;
  result<void> update_user(const UserWrite& u) override;
  result<std::vector<OrgUnit>> org_children(std::int64_t id) override;
  result<Page<Team>> teams(const TeamFilter& f) override;
  result<Team> team_with_members(std::string_view id) override;
  result<void> put_team(const Team& t,
                        const std::optional<AuditEntry>& audit = std::nullopt) override;
  result<void> delete_team(std::string_view id,
                           const std::optional<AuditEntry>& audit = std::nullopt) override;
  result<void> put_site(const Site& s,
                        const std::optional<AuditEntry>& audit = std::nullopt) override;
  result<void> delete_site(std::string_view id, Ms now,
                           const std::optional<AuditEntry>& audit = std::nullopt) override;

  // ---- AlertStore (pg_alerts.cpp) ----
  result<Acknowledged> acknowledge_alert(std::string_view id, std::string_view scope_path,
                                         std::string_view by_user_id, Ms at) override;

  // ---- AuditStore (pg_audit.cpp) ----
  result<void> append_audit(const AuditEntry& e) override;
  result<Page<AuditEntry>> audit(const AuditFilter& f) override;

  // ---- PrivacyStore (pg_privacy.cpp) ----
  result<std::int64_t> delete_positions_before(Ms cutoff, std::int64_t max_rows) override;
  result<void> erase_user(const UserErasure& e) override;

  // ---- OverviewStore (pg_overview.cpp) ----
  result<OverviewCounts> overview_counts(std::string_view scope_path, Ms from, Ms to) override;
  result<OverviewTree> overview_tree(std::string_view scope_path,
                                     const std::vector<std::string>& child_paths, Ms from, Ms to,
                                     const std::vector<Ms>& week_starts) override;
  result<std::vector<OverviewSite>> overview_sites(std::string_view scope_path, Ms from,
                                                   Ms to) override;

  // ---- LiveStore, TrackerStore (pg_live.cpp) ----
  result<LiveCursors> live_head() override;
  result<LiveBatch> live_tail(const LiveCursors& from, int limit) override;
  result<std::vector<Round>> live_rounds(std::string_view scope_path, Ms from, Ms to) override;
  result<bool> photo_visible(std::string_view sha256, std::string_view scope_path) override;
  result<bool> register_tracker(std::string_view identifier, std::string_view user_id,
                                Ms now) override;
  result<User> tracker_owner(std::string_view identifier) override;

  // ---- outside the Store interfaces (pg_attachments.cpp) ----
  // The attachment routes' scope check, as store::PhotoScope does on SQLite:
  // true when an inspection at or below `scope_path` names `sha256`.
  result<bool> photo_named_in_scope(std::string_view sha256, std::string_view scope_path);

  struct Impl;  // pg_store_impl.hpp

 private:
  explicit PgStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace patrol::store
