#include "domain/roles.hpp"

#include <gtest/gtest.h>

#include "domain/scope.hpp"

using namespace patrol::domain;

namespace {
Principal as(std::string role, std::string id = "u1") {
  Principal p;
  p.user_id = std::move(id);
  p.role = std::move(role);
  p.org_path = "/1/";
  return p;
}
}  // namespace

// sees_all_alerts used to be `role != "volunteer"`: any other string — a typo,
// a role from a newer version — got every right. The table now decides, and
// a role it does not know has none.
TEST(Roles, UnknownRolesHaveNoRights) {
  for (const char* r : {"mayor", "", "Volunteer", "CITY_ADMIN", "city_admin ", "admin"}) {
    EXPECT_FALSE(parse_role(r)) << r;
    EXPECT_FALSE(sees_all_alerts(as(r))) << r;
    EXPECT_FALSE(has_right(r, Right::read_audit)) << r;
    EXPECT_FALSE(sees_track_of(as(r), "someone-else")) << r;
    EXPECT_TRUE(sees_track_of(as(r, "me"), "me")) << r;  // one's own, as anyone
    EXPECT_FALSE(is_known_role(r)) << r;
  }
}

TEST(Roles, TheTable) {
  struct Row {
    const char* role;
    bool all_alerts;
    bool all_tracks;
    bool audit;
  };
  for (const auto& r :
       {Row{"volunteer", false, false, false}, Row{"team_leader", true, true, false},
        Row{"village_admin", true, true, false}, Row{"town_staff", true, true, false},
        Row{"city_admin", true, true, true}}) {
    ASSERT_TRUE(parse_role(r.role)) << r.role;
    EXPECT_EQ(role_name(*parse_role(r.role)), r.role);
    EXPECT_EQ(has_right(r.role, Right::see_all_alerts), r.all_alerts) << r.role;
    EXPECT_EQ(has_right(r.role, Right::see_all_tracks), r.all_tracks) << r.role;
    EXPECT_EQ(has_right(r.role, Right::read_audit), r.audit) << r.role;
  }
}
