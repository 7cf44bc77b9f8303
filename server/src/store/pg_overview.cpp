// PgStore's OverviewStore: the counts of one org node and period, each an
// indexed range over org_path (and time), as sqlite_overview.cpp.
// overview_tree reads each table once for the node and all its children, rows
// in org_path order, each run of one path mapped to its child once and
// counted in C++ (the same arithmetic as SQLite's).
#include <algorithm>
#include <functional>
#include <map>
#include <unordered_set>

#include "domain/site_overview.hpp"
#include "store/overview_tally.hpp"
#include "store/pg_store_impl.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store {
using namespace pg;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::string_view kRoundsByState =
    "SELECT state, count(*) FROM rounds WHERE org_path >= $1 AND org_path < $2 "
    "AND starts_at >= $3 AND starts_at < $4 GROUP BY state";
constexpr std::string_view kSites =
    "SELECT count(*) FROM sites WHERE org_path >= $1 AND org_path < $2 AND deleted = 0";
constexpr std::string_view kInspections =
    "SELECT count(*), count(DISTINCT site_id) FROM inspections WHERE org_path >= $1 "
    "AND org_path < $2 AND observed_ms >= $3 AND observed_ms < $4";
constexpr std::string_view kHazards =
    "SELECT h.item_code, h.state, h.overdue, h.first_found_at, h.closed_at, s.category "
    "FROM hazards h JOIN sites s ON s.id = h.site_id "
    "WHERE h.org_path >= $1 AND h.org_path < $2 AND h.first_found_at >= $3 "
    "AND h.first_found_at < $4";

// overview_tree: one range per table, in org_path order.
constexpr std::string_view kTreeRounds =
    "SELECT org_path, starts_at, state FROM rounds "
    "WHERE org_path >= $1 AND org_path < $2 AND starts_at >= $3 AND starts_at < $4 "
    "ORDER BY org_path";
constexpr std::string_view kTreeSites =
    "SELECT org_path, count(*) FROM sites WHERE org_path >= $1 AND org_path < $2 "
    "AND deleted = 0 GROUP BY org_path ORDER BY org_path";
constexpr std::string_view kTreeInspections =
    "SELECT org_path, observed_ms, site_id FROM inspections "
    "WHERE org_path >= $1 AND org_path < $2 AND observed_ms >= $3 AND observed_ms < $4 "
    "ORDER BY org_path";
// Hazards found before `to` (those closed in the period may be older).
constexpr std::string_view kTreeHazards =
    "SELECT h.org_path, h.item_code, h.state, h.overdue, h.first_found_at, h.closed_at, "
    "s.category FROM hazards h JOIN sites s ON s.id = h.site_id "
    "WHERE h.org_path >= $1 AND h.org_path < $2 AND h.first_found_at < $3";

// overview_sites: the village's own rows, as sqlite_overview.cpp.
constexpr std::string_view kSiteList =
    "SELECT id, name, category, lat, lon FROM sites "
    "WHERE org_path >= $1 AND org_path < $2 AND deleted = 0";
constexpr std::string_view kSiteInspections =
    "SELECT site_id, count(*) FILTER (WHERE observed_ms >= $3), max(observed_ms) "
    "FROM inspections WHERE org_path >= $1 AND org_path < $2 AND observed_ms < $4 "
    "GROUP BY site_id";
// Open now, or found in the period (SiteTally decides what each counts for).
constexpr std::string_view kSiteHazards =
    "SELECT site_id, state, overdue, first_found_at FROM hazards "
    "WHERE org_path >= $1 AND org_path < $2 "
    "AND (state <> 'closed' OR (first_found_at >= $3 AND first_found_at < $4))";
constexpr std::string_view kSiteRounds =
    "SELECT id, state, route FROM rounds "
    "WHERE org_path >= $1 AND org_path < $2 AND starts_at >= $3 AND starts_at < $4";
