// The SDK against two patrold nodes over one PostgreSQL database (the
// throwaway cluster ctest starts, fixture `pg`): a node is killed with -9 in
// the middle of a backlog sync and the client carries on through the other
// node (what a load balancer does when a node dies). PostgreSQL's own tables
// are the judge: every report the client made is stored exactly once, and the
// change log has no gap.
//
// Then three nodes behind HAProxy with a random node killed -9 (and started
// again on its port) every few seconds while two SDK clients push reports and
// a live viewer watches one node (reconnecting to another when its node
// dies): every report answered `applied` is stored exactly once, and the
// viewer sees reports pushed through the other nodes (LISTEN/NOTIFY).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

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
#include "test_support/https_client.hpp"
#include "test_support/wss_client.hpp"
#include "wait_until.hpp"

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
  ASSERT_TRUE(patrol::test::wait_until([&] { return (*c)->status()->pending == 0; }, 90s))
      << (*c)->status()->pending << " left: " << (*c)->status()->last_error;

  const std::string dev = (*c)->status()->device_id;
  auto ids = psql(db_conninfo, "SELECT id FROM inspections WHERE device_id = '" + dev + "'");
  EXPECT_EQ(ids.size(), reports.size());                              // no report twice
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), reports);  // none lost
  // Every inspection got one live-feed key (its writer's transaction id and
  // its place in it), so every node's live tail hands it out once.
  auto keyed = psql(db_conninfo, "SELECT count(*) = count(DISTINCT live_seq) FROM inspections");
  ASSERT_EQ(keyed.size(), 1u);
  EXPECT_EQ(keyed[0], "t");
  (*c).reset();
  psql(admin, "DROP DATABASE " + dbname + " WITH (FORCE)");
}

// A port nothing listens on now (the kernel's next ephemeral one).
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(fd);
  return ntohs(a.sin_port);
}

