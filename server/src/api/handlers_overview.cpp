// The overview (平安全景图) of one org node and period, with the same numbers
// for each child node (drill-down city → town → village) and the node's
// week-by-week trend; all read in one pass (OverviewStore::overview_tree).
// A village adds its sites, the drill-down's last level (`site_details`,
// OverviewStore::overview_sites; `sites` stays the count it always was).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/handlers.hpp"
#include "domain/local_time.hpp"
#include "domain/overview_math.hpp"
#include "domain/site_overview.hpp"

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
  json::object by_item, by_category;
  for (const auto& [code, n] : k.hazards_by_item) by_item[code] = n;
  for (const auto& [category, n] : k.hazards_by_category) by_category[category] = n;
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
                                   {"by_item", std::move(by_item)},
                                   {"by_category", std::move(by_category)}}},
          {"rectification_rate", rate ? json::value(*rate) : json::value(nullptr)},
          {"median_close_hours", med ? json::value(*med) : json::value(nullptr)}};
}

json::object site_json(const store::OverviewSite& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"category", s.category},
          {"lat", s.lat},
          {"lon", s.lon},
          {"inspections", s.inspections},
          {"last_inspected_at", s.last_inspected_at
                                    ? json::value(store::format_ms(*s.last_inspected_at))
                                    : json::value(nullptr)},
          {"hazards", json::object{{"found", s.hazards_found},
                                   {"open", s.hazards_open},
                                   {"overdue", s.hazards_overdue},
                                   {"closed", s.hazards_closed}}},
          {"open_hazards", s.open_hazards},
          {"overdue_hazards", s.overdue_hazards},
          {"rounds", json::object{{"planned", s.rounds_planned}, {"visited", s.rounds_visited}}}};
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

  // Weeks start on Monday (Asia/Shanghai); the first one may begin before `from`.
  std::vector<store::Ms> week_starts;
  for (auto d = domain::add_days(from, 1 - domain::iso_weekday(from)); d <= to;
       d = domain::add_days(d, 7))
    week_starts.push_back(*domain::local_to_utc(d, 0, domain::kDefaultTz));

  auto kids = must(c.svc.store().org_children(id));
  std::vector<std::string> child_paths;
  for (const auto& k : kids) child_paths.push_back(k.path);
  auto tree = must(c.svc.store().overview_tree(path, child_paths, t0, t1, week_starts));

  auto o = counts_json(tree.node);
  o["org_unit_id"] = id_text;
  o["from"] = domain::format_date(from);
  o["to"] = domain::format_date(to);
  json::array weekly;
  for (const auto& w : tree.node.weekly) {
    auto day = domain::utc_to_local_date(w.week_start, domain::kDefaultTz);
    weekly.push_back(json::object{{"week_start", day ? domain::format_date(*day) : ""},
                                  {"rounds_completed", w.rounds_completed},
                                  {"rounds_missed", w.rounds_missed},
                                  {"inspections", w.inspections},
                                  {"hazards_found", w.hazards_found},
                                  {"hazards_closed", w.hazards_closed}});
  }
  o["weekly"] = std::move(weekly);
  json::array children;
  for (std::size_t i = 0; i < kids.size(); ++i) {
    auto co = counts_json(tree.children[i]);
    co["org_unit_id"] = store::id_string(kids[i].id);
    co["name"] = kids[i].name;
    co["kind"] = kids[i].kind;
    children.push_back(std::move(co));
  }
  o["children"] = std::move(children);
  if (domain::overview_lists_sites(must(c.svc.store().org_unit(id)).kind)) {
    json::array sites;
    for (const auto& s : must(c.svc.store().overview_sites(path, t0, t1)))
      sites.push_back(site_json(s));
    o["site_details"] = std::move(sites);
  }
  return json_response(200, o);
}

}  // namespace patrol::api::handlers