// What the rounds of the period saw: inspections naming them, and check-ins.
constexpr std::string_view kSiteVisits =
    "SELECT i.round_id, i.site_id FROM rounds r "
    "JOIN inspections i ON i.round_id = r.id AND i.round_id IS NOT NULL "
    "WHERE r.org_path >= $1 AND r.org_path < $2 AND r.starts_at >= $3 AND r.starts_at < $4 "
    "UNION SELECT c.round_id, c.site_id FROM rounds r JOIN round_checkins c ON c.round_id = r.id "
    "WHERE r.org_path >= $1 AND r.org_path < $2 AND r.starts_at >= $3 AND r.starts_at < $4";

// Ends the read-only snapshot a read began.
struct EndSnapshot {
  Conn& c;
  ~EndSnapshot() {
    try {
      c.exec("COMMIT");
    } catch (const Failure&) {
    }
  }
};

}  // namespace

result<OverviewCounts> PgStore::overview_counts(std::string_view scope_path, Ms from, Ms to) {
  return impl_->readers.read([&](Conn& c) {
    OverviewCounts out;
    std::string upper = path_upper(scope_path);
    // One snapshot for the four counts (a consistent picture under writes).
    c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    struct End {
      Conn& c;
      ~End() {
        try {
          c.exec("COMMIT");
        } catch (const Failure&) {
        }
      }
    } end{c};
    {
      auto r = c.exec(kRoundsByState, Params().add(scope_path).add(upper).add(from).add(to));
      for (int i = 0; i < r.rows(); ++i) out.rounds_by_state[r.text(i, 0)] = r.int64(i, 1);
    }
    out.sites = c.exec(kSites, Params().add(scope_path).add(upper)).int64(0, 0);
    {
      auto r = c.exec(kInspections, Params().add(scope_path).add(upper).add(from).add(to));
      out.inspections = r.int64(0, 0);
      out.sites_covered = r.int64(0, 1);
    }
    auto r = c.exec(kHazards, Params().add(scope_path).add(upper).add(from).add(to));
    for (int i = 0; i < r.rows(); ++i)
      count_hazard(out, r.text_view(i, 0), r.text_view(i, 5), r.text_view(i, 1), r.boolean(i, 2),
                   r.int64(i, 3), r.opt_int64(i, 4));
    return out;
  });
}

