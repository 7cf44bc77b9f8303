// patrol_bench_push: a load generator for POST /api/v1/sync/push.
//
// Logs in as the demo volunteer, opens --connections keep-alive HTTPS
// connections to a running patrold on one client thread, and pushes batches of
// --batch `inspection.create` ops (real demo sites and template items) for
// --seconds. Prints one JSON line: ops/s and p50/p99 request latency.
//
// Every op gets a fresh UUIDv7, so every op is "applied" (durable) — the
// benchmark checks the answers and counts anything else as an error.
#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "https_conn.hpp"
#include "push_ops.hpp"

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace patrol::bench;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 8443;
  std::string phone = "13900000002";
  std::string password = "patrol-demo";
  int connections = 64;
  int batch = 50;
  double seconds = 10;
};

std::string login(const Options& o, const std::string& device) {
  json::object body{{"phone", o.phone}, {"password", o.password}, {"device_id", device}};
  auto res =
      fetch_once(o.host, o.port,
                 make_request(http::verb::post, "/api/v1/auth/login", "", json::serialize(body)));
  if (res.result_int() != 200) throw std::runtime_error("login failed: " + res.body());
  return std::string(json::parse(res.body()).at("token").as_string());
}

// Reads the volunteer's sites and templates from sync/pull.
std::vector<SiteRef> load_sites(const Options& o, const std::string& token) {
  std::map<std::string, json::object> templates;  // id -> data
  std::vector<json::object> sites;
  std::int64_t cursor = 0;
  for (;;) {
    auto res = fetch_once(
        o.host, o.port,
        make_request(http::verb::get,
                     "/api/v1/sync/pull?limit=1000&cursor=" + std::to_string(cursor), token, ""));
    if (res.result_int() != 200) throw std::runtime_error("pull failed: " + res.body());
    auto page = json::parse(res.body()).as_object();
    for (auto& c : page.at("changes").as_array()) {
      auto& ch = c.as_object();
      if (ch.at("op").as_string() != "upsert") continue;
      if (ch.at("entity") == "site") sites.push_back(ch.at("data").as_object());
      if (ch.at("entity") == "checklist_template")
        templates[std::string(ch.at("data").at("id").as_string())] = ch.at("data").as_object();
    }
    cursor = page.at("cursor").to_number<std::int64_t>();
    if (!page.at("has_more").as_bool()) break;
  }
  std::vector<SiteRef> out;
  for (auto& s : sites) {
    SiteRef r;
    r.site_id = std::string(s.at("id").as_string());
    r.template_id = std::string(s.at("template_id").as_string());
    auto it = templates.find(r.template_id);
    if (it == templates.end()) continue;
    r.template_version = it->second.at("version").to_number<std::int64_t>();
    for (auto& item : it->second.at("items").as_array())
      r.item_codes.emplace_back(item.at("code").as_string());
    out.push_back(std::move(r));
  }
  if (out.empty()) throw std::runtime_error("no sites with templates in the volunteer's scope");
  return out;
}

std::string make_batch(const std::vector<SiteRef>& sites, int n, std::mt19937& rng) {
  return json::serialize(make_push_body(sites, n, rng));
}

struct Stats {
  std::vector<double> latencies_ms;
  std::int64_t ops = 0;
  std::int64_t errors = 0;
};

asio::awaitable<void> run_connection(const Options& o, asio::ssl::context& tls, std::string token,
                                     const std::vector<SiteRef>& sites, Clock::time_point until,
                                     Stats& stats, unsigned seed) {
  std::mt19937 rng(seed);
  auto ex = co_await asio::this_coro::executor;
  while (Clock::now() < until) {
    Stream stream(ex, tls);
    try {
      co_await async_connect(stream, o.host, o.port);
      while (Clock::now() < until) {
        auto req = make_request(http::verb::post, "/api/v1/sync/push", token,
                                make_batch(sites, o.batch, rng));
        auto t0 = Clock::now();
        auto res = co_await async_exchange(stream, req);
        auto dt = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (res.result_int() != 200) {
          ++stats.errors;
          continue;
        }
        auto results = json::parse(res.body()).at("results").as_array();
        std::int64_t applied = 0;
        for (auto& r : results)
          if (r.at("status") == "applied") ++applied;
        stats.errors += static_cast<std::int64_t>(results.size()) - applied;
        stats.ops += applied;
        stats.latencies_ms.push_back(dt);
      }
    } catch (const std::exception& e) {
      ++stats.errors;
    }
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[idx];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--host")
      o.host = v;
    else if (k == "--port")
      o.port = static_cast<unsigned short>(std::stoi(v));
    else if (k == "--phone")
      o.phone = v;
    else if (k == "--password")
      o.password = v;
    else if (k == "--connections")
      o.connections = std::stoi(v);
    else if (k == "--batch")
      o.batch = std::stoi(v);
    else if (k == "--seconds")
      o.seconds = std::stod(v);
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  try {
    auto token = login(o, "bench-setup");
    auto sites = load_sites(o, token);
    asio::io_context ioc(1);
    auto tls = make_client_tls();
    std::vector<Stats> stats(static_cast<std::size_t>(o.connections));
    auto start = Clock::now();
    auto until = start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(o.seconds));
    for (int c = 0; c < o.connections; ++c)
      asio::co_spawn(ioc, run_connection(o, tls, token, sites, until, stats[c], 1234u + c),
                     asio::detached);
    ioc.run();
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    Stats all;
    for (auto& s : stats) {
      all.ops += s.ops;
      all.errors += s.errors;
      all.latencies_ms.insert(all.latencies_ms.end(), s.latencies_ms.begin(), s.latencies_ms.end());
    }
    json::object out{{"bench", "sync_push"},
                     {"batch", o.batch},
                     {"connections", o.connections},
                     {"requests", all.latencies_ms.size()},
                     {"ops", all.ops},
                     {"errors", all.errors},
                     {"seconds", secs},
                     {"ops_per_s", static_cast<double>(all.ops) / secs},
                     {"p50_ms", percentile(all.latencies_ms, 0.50)},
                     {"p99_ms", percentile(all.latencies_ms, 0.99)}};
    std::cout << json::serialize(out) << std::endl;
    return all.ops > 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "patrol_bench_push: " << e.what() << "\n";
    return 1;
  }
}
