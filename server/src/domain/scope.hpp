// Role and scope rules beyond "sees its subtree" (Principal::can_see). The
// rights themselves live in one table (roles.hpp); these are the questions
// handlers ask.
#pragma once

#include <string_view>

#include "domain/principal.hpp"
#include "domain/roles.hpp"

namespace patrol::domain {

// Leaders and staff see every SOS alert in their subtree; a volunteer only
// their own (an alert goes to the leaders of the village and the town). An
// unknown role sees only its own.
inline bool sees_all_alerts(const Principal& p) noexcept {
  return has_right(p.role, Right::see_all_alerts);
}

// Full track history of `user_id`: always one's own; others' (within the
// subtree) only for roles that supervise them.
inline bool sees_track_of(const Principal& p, std::string_view user_id) noexcept {
  return p.user_id == user_id || has_right(p.role, Right::see_all_tracks);
}

inline bool is_known_role(std::string_view r) noexcept {
  return parse_role(r).has_value();
}

}  // namespace patrol::domain
