#include "api/store_factory.hpp"

#include <cstdio>
#include <string>

#include "store/pg_store.hpp"
#include "store/photo_scope.hpp"
#include "store/sqlite_store.hpp"

namespace patrol::api {

boost::system::result<OpenedStore> open_store(const ApiConfig& cfg, metrics::Metrics& metrics) {
  OpenedStore out;
  if (!cfg.database.empty()) {
    store::PgStoreOptions o;
    o.conninfo = cfg.database;
    o.read_connections = cfg.read_connections;
    std::string why;
    auto st = store::PgStore::open(o, &why);
    if (!st) {
      if (!why.empty()) std::fprintf(stderr, "patrold: PostgreSQL: %s", why.c_str());
      return st.error();
    }
    store::PgStore* pg = st->get();
    out.photo_named_in_scope = [pg](std::string_view sha, std::string_view scope) {
      return pg->photo_named_in_scope(sha, scope);
    };
    out.store = std::move(*st);
    return out;
  }
  store::SqliteStoreOptions o;
  o.db_path = cfg.data_dir / "patrol.db";
  o.read_connections = cfg.read_connections;
  o.metrics = &metrics;
  auto st = store::SqliteStore::open(o);
  if (!st) return st.error();
  auto scope = store::PhotoScope::open(o.db_path);
  if (!scope) return scope.error();
  std::shared_ptr<store::PhotoScope> ps = std::move(*scope);
  out.photo_named_in_scope = [ps](std::string_view sha, std::string_view path) {
    return ps->named_in_scope(sha, path);
  };
  out.store = std::move(*st);
  return out;
}

}  // namespace patrol::api