// HAProxy (Debian `haproxy`) in TCP mode in front of the nodes: TLS passes
// through; a dead node is skipped after one failed check (300 ms) and a
// connection refused by it is redispatched to another.
class Haproxy {
 public:
  Haproxy(const fs::path& dir, std::uint16_t port, const std::vector<std::uint16_t>& nodes) {
    const auto cfg = dir / "haproxy.cfg";
    std::ofstream f(cfg);
    f << "global\n  maxconn 2000\ndefaults\n  mode tcp\n  timeout connect 1s\n"
         "  timeout client 60s\n  timeout server 60s\n  retries 3\n  option redispatch\n"
         "frontend patrol\n  bind 127.0.0.1:"
      << port << "\n  default_backend nodes\nbackend nodes\n  balance roundrobin\n";
    for (std::size_t i = 0; i < nodes.size(); ++i)
      f << "  server n" << i << " 127.0.0.1:" << nodes[i] << " check inter 300ms fall 1 rise 1\n";
    f.close();
    std::string c = cfg.string();
    std::vector<char*> argv{const_cast<char*>("haproxy"), const_cast<char*>("-f"), c.data(),
                            const_cast<char*>("-db"), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const std::string log = (dir / "haproxy.log").string();
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawnp(&pid_, "haproxy", &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Haproxy() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

 private:
  pid_t pid_ = -1;
};

bool have_haproxy() {
  return std::system("command -v haproxy >/dev/null 2>&1") == 0;
}

TEST(SdkCluster, ThreeNodesBehindHaproxyARandomNodeKilledEveryFewSeconds) {
  const std::string admin = admin_conninfo();
  if (admin.empty()) GTEST_SKIP() << "no PostgreSQL test cluster (run through ctest)";
  if (!have_haproxy()) GTEST_SKIP() << "no haproxy (scripts/dev.sh deps installs it)";
  std::random_device rd;
  const std::string dbname = "patrol_chaos" + std::to_string(rd());
  psql(admin, "CREATE DATABASE " + dbname);
  const std::string db_conninfo = admin + " dbname=" + dbname;
  const std::string url = "postgresql://" + field(admin, "user") + "@/" + dbname +
                          "?host=" + field(admin, "host") + "&port=" + field(admin, "port");

  constexpr int kNodes = 3;
  std::vector<std::unique_ptr<test::ScratchDir>> dirs;
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < kNodes; ++i) {
    dirs.push_back(std::make_unique<test::ScratchDir>("patrol-chaos-node"));
    ports.push_back(free_port());
  }
  // One user on one address (HAProxy) is the load: per-address/per-user
  // limits off, as in the bench.
  auto args = [&](int i) {
    return std::vector<std::string>{
        "--database",   url, "--listen",          "127.0.0.1:" + std::to_string(ports[i]),
        "--rate-limit", "0", "--user-rate-limit", "0"};
  };
  std::vector<std::unique_ptr<test::PatroldChild>> nodes(kNodes);
  std::array<std::atomic<bool>, kNodes> up{};
  for (int i = 0; i < kNodes; ++i) {  // node 0 seeds the demo first
    nodes[i] = std::make_unique<test::PatroldChild>(dirs[i]->path(), i == 0, args(i));
    up[i] = true;
  }
  test::ScratchDir lbdir("patrol-chaos-lb");
  const std::uint16_t lb_port = free_port();
  Haproxy lb(lbdir.path(), lb_port, ports);
  ASSERT_TRUE(patrol::test::wait_until(
      [&] {
        try {
          test::HttpsClient h(lb_port, {.timeout_ms = 1000});
          return h.get("/healthz").status == 200;
        } catch (const std::exception&) {
          return false;
        }
      },
      10s))
      << "HAProxy did not come up";

  // The viewer: the city admin, subscribed to the whole city on one node at
  // a time (never through HAProxy, so "which node" is known).
  std::string token, city;
  {
    test::HttpsClient h(lb_port);
    auto r =
        h.post_json("/api/v1/auth/login",
                    R"({"phone":"13900000000","password":"patrol-demo","device_id":"viewer"})");
    ASSERT_EQ(r.status, 200u) << r.body;
    auto v = boost::json::parse(r.body);
    token = std::string(v.at("token").as_string());
    city = std::string(v.at("user").at("org_unit_id").as_string());
  }
  std::mutex seen_mu;
  std::set<std::string> seen_notes;  // notes of inspection events the viewer got
  std::atomic<bool> viewer_stop{false};
  std::atomic<int> reconnects{0}, resets{0}, out_of_order{0};
  std::atomic<int> viewer_node{0};  // the node the viewer is subscribed on
  std::thread viewer([&] {
    std::optional<std::int64_t> since;
    int node = 0;
    while (!viewer_stop) {
      if (!up[node]) {
        node = (node + 1) % kNodes;
        std::this_thread::sleep_for(50ms);
        continue;
      }
      try {
        test::WssClient ws(ports[node], "/api/v1/live?access_token=" + token, {}, 3000);
        if (!ws.accepted()) continue;
        viewer_node = node;
        boost::json::object sub{{"type", "subscribe"}, {"org_unit_id", city}};
        if (since) sub["since"] = *since;
        ws.write(boost::json::serialize(sub));
        std::int64_t last = since.value_or(0);
        while (!viewer_stop) {
          // A read that times out leaves the socket closed (WssClient), so
          // wait long: reports arrive every 200 ms until the end, and a
          // killed node's socket fails at once (then: elsewhere).
          auto m = ws.read(30000);
          if (!m) break;
          auto v = boost::json::parse(*m).as_object();
          const auto type = v.at("type").as_string();
          if (type == "snapshot") {
            // A node that restarted after `since`: a fresh snapshot with
            // reset, never a silent gap (live/publisher.hpp).
            if (since) ++resets;
            last = v.at("seq").to_number<std::int64_t>();
            since = last;
          } else if (type == "event") {
            const auto seq = v.at("seq").to_number<std::int64_t>();
            if (seq <= last) ++out_of_order;
            last = seq;
            since = seq;
            if (v.at("kind").as_string() == "inspection") {
              const auto& d = v.at("data").as_object();
              std::lock_guard lk(seen_mu);
              seen_notes.insert(std::string(d.at("note").as_string()));
            }
          }
        }
      } catch (const std::exception&) {
      }
      ++reconnects;
      node = (node + 1) % kNodes;  // elsewhere
    }
  });

  // A failed ASSERT below returns: stop and join the threads first.
  std::atomic<bool> chaos{true};
  std::thread killer;
  struct Joiner {
    std::function<void()> f;
    ~Joiner() { f(); }
  } joiner{[&] {
    viewer_stop = true;
    chaos = false;
    if (killer.joinable()) killer.join();
    if (viewer.joinable()) viewer.join();
  }};

  // Two phones pushing through HAProxy.
  std::vector<std::unique_ptr<test::ScratchDir>> cdirs;
  std::vector<std::unique_ptr<Client>> clients;
  for (const char* phone : {"13900000002", "13900000003"}) {
    cdirs.push_back(std::make_unique<test::ScratchDir>("patrol-chaos-dev"));
    ClientOptions o;
    o.data_dir = cdirs.back()->path().string();
    o.server_url = "https://127.0.0.1:" + std::to_string(lb_port);
    o.insecure = true;
    o.background_sync = true;
    o.jitter_seed = 11;
    o.request_timeout = 2000ms;
    o.backoff_initial = 10ms;
    o.backoff_max = 200ms;
    o.batch_max_ops = 20;
    auto c = Client::open(std::move(o));
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_TRUE(
        patrol::test::wait_until([&] { return bool((*c)->login(phone, "patrol-demo")); }, 10s));
    ASSERT_TRUE(patrol::test::wait_until([&] { return bool((*c)->pull()); }, 10s));
    clients.push_back(std::move(*c));
  }

  // The killer: every 3 s a random node dies (-9) and comes back 1 s later.
  std::atomic<int> kills{0};
  killer = std::thread([&] {
    std::mt19937 rng(rd());
    while (chaos) {
      for (int i = 0; i < 30 && chaos; ++i) std::this_thread::sleep_for(100ms);
      if (!chaos) break;
      const int k = static_cast<int>(rng() % kNodes);
      up[k] = false;
      nodes[k]->kill9();
      ++kills;
      std::this_thread::sleep_for(1s);
      nodes[k] = std::make_unique<test::PatroldChild>(dirs[k]->path(), false, args(k));
      up[k] = true;
    }
  });

  std::map<std::string, std::string> notes;  // report id → note
  auto enqueue = [&](Client& c, const std::string& note) {
    auto sites = c.sites();
    if (!sites || sites->empty()) return false;
    auto tpl = c.template_for_site(sites->front().id);
    if (!tpl || tpl->items.empty()) return false;
    InspectionDraft d;
    d.site_id = sites->front().id;
    d.position = GeoPoint{28.8571, 121.1432, 8.0, "wgs84"};
    d.items.push_back({tpl->items[0].code, ItemResult::ok, "", {}});
    d.note = note;
    auto r = c.enqueue_inspection(d);
    if (!r) return false;
    notes[r->report_id] = note;
    return true;
  };
  constexpr int kReportsEach = 120;  // over ~24 s: 8 kills
  for (int i = 0; i < kReportsEach; ++i) {
    for (std::size_t k = 0; k < clients.size(); ++k)
      ASSERT_TRUE(enqueue(*clients[k], "chaos " + std::to_string(k) + "/" + std::to_string(i)));
    std::this_thread::sleep_for(200ms);
  }
  chaos = false;
  killer.join();
  for (auto& c : clients)
    ASSERT_TRUE(patrol::test::wait_until([&] { return c->status()->pending == 0; }, 90s))
        << c->status()->pending << " left: " << c->status()->last_error;

  // Quiet: every node up. A third phone pushes straight to a node the viewer
  // is not on: the viewer sees its reports (LISTEN/NOTIFY between nodes).
  const int other = (viewer_node + 1) % kNodes;
  test::ScratchDir qdir("patrol-chaos-dev");
  std::unique_ptr<Client> direct;
  {
    ClientOptions o;
    o.data_dir = qdir.path().string();
    o.server_url = "https://127.0.0.1:" + std::to_string(ports[other]);
    o.insecure = true;
    o.background_sync = true;
    o.backoff_initial = 10ms;
    o.backoff_max = 200ms;
    auto c = Client::open(std::move(o));
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_TRUE((*c)->login("13900000001", "patrol-demo"));
    ASSERT_TRUE((*c)->pull());
    direct = std::move(*c);
  }
  std::set<std::string> quiet;
  for (int i = 0; i < 20; ++i) {
    const std::string n = "quiet " + std::to_string(i);
    ASSERT_TRUE(enqueue(*direct, n));
    quiet.insert(n);
  }
  ASSERT_TRUE(patrol::test::wait_until([&] { return direct->status()->pending == 0; }, 60s));
  EXPECT_TRUE(patrol::test::wait_until(
      [&] {
        std::lock_guard lk(seen_mu);
        return std::includes(seen_notes.begin(), seen_notes.end(), quiet.begin(), quiet.end());
      },
      15s))
      << "the viewer on node " << viewer_node << " missed reports pushed to node " << other;
  EXPECT_NE(viewer_node.load(), other);
  viewer_stop = true;
  ASSERT_TRUE(enqueue(*direct, "wake the viewer"));  // its read returns, it sees the flag
  ASSERT_TRUE(patrol::test::wait_until([&] { return direct->status()->pending == 0; }, 60s));
  viewer.join();

  // Exactly once: every report the phones made (each answered applied) is
  // stored once, none lost.
  std::set<std::string> want;
  for (const auto& [id, note] : notes) want.insert(id);
  std::vector<std::string> got;
  clients.push_back(std::move(direct));
  for (auto& c : clients) {
    auto ids = psql(db_conninfo, "SELECT id FROM inspections WHERE device_id = '" +
                                     c->status()->device_id + "'");
    got.insert(got.end(), ids.begin(), ids.end());
  }
  EXPECT_EQ(got.size(), want.size());
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), want);
  auto keyed = psql(db_conninfo, "SELECT count(*) = count(DISTINCT live_seq) FROM inspections");
  ASSERT_EQ(keyed.size(), 1u);
  EXPECT_EQ(keyed[0], "t");  // every inspection numbered once for the live feed
  EXPECT_GE(kills.load(), 3);
  EXPECT_EQ(out_of_order.load(), 0);
  std::printf("chaos: %d kills, %zu reports, viewer reconnects %d (snapshot resets %d)\n",
              kills.load(), want.size(), reconnects.load(), resets.load());
  clients.clear();
  for (auto& n : nodes) n.reset();
  psql(admin, "DROP DATABASE " + dbname + " WITH (FORCE)");
}

