// The overview (平安全景图) of one org node and period, with the same numbers
// for each child node (drill-down city → town → village).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/handlers.hpp"
#include "domain/local_time.hpp"
#include "domain/overview_math.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;

namespace {

json::object counts_json(const store::OverviewCounts& k) {
  json::object rounds{{"total", 0}};
  std::int64_t total = 0;
  for (auto s : {"planned", "in_progress", "completed", "missed", "cancelled"}) {
    auto it = k.rounds_by_state.find(s);
    std::int64_t n = it == k.rounds_by_state.end() ? 0 : it->second;
    rounds[s] = n;
    total += n;
  }
  rounds["total"] = total;
  json::object by_item;
  for (const auto& [code, n] : k.hazards_by_item) by_item[code] = n;
  auto rate = domain::rectification_rate(k.hazards_found, k.hazards_rectified);
  auto med = domain::median(k.close_hours);
  return {{"rounds", std::move(rounds)},
          {"sites", k.sites},
          {"sites_covered", k.sites_covered},
          {"inspections", k.inspections},
          {"hazards", json::object{{"found", k.hazards_found},
                                   {"open", k.hazards_open},
                                   {"overdue", k.hazards_overdue},
                                   {"closed", k.hazards_closed},
                                   {"by_item", std::move(by_item)}}},
          {"rectification_rate", rate ? json::value(*rate) : json::value(nullptr)},
          {"median_close_hours", med ? json::value(*med) : json::value(nullptr)}};
}

domain::CivilDate date_param(Ctx& c, std::string_view name, domain::CivilDate fallback) {
  auto v = str_param(c.req, name);
  if (!v) return fallback;
  auto d = domain::parse_date(*v);
  if (!d) throw ApiError(400, "invalid_format", std::string(name), "a date YYYY-MM-DD");
  return *d;
}

}  // namespace

Response overview(Ctx& c) {
  auto path = scope_path(c);
  auto id_text = str_param(c.req, "org_unit_id").value_or(c.me().org_unit_id);
  std::int64_t id = std::stoll(id_text);  // checked by scope_path
  auto today =
      domain::utc_to_local_date(now_ms(), domain::kDefaultTz).value_or(domain::CivilDate{});
  auto to = date_param(c, "to", today);
  auto from = date_param(c, "from", domain::add_days(to, -29));
  if (to < from) throw ApiError(400, "out_of_range", "to", "to is before from");
  if (domain::days_from_civil(to) - domain::days_from_civil(from) > 3660)
    throw ApiError(400, "out_of_range", "from", "at most ten years");
  store::Ms t0 = *domain::local_to_utc(from, 0, domain::kDefaultTz);
  store::Ms t1 = *domain::local_to_utc(domain::add_days(to, 1), 0, domain::kDefaultTz);

  auto o = counts_json(must(c.svc.store().overview_counts(path, t0, t1)));
  o["org_unit_id"] = id_text;
  o["from"] = domain::format_date(from);
  o["to"] = domain::format_date(to);
  json::array children;
  for (const auto& child : must(c.svc.store().org_children(id))) {
    auto co = counts_json(must(c.svc.store().overview_counts(child.path, t0, t1)));
    co["org_unit_id"] = store::id_string(child.id);
    co["name"] = child.name;
    co["kind"] = child.kind;
    children.push_back(std::move(co));
  }
  o["children"] = std::move(children);
  return json_response(200, o);
}

}  // namespace patrol::api::handlers
