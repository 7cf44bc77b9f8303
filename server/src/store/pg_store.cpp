// PgStore's lifecycle: open (connect, migrate, reader pool, writer thread),
// is_empty, ping, shutdown. The use cases are in pg_<use case>.cpp.
#include "store/pg_store.hpp"

#include <algorithm>
#include <utility>

#include "store/pg_schema.hpp"
#include "store/pg_store_impl.hpp"

namespace patrol::store {
using pg::Conn;
using pg::Params;

namespace {

// Applies the migrations this database lacks, in one transaction under an
// advisory lock (several nodes may start at once).
boost::system::error_code migrate(Conn& c) {
  try {
    c.exec("BEGIN");
    c.exec("SELECT pg_advisory_xact_lock($1)", Params().add(pg::kMigrationLock));
    c.exec("CREATE TABLE IF NOT EXISTS patrol_schema (version integer NOT NULL)");
    auto v = c.exec("SELECT coalesce(max(version), 0) FROM patrol_schema", Params());
    auto have = v.int64(0, 0);
    auto all = pg_schema::migrations();
    if (have > static_cast<std::int64_t>(all.size())) {
      c.exec("ROLLBACK");
      return errc::internal;  // a newer binary migrated this database
    }
    for (std::size_t i = static_cast<std::size_t>(have); i < all.size(); ++i) {
      c.exec(all[i]);
      c.exec("INSERT INTO patrol_schema(version) VALUES ($1)",
             Params().add(static_cast<std::int64_t>(i + 1)));
    }
    c.exec("COMMIT");
    return {};
  } catch (const pg::Failure& f) {
    (void)c.healthy();
    return f.ec;
  }
}

}  // namespace

PgStore::PgStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PgStore::~PgStore() {
  shutdown();
}

int PgStore::schema_version() {
  return static_cast<int>(pg_schema::migrations().size());
}

result<std::unique_ptr<PgStore>> PgStore::open(const PgStoreOptions& opts,
                                               std::string* error_message) {
  auto impl = std::make_unique<Impl>();
  impl->opts = opts;
  auto w = Conn::open(opts.conninfo, error_message);
  if (!w) return w.error();
  if (auto ec = migrate(**w)) return ec;
  std::size_t n = std::max<std::size_t>(1, opts.read_connections);
  for (std::size_t i = 0; i < n; ++i) {
    auto r = Conn::open(opts.conninfo, error_message);
    if (!r) return r.error();
    impl->readers.add(std::move(*r));
  }
  impl->writer =
      std::make_unique<pg::PgWriter>(std::move(*w), opts.max_jobs_per_commit, opts.on_commit);
  impl->writer->start();
  if (opts.listen && opts.on_commit) {
    auto l = PgChangeListener::start(opts.conninfo, [cb = opts.on_commit](std::int64_t) { cb(); });
    if (!l) {
      impl->writer->stop();
      impl->readers.close();
      return l.error();
    }
    impl->listener = std::move(*l);
  }
  {
    // Other nodes' site/team/user writes (pg_admin.cpp notify_sites) empty
    // this node's site cache; while the listener is down it answers nothing.
    SiteCache* sites = &impl->sites;
    sites->set_max_age(std::chrono::seconds(2));  // a listener dead unseen (site_cache.hpp)
    auto l = PgChangeListener::start(
        opts.conninfo, "patrol_sites",
        [sites](std::int64_t) {
          if (sites->enabled())
            sites->invalidate();
          else
            sites->set_enabled(true);  // reconnected: starts empty
        },
        [sites] { sites->set_enabled(false); });
    if (l)
      impl->sites_listener = std::move(*l);
    else
      impl->sites.set_enabled(false);  // every lookup reads the store
  }
  return std::unique_ptr<PgStore>(new PgStore(std::move(impl)));
}

void PgStore::shutdown() {
  impl_->listener.reset();  // no more callbacks into a feed that is going away
  impl_->sites_listener.reset();
  if (!impl_->writer->stop()) return;
  impl_->readers.close();
}

result<bool> PgStore::is_empty() {
  return impl_->readers.read([](Conn& c) {
    return c.exec("SELECT NOT EXISTS (SELECT 1 FROM org_units)", Params()).boolean(0, 0);
  });
}

result<void> PgStore::ping() {
  if (impl_->writer->stopping()) return errc::shutting_down;
  auto r = impl_->readers.read([](Conn& c) { return c.exec("SELECT 1", Params()).rows(); });
  if (!r) return r.error();
  return {};
}

}  // namespace patrol::store
