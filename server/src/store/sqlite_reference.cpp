// SqliteStore's ReferenceStore: org units, sites, checklist templates (round(): sqlite_rounds.cpp).
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

constexpr std::string_view kOrgUnit =
    "SELECT id, parent_id, kind, name, path FROM org_units WHERE id = ?1";
constexpr std::string_view kSite =
    "SELECT id, org_unit_id, org_path, name, category, address, lat, lon, template_id, "
    "updated_at, deleted FROM sites WHERE id = ?1";
constexpr std::string_view kSites =
    "SELECT id, org_unit_id, org_path, name, category, address, lat, lon, template_id, "
    "updated_at FROM sites WHERE org_path >= ?1 AND org_path < ?2 AND deleted = 0 "
    "AND (?3 IS NULL OR category = ?3) AND id > ?4 ORDER BY id LIMIT ?5";
constexpr std::string_view kTemplate =
    "SELECT id, version, name, categories, items FROM checklist_templates "
    "WHERE id = ?1 AND version = ?2";

}  // namespace

result<OrgUnit> SqliteStore::org_unit(std::int64_t id) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kOrgUnit);
    s.bind(1, id);
    if (!step(s)) throw NotFound{};
    OrgUnit o;
    o.id = s.column_int64(0);
    o.parent_id = s.column_opt_int64(1);
    o.kind = s.column_text(2);
    o.name = s.column_text(3);
    o.path = s.column_text(4);
    return o;
  });
}

SiteCache* SqliteStore::site_cache() {
  return &impl_->sites;
}

result<Site> SqliteStore::site(std::string_view id) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kSite);
    s.bind(1, id);
    if (!step(s)) throw NotFound{};
    Site x = read_site(s);
    x.deleted = s.column_int64(10) != 0;
    return x;
  });
}

result<Page<Site>> SqliteStore::sites(const SiteFilter& f) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kSites);
    s.bind(1, f.scope_path).bind(2, path_upper(f.scope_path)).bind(3, f.category);
    s.bind(4, f.after.value_or("")).bind(5, f.limit + 1);
    Page<Site> page;
    while (step(s)) page.items.push_back(read_site(s));
    end_page(page, f.limit, [](const auto& x) { return x.id; });
    return page;
  });
}

result<ChecklistTemplate> SqliteStore::checklist_template(std::string_view id,
                                                          std::int64_t version) {
  return impl_->readers.read([&](Database& db) {
    auto& s = q(db, kTemplate);
    s.bind(1, id).bind(2, version);
    if (!step(s)) throw NotFound{};
    ChecklistTemplate t;
    t.id = s.column_text(0);
    t.version = s.column_int64(1);
    t.name = s.column_text(2);
    t.categories = string_array(s.column_text_view(3));
    t.items = read_template_items(s.column_text_view(4));
    return t;
  });
}

}  // namespace patrol::store