// Live replay across nodes: event seqs are numbered by the database (the
// same on every node), so a viewer whose node dies resumes on another node
// with `since` and gets exactly the events it missed, in order, without a
// reset snapshot.
TEST(SdkCluster, ViewerResumesOnAnotherNodeWithSinceAndMissesNothing) {
  const std::string admin = admin_conninfo();
  if (admin.empty()) GTEST_SKIP() << "no PostgreSQL test cluster (run through ctest)";
  std::random_device rd;
  const std::string dbname = "patrol_replay" + std::to_string(rd());
  psql(admin, "CREATE DATABASE " + dbname);
  const std::string url = "postgresql://" + field(admin, "user") + "@/" + dbname +
                          "?host=" + field(admin, "host") + "&port=" + field(admin, "port");
  test::ScratchDir adir("patrol-replay-a"), bdir("patrol-replay-b"), pdir("patrol-replay-dev");
  auto node_a = std::make_unique<test::PatroldChild>(adir.path(), true,
                                                     std::vector<std::string>{"--database", url});
  auto node_b = std::make_unique<test::PatroldChild>(bdir.path(), false,
                                                     std::vector<std::string>{"--database", url});

  std::string token, city;
  {
    test::HttpsClient h(node_a->port());
    auto r =
        h.post_json("/api/v1/auth/login",
                    R"({"phone":"13900000000","password":"patrol-demo","device_id":"viewer"})");
    ASSERT_EQ(r.status, 200u) << r.body;
    auto v = boost::json::parse(r.body);
    token = std::string(v.at("token").as_string());
    city = std::string(v.at("user").at("org_unit_id").as_string());
  }
  // The phone pushes to node B only.
  ClientOptions o;
  o.data_dir = pdir.path().string();
  o.server_url = "https://127.0.0.1:" + std::to_string(node_b->port());
  o.insecure = true;
  o.background_sync = true;
  o.backoff_initial = 10ms;
  o.backoff_max = 200ms;
  // One batch in flight: the order asserted below is the order pushed. With
  // two connections two report batches are in flight at once and either may
  // commit first (by design: a push taken on the I/O thread can overtake one
  // queued to the workers), which says nothing about the viewer's resume.
  o.push_connections = 1;
  auto phone = Client::open(std::move(o));
  ASSERT_TRUE(phone) << phone.error().message;
  ASSERT_TRUE((*phone)->login("13900000002", "patrol-demo"));
  ASSERT_TRUE((*phone)->pull());
  auto sites = (*phone)->sites();
  ASSERT_TRUE(sites && !sites->empty());
  auto tpl = (*phone)->template_for_site(sites->front().id);
  ASSERT_TRUE(tpl && !tpl->items.empty());
  auto report = [&](const std::string& note) {
    InspectionDraft d;
    d.site_id = sites->front().id;
    d.position = GeoPoint{28.8571, 121.1432, 8.0, "wgs84"};
    d.items.push_back({tpl->items[0].code, ItemResult::ok, "", {}});
    d.note = note;
    return bool((*phone)->enqueue_inspection(d));
  };

  // Every inspection event a viewer reads: (seq, note), and what else came.
  struct Seen {
    std::vector<std::pair<std::int64_t, std::string>> inspections;
    std::int64_t last = 0;
    int out_of_order = 0;
  };
  auto read_until = [&](test::WssClient& ws, Seen& seen, const std::set<std::string>& want) {
    std::set<std::string> got;
    const auto end = std::chrono::steady_clock::now() + 20s;
    while (!std::includes(got.begin(), got.end(), want.begin(), want.end()) &&
           std::chrono::steady_clock::now() < end) {
      auto m = ws.read(20000);
      if (!m) return false;
      auto v = boost::json::parse(*m).as_object();
      if (v.at("type").as_string() != "event") continue;
      const auto seq = v.at("seq").to_number<std::int64_t>();
      if (seq <= seen.last) ++seen.out_of_order;
      seen.last = seq;
      if (v.at("kind").as_string() == "inspection") {
        std::string note(v.at("data").at("note").as_string());
        got.insert(note);
        seen.inspections.emplace_back(seq, note);
      }
    }
    return std::includes(got.begin(), got.end(), want.begin(), want.end());
  };

  // The first answer to a subscribe (after the server's hello).
  auto answer = [](test::WssClient& ws) -> std::optional<boost::json::object> {
    for (int i = 0; i < 10; ++i) {
      auto m = ws.read(10000);
      if (!m) return std::nullopt;
      auto v = boost::json::parse(*m).as_object();
      const auto type = v.at("type").as_string();
      if (type == "snapshot" || type == "subscribed" || type == "error") return v;
    }
    return std::nullopt;
  };

  // 1. The viewer watches the city on node A; 5 reports pushed to B reach it.
  Seen on_a;
  std::set<std::string> before, after;
  {
    test::WssClient ws(node_a->port(), "/api/v1/live?access_token=" + token, {}, 5000);
    ASSERT_TRUE(ws.accepted());
    ws.write(
        boost::json::serialize(boost::json::object{{"type", "subscribe"}, {"org_unit_id", city}}));
    auto first = answer(ws);
    ASSERT_TRUE(first);
    const auto& snap = *first;
    ASSERT_EQ(snap.at("type").as_string(), "snapshot");
    on_a.last = snap.at("seq").to_number<std::int64_t>();
    for (int i = 0; i < 5; ++i) {
      before.insert("before " + std::to_string(i));
      ASSERT_TRUE(report("before " + std::to_string(i)));
    }
    ASSERT_TRUE(read_until(ws, on_a, before)) << "node A's viewer did not see B's reports";
    // 2. Node A dies (-9) with the viewer on it.
    node_a->kill9();
    node_a.reset();
  }
  // 3. Meanwhile 5 more reports reach node B.
  for (int i = 0; i < 5; ++i) {
    after.insert("after " + std::to_string(i));
    ASSERT_TRUE(report("after " + std::to_string(i)));
  }
  ASSERT_TRUE(patrol::test::wait_until([&] { return (*phone)->status()->pending == 0; }, 30s));

  // 4. The viewer resumes on node B from the last seq it had.
  Seen on_b;
  on_b.last = on_a.last;
  test::WssClient ws(node_b->port(), "/api/v1/live?access_token=" + token, {}, 5000);
  ASSERT_TRUE(ws.accepted());
  ws.write(boost::json::serialize(
      boost::json::object{{"type", "subscribe"}, {"org_unit_id", city}, {"since", on_a.last}}));
  auto first = answer(ws);
  ASSERT_TRUE(first);
  const auto& sub = *first;
  ASSERT_EQ(sub.at("type").as_string(), "subscribed")
      << boost::json::serialize(sub).substr(0, 200) << " (a reset snapshot?)";
  EXPECT_EQ(sub.at("seq").to_number<std::int64_t>(), on_a.last);
  ASSERT_TRUE(read_until(ws, on_b, after)) << "missed events after resuming on node B";

  // Every report once over the two nodes, in the order pushed, seqs rising.
  std::vector<std::string> notes;
  for (const auto* s : {&on_a, &on_b})
    for (const auto& [seq, note] : s->inspections) notes.push_back(note);
  std::vector<std::string> want;
  for (const char* w : {"before ", "after "})
    for (int i = 0; i < 5; ++i) want.push_back(w + std::to_string(i));
  EXPECT_EQ(notes, want);
  EXPECT_EQ(on_a.out_of_order + on_b.out_of_order, 0);
  ASSERT_FALSE(on_b.inspections.empty());
  EXPECT_GT(on_b.inspections.front().first, on_a.inspections.back().first);
  (*phone).reset();
  node_b.reset();
  psql(admin, "DROP DATABASE " + dbname + " WITH (FORCE)");
}

}  // namespace
}  // namespace patrol
