#include "domain/hazard_workflow.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <tuple>

#include "domain/admin_rules.hpp"
#include "domain/overview_math.hpp"

namespace patrol::domain {
namespace {

using HS = HazardState;
constexpr HS kStates[] = {HS::open, HS::assigned, HS::rectified, HS::verified, HS::closed};

// The lifecycle written out independently of the implementation:
// {from, to, roles allowed}.
struct Allowed {
  HS from;
  HS to;
  std::set<std::string> roles;
};
const std::vector<Allowed>& expected_table() {
  static const std::vector<Allowed> t = {
      {HS::open, HS::assigned, {"team_leader", "village_admin", "town_staff", "city_admin"}},
      {HS::assigned,
       HS::rectified,
       {"volunteer", "team_leader", "village_admin", "town_staff", "city_admin"}},
      {HS::rectified,
       HS::verified,
       {"volunteer", "team_leader", "village_admin", "town_staff", "city_admin"}},
      {HS::rectified,
       HS::assigned,
       {"volunteer", "team_leader", "village_admin", "town_staff", "city_admin"}},
      {HS::verified, HS::closed, {"village_admin", "town_staff", "city_admin"}},
  };
  return t;
}

TEST(HazardWorkflow, EveryAllowedAndRefusedTransitionFromTheTable) {
  int allowed = 0, refused_state = 0, refused_role = 0;
  for (auto role : kRoles) {
    for (HS from : kStates) {
      for (HS to : kStates) {
        const Allowed* edge = nullptr;
        for (const auto& a : expected_table())
          if (a.from == from && a.to == to) edge = &a;
        std::ostringstream in;
        in << role << ": " << to_string(from) << " → " << to_string(to);
        TransitionRequest req{std::string(to_string(to)), "someone", std::nullopt};
        auto got = check_transition(role, from, req);
        if (!edge) {
          ASSERT_FALSE(got) << in.str() << " should be 409";
          EXPECT_EQ(got.error().status, 409) << in.str();
          EXPECT_EQ(got.error().error.code, "invalid_transition") << in.str();
          // The message names both states.
          EXPECT_NE(got.error().error.message.find(to_string(from)), std::string::npos) << in.str();
          EXPECT_NE(got.error().error.message.find(to_string(to)), std::string::npos) << in.str();
          ++refused_state;
        } else if (!edge->roles.count(std::string(role))) {
          ASSERT_FALSE(got) << in.str() << " should be 403";
          EXPECT_EQ(got.error().status, 403) << in.str();
          EXPECT_EQ(got.error().error.code, "forbidden") << in.str();
          ++refused_role;
        } else {
          ASSERT_TRUE(got) << in.str() << " should be allowed: " << got.error().error.message;
          EXPECT_EQ(*got, to) << in.str();
          ++allowed;
        }
        EXPECT_EQ(role_may_transition(role, from, to), edge && edge->roles.count(std::string(role)))
            << in.str();
      }
    }
  }
  // 5 roles × 25 pairs: 4 + 5 + 5 + 5 + 3 allowed; 1 + 2 refused by role; 100 by state.
  EXPECT_EQ(allowed, 22);
  EXPECT_EQ(refused_role, 3);
  EXPECT_EQ(refused_state, 100);
}

TEST(HazardWorkflow, BadRequestsAre422) {
  auto bad_to = check_transition("city_admin", HS::open, {"fixed", {}, {}});
  ASSERT_FALSE(bad_to);
  EXPECT_EQ(bad_to.error().status, 422);
  EXPECT_EQ(bad_to.error().error.field, "to");
  auto no_assignee = check_transition("team_leader", HS::open, {"assigned", {}, {}});
  ASSERT_FALSE(no_assignee);
  EXPECT_EQ(no_assignee.error().status, 422);
  EXPECT_EQ(no_assignee.error().error.field, "assignee_id");
  // A failed verification goes back to the current assignee: none needed.
  EXPECT_TRUE(check_transition("volunteer", HS::rectified, {"assigned", {}, {}}));
  auto unknown_role = check_transition("mayor", HS::assigned, {"rectified", {}, {}});
  ASSERT_FALSE(unknown_role);
  EXPECT_EQ(unknown_role.error().status, 403);
}

TEST(HazardWorkflow, DeadlinesOverdueAndEscalation) {
  HazardPolicy p;
  constexpr Ms kH = 3600'000;
  const Ms found = 1'800'000'000'000;
  struct Case {
    const char* severity;
    Ms deadline_after;
  } sev[] = {{"critical", 24 * kH},
             {"high", 72 * kH},
             {"medium", 168 * kH},
             {"low", 336 * kH},
             {"weird", 168 * kH}};
  for (const auto& c : sev)
    EXPECT_EQ(default_deadline(c.severity, found, p), found + c.deadline_after) << c.severity;

  const Ms dl = found + 24 * kH;
  struct E {
    HS state;
    Ms now;
    bool overdue;
    const char* level;
    std::optional<Ms> next;
  } cases[] = {
      {HS::open, dl, false, "village", dl + 1},
      {HS::open, dl + 1, true, "town", dl + 72 * kH + 1},
      {HS::assigned, dl + 72 * kH, true, "town", dl + 72 * kH + 1},
      {HS::assigned, dl + 72 * kH + 1, true, "city", std::nullopt},
      {HS::rectified, dl + 100 * kH, false, "village", std::nullopt},
      {HS::verified, dl + 100 * kH, false, "village", std::nullopt},
      {HS::closed, dl + 100 * kH, false, "village", std::nullopt},
  };
  for (const auto& c : cases) {
    std::ostringstream in;
    in << to_string(c.state) << " at deadline+" << (c.now - dl) << "ms";
    EXPECT_EQ(is_overdue(c.state, dl, c.now), c.overdue) << in.str();
    EXPECT_EQ(to_string(escalation(c.state, dl, c.now, p)), c.level) << in.str();
    EXPECT_EQ(next_escalation_at(c.state, dl, c.now, p), c.next) << in.str();
  }
  EXPECT_FALSE(is_overdue(HS::open, std::nullopt, found + 1000 * kH));
}

TEST(AdminRules, NoRoleAboveOnesOwn) {
  for (auto caller : kRoles)
    for (auto role : kRoles) {
      bool expect = role_rank(role) <= role_rank(caller) && role_rank(caller) >= 2;
      EXPECT_EQ(may_grant(caller, role), expect) << caller << " grants " << role;
    }
  EXPECT_FALSE(may_grant("city_admin", "emperor"));
  EXPECT_FALSE(may_plan_rounds("volunteer"));
  EXPECT_TRUE(may_plan_rounds("team_leader"));
  EXPECT_FALSE(may_administer("team_leader"));
}

TEST(OverviewMath, RatesAndMedians) {
  EXPECT_EQ(rectification_rate(0, 0), std::nullopt);
  EXPECT_DOUBLE_EQ(*rectification_rate(4, 1), 0.25);
  EXPECT_EQ(median({}), std::nullopt);
  EXPECT_DOUBLE_EQ(*median({5}), 5);
  EXPECT_DOUBLE_EQ(*median({9, 1, 5}), 5);
  EXPECT_DOUBLE_EQ(*median({10, 2, 4, 8}), 6);
}

}  // namespace
}  // namespace patrol::domain
