#include "api/store_factory.hpp"

#include <cstdio>
#include <string>

#include "store/pg_store.hpp"
#include "store/photo_scope.hpp"
#include "store/sqlite_live_store.hpp"
#include "store/sqlite_store.hpp"

namespace patrol::api {

boost::system::result<OpenedStore> open_store(const ApiConfig& cfg, metrics::Metrics& metrics,
                                              std::function<void()> on_commit) {
  OpenedStore out;
  if (!cfg.database.empty()) {
    store::PgStoreOptions o;
    o.conninfo = cfg.database;
    o.read_connections = cfg.read_connections;
    o.on_commit = std::move(on_commit);
    o.listen = true;  // other nodes' commits reach this node's live feed
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
    out.live = pg;
    out.trackers = pg;
    out.store = std::move(*st);
    return out;
  }
  store::SqliteStoreOptions o;
  o.db_path = cfg.data_dir / "patrol.db";
  o.read_connections = cfg.read_connections;
  o.metrics = &metrics;
  o.on_commit = std::move(on_commit);
  auto st = store::SqliteStore::open(o);
  if (!st) return st.error();
  auto scope = store::PhotoScope::open(o.db_path);
  if (!scope) return scope.error();
  std::shared_ptr<store::PhotoScope> ps = std::move(*scope);
  out.photo_named_in_scope = [ps](std::string_view sha, std::string_view path) {
    return ps->named_in_scope(sha, path);
  };
  auto live = store::SqliteLiveStore::open(o.db_path, **st);
  if (!live) return live.error();
  out.live = live->get();
  out.trackers = live->get();
  out.live_owner = std::move(*live);
  out.store = std::move(*st);
  return out;
}

}  // namespace patrol::api
