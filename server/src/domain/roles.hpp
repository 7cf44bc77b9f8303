// Roles and what each may do, as one explicit table (roles.cpp). Every role
// check in the server asks this table; nothing compares role strings
// elsewhere, so a role the table does not know (a typo in an admin tool, a
// role added to the database by a newer version) has no rights at all instead
// of every right that "not volunteer" used to grant.
//
// Thread safety: pure functions over constant data.
#pragma once

#include <optional>
#include <string_view>

namespace patrol::domain {

// The roles of DESIGN.md, lowest to highest.
enum class Role { volunteer, team_leader, village_admin, town_staff, city_admin };

// nullopt for anything but the five names above (exact, lower case).
std::optional<Role> parse_role(std::string_view name) noexcept;
std::string_view role_name(Role r) noexcept;

// What a role may do inside its own subtree (Principal::can_see still limits
// every right to the caller's subtree).
enum class Right {
  see_all_alerts,      // every SOS alert of the subtree, not only one's own
  see_all_tracks,      // full track history of other users of the subtree
  acknowledge_alerts,  // acknowledge an SOS alert of the subtree for everyone
  read_audit,          // the audit log (GET /api/v1/audit): city admins only
};

// true when `role` is a known role whose row in the table grants `right`;
// false for an unknown role, whatever the right.
bool has_right(std::string_view role, Right right) noexcept;

}  // namespace patrol::domain
