// kill -9 cycles under load: the real patrold (TLS, SQLite data dir) is
// SIGKILLed at random instants while several clients push inspections with
// unique op ids, restarted on the same data dir, and killed again. Clients
// behave like the SDK: an op whose request died with the server is sent again
// (same op id, same body) after the restart. Afterwards, read straight from the
// database file: every op answered `applied` or `duplicate` has exactly one
// inspection, no op has two, and PRAGMA integrity_check is ok (also checked
// every few cycles between a kill and the next start).
//
// PATROL_KILL_CYCLES sets the number of cycles (default 200; `scripts/dev.sh
// soak` runs 1,000). Prints "cycles=N ops_checked=N lost=0 doubled=0".
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "patrol/wire/uuid.hpp"
#include "sqlite/database.hpp"
#include "test_support/https_client.hpp"
#include "test_support/test_server.hpp"

using namespace patrol;
using namespace std::chrono_literals;
namespace json = boost::json;
using test::HttpsClient;

namespace {

struct Site {
  std::string id;
  std::string template_id;
  std::int64_t template_version = 0;
  std::string item_code;
};

// A site of the caller's scope with its newest template, from sync/pull.
Site pick_site(HttpsClient& c) {
  std::map<std::string, std::pair<std::int64_t, std::string>> templates;  // id -> version, code
  std::vector<std::pair<std::string, std::string>> sites;                 // id, template id
  std::int64_t cursor = 0;
  for (int page = 0; page < 100; ++page) {
    auto r = c.get("/api/v1/sync/pull?cursor=" + std::to_string(cursor) + "&limit=1000");
    if (r.status != 200) throw std::runtime_error("pull: " + r.body);
    auto v = json::parse(r.body).as_object();
    for (const auto& chv : v.at("changes").as_array()) {
      const auto& ch = chv.as_object();
      if (ch.at("op").as_string() != "upsert") continue;
      const auto& d = ch.at("data").as_object();
      if (ch.at("entity").as_string() == "checklist_template") {
        const auto version = d.at("version").to_number<std::int64_t>();
        auto& t = templates[std::string(d.at("id").as_string())];
        if (version >= t.first)
          t = {version, std::string(d.at("items").as_array().at(0).at("code").as_string())};
      } else if (ch.at("entity").as_string() == "site") {
        sites.emplace_back(d.at("id").as_string(), d.at("template_id").as_string());
      }
    }
    cursor = v.at("cursor").to_number<std::int64_t>();
    if (!v.at("has_more").as_bool()) break;
  }
  for (const auto& [id, tid] : sites) {
    auto t = templates.find(tid);
    if (t != templates.end()) return {id, tid, t->second.first, t->second.second};
  }
  throw std::runtime_error("no site with a template in the volunteer's pull");
}

json::object inspection_op(const Site& s, const std::string& op_id) {
  json::object body{
      {"id", wire::make_uuid_v7()},
      {"site_id", s.id},
      {"template_id", s.template_id},
      {"template_version", s.template_version},
      {"observed_at", "2026-11-28T19:05:00+08:00"},
      {"position", json::object{{"lat", 28.8571}, {"lon", 121.1432}, {"accuracy_m", 8}}},
      {"items", json::array{json::object{{"code", s.item_code}, {"result", "ok"}}}},
      {"note", "kill cycles"}};
  return {{"op_id", op_id},
          {"type", "inspection.create"},
          {"device_time", "2026-11-28T19:05:03+08:00"},
          {"body", std::move(body)}};
}

// The server of the current cycle, as the clients see it.
struct Cycle {
  std::mutex mu;
  std::condition_variable cv;
  int epoch = 0;           // bumped at every start
  std::uint16_t port = 0;  // 0 while down
  bool done = false;
  std::atomic<bool> stop{false};          // clients finish their request and return
  std::atomic<std::uint64_t> answers{0};  // pushes answered 200, all clients, all cycles
};

// What one client learned; merged after the run.
struct ClientLog {
  std::set<std::string> answered;  // applied or duplicate
  std::size_t applied = 0;
  std::size_t duplicates = 0;
  std::vector<std::string> rejected;  // op id: error
  std::set<std::string> sent;         // every op id ever sent
  std::size_t failed_requests = 0;    // cut by a kill (or refused: the server just died)
  std::atomic<int> ok_epoch{0};       // last epoch in which a push was answered
};

void run_client(Cycle& cycle, const Site& site, const std::string& token, int batch,
                ClientLog& log) {
  std::vector<json::object> pending;  // sent, no answer: sent again after the restart
  int last_epoch = 0;
  for (;;) {
    std::uint16_t port = 0;
    {
      std::unique_lock lock(cycle.mu);
      cycle.cv.wait(lock,
                    [&] { return cycle.done || (cycle.port != 0 && cycle.epoch != last_epoch); });
      if (cycle.done) return;
      last_epoch = cycle.epoch;
      port = cycle.port;
    }
    try {
      HttpsClient c(port, test::HttpsClientOptions{.timeout_ms = 10000});
      c.set_bearer(token);
      while (!cycle.stop.load()) {
        while (pending.size() < static_cast<std::size_t>(batch)) {
          pending.push_back(inspection_op(site, wire::make_uuid_v7()));
          log.sent.emplace(pending.back().at("op_id").as_string());
        }
        json::array ops(pending.begin(), pending.end());
        json::object req{{"device_id", "kill-cycles"}, {"ops", std::move(ops)}};
        auto r = c.post_json("/api/v1/sync/push", json::serialize(req));
        if (r.status == 503) continue;  // storage busy or shutting down: same ops again
        if (r.status != 200) {
          log.rejected.push_back("HTTP " + std::to_string(r.status) + ": " + r.body);
          pending.clear();
          continue;
        }
        const auto answer = json::parse(r.body);
        for (const auto& rv : answer.at("results").as_array()) {
          const auto& res = rv.as_object();
          const std::string id(res.at("op_id").as_string());
          const auto status = res.at("status").as_string();
          if (status == "applied" || status == "duplicate") {
            log.answered.insert(id);
            ++(status == "applied" ? log.applied : log.duplicates);
          } else {
            log.rejected.push_back(id + ": " + json::serialize(res));
          }
        }
        pending.clear();
        log.ok_epoch.store(last_epoch);
        cycle.answers.fetch_add(1);
      }
      return;
    } catch (const std::exception&) {
      // The server died under this request (or before we connected): the
      // pending ops' outcome is unknown; they go again to the next server.
      ++log.failed_requests;
    }
  }
}

// "ok", or what PRAGMA integrity_check said.
std::string integrity(const std::filesystem::path& db_path) {
  auto db = sqlite::Database::open(db_path.string());
  if (!db) return "cannot open: " + db.error().message();
  auto st = db->prepare("PRAGMA integrity_check");
  if (!st) return "cannot prepare: " + st.error().message();
  std::string out;
  while (true) {
    auto row = st->step();
    if (!row) return "step failed: " + row.error().message();
    if (!*row) break;
    out += (out.empty() ? "" : "; ") + st->column_text(0);
  }
  return out;
}

int cycles_wanted() {
  if (const char* v = std::getenv("PATROL_KILL_CYCLES")) return std::max(1, std::atoi(v));
  return 200;
}

}  // namespace

