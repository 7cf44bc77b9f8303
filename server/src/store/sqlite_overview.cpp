// SqliteStore's OverviewStore: the counts of one org node and period, each an
// indexed range over org_path (and time) — no scan of other nodes' rows.
// overview_tree reads each table once for the node and all its children:
// rows come in org_path order from covering indexes (migration 5), so each
// run of one path is mapped to its child once and counted in C++ (no GROUP BY
// sorter, no table lookup per row).
#include <algorithm>
#include <functional>
#include <unordered_set>

#include "domain/site_overview.hpp"
#include "store/overview_tally.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store_impl.hpp"

namespace patrol::store {
using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers
using sqlite::Database;

namespace {

constexpr std::string_view kRoundsByState =
    "SELECT state, count(*) FROM rounds WHERE org_path >= ?1 AND org_path < ?2 "
    "AND starts_at >= ?3 AND starts_at < ?4 GROUP BY state";
constexpr std::string_view kSites =
    "SELECT count(*) FROM sites WHERE org_path >= ?1 AND org_path < ?2 AND deleted = 0";
constexpr std::string_view kInspections =
    "SELECT count(*), count(DISTINCT site_id) FROM inspections WHERE org_path >= ?1 "
    "AND org_path < ?2 AND observed_ms >= ?3 AND observed_ms < ?4";
constexpr std::string_view kHazards =
    "SELECT h.item_code, h.state, h.overdue, h.first_found_at, h.closed_at, s.category "
    "FROM hazards h JOIN sites s ON s.id = h.site_id "
    "WHERE h.org_path >= ?1 AND h.org_path < ?2 AND h.first_found_at >= ?3 "
    "AND h.first_found_at < ?4";

// overview_tree: one range per table, in org_path order.
constexpr std::string_view kTreeRounds =
    "SELECT org_path, starts_at, state FROM rounds INDEXED BY rounds_overview "
    "WHERE org_path >= ?1 AND org_path < ?2 AND starts_at >= ?3 AND starts_at < ?4";
constexpr std::string_view kTreeSites =
    "SELECT org_path, count(*) FROM sites WHERE org_path >= ?1 AND org_path < ?2 "
    "AND deleted = 0 GROUP BY org_path";
constexpr std::string_view kTreeInspections =
    "SELECT org_path, observed_ms, site_id FROM inspections INDEXED BY inspections_overview "
    "WHERE org_path >= ?1 AND org_path < ?2 AND observed_ms >= ?3 AND observed_ms < ?4";
// Hazards found before `to` (those closed in the period may be older).
constexpr std::string_view kTreeHazards =
    "SELECT h.org_path, h.item_code, h.state, h.overdue, h.first_found_at, h.closed_at, "
    "s.category FROM hazards h JOIN sites s ON s.id = h.site_id "
    "WHERE h.org_path >= ?1 AND h.org_path < ?2 AND h.first_found_at < ?3";

// overview_sites: the village's own rows, each an indexed range over org_path.
constexpr std::string_view kSiteList =
    "SELECT id, name, category, lat, lon FROM sites "
    "WHERE org_path >= ?1 AND org_path < ?2 AND deleted = 0";
constexpr std::string_view kSiteInspections =
    "SELECT site_id, count(*) FILTER (WHERE observed_ms >= ?3), max(observed_ms) "
    "FROM inspections INDEXED BY inspections_overview "
    "WHERE org_path >= ?1 AND org_path < ?2 AND observed_ms < ?4 GROUP BY site_id";
// Open now, or found in the period (SiteTally decides what each counts for).
constexpr std::string_view kSiteHazards =
    "SELECT site_id, state, overdue, first_found_at FROM hazards "
    "WHERE org_path >= ?1 AND org_path < ?2 "
    "AND (state <> 'closed' OR (first_found_at >= ?3 AND first_found_at < ?4))";
constexpr std::string_view kSiteRounds =
    "SELECT id, state, route FROM rounds INDEXED BY rounds_by_path_start "
    "WHERE org_path >= ?1 AND org_path < ?2 AND starts_at >= ?3 AND starts_at < ?4";
// What the rounds of the period saw: inspections naming them, and check-ins.
constexpr std::string_view kSiteVisits =
    "SELECT i.round_id, i.site_id FROM rounds r "
    "JOIN inspections i ON i.round_id = r.id AND i.round_id IS NOT NULL "
    "WHERE r.org_path >= ?1 AND r.org_path < ?2 AND r.starts_at >= ?3 AND r.starts_at < ?4 "
    "UNION SELECT c.round_id, c.site_id FROM rounds r JOIN round_checkins c ON c.round_id = r.id "
    "WHERE r.org_path >= ?1 AND r.org_path < ?2 AND r.starts_at >= ?3 AND r.starts_at < ?4";

}  // namespace

result<OverviewCounts> SqliteStore::overview_counts(std::string_view scope_path, Ms from, Ms to) {
  return impl_->readers.read([&](Database& db) {
    OverviewCounts c;
    std::string upper = path_upper(scope_path);
    {
      auto& s = q(db, kRoundsByState);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
      while (step(s)) c.rounds_by_state[s.column_text(0)] = s.column_int64(1);
    }
    {
      auto& s = q(db, kSites);
      s.bind(1, scope_path).bind(2, upper);
      step(s);
      c.sites = s.column_int64(0);
      s.reset();
    }
    {
      auto& s = q(db, kInspections);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
      step(s);
      c.inspections = s.column_int64(0);
      c.sites_covered = s.column_int64(1);
      s.reset();
    }
    {
      auto& s = q(db, kHazards);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
      while (step(s)) {
        count_hazard(c, s.column_text_view(0), s.column_text_view(5), s.column_text_view(1),
                     s.column_int64(2) != 0, s.column_int64(3), s.column_opt_int64(4));
      }
    }
    return c;
  });
}

result<OverviewTree> SqliteStore::overview_tree(std::string_view scope_path,
                                                const std::vector<std::string>& child_paths,
                                                Ms from, Ms to,
                                                const std::vector<Ms>& week_starts) {
  return impl_->readers.read([&](Database& db) {
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::deferred);  // one snapshot
    if (tx.begin_error()) fail(tx.begin_error());
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
      auto& s = q(db, kTreeRounds);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
      // Counted per (path run, state) and added up at the end of each run.
      std::map<std::string, std::int64_t> run;
      OverviewCounts* run_child = nullptr;
      auto flush = [&] {
        for (const auto& [state, n] : run) {
          node.rounds_by_state[state] += n;
          if (run_child) run_child->rounds_by_state[state] += n;
        }
        run.clear();
      };
      while (step(s)) {
        if (of.moved(s.column_text_view(0))) {
          flush();
          run_child = child(of.index());
        }
        auto state = s.column_text_view(2);
        ++run[std::string(state)];
        if (state == "completed" || state == "missed")
          if (auto* w = week(s.column_int64(1)))
            ++(state == "completed" ? w->rounds_completed : w->rounds_missed);
      }
      flush();
      s.reset();
    }
    {
      ChildOf of(child_paths);
      auto& s = q(db, kTreeSites);
      s.bind(1, scope_path).bind(2, upper);
      while (step(s)) {
        std::int64_t n = s.column_int64(1);
        node.sites += n;
        if (auto* c = child(of(s.column_text_view(0)))) c->sites += n;
      }
      s.reset();
    }
    {
      // A site has one org path, so distinct sites per path add up.
      ChildOf of(child_paths);
      auto& s = q(db, kTreeInspections);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
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
      while (step(s)) {
        if (of.moved(s.column_text_view(0))) {
          flush();
          run_child = child(of.index());
        }
        ++run_n;
        if (auto* w = week(s.column_int64(1))) ++w->inspections;
        auto site = s.column_text_view(2);
        if (sites.find(site) == sites.end()) sites.emplace(site);
      }
      flush();
      s.reset();
    }
    {
      ChildOf of(child_paths);
      auto& s = q(db, kTreeHazards);
      s.bind(1, scope_path).bind(2, upper).bind(3, to);
      while (step(s)) {
        Ms found = s.column_int64(4);
        auto closed = s.column_opt_int64(5);
        auto state = s.column_text_view(2);
        if (closed && *closed >= from && *closed < to && state == "closed")
          if (auto* w = week(*closed)) ++w->hazards_closed;
        if (found < from) continue;
        if (auto* w = week(found)) ++w->hazards_found;
        auto item = s.column_text_view(1);
        auto category = s.column_text_view(6);
        bool overdue = s.column_int64(3) != 0;
        count_hazard(node, item, category, state, overdue, found, closed);
        if (auto* c = child(of(s.column_text_view(0))))
          count_hazard(*c, item, category, state, overdue, found, closed);
      }
      s.reset();
    }
    (void)tx.commit();
    return t;
  });
}

