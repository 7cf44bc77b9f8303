#include "api/context.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>

#include "patrol/wire/time.hpp"

namespace patrol::api {
namespace json = boost::json;

const domain::Principal& Ctx::me() const {
  if (!who) throw ApiError(401, "unauthorized", "authorization", "missing or invalid token");
  return *who;
}

std::string_view Ctx::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return {};
}

store::Ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Response json_response(unsigned status, const json::value& v) {
  Response r;
  r.status = status;
  r.body = json::serialize(v);
  return r;
}

Response no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

json::object page_json(json::array items, const std::optional<std::string>& next) {
  return {{"items", std::move(items)}, {"next", next ? json::value(*next) : json::value(nullptr)}};
}

json::value parse_json_body(const Request& req, json::storage_ptr sp) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec, std::move(sp));
  if (ec) throw ApiError(400, "malformed_json", "", "request body is not valid JSON");
  return v;
}

std::optional<std::string> str_param(const Request& req, std::string_view name) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return std::nullopt;
  if (v->size() > 256) throw ApiError(400, "too_long", std::string(name), "parameter too long");
  return std::string(*v);
}

std::optional<std::int64_t> int_param(const Request& req, std::string_view name, std::int64_t min,
                                      std::int64_t max) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return std::nullopt;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size())
    throw ApiError(400, "invalid_type", std::string(name), "expected an integer");
  if (n < min || n > max)
    throw ApiError(400, "out_of_range", std::string(name),
                   "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return n;
}

int limit_param(const Request& req) {
  return static_cast<int>(int_param(req, "limit", 1, 1000).value_or(100));
}

std::optional<store::Ms> time_param(const Request& req, std::string_view name) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return std::nullopt;
  auto t = wire::parse_rfc3339(*v);
  if (!t) throw ApiError(400, "invalid_format", std::string(name), "expected an RFC 3339 time");
  return t->instant.time_since_epoch().count();
}

void throw_store(const boost::system::error_code& ec) {
  if (ec == store::errc::unavailable || ec == store::errc::shutting_down)
    throw ApiError(503, "unavailable", "", "storage temporarily unavailable, retry later",
                   {{"Retry-After", "1"}});
  if (ec == store::errc::not_found) throw ApiError(404, "not_found", "", "not found");
  if (ec == store::errc::conflict)
    throw ApiError(409, "conflict", "", "conflicts with stored data");
  throw ApiError(500, "internal", "", "internal error");
}

std::string scope_path(const Ctx& c) {
  const auto& me = c.me();
  auto id = str_param(c.req, "org_unit_id");
  if (!id) return me.org_path;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(id->data(), id->data() + id->size(), n);
  if (ec != std::errc() || p != id->data() + id->size())
    throw ApiError(404, "not_found", "org_unit_id", "no such org unit");
  auto o = c.svc.store().org_unit(n);
  if (!o) {
    if (o.error() == store::errc::not_found)
      throw ApiError(404, "not_found", "org_unit_id", "no such org unit");
    throw_store(o.error());
  }
  if (!me.can_see(o->path))
    throw ApiError(403, "forbidden", "org_unit_id", "org unit outside your area");
  return o->path;
}

}  // namespace patrol::api
