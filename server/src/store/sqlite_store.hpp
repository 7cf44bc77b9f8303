// SqliteStore: the Store on one SQLite file (DATA_DIR/patrol.db), WAL mode,
// synchronous=FULL, foreign keys on, numbered migrations (PRAGMA user_version).
//
// Concurrency model: ONE writer thread owns the only read-write connection and
// drains a queue of write jobs in group commits (sqlite_writer.hpp). Queries
// run on a small pool of read-only connections (sqlite_readers.hpp). A
// checkpointer thread with its own connection keeps the WAL bounded without
// stalling the writer (sqlite_checkpointer.hpp); journal_size_limit trims it
// on every reset.
//
// Files: sqlite_store.cpp opens, migrates and shuts down; each use case's SQL
// and member definitions are in its own file (sqlite_auth.cpp,
// sqlite_reference.cpp, sqlite_sync_push.cpp, sqlite_sync_pull.cpp,
// sqlite_dashboard.cpp, sqlite_attachments.cpp, sqlite_seed.cpp); shared row
// readers in sqlite_rows.hpp.
//
// Thread safety: all public functions are thread-safe (see store.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "sqlite/database.hpp"
#include "store/store.hpp"

namespace patrol::metrics {
class Metrics;
}

namespace patrol::store {

struct SqliteStoreOptions {
  std::filesystem::path db_path;     // e.g. DATA_DIR/patrol.db; the directory must exist
  std::size_t read_connections = 4;  // read-only connections in the pool
  std::size_t max_jobs_per_commit = 512;
  int checkpoint_pages = 4096;  // PASSIVE once the WAL holds this many pages (16 MiB)
  std::chrono::milliseconds checkpoint_interval{1000};  // and this often while commits happen
  std::int64_t journal_size_limit = 16 << 20;           // WAL size kept after a reset
  std::int64_t wal_truncate_threshold = 32 << 20;       // try TRUNCATE above this WAL size
  metrics::Metrics* metrics = nullptr;                  // optional; not owned
  // Called on the writer thread after every COMMIT (from the WAL hook, when
  // readers can see it): the live publisher tails what was committed. Must
  // not block; optional.
  std::function<void()> on_commit;
};

class SqliteStore final : public Store {
 public:
  // Opens/creates the database, runs migrations, opens the reader pool and
  // starts the writer thread. Fails with unavailable (cannot open/write) or
  // internal (schema newer than this binary, corrupt file).
  [[nodiscard]] static result<std::unique_ptr<SqliteStore>> open(const SqliteStoreOptions& opts);
  ~SqliteStore() override;

  // The schema version this binary migrates to.
  static int schema_version();

  // Runs `fn` on the writer connection outside any transaction, after the jobs
  // queued before it (maintenance and tests, e.g. PRAGMA max_page_count).
  [[nodiscard]] boost::system::error_code run_on_writer(
      std::function<boost::system::error_code(sqlite::Database&)> fn);

  // ---- LifecycleStore (sqlite_store.cpp, sqlite_seed.cpp) ----
  result<bool> is_empty() override;
  result<void> seed(const SeedData& seed) override;
  result<void> ping() override;
  void shutdown() override;

  // ---- AuthStore (sqlite_auth.cpp) ----
  result<Credentials> credentials_by_phone(std::string_view phone) override;
  result<User> user(std::string_view id) override;
  result<void> create_session(const NewSession& s) override;
  result<SessionInfo> session(std::string_view token_hash, Ms now) override;
  result<void> delete_session(std::string_view token_hash) override;

  // ---- ReferenceStore (sqlite_reference.cpp; round() in sqlite_rounds.cpp) ----
  result<OrgUnit> org_unit(std::int64_t id) override;
  result<Site> site(std::string_view id) override;
  SiteCache* site_cache() override;
  result<Page<Site>> sites(const SiteFilter& f) override;
  result<ChecklistTemplate> checklist_template(std::string_view id, std::int64_t version) override;
  result<Round> round(std::string_view id) override;

  // ---- SyncStore (sqlite_sync_push.cpp, sqlite_sync_pull.cpp) ----
  void apply_ops_async(std::vector<PreparedOp> ops, OpsDone done) override;
  result<ChangePage> changes(std::string_view scope_path, std::int64_t cursor, int limit) override;

  // ---- DashboardStore (sqlite_dashboard.cpp) ----
  result<Page<Inspection>> inspections(const InspectionFilter& f) override;
  result<Page<Hazard>> hazards(const HazardFilter& f) override;
  result<Page<LatestPosition>> latest_positions(std::string_view scope_path,
                                                std::optional<std::string> after_user,
                                                int limit) override;
  result<Page<TrackPoint>> track(const TrackFilter& f) override;
  result<Page<SosAlert>> alerts(const AlertFilter& f) override;

  // ---- AlertStore (sqlite_alerts.cpp) ----
  result<Acknowledged> acknowledge_alert(std::string_view id, std::string_view scope_path,
                                         std::string_view by_user_id, Ms at) override;

  // ---- AttachmentStore (sqlite_attachments.cpp) ----
  result<AttachmentLinked> attachment_stored(std::string_view sha256, std::int64_t size) override;

  // ---- RoundStore (sqlite_rounds.cpp) ----
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

  // ---- HazardWorkflowStore (sqlite_hazard_workflow.cpp) ----
  result<Hazard> hazard(std::string_view id) override;
  result<std::vector<HazardHistoryEntry>> hazard_history(std::string_view id) override;
  result<std::optional<Hazard>> change_hazard(std::string_view id, HazardDecider decide) override;
  result<std::vector<Hazard>> hazards_due(Ms due, int limit) override;
  result<std::optional<Ms>> earliest_hazard_deadline() override;
  result<std::vector<Hazard>> change_hazards(const std::vector<std::string>& ids,
                                             HazardDecider decide) override;

  // ---- AdminStore (sqlite_admin.cpp) ----
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

  // ---- OverviewStore (sqlite_overview.cpp) ----
  result<OverviewCounts> overview_counts(std::string_view scope_path, Ms from, Ms to) override;
  result<OverviewTree> overview_tree(std::string_view scope_path,
                                     const std::vector<std::string>& child_paths, Ms from, Ms to,
                                     const std::vector<Ms>& week_starts) override;
  result<std::vector<OverviewSite>> overview_sites(std::string_view scope_path, Ms from,
                                                   Ms to) override;

  // ---- AuditStore (sqlite_audit.cpp) ----
  result<void> append_audit(const AuditEntry& e) override;
  result<Page<AuditEntry>> audit(const AuditFilter& f) override;

  // ---- PrivacyStore (sqlite_privacy.cpp) ----
  result<std::int64_t> delete_positions_before(Ms cutoff, std::int64_t max_rows) override;
  result<void> erase_user(const UserErasure& e) override;

  struct Impl;  // sqlite_store_impl.hpp

 private:
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace patrol::store