result<OverviewTree> PgStore::overview_tree(std::string_view scope_path,
                                            const std::vector<std::string>& child_paths, Ms from,
                                            Ms to, const std::vector<Ms>& week_starts) {
  return impl_->readers.read([&](Conn& c) {
    c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");  // one snapshot
    EndSnapshot end{c};
    OverviewTree t;
    t.children.resize(child_paths.size());
    auto& node = t.node;
    node.weekly.resize(week_starts.size());
    for (std::size_t i = 0; i < week_starts.size(); ++i) node.weekly[i].week_start = week_starts[i];
    auto week = [&](Ms at) -> OverviewWeek* {
      auto it = std::upper_bound(week_starts.begin(), week_starts.end(), at);
      if (it == week_starts.begin()) return nullptr;
      return &node.weekly[static_cast<std::size_t>(it - week_starts.begin() - 1)];
    };
    auto child = [&](int i) -> OverviewCounts* {
      return i < 0 ? nullptr : &t.children[static_cast<std::size_t>(i)];
    };
    std::string upper = path_upper(scope_path);
    {
      ChildOf of(child_paths);
      auto r = c.exec(kTreeRounds, Params().add(scope_path).add(upper).add(from).add(to));
      std::map<std::string, std::int64_t> run;  // per (path run, state), added up per run
      OverviewCounts* run_child = nullptr;
      auto flush = [&] {
        for (const auto& [state, n] : run) {
          node.rounds_by_state[state] += n;
          if (run_child) run_child->rounds_by_state[state] += n;
        }
        run.clear();
      };
      for (int i = 0; i < r.rows(); ++i) {
        if (of.moved(r.text_view(i, 0))) {
          flush();
          run_child = child(of.index());
        }
        auto state = r.text_view(i, 2);
        ++run[std::string(state)];
        if (state == "completed" || state == "missed")
          if (auto* w = week(r.int64(i, 1)))
            ++(state == "completed" ? w->rounds_completed : w->rounds_missed);
      }
      flush();
    }
    {
      ChildOf of(child_paths);
      auto r = c.exec(kTreeSites, Params().add(scope_path).add(upper));
      for (int i = 0; i < r.rows(); ++i) {
        std::int64_t n = r.int64(i, 1);
        node.sites += n;
        if (auto* ch = child(of(r.text_view(i, 0)))) ch->sites += n;
      }
    }
    {
      // A site has one org path, so distinct sites per path add up.
      ChildOf of(child_paths);
      auto r = c.exec(kTreeInspections, Params().add(scope_path).add(upper).add(from).add(to));
      std::unordered_set<std::string, ViewHash, std::equal_to<>> sites;
      OverviewCounts* run_child = nullptr;
      std::int64_t run_n = 0;
      auto flush = [&] {
        auto covered = static_cast<std::int64_t>(sites.size());
        node.inspections += run_n;
        node.sites_covered += covered;
        if (run_child) {
          run_child->inspections += run_n;
          run_child->sites_covered += covered;
        }
        sites.clear();
        run_n = 0;
      };
      for (int i = 0; i < r.rows(); ++i) {
        if (of.moved(r.text_view(i, 0))) {
          flush();
          run_child = child(of.index());
        }
        ++run_n;
        if (auto* w = week(r.int64(i, 1))) ++w->inspections;
        auto site = r.text_view(i, 2);
        if (sites.find(site) == sites.end()) sites.emplace(site);
      }
      flush();
    }
    {
      ChildOf of(child_paths);
      auto r = c.exec(kTreeHazards, Params().add(scope_path).add(upper).add(to));
      for (int i = 0; i < r.rows(); ++i) {
        Ms found = r.int64(i, 4);
        auto closed = r.opt_int64(i, 5);
        auto state = r.text_view(i, 2);
        if (closed && *closed >= from && *closed < to && state == "closed")
          if (auto* w = week(*closed)) ++w->hazards_closed;
        if (found < from) continue;
        if (auto* w = week(found)) ++w->hazards_found;
        auto item = r.text_view(i, 1);
        auto category = r.text_view(i, 6);
        bool overdue = r.boolean(i, 3);
        count_hazard(node, item, category, state, overdue, found, closed);
        if (auto* ch = child(of(r.text_view(i, 0))))
          count_hazard(*ch, item, category, state, overdue, found, closed);
      }
    }
    return t;
  });
}

result<std::vector<OverviewSite>> PgStore::overview_sites(std::string_view scope_path, Ms from,
                                                          Ms to) {
  return impl_->readers.read([&](Conn& c) {
    c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");  // one snapshot
    EndSnapshot end{c};
    domain::SiteTally tally(from, to);
    std::string upper = path_upper(scope_path);
    auto range = [&] { return Params().add(scope_path).add(upper).add(from).add(to); };
    {
      auto r = c.exec(kSiteList, Params().add(scope_path).add(upper));
      for (int i = 0; i < r.rows(); ++i) {
        OverviewSite site;
        site.id = r.text(i, 0);
        site.name = r.text(i, 1);
        site.category = r.text(i, 2);
        site.lat = r.dbl(i, 3);
        site.lon = r.dbl(i, 4);
        tally.site(std::move(site));
      }
    }
    {
      auto r = c.exec(kSiteInspections, range());
      for (int i = 0; i < r.rows(); ++i)
        tally.inspections(r.text_view(i, 0), r.int64(i, 1), r.int64(i, 2));
    }
    {
      auto r = c.exec(kSiteHazards, range());
      for (int i = 0; i < r.rows(); ++i)
        tally.hazard(r.text_view(i, 0), r.text_view(i, 1), r.boolean(i, 2), r.int64(i, 3));
    }
    {
      auto r = c.exec(kSiteRounds, range());
      for (int i = 0; i < r.rows(); ++i)
        tally.round(r.text_view(i, 0), r.text_view(i, 1), detail::string_array(r.text_view(i, 2)));
    }
    {
      auto r = c.exec(kSiteVisits, range());
      for (int i = 0; i < r.rows(); ++i) tally.visit(r.text_view(i, 0), r.text_view(i, 1));
    }
    return tally.take();
  });
}

}  // namespace patrol::store
