// ReferenceStore conformance: org units, sites, templates, rounds.
#include <chrono>
#include <set>
#include <thread>

#include "conformance/fixture.hpp"

namespace patrol::store::conformance {
namespace {

template <class F>
using ReferenceConformance = StoreConformance<F>;
TYPED_TEST_SUITE(ReferenceConformance, Implementations, ImplementationName);

TYPED_TEST(ReferenceConformance, OrgUnitById) {
  auto o = this->store_->org_unit(domain::kDatianLiuVillageId);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->kind, "village");
  EXPECT_EQ(o->path, "/1/2/21/");
  EXPECT_EQ(o->parent_id, domain::kDatianStreetId);
  auto city = this->store_->org_unit(domain::kLinhaiId);
  ASSERT_TRUE(city);
  EXPECT_FALSE(city->parent_id);
  auto none = this->store_->org_unit(999999);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::not_found);
}

TYPED_TEST(ReferenceConformance, SiteById) {
  const Site& want = this->village_site();
  auto s = this->store_->site(want.id);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, want.name);
  EXPECT_EQ(s->org_path, want.org_path);
  EXPECT_EQ(s->template_id, want.template_id);
  EXPECT_DOUBLE_EQ(s->lat, want.lat);
  auto none = this->store_->site("no-such-site");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::not_found);
}

TYPED_TEST(ReferenceConformance, SitesAreScopedAndPagedById) {
  std::set<std::string> expected;
  for (const auto& s : this->seed_.sites)
    if (s.org_path.rfind("/1/2/21/", 0) == 0) expected.insert(s.id);
  ASSERT_GT(expected.size(), 3u);
  SiteFilter f;
  f.scope_path = "/1/2/21/";
  f.limit = 3;
  std::set<std::string> seen;
  std::string last;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = this->store_->sites(f);
    ASSERT_TRUE(page);
    ASSERT_LE(page->items.size(), 3u);
    for (const auto& s : page->items) {
      EXPECT_GT(s.id, last) << "ordered by id";
      last = s.id;
      seen.insert(s.id);
    }
    if (!page->next) break;
    f.after = page->next;
  }
  EXPECT_EQ(seen, expected);
}

TYPED_TEST(ReferenceConformance, ChecklistTemplateByIdAndVersion) {
  const auto& want = this->seed_.templates.front();
  auto t = this->store_->checklist_template(want.id, want.version);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->name, want.name);
  EXPECT_EQ(t->categories, want.categories);
  ASSERT_EQ(t->items.size(), want.items.size());
  for (std::size_t i = 0; i < want.items.size(); ++i) {
    EXPECT_EQ(t->items[i].code, want.items[i].code);
    EXPECT_EQ(t->items[i].photo_required, want.items[i].photo_required);
    EXPECT_EQ(t->items[i].severity, want.items[i].severity);
  }
  auto none = this->store_->checklist_template(want.id, want.version + 100);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::not_found);
}

TYPED_TEST(ReferenceConformance, RoundById) {
  ASSERT_FALSE(this->seed_.rounds.empty());
  const auto& want = this->seed_.rounds.front();
  auto r = this->store_->round(want.id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->team_id, want.team_id);
  EXPECT_EQ(r->date, want.date);
  EXPECT_EQ(r->starts_at, want.starts_at);
  EXPECT_EQ(r->state, want.state);
  auto none = this->store_->round("no-such-round");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::not_found);
}

// The site cache (site_cache.hpp) sync/push validates from on an I/O thread:
// a write of this store empties it at once, and an entry read before a write
// (its generation older) is never kept after it.
TYPED_TEST(ReferenceConformance, SiteCacheIsEmptiedByEverySiteWrite) {
  SiteCache* cache = this->store_->site_cache();
  ASSERT_NE(cache, nullptr) << "every store keeps one";
  Site site = this->village_site();
  // put() drops an entry whose generation moved on meanwhile (PostgreSQL:
  // the NOTIFY of a write, this node's own too, arrives a moment later).
  auto fill = [&] {
    for (int i = 0; i < 100 && !cache->get(site.id); ++i) {
      const auto gen = cache->generation();
      auto s = this->store_->site(site.id);
      ASSERT_TRUE(s);
      cache->put(*s, gen);
      if (!cache->get(site.id)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_NE(cache->get(site.id), nullptr);
  };
  fill();
  // Moved to another village: the cached copy is gone before put_site returns.
  auto other = this->store_->org_unit(domain::kDongxiShanVillageId);
  ASSERT_TRUE(other);
  Site moved = site;
  moved.org_unit_id = other->id;
  moved.org_path = other->path;
  ASSERT_TRUE(this->store_->put_site(moved));
  EXPECT_EQ(cache->get(site.id), nullptr);
  fill();
  EXPECT_EQ(cache->get(site.id)->org_path, other->path);

  // A read that began before a write keeps nothing.
  const auto before = cache->generation();
  auto stale = this->store_->site(site.id);
  ASSERT_TRUE(stale);
  ASSERT_TRUE(this->store_->put_site(site));  // back to its village
  cache->put(*stale, before);
  EXPECT_EQ(cache->get(site.id), nullptr);

  // Deleted (or refused while a schedule's route names it): emptied either way.
  fill();
  auto deleted = this->store_->delete_site(site.id, now_ms());
  EXPECT_TRUE(deleted || deleted.error() == errc::conflict);
  EXPECT_EQ(cache->get(site.id), nullptr);
}

}  // namespace
}  // namespace patrol::store::conformance
