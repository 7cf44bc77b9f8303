#include "domain/hazard_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace patrol::domain {
namespace {

HazardSighting sighting(std::string inspection_id, store::Ms t, std::string note = "",
                        bool photo_missing = false) {
  HazardSighting s;
  s.inspection_id = std::move(inspection_id);
  s.observed_ms = t;
  s.site_id = "site-1";
  s.org_unit_id = 21;
  s.org_path = "/1/2/21/";
  s.item_code = "flying_wire_charging";
  s.severity = "critical";
  s.note = std::move(note);
  s.photo_missing = photo_missing;
  return s;
}

// Applies sightings in the given order: the first opens, the rest find it again.
store::Hazard apply(const std::vector<HazardSighting>& order) {
  store::Hazard h = open_hazard(order.front(), "hz", 1);
  for (std::size_t i = 1; i < order.size(); ++i) found_again(h, order[i], 1 + i);
  return h;
}

TEST(HazardRules, AFirstSightingOpensAHazard) {
  auto h = open_hazard(sighting("i1", 1000, "飞线", true), "hz-1", 5000);
  EXPECT_EQ(h.id, "hz-1");
  EXPECT_EQ(h.state, "open");
  EXPECT_EQ(h.occurrences, 1);
  EXPECT_EQ(h.first_found_at, 1000);
  EXPECT_EQ(h.last_found_at, 1000);
  EXPECT_EQ(h.first_inspection_id, "i1");
  EXPECT_EQ(h.last_inspection_id, "i1");
  EXPECT_EQ(h.note, "飞线");
  EXPECT_TRUE(h.photo_missing);
  EXPECT_EQ(h.severity, "critical");
  EXPECT_EQ(h.org_path, "/1/2/21/");
  EXPECT_EQ(h.updated_at, 5000);
}

TEST(HazardRules, FoundAgainCountsAndMovesTheLastObservation) {
  auto h = open_hazard(sighting("i1", 1000, "a"), "hz", 1);
  found_again(h, sighting("i2", 2000, "b"), 7);
  EXPECT_EQ(h.id, "hz") << "the same hazard, never a second one";
  EXPECT_EQ(h.occurrences, 2);
  EXPECT_EQ(h.last_found_at, 2000);
  EXPECT_EQ(h.last_inspection_id, "i2");
  EXPECT_EQ(h.first_inspection_id, "i1");
  EXPECT_EQ(h.note, "b");
  EXPECT_EQ(h.updated_at, 7);
}

TEST(HazardRules, ALateReportMovesNeitherLastFoundAtNorLastInspection) {
  // The known bug: last_inspection_id followed arrival order while
  // last_found_at kept the newest. Both belong to the newest observation.
  auto h = open_hazard(sighting("i2", 2000, "new"), "hz", 1);
  found_again(h, sighting("i1", 1000, "old"), 2);
  EXPECT_EQ(h.occurrences, 2);
  EXPECT_EQ(h.last_found_at, 2000);
  EXPECT_EQ(h.last_inspection_id, "i2");
  EXPECT_EQ(h.first_found_at, 1000) << "the late report is the first observation";
  EXPECT_EQ(h.first_inspection_id, "i1");
  EXPECT_EQ(h.note, "new") << "a late report does not overwrite a note";
}

TEST(HazardRules, ALateReportFillsAnEmptyNoteOnly) {
  auto h = open_hazard(sighting("i2", 2000, ""), "hz", 1);
  found_again(h, sighting("i1", 1000, "old"), 2);
  EXPECT_EQ(h.note, "old");
}

TEST(HazardRules, EqualTimesAreOrderedByInspectionId) {
  auto a = apply({sighting("i1", 1000), sighting("i2", 1000)});
  auto b = apply({sighting("i2", 1000), sighting("i1", 1000)});
  EXPECT_EQ(a.last_inspection_id, "i2");
  EXPECT_EQ(b.last_inspection_id, "i2");
  EXPECT_EQ(a.first_inspection_id, "i1");
  EXPECT_EQ(b.first_inspection_id, "i1");
}

TEST(HazardRules, AnyArrivalOrderGivesTheSameHazard) {
  std::vector<HazardSighting> s = {sighting("i1", 1000, "a", true), sighting("i2", 3000, "", true),
                                   sighting("i3", 2000, "c", false),
                                   sighting("i4", 4000, "d", true)};
  std::array<int, 4> idx = {0, 1, 2, 3};
  auto expected = apply(s);
  do {
    std::vector<HazardSighting> order;
    for (int i : idx) order.push_back(s[i]);
    auto h = apply(order);
    std::string label = std::to_string(idx[0]) + std::to_string(idx[1]) + std::to_string(idx[2]) +
                        std::to_string(idx[3]);
    EXPECT_EQ(h.occurrences, 4) << label;
    EXPECT_EQ(h.first_found_at, 1000) << label;
    EXPECT_EQ(h.first_inspection_id, "i1") << label;
    EXPECT_EQ(h.last_found_at, 4000) << label;
    EXPECT_EQ(h.last_inspection_id, "i4") << label;
    EXPECT_EQ(h.note, "d") << label;
    EXPECT_FALSE(h.photo_missing) << label << ": one sighting had its photo";
  } while (std::next_permutation(idx.begin(), idx.end()));
  EXPECT_EQ(expected.last_inspection_id, "i4");
}

TEST(HazardRules, PhotoMissingWhenRequiredAndNoneArrived) {
  struct Case {
    bool required;
    std::vector<std::string> photos;
    std::vector<std::string> stored;
    bool missing;
  };
  const std::vector<Case> cases = {
      {false, {}, {}, false},           {true, {}, {}, true},      {true, {"a"}, {}, true},
      {true, {"a", "b"}, {"b"}, false}, {false, {"a"}, {}, false}, {true, {"a"}, {"a"}, false},
  };
  for (const auto& c : cases) {
    int asked = 0;
    bool missing = photo_missing(c.required, c.photos, [&](const std::string& sha) {
      ++asked;
      return std::find(c.stored.begin(), c.stored.end(), sha) != c.stored.end();
    });
    EXPECT_EQ(missing, c.missing) << "required=" << c.required << " photos=" << c.photos.size()
                                  << " stored=" << c.stored.size();
    if (!c.required) {
      EXPECT_EQ(asked, 0);
    }
  }
}

TEST(HazardRules, FoundAgainWithAPhotoClearsPhotoMissingAndItStaysCleared) {
  auto h = open_hazard(sighting("i1", 1000, "", true), "hz", 1);
  found_again(h, sighting("i2", 2000, "", false), 2);
  EXPECT_FALSE(h.photo_missing);
  found_again(h, sighting("i3", 3000, "", true), 3);
  EXPECT_FALSE(h.photo_missing) << "a later sighting without its photo does not set it again";
}

TEST(HazardRules, APhotoArrivingClearsPhotoMissingOnce) {
  auto h = open_hazard(sighting("i1", 1000, "", true), "hz", 1);
  EXPECT_TRUE(photo_arrived(h, 9));
  EXPECT_FALSE(h.photo_missing);
  EXPECT_EQ(h.updated_at, 9);
  EXPECT_FALSE(photo_arrived(h, 10)) << "nothing changes the second time";
  EXPECT_EQ(h.updated_at, 9);
}

}  // namespace
}  // namespace patrol::domain
