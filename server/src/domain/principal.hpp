// Who is calling: the result of authenticating a bearer token.
#pragma once

#include <cstdint>
#include <string>

namespace patrol::domain {

struct Principal {
  std::string user_id;
  std::string name;
  std::string role;         // volunteer | team_leader | village_admin | town_staff | city_admin
  std::string org_unit_id;  // the node the user belongs to
  std::string org_path;     // materialized path of that node, e.g. "/1/4/37/"
  std::string device_id;    // device the session was opened from
  std::string token_hash;   // hex SHA-256 of the bearer token (for logout)
  std::int64_t expires_at_ms = 0;  // when the session expires (Unix ms); 0 = unknown

  // A user sees its whole subtree: true when `path` is at or below org_path.
  bool can_see(std::string_view path) const { return path.substr(0, org_path.size()) == org_path; }
};

}  // namespace patrol::domain