result<std::vector<OverviewSite>> SqliteStore::overview_sites(std::string_view scope_path, Ms from,
                                                              Ms to) {
  return impl_->readers.read([&](Database& db) {
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::deferred);  // one snapshot
    if (tx.begin_error()) fail(tx.begin_error());
    domain::SiteTally tally(from, to);
    std::string upper = path_upper(scope_path);
    {
      auto& s = q(db, kSiteList);
      s.bind(1, scope_path).bind(2, upper);
      while (step(s)) {
        OverviewSite site;
        site.id = s.column_text(0);
        site.name = s.column_text(1);
        site.category = s.column_text(2);
        site.lat = s.column_double(3);
        site.lon = s.column_double(4);
        tally.site(std::move(site));
      }
      s.reset();
    }
    {
      auto& s = q(db, kSiteInspections);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
      while (step(s))
        tally.inspections(s.column_text_view(0), s.column_int64(1), s.column_int64(2));
      s.reset();
    }
    {
      auto& s = q(db, kSiteHazards);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
      while (step(s))
        tally.hazard(s.column_text_view(0), s.column_text_view(1), s.column_int64(2) != 0,
                     s.column_int64(3));
      s.reset();
    }
    {
      auto& s = q(db, kSiteRounds);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
      while (step(s))
        tally.round(s.column_text_view(0), s.column_text_view(1),
                    string_array(s.column_text_view(2)));
      s.reset();
    }
    {
      auto& s = q(db, kSiteVisits);
      s.bind(1, scope_path).bind(2, upper).bind(3, from).bind(4, to);
      while (step(s)) tally.visit(s.column_text_view(0), s.column_text_view(1));
      s.reset();
    }
    (void)tx.commit();
    return tally.take();
  });
}

}  // namespace patrol::store
