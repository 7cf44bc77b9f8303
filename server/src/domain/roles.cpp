#include "domain/roles.hpp"

#include <array>

namespace patrol::domain {
namespace {

struct RoleRow {
  Role role;
  std::string_view name;
  bool see_all_alerts;
  bool see_all_tracks;
  bool acknowledge_alerts;
  bool read_audit;
};

// The table. A volunteer sees only their own alerts and their own full track
// (teammates' latest positions stay visible to everyone for safety); leaders
// and staff above see their subtree's (PIPL: personal data only to those who
// supervise the person).
constexpr std::array<RoleRow, 5> kRoles{{
    //  role               name              all alerts  all tracks  ack alerts  audit log
    {Role::volunteer, "volunteer", false, false, false, false},
    {Role::team_leader, "team_leader", true, true, true, false},
    {Role::village_admin, "village_admin", true, true, true, false},
    {Role::town_staff, "town_staff", true, true, true, false},
    {Role::city_admin, "city_admin", true, true, true, true},
}};

const RoleRow* row(std::string_view name) noexcept {
  for (const auto& r : kRoles)
    if (r.name == name) return &r;
  return nullptr;
}

}  // namespace

std::optional<Role> parse_role(std::string_view name) noexcept {
  const auto* r = row(name);
  if (r == nullptr) return std::nullopt;
  return r->role;
}

std::string_view role_name(Role role) noexcept {
  for (const auto& r : kRoles)
    if (r.role == role) return r.name;
  return {};
}

bool has_right(std::string_view role, Right right) noexcept {
  const auto* r = row(role);
  if (r == nullptr) return false;
  switch (right) {
    case Right::see_all_alerts:
      return r->see_all_alerts;
    case Right::see_all_tracks:
      return r->see_all_tracks;
    case Right::acknowledge_alerts:
      return r->acknowledge_alerts;
    case Right::read_audit:
      return r->read_audit;
  }
  return false;
}

}  // namespace patrol::domain
