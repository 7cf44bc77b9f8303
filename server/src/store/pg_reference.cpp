// PgStore's ReferenceStore: org units, sites, checklist templates (round(): pg_rounds.cpp).
#include "store/pg_store_impl.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kOrgUnit =
    "SELECT id, parent_id, kind, name, path FROM org_units WHERE id = $1";
constexpr std::string_view kSite =
    "SELECT " PATROL_PG_SITE_COLS ", deleted FROM sites WHERE id = $1";
constexpr std::string_view kSites =
    "SELECT " PATROL_PG_SITE_COLS
    " FROM sites WHERE org_path >= $1 AND org_path < $2 AND deleted = 0 "
    "AND ($3::text IS NULL OR category = $3::text) AND id > $4 ORDER BY id LIMIT $5";
constexpr std::string_view kTemplate =
    "SELECT id, version, name, categories, items FROM checklist_templates "
    "WHERE id = $1 AND version = $2";

}  // namespace

result<OrgUnit> PgStore::org_unit(std::int64_t id) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kOrgUnit, Params().add(id));
    if (r.rows() == 0) throw NotFound{};
    OrgUnit o;
    o.id = r.int64(0, 0);
    o.parent_id = r.opt_int64(0, 1);
    o.kind = r.text(0, 2);
    o.name = r.text(0, 3);
    o.path = r.text(0, 4);
    return o;
  });
}

SiteCache* PgStore::site_cache() {
  return &impl_->sites;
}

result<Site> PgStore::site(std::string_view id) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kSite, Params().add(id));
    if (r.rows() == 0) throw NotFound{};
    Site x = read_site(r, 0);
    x.deleted = r.boolean(0, 10);
    return x;
  });
}

result<Page<Site>> PgStore::sites(const SiteFilter& f) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kSites, Params()
                                .add(f.scope_path)
                                .add(path_upper(f.scope_path))
                                .add(f.category)
                                .add(f.after.value_or(""))
                                .add(f.limit + 1));
    Page<Site> page;
    for (int i = 0; i < r.rows(); ++i) page.items.push_back(read_site(r, i));
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next = page.items.back().id;
    }
    return page;
  });
}

result<ChecklistTemplate> PgStore::checklist_template(std::string_view id, std::int64_t version) {
  return impl_->readers.read([&](Conn& c) {
    auto r = c.exec(kTemplate, Params().add(id).add(version));
    if (r.rows() == 0) throw NotFound{};
    ChecklistTemplate t;
    t.id = r.text(0, 0);
    t.version = r.int64(0, 1);
    t.name = r.text(0, 2);
    t.categories = detail::string_array(r.text_view(0, 3));
    t.items = detail::read_template_items(r.text_view(0, 4));
    return t;
  });
}

}  // namespace patrol::store
