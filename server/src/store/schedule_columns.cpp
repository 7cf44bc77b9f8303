#include "store/schedule_columns.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <limits>

namespace patrol::store {
namespace json = boost::json;

std::vector<int> parse_weekdays(std::string_view text) {
  std::vector<int> out;
  json::value doc = json::parse(text);  // kept: a temporary would die before the loop
  for (const auto& v : doc.as_array()) out.push_back(static_cast<int>(v.to_number<std::int64_t>()));
  return out;
}

std::string weekdays_json(const std::vector<int>& weekdays) {
  json::array a;
  for (int d : weekdays) a.emplace_back(d);
  return json::serialize(a);
}

std::vector<ScheduleExceptionEntry> parse_exceptions(std::string_view text) {
  std::vector<ScheduleExceptionEntry> out;
  json::value doc = json::parse(text);
  for (const auto& v : doc.as_array()) {
    const auto& o = v.as_object();
    ScheduleExceptionEntry e;
    e.date = std::string(o.at("date").as_string());
    e.action = std::string(o.at("action").as_string());
    if (auto* t = o.if_contains("start_time"); t && t->is_string())
      e.start_time = std::string(t->get_string());
    out.push_back(std::move(e));
  }
  return out;
}

std::string exceptions_json(const std::vector<ScheduleExceptionEntry>& exceptions) {
  json::array a;
  for (const auto& e : exceptions) {
    json::object o{{"date", e.date}, {"action", e.action}};
    if (e.start_time) o["start_time"] = *e.start_time;
    a.push_back(std::move(o));
  }
  return json::serialize(a);
}

RoundCursor parse_round_cursor(const std::optional<std::string>& after) {
  if (!after) return {std::numeric_limits<Ms>::min(), {}};
  auto dot = after->find('.');
  return {std::stoll(after->substr(0, dot)),
          dot == std::string::npos ? std::string() : after->substr(dot + 1)};
}

std::string round_cursor(const Round& last) {
  return std::to_string(last.starts_at) + "." + last.id;
}

}  // namespace patrol::store