TEST(KillCycles, AcknowledgedOpsSurviveRepeatedKillNine) {
  const int cycles = cycles_wanted();
  constexpr int kClients = 4;
  constexpr int kBatch = 5;
  test::TempDir dir("patrol-kill-cycles");
  const auto db_path = dir.path() / "patrol.db";
  // Per-address and per-user rate limits off: the clients are one address and
  // one user pushing as fast as they can, by design.
  const std::vector<std::string> args = {"--rate-limit=0", "--user-rate-limit=0",
                                         "--access-log=false", "--workers=8", "--threads=2"};

  Site site;
  std::string token;
  {
    // First start seeds the demo; then a token that outlives restarts (it is stored).
    test::PatroldProcess first(dir.path(), true, args);
    HttpsClient c(first.port());
    token = test::login(c, "13900000002", "patrol-demo", "kill-cycles");
    c.set_bearer(token);
    site = pick_site(c);
    ASSERT_EQ(first.terminate(), 0);
  }

  Cycle cycle;
  std::vector<ClientLog> logs(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] { run_client(cycle, site, token, kBatch, logs[i]); });

  const auto seed = std::random_device{}();
  std::cout << "kill instants: seed " << seed << std::endl;
  std::mt19937 rng(seed);
  // One kill in five lands while the clients connect and shake hands (a few
  // ms after the listening line); the others a random 0-60 ms after the
  // cycle's first answered push, with the next pushes in flight.
  std::uniform_int_distribution<int> early_ms(0, 30);
  std::uniform_int_distribution<int> loaded_ms(0, 60);
  std::uniform_int_distribution<int> one_in_five(0, 4);
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> bad_integrity;
  for (int n = 1; n <= cycles; ++n) {
    test::PatroldProcess p(dir.path(), false, args);
    {
      std::lock_guard lock(cycle.mu);
      cycle.port = p.port();
      ++cycle.epoch;
    }
    cycle.cv.notify_all();
    if (one_in_five(rng) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(early_ms(rng)));
    } else {
      const auto before = cycle.answers.load();
      const auto give_up = std::chrono::steady_clock::now() + 10s;
      while (cycle.answers.load() == before && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(1ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(loaded_ms(rng)));
    }
    {
      std::lock_guard lock(cycle.mu);
      cycle.port = 0;
    }
    p.kill9();
    if (n % 20 == 0) {
      if (auto r = integrity(db_path); r != "ok")
        bad_integrity.push_back(std::to_string(n) + ": " + r);
    }
  }

  // One last clean run: every op whose answer was cut off is sent again
  // (and answered) before the clients stop.
  {
    test::PatroldProcess p(dir.path(), false, args);
    {
      std::lock_guard lock(cycle.mu);
      cycle.port = p.port();
      ++cycle.epoch;
    }
    cycle.cv.notify_all();
    int final_epoch = 0;
    {
      std::lock_guard lock(cycle.mu);
      final_epoch = cycle.epoch;
    }
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline &&
           !std::all_of(logs.begin(), logs.end(),
                        [&](const ClientLog& l) { return l.ok_epoch.load() == final_epoch; }))
      std::this_thread::sleep_for(10ms);
    cycle.stop.store(true);
    {
      std::lock_guard lock(cycle.mu);
      cycle.done = true;
    }
    cycle.cv.notify_all();
    for (auto& t : clients) t.join();
    EXPECT_EQ(p.terminate(), 0) << "graceful SIGTERM after the cycles exits 0";
  }
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  ClientLog all;
  for (auto& l : logs) {
    all.answered.insert(l.answered.begin(), l.answered.end());
    all.sent.insert(l.sent.begin(), l.sent.end());
    all.applied += l.applied;
    all.duplicates += l.duplicates;
    all.failed_requests += l.failed_requests;
    all.rejected.insert(all.rejected.end(), l.rejected.begin(), l.rejected.end());
  }

  // Straight from the file: inspections per op id, and each op's record.
  std::map<std::string, int> rows_per_op;
  std::set<std::string> op_records;
  {
    auto db = sqlite::Database::open(db_path.string(), {.read_only = true});
    ASSERT_TRUE(db) << db.error().message();
    auto st = db->prepare("SELECT op_id, COUNT(*) FROM inspections GROUP BY op_id").value();
    while (st.step().value()) rows_per_op[st.column_text(0)] = static_cast<int>(st.column_int64(1));
    auto ops = db->prepare("SELECT op_id FROM ops WHERE status = 'applied'").value();
    while (ops.step().value()) op_records.insert(ops.column_text(0));
  }
  std::size_t lost = 0, doubled = 0, unrecorded = 0;
  for (const auto& id : all.answered) {
    const auto it = rows_per_op.find(id);
    if (it == rows_per_op.end()) {
      ++lost;
      ADD_FAILURE() << "op " << id << " was answered applied but has no inspection";
    }
    if (!op_records.count(id)) ++unrecorded;
  }
  for (const auto& id : all.sent) {
    const auto it = rows_per_op.find(id);
    if (it != rows_per_op.end() && it->second > 1) {
      ++doubled;
      ADD_FAILURE() << "op " << id << " has " << it->second << " inspections";
    }
  }
  const auto final_integrity = integrity(db_path);

  std::cout << "cycles=" << cycles << " ops_checked=" << all.answered.size() << " lost=" << lost
            << " doubled=" << doubled << "\n"
            << "  (applied=" << all.applied << " duplicate=" << all.duplicates
            << " sent=" << all.sent.size() << " requests failed by a kill=" << all.failed_requests
            << " integrity=" << final_integrity << " in " << seconds << " s)" << std::endl;

  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(doubled, 0u);
  EXPECT_EQ(unrecorded, 0u) << "an answered op without its 'applied' record in ops";
  EXPECT_EQ(final_integrity, "ok");
  EXPECT_TRUE(bad_integrity.empty()) << bad_integrity.front();
  EXPECT_TRUE(all.rejected.empty())
      << all.rejected.size() << " rejected, first: " << all.rejected.front();
  // Under load: the clients had requests in flight at many of the kills, and
  // every op sent was answered in the end (the last clean run).
  EXPECT_GE(all.failed_requests, static_cast<std::size_t>(cycles) / 2);
  EXPECT_EQ(all.answered.size(), all.sent.size()) << "ops never answered after the last restart";
  EXPECT_GE(all.answered.size(), static_cast<std::size_t>(cycles) * kBatch);
}
