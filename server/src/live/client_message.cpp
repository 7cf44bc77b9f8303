#include "live/client_message.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <charconv>
#include <cstdint>

namespace patrol::live {
namespace json = boost::json;

boost::system::result<Subscribe, wire::FieldError> decode_client_message(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  const json::object* o = (!ec && v.is_object()) ? &v.as_object() : nullptr;
  if (!o) return wire::FieldError{"malformed_json", "", "expected a JSON object"};
  const auto* type = o->if_contains("type");
  if (!type || !type->is_string() || type->as_string() != "subscribe")
    return wire::FieldError{"unknown_type", "type", "expected \"subscribe\" or \"ping\""};
  Subscribe out;
  std::int64_t org = 0;
  const auto* id = o->if_contains("org_unit_id");
  bool ok = false;
  if (id && id->is_string()) {
    auto s = std::string_view(id->as_string());
    auto [p, e] = std::from_chars(s.data(), s.data() + s.size(), org);
    ok = e == std::errc() && p == s.data() + s.size() && org > 0;
  } else if (id && id->is_int64()) {
    org = id->as_int64();
    ok = org > 0;
  }
  if (!ok) return wire::FieldError{"invalid_format", "org_unit_id", "expected an org unit id"};
  out.org_unit_id = org;
  if (const auto* s = o->if_contains("since"); s && !s->is_null()) {
    if (s->is_int64() && s->as_int64() >= 0)
      out.since = s->as_int64();
    else if (s->is_uint64())
      out.since = static_cast<std::int64_t>(std::min<std::uint64_t>(s->as_uint64(), INT64_MAX));
    else
      return wire::FieldError{"invalid_format", "since", "expected a non-negative integer"};
  }
  return out;
}

}  // namespace patrol::live
