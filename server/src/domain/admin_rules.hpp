// Who may administer what (users, teams, sites, schedules). Everything is
// also limited to the caller's subtree (Principal::can_see); these rules add
// the role side: nobody grants, edits or removes a role above their own.
//
// Pure, thread-safe.
#pragma once

#include <string_view>

#include "domain/hazard_workflow.hpp"

namespace patrol::domain {

// Users, teams and sites: village_admin and up.
inline bool may_administer(std::string_view caller_role) noexcept {
  return role_rank(caller_role) >= role_rank("village_admin");
}
// Schedules (and so rounds): team_leader and up.
inline bool may_plan_rounds(std::string_view caller_role) noexcept {
  return role_rank(caller_role) >= role_rank("team_leader");
}
// Creating a user with `role`, or changing a user to or from it.
inline bool may_grant(std::string_view caller_role, std::string_view role) noexcept {
  int c = role_rank(caller_role), r = role_rank(role);
  return c >= 0 && r >= 0 && r <= c && may_administer(caller_role);
}

}  // namespace patrol::domain
