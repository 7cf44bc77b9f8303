// patrol::store — durable storage for patrold, as small interfaces shaped by
// use cases (log in, push a batch of ops, pull changes, reference data, what
// the dashboard lists, attachments), not by tables, so that another
// implementation can serve the same API. SqliteStore (sqlite_store.hpp) is
// the first implementation, PgStore (pg_store.hpp, PostgreSQL) the second.
//
// The use cases, one header each (nothing SQLite-specific in them):
//   lifecycle_store.hpp   LifecycleStore   is_empty, seed, ping, shutdown
//   auth_store.hpp        AuthStore        credentials, users, sessions
//   reference_store.hpp   ReferenceStore   org units, sites, templates, rounds
//   sync_store.hpp        SyncStore        apply_ops (push), changes (pull)
//   dashboard_store.hpp   DashboardStore   inspections, hazards, positions, tracks, alerts
//   attachment_store.hpp  AttachmentStore  a photo arrived
//   round_store.hpp       RoundStore       schedules, planned rounds, round state, check-ins
//   hazard_workflow_store.hpp HazardWorkflowStore  one hazard, history, transitions, timer list
//   admin_store.hpp       AdminStore       users within a subtree, org children
//   overview_store.hpp    OverviewStore    the overview's counts per node and period
//   alert_store.hpp       AlertStore       acknowledging an SOS alert
//   audit_store.hpp       AuditStore       the append-only audit log
//   privacy_store.hpp     PrivacyStore     track retention, a person's erasure (PIPL)
// `Store` aggregates them; code that needs one use case takes that interface
// (domain::OpValidator takes a ReferenceStore&), so it stays small to read and
// to fake.
//
// Adding a use case (rounds, hazard workflow, admin, overview, ...):
//   1. `xxx_store.hpp`: `class XxxStore` with a virtual destructor, pure
//      virtual `[[nodiscard]] result<T>` functions and the plain structs they
//      take and return; its top comment names the use case.
//   2. Add `public XxxStore` to `Store` below.
//   3. SQLite: `sqlite_xxx.cpp` with the SQL and the SqliteStore member
//      definitions (declared in sqlite_store.hpp; reads via impl_->readers.read,
//      writes via impl_->writer->write, see sqlite_store_impl.hpp), listed
//      in server/src/store/CMakeLists.txt.
//   3b. PostgreSQL: `pg_xxx.cpp` likewise (reads via impl_->readers.read,
//      writes via impl_->writer->write on a PgTx; see pg_store_impl.hpp),
//      tables in a new numbered migration in pg_schema.cpp.
//   4. Conformance: tests/unit/store/conformance/xxx_conformance_test.cpp,
//      TYPED_TESTs over `Implementations` (every store passes them), listed
//      in tests/unit/store/CMakeLists.txt.
//   Rules (what a state change means, what a late report may change) are
//   domain/ functions the store calls and persists; never decided in SQL.
//
// Errors (every interface): every function returns result<T>; failures are in
// store_category():
//   not_found    the entity does not exist (callers map this to 404 / rejection),
//   conflict     the write contradicts stored data,
//   unavailable  disk full / I/O error / busy — nothing was written, retry later (503),
//   shutting_down after shutdown().
// No function throws.
//
// Durability: a write function returns only after the transaction holding it
// has COMMITted durably (SQLite: synchronous=FULL); a success is never lost by
// a crash.
//
// Thread safety: every function may be called from any thread concurrently.
// Calls block (reads on a pooled connection, writes until their group commit).
#pragma once

#include "store/admin_store.hpp"
#include "store/alert_store.hpp"
#include "store/attachment_store.hpp"
#include "store/audit_store.hpp"
#include "store/auth_store.hpp"
#include "store/dashboard_store.hpp"
#include "store/entities.hpp"
#include "store/errors.hpp"
#include "store/hazard_workflow_store.hpp"
#include "store/lifecycle_store.hpp"
#include "store/overview_store.hpp"
#include "store/page.hpp"
#include "store/privacy_store.hpp"
#include "store/reference_store.hpp"
#include "store/round_store.hpp"
#include "store/sync_store.hpp"

namespace patrol::store {

// Every use case of one store. Implementations derive from this.
class Store : public LifecycleStore,
              public AuthStore,
              public ReferenceStore,
              public SyncStore,
              public DashboardStore,
              public AttachmentStore,
              public RoundStore,
              public HazardWorkflowStore,
              public AdminStore,
              public OverviewStore,
              public AlertStore,
              public AuditStore,
              public PrivacyStore {
 public:
  ~Store() override = default;
};

}  // namespace patrol::store
