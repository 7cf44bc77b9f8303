// Opens the store ApiConfig names: SQLite in data_dir (the default) or, with
// `database` set to a postgresql:// URL, PostgreSQL. The only place api/
// names a store implementation; everything else uses the store interfaces.
#pragma once

#include <boost/system/result.hpp>
#include <functional>
#include <memory>
#include <string_view>

#include "api/api.hpp"
#include "store/live_store.hpp"
#include "store/store.hpp"
#include "store/tracker_store.hpp"

namespace patrol::api {

struct OpenedStore {
  std::unique_ptr<store::Store> store;
  // The live feed's reads and the tracker identifiers: SQLite keeps them in an
  // object of their own (live_owner, its own read connections); PostgreSQL's
  // PgStore implements them itself (live_owner empty). Valid while `store`
  // and `live_owner` live; destroy live_owner first.
  std::unique_ptr<store::LiveStore> live_owner;
  store::LiveStore* live = nullptr;
  store::TrackerStore* trackers = nullptr;
  // The attachment routes' scope check (SQLite: store::PhotoScope on the same
  // file; PostgreSQL: PgStore::photo_named_in_scope). Valid while `store` lives.
  std::function<store::result<bool>(std::string_view sha256, std::string_view scope_path)>
      photo_named_in_scope;
};

// Migrated and ready (the writer started). `on_commit` is called after every
// group commit of this node (on its writer thread) and, on PostgreSQL, when
// another node announces a commit (on the listener thread); it must be quick
// and must not throw. Errors: the store's open errors (unavailable when the
// database cannot be reached; for PostgreSQL libpq's reason is printed to
// stderr).
[[nodiscard]] boost::system::result<OpenedStore> open_store(const ApiConfig& cfg,
                                                            metrics::Metrics& metrics,
                                                            std::function<void()> on_commit);

}  // namespace patrol::api
