// Role and scope rules beyond "sees its subtree" (Principal::can_see).
#pragma once

#include <string_view>

#include "domain/principal.hpp"

namespace patrol::domain {

// Leaders and staff see every SOS alert in their subtree; a volunteer only
// their own (an alert goes to the leaders of the village and the town).
inline bool sees_all_alerts(const Principal& p) noexcept {
  return p.role != "volunteer";
}

inline bool is_known_role(std::string_view r) noexcept {
  return r == "volunteer" || r == "team_leader" || r == "village_admin" || r == "town_staff" ||
         r == "city_admin";
}

}  // namespace patrol::domain
