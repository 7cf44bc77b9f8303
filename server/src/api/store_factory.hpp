// Opens the store ApiConfig names: SQLite in data_dir (the default) or, with
// `database` set to a postgresql:// URL, PostgreSQL. The only place api/
// names a store implementation; everything else uses store::Store.
#pragma once

#include <boost/system/result.hpp>
#include <functional>
#include <memory>
#include <string_view>

#include "api/api.hpp"
#include "store/store.hpp"

namespace patrol::api {

struct OpenedStore {
  std::unique_ptr<store::Store> store;
  // The attachment routes' scope check (SQLite: store::PhotoScope on the same
  // file; PostgreSQL: PgStore::photo_named_in_scope). Valid while `store` lives.
  std::function<store::result<bool>(std::string_view sha256, std::string_view scope_path)>
      photo_named_in_scope;
};

// Migrated and ready (the writer started). Errors: the store's open errors
// (unavailable when the database cannot be reached; for PostgreSQL libpq's
// reason is printed to stderr).
[[nodiscard]] boost::system::result<OpenedStore> open_store(const ApiConfig& cfg,
                                                            metrics::Metrics& metrics);

}  // namespace patrol::api
