// Input checks the admin routes (users, teams, sites) share: each throws
// ApiError naming the field (422 for an invalid value, 403 for something
// outside the caller's subtree or above the caller's role).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "api/context.hpp"

namespace patrol::api::admin {

[[noreturn]] void invalid(std::string code, std::string field, std::string message);

// The non-empty string member `k` of at most `max` characters (code points).
std::string text(const boost::json::object& o, std::string_view k, std::size_t max);

// An org unit id (a string of digits) the caller may see: its unit. 422 when
// malformed or unknown, 403 outside the caller's subtree.
store::OrgUnit visible_org(Ctx& c, const boost::json::value& v, std::string_view field);

// 403 unless the caller's role administers (village_admin and up).
void require_admin(const Ctx& c, std::string_view what);

}  // namespace patrol::api::admin
