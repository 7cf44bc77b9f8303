#include "store/sqlite_support.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace patrol::store::detail {
namespace json = boost::json;

namespace {
constexpr std::string_view kAppendChange =
    "INSERT INTO change_log(entity, op, id, org_path, data) VALUES (?1, ?2, ?3, ?4, ?5)";
}  // namespace

std::string path_upper(std::string_view prefix) {
  std::string up(prefix);
  if (up.empty()) return std::string(1, '\x7f');
  up.back() = static_cast<char>(up.back() + 1);
  return up;
}

std::string to_text(const json::value& v) {
  return json::serialize(v);
}

std::vector<std::string> string_array(std::string_view text) {
  std::vector<std::string> out;
  auto v = json::parse(text);
  for (const auto& e : v.as_array()) out.emplace_back(e.as_string());
  return out;
}

std::string json_strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return to_text(a);
}

void append_change(sqlite::Database& db, std::string_view entity, std::string_view op,
                   std::string_view id, std::string_view org_path, const json::value& data) {
  auto& s = q(db, kAppendChange);
  s.bind(1, entity).bind(2, op).bind(3, id).bind(4, org_path).bind(5, to_text(data));
  run(s);
}

}  // namespace patrol::store::detail
