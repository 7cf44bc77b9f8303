// Hazards through SyncStore and AttachmentStore: the store persists the
// domain's decisions (domain/hazard_rules.hpp) — found again is linked, never
// duplicated; photo_missing until a named photo arrives; reports in any
// order give the same hazard.
#include <algorithm>

#include "conformance/fixture.hpp"

namespace patrol::store::conformance {
namespace {

template <class F>
using HazardConformance = StoreConformance<F>;
TYPED_TEST_SUITE(HazardConformance, Implementations, ImplementationName);

TYPED_TEST(HazardConformance, FoundAgainIsLinkedNotDuplicated) {
  const Site& site = this->village_site();
  std::string sha(64, 'a');
  this->apply(this->inspection_op(site, now_ms(), std::vector<std::string>{}));
  this->apply(this->inspection_op(site, now_ms(), std::vector<std::string>{sha}));
  auto hz = this->hazards_at(site);
  ASSERT_EQ(hz.size(), 1u);
  EXPECT_EQ(hz[0].occurrences, 2);
  EXPECT_EQ(hz[0].state, "open");
  EXPECT_TRUE(hz[0].photo_missing) << "the named photo has not arrived yet";
  auto linked = this->store_->attachment_stored(sha, 1234);
  ASSERT_TRUE(linked);
  ASSERT_EQ(linked->hazard_ids.size(), 1u);
  EXPECT_EQ(linked->hazard_ids[0], hz[0].id);
  hz = this->hazards_at(site);
  EXPECT_FALSE(hz[0].photo_missing);
  // The same photo again changes nothing.
  linked = this->store_->attachment_stored(sha, 1234);
  ASSERT_TRUE(linked);
  EXPECT_TRUE(linked->hazard_ids.empty());
}

TYPED_TEST(HazardConformance, APhotoAlreadyStoredMeansNoPhotoMissing) {
  const Site& site = this->village_site();
  std::string sha(64, 'b');
  ASSERT_TRUE(this->store_->attachment_stored(sha, 10));
  this->apply(this->inspection_op(site, now_ms(), std::vector<std::string>{sha}));
  auto hz = this->hazards_at(site);
  ASSERT_EQ(hz.size(), 1u);
  EXPECT_FALSE(hz[0].photo_missing);
}

TYPED_TEST(HazardConformance, APhotoArrivingLinksOnlyTheHazardsThatNamedIt) {
  const Site& site = this->village_site();
  this->apply(this->inspection_op(site, now_ms(), std::vector<std::string>{std::string(64, 'c')}));
  auto linked = this->store_->attachment_stored(std::string(64, 'd'), 10);
  ASSERT_TRUE(linked);
  EXPECT_TRUE(linked->hazard_ids.empty());
  EXPECT_TRUE(this->hazards_at(site).at(0).photo_missing);
}

TYPED_TEST(HazardConformance, ReportsArrivingOutOfOrderGiveTheSameHazard) {
  const Site& site = this->village_site();
  Ms t0 = now_ms() - 3'600'000;
  std::string early = wire::make_uuid_v7(), late = wire::make_uuid_v7();
  // The later observation arrives first; then the phone that was offline.
  this->apply(this->inspection_op(site, t0 + 60'000, std::vector<std::string>{}, "newer", late));
  this->apply(this->inspection_op(site, t0, std::vector<std::string>{}, "older", early));
  auto hz = this->hazards_at(site);
  ASSERT_EQ(hz.size(), 1u);
  EXPECT_EQ(hz[0].occurrences, 2);
  EXPECT_EQ(hz[0].last_found_at, t0 + 60'000);
  EXPECT_EQ(hz[0].last_inspection_id, late) << "follows the newest observation, not arrival";
  EXPECT_EQ(hz[0].first_found_at, t0);
  EXPECT_EQ(hz[0].first_inspection_id, early);
  EXPECT_EQ(hz[0].note, "newer");

  // In arrival order at another site: the same state.
  const Site* other = nullptr;
  for (const auto& s : this->seed_.sites)
    if (s.org_unit_id == domain::kDatianLiuVillageId && s.id != site.id) {
      other = &s;
      break;
    }
  ASSERT_NE(other, nullptr);
  std::string early2 = wire::make_uuid_v7(), late2 = wire::make_uuid_v7();
  this->apply(this->inspection_op(*other, t0, std::vector<std::string>{}, "older", early2));
  this->apply(this->inspection_op(*other, t0 + 60'000, std::vector<std::string>{}, "newer", late2));
  auto hz2 = this->hazards_at(*other);
  ASSERT_EQ(hz2.size(), 1u);
  EXPECT_EQ(hz2[0].last_found_at, hz[0].last_found_at);
  EXPECT_EQ(hz2[0].last_inspection_id, late2);
  EXPECT_EQ(hz2[0].first_inspection_id, early2);
  EXPECT_EQ(hz2[0].note, hz[0].note);
}

TYPED_TEST(HazardConformance, EveryChangeOfAHazardIsInThePull) {
  const Site& site = this->village_site();
  auto before = this->store_->changes(site.org_path, 0, 100000);
  ASSERT_TRUE(before);
  std::string sha(64, 'e');
  this->apply(this->inspection_op(site, now_ms(), std::vector<std::string>{sha}));
  this->apply(this->inspection_op(site, now_ms(), std::vector<std::string>{}));
  ASSERT_TRUE(this->store_->attachment_stored(sha, 1));
  auto after = this->store_->changes(site.org_path, before->cursor, 1000);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->changes.size(), 3u) << "opened, found again, photo arrived";
  for (const auto& c : after->changes) EXPECT_EQ(c.entity, "hazard");
  EXPECT_NE(after->changes[1].data.find("\"occurrences\":2"), std::string::npos)
      << after->changes[1].data;
  auto hz = this->hazards_at(site);
  ASSERT_EQ(hz.size(), 1u);
  EXPECT_EQ(after->changes[2].id, hz[0].id);
}

}  // namespace
}  // namespace patrol::store::conformance
