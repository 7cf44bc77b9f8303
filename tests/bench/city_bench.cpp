// A generated city at Linhai's size (665 villages in 19 towns, 20,000
// volunteers, 10 sites and a Mon/Wed/Fri schedule per village, a year of
// rounds, inspections with hazards) in a real SQLite store, then the issue's
// three measurements: round generation for every schedule for a week, the
// overview per org node (city with its 19 towns, a town, a village, and the
// village with its sites: the drill-down's last level), and a volunteer's
// sync/pull with an up-to-date cursor. Prints JSON lines for
// tests/bench/table.js. Usage: patrol_bench_city WORKDIR [INSPECTIONS_PER_VILLAGE]
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <string>

#include "domain/demo_seed.hpp"
#include "domain/round_planner.hpp"
#include "patrol/wire/uuid.hpp"
#include "store/sqlite_store.hpp"

using namespace patrol;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kTowns = 19;
constexpr int kVillages = 665;
constexpr int kSitesPerVillage = 10;
constexpr int kUsersPerVillage = 30;  // 19,950 volunteers
constexpr store::Ms kDay = 24LL * 3600 * 1000;

store::Ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

void emit(const std::string& bench, double value, const std::string& unit, double target) {
  std::cout << json::serialize(json::object{{"bench", bench},
                                            {"value", value},
                                            {"unit", unit},
                                            {"baseline_name", "target"},
                                            {"baseline", target},
                                            {"ratio", value / target}})
            << std::endl;
}

template <class T>
T must(store::result<T> r, const char* what) {
  if (!r) {
    std::cerr << what << ": " << r.error().message() << "\n";
    std::exit(1);
  }
  return std::move(*r);
}

