// patrol_sim — a simulated evening patrol through the real client SDK, so the
// demo's live map moves: each volunteer logs in on its own device database,
// pulls tonight's round (or its sites), walks from site to site sending a
// position every few seconds, and at each site reports an inspection — now and
// then with a hazard. Everything goes the phone's way: outbox, sync engine,
// sync/push. Runs until killed (SIGINT/SIGTERM) or --minutes pass.
//
//   patrol_sim --server https://127.0.0.1:8443 --data-dir DIR [--insecure]
//              [--phones 13900000002,13900000003] [--password patrol-demo]
//              [--interval-ms 3000] [--steps 5] [--hazard-every 4] [--minutes 0]
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "patrol/client.hpp"

namespace {

std::atomic<bool> g_stop{false};

struct Options {
  std::string server = "https://127.0.0.1:8443";
  std::string data_dir;
  bool insecure = false;
  std::vector<std::string> phones = {"13900000002", "13900000003"};
  std::string password = "patrol-demo";
  int interval_ms = 3000;
  int steps = 5;         // positions between two sites
  int hazard_every = 4;  // about one inspection in N reports a hazard
  int minutes = 0;       // 0 = until killed
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');)
    if (!x.empty()) out.push_back(x);
  return out;
}

void sleep_ms(int ms) {
  for (int left = ms; left > 0 && !g_stop; left -= 100)
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(left, 100)));
}

void walk(const Options& o, const std::string& phone, unsigned seed) {
  patrol::ClientOptions co;
  co.data_dir = (std::filesystem::path(o.data_dir) / phone).string();
  co.server_url = o.server;
  co.insecure = o.insecure;
  co.backoff_max = std::chrono::seconds(5);
  auto client = patrol::Client::open(std::move(co));
  if (!client) {
    std::fprintf(stderr, "patrol_sim %s: cannot open the device database: %s\n", phone.c_str(),
                 client.error().message.c_str());
    return;
  }
  auto& c = **client;
  for (;;) {
    auto st = c.login(phone, o.password);
    if (st) break;
    std::fprintf(stderr, "patrol_sim %s: login failed (%s), retrying\n", phone.c_str(),
                 st.error().message.c_str());
    sleep_ms(3000);
    if (g_stop) return;
  }
  (void)c.pull();
  std::vector<patrol::SiteInfo> route;
  if (auto r = c.tonights_round()) {
    if (auto s = c.round_sites(r->id)) route = *s;
  }
  if (route.empty())
    if (auto s = c.sites()) route = *s;
  if (route.size() > 12) route.resize(12);
  if (route.empty()) {
    std::fprintf(stderr, "patrol_sim %s: no sites to walk\n", phone.c_str());
    return;
  }
  std::printf("patrol_sim %s: walking %zu sites\n", phone.c_str(), route.size());
  std::fflush(stdout);
  std::mt19937 rng(seed);
  std::normal_distribution<double> jitter(0, 0.00003);  // ~3 m of GPS noise
  for (std::size_t k = 0; !g_stop; ++k) {
    const auto& from = route[k % route.size()];
    const auto& to = route[(k + 1) % route.size()];
    for (int step = 1; step <= o.steps && !g_stop; ++step) {
      double f = static_cast<double>(step) / o.steps;
      patrol::TrackPoint p;
      p.t = std::chrono::system_clock::now();
      p.lat = from.lat + (to.lat - from.lat) * f + jitter(rng);
      p.lon = from.lon + (to.lon - from.lon) * f + jitter(rng);
      p.accuracy_m = 5;
      (void)c.enqueue_positions({p});
      c.sync_now();
      sleep_ms(o.interval_ms);
    }
    if (g_stop) break;
    auto tpl = c.template_for_site(to.id);
    if (!tpl || tpl->items.empty()) continue;
    patrol::InspectionDraft d;
    d.site_id = to.id;
    d.position = patrol::GeoPoint{to.lat, to.lon, 6.0, "wgs84"};
    const bool hazard = o.hazard_every > 0 && rng() % static_cast<unsigned>(o.hazard_every) == 0;
    const std::size_t bad = rng() % tpl->items.size();
    for (std::size_t i = 0; i < tpl->items.size(); ++i) {
      patrol::InspectionItem it;
      it.code = tpl->items[i].code;
      it.result = hazard && i == bad ? patrol::ItemResult::hazard : patrol::ItemResult::ok;
      if (hazard && i == bad) it.note = "模拟巡查发现: " + tpl->items[i].label_zh;
      d.items.push_back(std::move(it));
    }
    d.note = hazard ? "patrol_sim: hazard found" : "";
    if (auto r = c.enqueue_inspection(d); !r)
      std::fprintf(stderr, "patrol_sim %s: enqueue failed: %s\n", phone.c_str(),
                   r.error().message.c_str());
    c.sync_now();
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "patrol_sim: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--server")
      o.server = next();
    else if (a == "--data-dir")
      o.data_dir = next();
    else if (a == "--insecure")
      o.insecure = true;
    else if (a == "--phones")
      o.phones = split(next());
    else if (a == "--password")
      o.password = next();
    else if (a == "--interval-ms")
      o.interval_ms = std::max(100, std::atoi(next().c_str()));
    else if (a == "--steps")
      o.steps = std::max(1, std::atoi(next().c_str()));
    else if (a == "--hazard-every")
      o.hazard_every = std::max(0, std::atoi(next().c_str()));
    else if (a == "--minutes")
      o.minutes = std::max(0, std::atoi(next().c_str()));
    else {
      std::fprintf(stderr,
                   "usage: patrol_sim --server URL --data-dir DIR [--insecure] [--phones P1,P2] "
                   "[--password PW] [--interval-ms 3000] [--steps 5] [--hazard-every 4] "
                   "[--minutes 0]\n");
      return a == "--help" ? 0 : 2;
    }
  }
  if (o.data_dir.empty()) {
    std::fprintf(stderr, "patrol_sim: --data-dir is required\n");
    return 2;
  }
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::thread> walkers;
  unsigned seed = std::random_device{}();
  for (const auto& p : o.phones) walkers.emplace_back(walk, std::cref(o), p, seed++);
  if (o.minutes > 0) {
    for (int s = 0; s < o.minutes * 60 && !g_stop; ++s)
      std::this_thread::sleep_for(std::chrono::seconds(1));
    g_stop = true;
  }
  for (auto& t : walkers) t.join();
  return 0;
}
