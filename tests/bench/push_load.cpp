// patrol_bench_push: a load generator for POST /api/v1/sync/push.
//
// Logs in as the demo volunteer, opens --connections keep-alive HTTPS
// connections to a running patrold on one client thread, and pushes batches of
// --batch `inspection.create` ops (real demo sites and template items) for
// --seconds. Prints one JSON line: ops/s and p50/p99 request latency.
//
// Every op gets a fresh UUIDv7, so every op is "applied" (durable) — the
// benchmark checks the answers and counts anything else as an error.
//
// The generator shares the machine's cores with patrold, so its own CPU per op
// is taken from the server's: each connection builds a few request bodies once
// (make_push_body: random sites, positions, hazards) and, per request, writes
// fresh op and inspection ids and the current time into one of them in place
// (same lengths), instead of building every op as JSON objects. It prints its
// own CPU time per op ("client_cpu_us_per_op") so that share stays visible.
#include <sys/resource.h>
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
#include <string_view>
#include <vector>

#include "https_conn.hpp"
#include "push_ops.hpp"

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace patrol::bench;
namespace wire = patrol::wire;
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

// A connection's requests: kVariants bodies made once, re-stamped per request.
class PushRequests {
 public:
  static constexpr int kVariants = 8;

  PushRequests(const std::vector<SiteRef>& sites, int n, const std::string& token,
               std::mt19937& rng) {
    for (int v = 0; v < kVariants; ++v) {
      const auto body = make_push_body(sites, n, rng);
      Variant var{make_request(http::verb::post, "/api/v1/sync/push", token, json::serialize(body)),
                  {},
                  {},
                  0};
      const std::string& text = var.req.body();
      for (const auto& op : body.at("ops").as_array()) {
        for (std::string_view id : {op.at("op_id").as_string(), op.at("body").at("id").as_string()})
          var.ids.push_back(text.find(id));
      }
      const std::string_view time = body.at("ops").at(0).at("device_time").as_string();
      for (auto at = text.find(time); at != std::string::npos; at = text.find(time, at + 1))
        var.times.push_back(at);
      var.time_len = time.size();
      variants_.push_back(std::move(var));
    }
  }

  // The next request: every op and inspection id new, device_time and
  // observed_at the current time.
  const HttpRequest& next() {
    auto& var = variants_[next_++ % variants_.size()];
    std::string& text = var.req.body();
    for (auto at : var.ids) {
      const auto id = wire::make_uuid_v7();
      text.replace(at, id.size(), id);
    }
    const auto now = wire::format_rfc3339(wire::now_millis(), 8 * 60);
    // RFC 3339 times drop trailing zeros of the milliseconds: a time of
    // another length keeps the body's previous one (never a broken body).
    if (now.size() == var.time_len)
      for (auto at : var.times) text.replace(at, now.size(), now);
    return var.req;
  }

 private:
  struct Variant {
    HttpRequest req;
    std::vector<std::size_t> ids;    // where each op id and inspection id starts
    std::vector<std::size_t> times;  // where each device_time / observed_at starts
    std::size_t time_len;
  };
  std::vector<Variant> variants_;
  std::size_t next_ = 0;
};

// The count of results answered "applied", read without copying the body into
// heap-allocated JSON values.
std::int64_t count_applied(std::string_view body, std::int64_t& results) {
  static thread_local unsigned char buf[256 * 1024];
  json::monotonic_resource mr(buf, sizeof buf);
  boost::system::error_code ec;
  auto v = json::parse(body, ec, &mr);
  results = 0;
  if (ec || !v.is_object()) return 0;
  const auto* arr = v.as_object().if_contains("results");
  if (!arr || !arr->is_array()) return 0;
  std::int64_t applied = 0;
  for (auto& r : arr->get_array()) {
    ++results;
    if (r.is_object() && r.as_object().if_contains("status") &&
        r.as_object().at("status") == "applied")
      ++applied;
  }
  return applied;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

struct Stats {
  std::vector<double> latencies_ms;
  std::int64_t ops = 0;
  std::int64_t errors = 0;
};

asio::awaitable<void> run_connection(const Options& o, asio::ssl::context& tls,
                                     PushRequests& requests, Clock::time_point until,
                                     Stats& stats) {
  auto ex = co_await asio::this_coro::executor;
  while (Clock::now() < until) {
    Stream stream(ex, tls);
    try {
      co_await async_connect(stream, o.host, o.port);
      while (Clock::now() < until) {
        const auto& req = requests.next();
        auto t0 = Clock::now();
        auto res = co_await async_exchange(stream, req);
        auto dt = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (res.result_int() != 200) {
          ++stats.errors;
          continue;
        }
        std::int64_t results = 0;
        const auto applied = count_applied(res.body(), results);
        // Every op sent must come back applied: anything else (a short or
        // unreadable answer too) counts as an error.
        stats.errors += std::max<std::int64_t>(o.batch, results) - applied;
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
    // The bodies are made before the clock starts (kVariants per connection).
    std::vector<PushRequests> requests;
    requests.reserve(static_cast<std::size_t>(o.connections));
    for (int c = 0; c < o.connections; ++c) {
      std::mt19937 rng(1234u + static_cast<unsigned>(c));
      requests.emplace_back(sites, o.batch, token, rng);
    }
    auto start = Clock::now();
    auto until = start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(o.seconds));
    for (int c = 0; c < o.connections; ++c)
      asio::co_spawn(ioc, run_connection(o, tls, requests[c], until, stats[c]), asio::detached);
    const double cpu0 = cpu_seconds();
    ioc.run();
    const double cpu = cpu_seconds() - cpu0;
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    Stats all;
    for (auto& s : stats) {
      all.ops += s.ops;
      all.errors += s.errors;
      all.latencies_ms.insert(all.latencies_ms.end(), s.latencies_ms.begin(), s.latencies_ms.end());
    }
    json::object out{
        {"bench", "sync_push"},
        {"batch", o.batch},
        {"connections", o.connections},
        {"requests", all.latencies_ms.size()},
        {"ops", all.ops},
        {"errors", all.errors},
        {"seconds", secs},
        {"ops_per_s", static_cast<double>(all.ops) / secs},
        {"p50_ms", percentile(all.latencies_ms, 0.50)},
        {"p99_ms", percentile(all.latencies_ms, 0.99)},
        {"client_cpu_us_per_op", all.ops ? cpu * 1e6 / static_cast<double>(all.ops) : 0.0}};
    std::cout << json::serialize(out) << std::endl;
    return all.ops > 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "patrol_bench_push: " << e.what() << "\n";
    return 1;
  }
}