void must(store::result<void> r, const char* what) {
  if (!r) {
    std::cerr << what << ": " << r.error().message() << "\n";
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: patrol_bench_city WORKDIR [INSPECTIONS_PER_VILLAGE]\n";
    return 2;
  }
  int per_village = argc > 2 ? std::stoi(argv[2]) : 150;
  std::filesystem::path dir = std::filesystem::path(argv[1]) / "city";
  std::filesystem::create_directories(dir);
  store::SqliteStoreOptions o;
  o.db_path = dir / "patrol.db";
  auto st = must(store::SqliteStore::open(o), "open");
  store::Store& s = *st;
  store::Ms now = now_ms();
  std::mt19937_64 rng(7);

  // ---- the city ----
  store::SeedData d;
  d.org_units.push_back({1, std::nullopt, "city", "临海市", "/1/"});
  for (int t = 0; t < kTowns; ++t) {
    std::int64_t id = 2 + t;
    d.org_units.push_back(
        {id, 1, "town", "镇" + std::to_string(t), "/1/" + std::to_string(id) + "/"});
  }
  d.templates = domain::builtin_templates();
  std::vector<std::vector<std::string>> village_sites(kVillages);
  std::vector<std::vector<store::User>> village_users(kVillages);
  for (int v = 0; v < kVillages; ++v) {
    std::int64_t town = 2 + v % kTowns, id = 100 + v;
    std::string path = "/1/" + std::to_string(town) + "/" + std::to_string(id) + "/";
    d.org_units.push_back({id, town, "village", "村" + std::to_string(v), path});
    store::Team team;
    team.id = wire::make_uuid_v7();
    team.org_unit_id = id;
    team.org_path = path;
    team.name = "巡防队" + std::to_string(v);
    for (int u = 0; u < kUsersPerVillage; ++u) {
      store::User user{wire::make_uuid_v7(),
                       std::to_string(13000000000LL + v * 100 + u),
                       "队员",
                       u == 0 ? "team_leader" : "volunteer",
                       id,
                       path};
      d.users.push_back({user, "scrypt$bench"});
      team.members.push_back({user.id, user.name, u == 0 ? "leader" : "member"});
      village_users[v].push_back(user);
    }
    d.teams.push_back(team);
    store::Schedule sch;
    sch.id = wire::make_uuid_v7();
    sch.team_id = team.id;
    sch.org_unit_id = id;
    sch.org_path = path;
    sch.name = "一三五";
    sch.weekdays = {1, 3, 5};
    sch.start_time = "19:00";
    sch.duration_min = 120;
    sch.tz = "Asia/Shanghai";
    sch.starts_on = "2020-01-01";
    for (int k = 0; k < kSitesPerVillage; ++k) {
      store::Site site;
      site.id = wire::make_uuid_v7();
      site.org_unit_id = id;
      site.org_path = path;
      site.name = "场所";
      site.category = k % 2 ? "shop" : "rental_housing";
      site.lat = 28.8 + v * 1e-3;
      site.lon = 121.1 + k * 1e-4;
      site.template_id = k % 2 ? "tpl-small-premises" : "tpl-rental-housing";
      site.updated_at = now;
      d.sites.push_back(site);
      village_sites[v].push_back(site.id);
      sch.route.push_back(site.id);
    }
    d.schedules.push_back(sch);
  }
  auto t0 = Clock::now();
  must(s.seed(d), "seed");
  std::cerr << "seeded " << d.users.size() << " users, " << d.sites.size() << " sites in "
            << ms_since(t0) << " ms\n";

  // ---- a year of rounds ----
  t0 = Clock::now();
  std::size_t year_rounds = 0;
  std::vector<store::Round> batch;
  std::vector<store::Round> village_rounds;  // the measured village's (/1/2/100/)
  for (const auto& sch : d.schedules) {
    auto r = domain::plan_rounds(sch, now - 365 * kDay, now, now);
    if (!r) return 1;
    if (&sch == &d.schedules[0]) village_rounds = *r;
    batch.insert(batch.end(), r->begin(), r->end());
    if (batch.size() > 5000) {
      year_rounds += must(s.add_rounds(batch), "add_rounds").size();
      batch.clear();
    }
  }
  year_rounds += must(s.add_rounds(batch), "add_rounds").size();
  std::cerr << "a year of rounds: " << year_rounds << " in " << ms_since(t0) << " ms\n";

  // ---- inspections (5% with a hazard) ----
  std::map<std::string, std::string> template_of;
  for (const auto& x : d.sites) template_of[x.id] = x.template_id;
  t0 = Clock::now();
  std::vector<store::PreparedOp> ops;
  std::size_t n_insp = 0;
  for (int k = 0; k < per_village; ++k) {
    for (int v = 0; v < kVillages; ++v) {
      const auto& site_id = village_sites[v][rng() % kSitesPerVillage];
      const auto& u = village_users[v][rng() % kUsersPerVillage];
      store::InspectionWrite w;
      auto& i = w.inspection;
      i.id = wire::make_uuid_v7();
      i.site_id = site_id;
      i.org_unit_id = u.org_unit_id;
      i.org_path = u.org_path;
      i.user_id = u.id;
      i.device_id = "bench";
      i.template_id = template_of[site_id];
      i.template_version = 1;
      i.observed_ms = now - static_cast<store::Ms>(rng() % (365 * kDay));
      i.observed_at = "2026-01-01T19:00:00+08:00";
      bool hazard = rng() % 20 == 0;
      i.items = {{"corridor_clutter", hazard ? "hazard" : "ok", "", {}}};
      if (hazard) w.hazards = {{"corridor_clutter", "medium", false, {}, ""}};
      ops.push_back({wire::make_uuid_v7(), u.id, "bench", "inspection.create", std::move(w)});
      if (ops.size() == 500) {
        must(s.apply_ops(std::move(ops)), "apply_ops");
        ops.clear();
      }
      ++n_insp;
    }
  }
  if (!ops.empty()) must(s.apply_ops(std::move(ops)), "apply_ops");
  std::cerr << n_insp << " inspections in " << ms_since(t0) << " ms\n";

  // ---- 1: round generation for every schedule for a week ----
  t0 = Clock::now();
  std::vector<store::Round> week;
  for (const auto& sch : d.schedules) {
    auto r = domain::plan_rounds(sch, now + 30 * kDay, now + 37 * kDay, now);
    if (r) week.insert(week.end(), r->begin(), r->end());
  }
  auto added = must(s.add_rounds(week), "add_rounds");
  emit("round generation, 665 schedules, one week (" + std::to_string(added.size()) + " rounds)",
       ms_since(t0), "ms", 1000);

  // ---- 2: overview ----
  // Before: overview_counts() of the node, then of each child (each an
  // indexed range of its own). After: overview_tree(), one pass over the
  // node's subtree for the node, its children and the weekly trend (what
  // GET /api/v1/overview does). Both in the same run, same data.
  auto per_child = [&](const std::string& path, std::int64_t id) {
    auto start = Clock::now();
    must(s.overview_counts(path, now - 365 * kDay, now + kDay), "overview");
    for (const auto& c : must(s.org_children(id), "children"))
      must(s.overview_counts(c.path, now - 365 * kDay, now + kDay), "overview");
    return ms_since(start);
  };
  auto one_pass = [&](const std::string& path, std::int64_t id) {
    auto start = Clock::now();
    std::vector<std::string> kids;
    for (const auto& c : must(s.org_children(id), "children")) kids.push_back(c.path);
    std::vector<store::Ms> weeks;
    for (store::Ms w = now - 365 * kDay; w < now + kDay; w += 7 * kDay) weeks.push_back(w);
    auto t = must(s.overview_tree(path, kids, now - 365 * kDay, now + kDay, weeks), "tree");
    if (t.children.size() != kids.size()) std::exit(1);
    return ms_since(start);
  };
  auto best = [](auto f, const std::string& path, std::int64_t id) {
    double b = 1e18;
    for (int i = 0; i < 3; ++i) b = std::min(b, f(path, id));
    return b;
  };
  // The same, as this thread's CPU time: on a shared machine wall time mostly
  // measures the other processes; CPU time is what the code costs.
  auto best_cpu = [](auto f, const std::string& path, std::int64_t id) {
    double b = 1e18;
    for (int i = 0; i < 3; ++i) {
      timespec a{}, z{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
      f(path, id);
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &z);
      b = std::min(b, (z.tv_sec - a.tv_sec) * 1e3 + (z.tv_nsec - a.tv_nsec) / 1e6);
    }
    return b;
  };
  per_child("/1/", 1);  // warm the page cache once
  one_pass("/1/", 1);
  emit("overview before (per-child queries), city node + 19 towns, one year",
       best(per_child, "/1/", 1), "ms", 200);
  emit("overview, city node + 19 towns + weekly trend, one year", best(one_pass, "/1/", 1), "ms",
       200);
  emit("overview before (per-child queries), city node + 19 towns, one year, thread CPU",
       best_cpu(per_child, "/1/", 1), "ms", 200);
  emit("overview, city node + 19 towns + weekly trend, one year, thread CPU",
       best_cpu(one_pass, "/1/", 1), "ms", 200);
  emit("overview before (per-child queries), town node + 35 villages, one year",
       best(per_child, "/1/2/", 2), "ms", 200);
  emit("overview, town node + 35 villages + weekly trend, one year", best(one_pass, "/1/2/", 2),
       "ms", 200);
  emit("overview, village node + weekly trend, one year", best(one_pass, "/1/2/100/", 100), "ms",
       200);
  // The village with its sites (GET /api/v1/overview of a village): the
  // tree as above plus overview_sites(). Its rounds check in at 7 of the 10
  // route sites first, so the visits are read too.
  for (const auto& r : village_rounds)
    for (std::size_t k = 0; k < 7 && k < r.route.size(); ++k)
      must(s.add_checkin(r.id, r.route[k], village_users[0][0].id, r.starts_at + 60'000),
           "checkin");
  auto with_sites = [&](store::Ms from) {
    return [&, from](const std::string& path, std::int64_t id) {
      auto start = Clock::now();
      std::vector<std::string> kids;
      for (const auto& c : must(s.org_children(id), "children")) kids.push_back(c.path);
      std::vector<store::Ms> weeks;
      for (store::Ms w = from; w < now + kDay; w += 7 * kDay) weeks.push_back(w);
      must(s.overview_tree(path, kids, from, now + kDay, weeks), "tree");
      auto sites = must(s.overview_sites(path, from, now + kDay), "sites");
      if (sites.size() != kSitesPerVillage || sites.front().rounds_planned == 0) std::exit(1);
      return ms_since(start);
    };
  };
  with_sites(now - 365 * kDay)("/1/2/100/", 100);  // warm
  emit("overview, village node + weekly trend + its 10 sites, one year",
       best(with_sites(now - 365 * kDay), "/1/2/100/", 100), "ms", 200);
  emit("overview, village node + weekly trend + its 10 sites, 30 days",
       best(with_sites(now - 30 * kDay), "/1/2/100/", 100), "ms", 200);
  emit("overview, village node + weekly trend + its 10 sites, one year, thread CPU",
       best_cpu(with_sites(now - 365 * kDay), "/1/2/100/", 100), "ms", 200);

  // ---- 3: a volunteer's pull with an up-to-date cursor ----
  auto end = must(s.changes("/1/2/100/", 0, 1), "changes");
  std::int64_t cursor = std::numeric_limits<std::int64_t>::max() / 2;
  auto probe = must(s.changes("/1/2/100/", cursor, 1), "changes");  // the log's end
  cursor = probe.cursor;
  (void)end;
  t0 = Clock::now();
  constexpr int kPulls = 200;
  for (int k = 0; k < kPulls; ++k) must(s.changes("/1/2/100/", cursor, 100), "changes");
  emit("volunteer pull, up-to-date cursor", ms_since(t0) / kPulls, "ms", 20);
  t0 = Clock::now();
  must(s.changes("/1/2/100/", cursor - 20000, 100), "changes");
  emit("volunteer pull, 20,000 other villages' changes behind", ms_since(t0), "ms", 20);
  s.shutdown();
  return 0;
}
