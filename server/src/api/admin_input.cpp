#include "api/admin_input.hpp"

#include <charconv>

#include "domain/admin_rules.hpp"

namespace patrol::api::admin {

void invalid(std::string code, std::string field, std::string message) {
  throw ApiError(422, std::move(code), std::move(field), std::move(message));
}

namespace {

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string text(const boost::json::object& o, std::string_view k, std::size_t max) {
  auto* v = o.if_contains(k);
  if (!v) invalid("required", std::string(k), "required");
  if (!v->is_string() || v->get_string().empty())
    invalid("invalid_type", std::string(k), "a non-empty string");
  if (code_points(v->get_string()) > max)
    invalid("too_long", std::string(k), "at most " + std::to_string(max) + " characters");
  return std::string(v->get_string());
}

store::OrgUnit visible_org(Ctx& c, const boost::json::value& v, std::string_view field) {
  std::int64_t n = 0;
  bool ok = v.is_string();
  if (ok) {
    auto s = v.get_string();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    ok = ec == std::errc() && p == s.data() + s.size();
  }
  if (!ok) invalid("invalid_type", std::string(field), "an org unit id");
  auto o = c.svc.store().org_unit(n);
  if (!o && o.error() != store::errc::not_found) throw_store(o.error());
  if (!o) invalid("not_found", std::string(field), "no such org unit");
  if (!c.me().can_see(o->path))
    throw ApiError(403, "forbidden", std::string(field), "org unit outside your area");
  return std::move(*o);
}

void require_admin(const Ctx& c, std::string_view what) {
  if (!domain::may_administer(c.me().role))
    throw ApiError(403, "forbidden", "", "only admins " + std::string(what));
}

}  // namespace patrol::api::admin
