// libFuzzer target: the OsmAnd / Traccar Client decoder (api/osmand.cpp), as
// GET|POST /osmand feeds it. Input: the raw query string, a newline, the
// Content-Type, a newline, then the body. Every input must end in a report
// or an ApiError 400 — never another exception, a crash or a bad read.
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api_error.hpp"
#include "api/osmand.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl1 = in.find('\n');
  const std::string_view query_text = in.substr(0, nl1);
  std::string_view rest = nl1 == std::string_view::npos ? std::string_view{} : in.substr(nl1 + 1);
  const auto nl2 = rest.find('\n');
  const std::string_view content_type = rest.substr(0, nl2);
  const std::string_view body =
      nl2 == std::string_view::npos ? std::string_view{} : rest.substr(nl2 + 1);

  // The query decoded as the net layer decodes it (to_api_request). The
  // pieces are copied into strings as the server holds them (NUL-terminated:
  // Boost.URL 1.81's parse_query reads an empty view's data as a C string).
  std::vector<std::pair<std::string, std::string>> query;
  const std::string query_copy(query_text), body_copy(body), type_copy(content_type);
  if (!query_copy.empty()) {
    if (auto q = boost::urls::parse_query(query_copy)) {
      for (auto p : boost::urls::params_view(*q)) query.emplace_back(p.key, p.value);
    }
  }
  try {
    auto r = patrol::api::decode_osmand(query, body_copy, type_copy, 1764500000000);
    if (r.id.empty() || r.lat < -90 || r.lat > 90 || r.lon < -180 || r.lon > 180) __builtin_trap();
  } catch (const patrol::api::ApiError& e) {
    if (e.status != 400) __builtin_trap();
  }
  return 0;
}
