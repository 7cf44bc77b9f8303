// The SDK against two patrold nodes over one PostgreSQL database (the
// throwaway cluster ctest starts, fixture `pg`): a node is killed with -9 in
// the middle of a backlog sync and the client carries on through the other
// node (what a load balancer does when a node dies). PostgreSQL's own tables
// are the judge: every report the client made is stored exactly once, and the
// change log has no gap.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "fault_proxy.hpp"
#include "patrol/client.hpp"
#include "patrold_child.hpp"

namespace patrol {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// libpq conninfo "host=DIR port=P user=U dbname=D" of the test cluster.
std::string admin_conninfo() {
  const char* f = std::getenv("PATROL_TEST_PG_INFO");
  if (!f) return {};
  std::ifstream in(f);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string field(const std::string& conninfo, const std::string& key) {
  std::istringstream in(conninfo);
  std::string kv;
  while (in >> kv)
    if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
  return {};
}

// Runs SQL through psql (the PostgreSQL client the server package ships);
// returns its unaligned output lines.
std::vector<std::string> psql(const std::string& conninfo, const std::string& sql) {
  std::string cmd = "psql -qAt -v ON_ERROR_STOP=1 '" + conninfo + "' -c \"" + sql + "\" 2>&1";
  std::vector<std::string> out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen psql");
  char buf[4096];
  std::string all;
  while (std::fgets(buf, sizeof buf, p)) all += buf;
  if (::pclose(p) != 0) throw std::runtime_error("psql failed: " + all);
  std::istringstream in(all);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

template <class Pred>
bool wait_until(Pred p, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return p();
}

TEST(SdkCluster, NodeKilledMidSyncTheOtherNodeTakesOverAndEveryReportLandsOnce) {
  const std::string admin = admin_conninfo();
  if (admin.empty()) GTEST_SKIP() << "no PostgreSQL test cluster (run through ctest)";
  std::random_device rd;
  const std::string dbname = "patrol_sdk" + std::to_string(rd());
  psql(admin, "CREATE DATABASE " + dbname);
  const std::string db_conninfo = admin + " dbname=" + dbname;
  const std::string url = "postgresql://" + field(admin, "user") + "@/" + dbname +
                          "?host=" + field(admin, "host") + "&port=" + field(admin, "port");

  test::ScratchDir adir("patrol-node-a"), bdir("patrol-node-b"), ddir("patrol-dev");
  auto node_a = std::make_unique<test::PatroldChild>(adir.path(), true,
                                                     std::vector<std::string>{"--database", url});
  test::PatroldChild node_b(bdir.path(), false, {"--database", url});
  test::FaultProxy lb(node_a->port(), test::FaultPlan{}, 7);

  ClientOptions o;
  o.data_dir = ddir.path().string();
  o.server_url = "https://127.0.0.1:" + std::to_string(lb.port());
  o.insecure = true;
  o.background_sync = true;
  o.jitter_seed = 7;
  o.request_timeout = 2000ms;
  o.backoff_initial = 10ms;
  o.backoff_max = 200ms;
  o.batch_max_ops = 50;
  auto c = Client::open(std::move(o));
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE((*c)->login("13900000002", "patrol-demo"));
  ASSERT_TRUE((*c)->pull());
  auto sites = (*c)->sites();
  ASSERT_TRUE(sites && !sites->empty());
  auto tpl = (*c)->template_for_site(sites->front().id);
  ASSERT_TRUE(tpl && tpl->items.size() >= 2);

  constexpr int kReports = 600;
  std::set<std::string> reports;
  for (int i = 0; i < kReports; ++i) {
    InspectionDraft d;
    d.site_id = sites->front().id;
    d.position = GeoPoint{28.8571, 121.1432, 8.0, "wgs84"};
    const bool hazard = i % 5 == 0;
    d.items.push_back({tpl->items[0].code,
                       hazard ? ItemResult::hazard : ItemResult::ok,
                       hazard ? "飞线" : "",
                       {}});
    d.items.push_back({tpl->items[1].code, ItemResult::ok, "", {}});
    d.note = "report " + std::to_string(i);
    auto r = (*c)->enqueue_inspection(d);
    ASSERT_TRUE(r) << r.error().message;
    reports.insert(r->report_id);
    if (i == kReports / 2) {
      // Node A dies with -9 while the client is syncing through it; the
      // "load balancer" sends the next connections to node B.
      node_a->kill9();
      node_a.reset();
      lb.set_upstream(node_b.port());
    }
  }
  ASSERT_TRUE(wait_until([&] { return (*c)->status()->pending == 0; }, 90s))
      << (*c)->status()->pending << " left: " << (*c)->status()->last_error;

  const std::string dev = (*c)->status()->device_id;
  auto ids = psql(db_conninfo, "SELECT id FROM inspections WHERE device_id = '" + dev + "'");
  EXPECT_EQ(ids.size(), reports.size());                              // no report twice
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), reports);  // none lost
  // The change log every node pulls from is gapless (numbered at commit).
  auto gap = psql(db_conninfo, "SELECT count(*) = max(seq) FROM change_log");
  ASSERT_EQ(gap.size(), 1u);
  EXPECT_EQ(gap[0], "t");
  (*c).reset();
  psql(admin, "DROP DATABASE " + dbname + " WITH (FORCE)");
}

}  // namespace
}  // namespace patrol
