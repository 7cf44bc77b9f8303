#include "domain/site_overview.hpp"

#include <algorithm>
#include <tuple>

namespace patrol::domain {

bool overview_lists_sites(std::string_view kind) noexcept {
  return kind == "village" || kind == "grid" || kind == "micro_grid";
}

void SiteTally::site(store::OverviewSite s) {
  auto id = s.id;
  if (index_.count(id)) return;
  index_.emplace(std::move(id), sites_.size());
  sites_.push_back(std::move(s));
}

store::OverviewSite* SiteTally::find(std::string_view site_id) {
  auto it = index_.find(site_id);
  return it == index_.end() ? nullptr : &sites_[it->second];
}

void SiteTally::inspections(std::string_view site_id, std::int64_t in_period,
                            store::Ms last_before_to) {
  auto* s = find(site_id);
  if (!s) return;
  s->inspections += in_period;
  if (last_before_to < to_ && (!s->last_inspected_at || *s->last_inspected_at < last_before_to))
    s->last_inspected_at = last_before_to;
}

void SiteTally::hazard(std::string_view site_id, std::string_view state, bool overdue,
                       store::Ms first_found_at) {
  auto* s = find(site_id);
  if (!s) return;
  bool closed = state == "closed";
  if (!closed) {
    ++s->open_hazards;
    if (overdue) ++s->overdue_hazards;
  }
  if (first_found_at < from_ || first_found_at >= to_) return;
  ++s->hazards_found;
  ++(closed ? s->hazards_closed : s->hazards_open);
  if (overdue) ++s->hazards_overdue;
}

void SiteTally::round(std::string_view round_id, std::string_view state,
                      const std::vector<std::string>& route) {
  if (state == "cancelled") return;
  auto [it, fresh] = routes_.emplace(std::string(round_id), std::vector<std::string>{});
  if (!fresh) return;
  // A route naming a site twice plans it once.
  std::set<std::string, std::less<>> seen;
  for (const auto& id : route)
    if (seen.insert(id).second) it->second.push_back(id);
}

void SiteTally::visit(std::string_view round_id, std::string_view site_id) {
  visits_.emplace(std::string(round_id), std::string(site_id));
}

std::vector<store::OverviewSite> SiteTally::take() {
  for (const auto& [round_id, route] : routes_)
    for (const auto& site_id : route)
      if (auto* s = find(site_id)) {
        ++s->rounds_planned;
        if (visits_.count(std::pair<std::string, std::string>(round_id, site_id)))
          ++s->rounds_visited;
      }
  routes_.clear();
  visits_.clear();
  index_.clear();
  std::sort(sites_.begin(), sites_.end(), [](const auto& a, const auto& b) {
    return std::tuple(-a.open_hazards, -a.overdue_hazards, a.inspections, a.name, a.id) <
           std::tuple(-b.open_hazards, -b.overdue_hazards, b.inspections, b.name, b.id);
  });
  return std::move(sites_);
}

}  // namespace patrol::domain
