// Issue 9 (hardening): each known hole found by trying patrold from outside,
// as a test that fails while the hole is open. Real patrold over TLS on
// 127.0.0.1, real SQLite files; storage faults come from a fault-injecting
// SQLite VFS (test_support/fault_vfs.hpp), not from a mock.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "patrol/wire/uuid.hpp"
#include "test_support/fault_vfs.hpp"
#include "test_support/https_client.hpp"
#include "test_support/test_server.hpp"
#include "test_support/wss_client.hpp"

using namespace patrol;
using namespace std::chrono_literals;
namespace json = boost::json;
using test::FaultVfs;
using test::HttpResponse;
using test::HttpsClient;
using test::RawConnection;
using test::TestServer;
using test::WssClient;

using test::error_code_of;

namespace {

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : std::string();
}

}  // namespace

// A disk hiccup while checking a token must not log every phone out: the
// store's failure is 503 unavailable + Retry-After, never 401 (a 401 makes the
// SDK drop its token and wait for a manual login). Same for the WebSocket
// upgrade. When the disk recovers, the same token works again.
TEST(Hardening, StoreErrorWhileCheckingATokenIs503Not401) {
  auto& vfs = FaultVfs::install();  // before the server opens its database
  test::DisarmOnExit disarm{vfs};
  TestServer server;
  HttpsClient c(server.port());
  const auto token = test::login(c, "13900000002");
  c.set_bearer(token);
  ASSERT_EQ(c.get("/api/v1/me").status, 200u);

  vfs.fail_all(FaultVfs::kRead | FaultVfs::kLock);
  auto r = c.get("/api/v1/me");
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_EQ(error_code_of(r.body), "unavailable") << r.body;
  EXPECT_TRUE(r.header("retry-after"));
  EXPECT_GT(vfs.failures(), 0u) << "the fault never reached SQLite: the test proves nothing";

  WssClient ws(server.port(), "/api/v1/live", {{"Authorization", "Bearer " + token}});
  EXPECT_FALSE(ws.accepted());
  EXPECT_EQ(ws.declined_status(), 503u) << ws.declined_body();
  EXPECT_EQ(error_code_of(ws.declined_body()), "unavailable") << ws.declined_body();

  vfs.disarm();
  EXPECT_EQ(c.get("/api/v1/me").status, 200u) << "the server must recover by itself";
  WssClient ws2(server.port(), "/api/v1/live", {{"Authorization", "Bearer " + token}});
  EXPECT_TRUE(ws2.accepted()) << ws2.declined_status() << " " << ws2.declined_body();
}

namespace {

// Every HTTP status line in what the server sent ("HTTP/1.1 400 ...").
std::vector<std::string> status_lines(const std::string& data) {
  std::vector<std::string> out;
  for (std::size_t p = data.find("HTTP/1."); p != std::string::npos;
       p = data.find("HTTP/1.", p + 1)) {
    if (p != 0 && data.compare(p - 2, 2, "\r\n") != 0) continue;  // not at a line start
    out.push_back(data.substr(p, data.find("\r\n", p) - p));
  }
  return out;
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes) {
  RawConnection c(port);
  c.write(bytes);
  return c.read_until_close(10000).data;
}

bool has_header_line(const std::string& data, std::string_view line) {
  std::string lower(data);
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string want(line);
  for (auto& ch : want) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower.find("\r\n" + want + "\r\n") != std::string::npos;
}

}  // namespace

// Request smuggling (RFC 9112 §6.1, §6.3): a Transfer-Encoding the server
// does not understand was read as "no body", and the body ran as the next
// request on the connection. Now: one 400/501 answer, then the connection is
// closed — the smuggled request is never executed. Raw bytes over real TLS.
TEST(Hardening, UnframeableTransferEncodingsAreRefusedAndTheConnectionClosed) {
  TestServer server;
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  struct Case {
    std::string te_lines;
    std::string want;
  };
  for (const auto& c : std::vector<Case>{
           {"Transfer-Encoding: xchunked\r\n", "400"},
           {"Transfer-Encoding: chunked, identity\r\n", "400"},
           {"Transfer-Encoding: gzip, chunked\r\n", "501"},
           {"Transfer-Encoding: chunked\r\nContent-Length: " + std::to_string(smuggled.size()) +
                "\r\n",
            "400"},
       }) {
    const auto data =
        raw_exchange(server.port(), "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n" + c.te_lines +
                                        "Content-Type: application/json\r\n\r\n" + smuggled);
    const auto lines = status_lines(data);
    ASSERT_EQ(lines.size(), 1u) << c.te_lines << "\n" << data;
    EXPECT_NE(lines[0].find(" " + c.want + " "), std::string::npos) << c.te_lines << lines[0];
    EXPECT_TRUE(has_header_line(data, "Connection: close")) << data;
    EXPECT_EQ(data.find("\"status\":\"ok\""), std::string::npos) << "smuggled request ran";
  }
}

// Lower-case and unknown methods are 501 (methods are case-sensitive), a
// missing or doubled Host is 400, many small header lines past the 16 KiB
// limit are 431 — and every one of those answers carries an X-Request-Id.
TEST(Hardening, MalformedRequestHeadsAreRefusedWithARequestId) {
  TestServer server;
  std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 3000; ++i) many += "X-" + std::to_string(i) + ": v\r\n";  // ~30 KB
  many += "\r\n";
  struct Case {
    std::string name;
    std::string bytes;
    std::string want;
  };
  for (const auto& c : std::vector<Case>{
           {"lower-case method", "get /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "501"},
           {"unknown method", "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "501"},
           {"no Host", "GET /healthz HTTP/1.1\r\n\r\n", "400"},
           {"two Hosts", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400"},
           {"30 KB of small header lines", many, "431"},
           {"garbage", "\x16\x03 not http at all\r\n\r\n", "400"},
       }) {
    const auto data = raw_exchange(server.port(), c.bytes);
    const auto lines = status_lines(data);
    ASSERT_EQ(lines.size(), 1u) << c.name << "\n" << data;
    EXPECT_NE(lines[0].find(" " + c.want + " "), std::string::npos) << c.name << ": " << lines[0];
    const auto rid = data.find("\r\nX-Request-Id: ");
    ASSERT_NE(rid, std::string::npos) << c.name << "\n" << data;
    EXPECT_NE(data.compare(rid, 18, "\r\nX-Request-Id: \r\n"), 0) << c.name << ": empty id";
    EXPECT_NE(data.find("{\"error\":{"), std::string::npos) << c.name << "\n" << data;
  }
}

// A bad WebSocket handshake got Beast's plain-text answer; now our JSON error.
TEST(Hardening, WebSocketHandshakeErrorsAreJson) {
  TestServer server;
  HttpsClient c(server.port());
  const auto token = test::login(c, "13900000002");
  const auto data = raw_exchange(server.port(),
                                 "GET /api/v1/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                 "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                                 "Authorization: Bearer " +
                                     token + "\r\n\r\n");  // no Sec-WebSocket-Key
  const auto lines = status_lines(data);
  ASSERT_EQ(lines.size(), 1u) << data;
  EXPECT_NE(lines[0].find(" 400 "), std::string::npos) << lines[0];
  EXPECT_NE(data.find("\"field\":\"sec-websocket-key\""), std::string::npos) << data;
  const auto v8 = raw_exchange(server.port(),
                               "GET /api/v1/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                               "Upgrade: websocket\r\nSec-WebSocket-Version: 8\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  EXPECT_NE(v8.find(" 426 "), std::string::npos) << v8;
  EXPECT_TRUE(has_header_line(v8, "Sec-WebSocket-Version: 13")) << v8;
  EXPECT_NE(v8.find("{\"error\":{\"code\":\"upgrade_required\""), std::string::npos) << v8;
}

// Tokens and personal data must not be cached; the dashboard may not be
// framed and runs only same-origin scripts; HSTS is on; /metrics is for
// loopback (or --metrics-allow) only.
TEST(Hardening, SecurityHeadersAndMetricsForLoopbackOnly) {
  TestServer server;
  HttpsClient c(server.port());
  const auto login = c.post_json(
      "/api/v1/auth/login", R"({"phone":"13900000002","password":"patrol-demo","device_id":"h"})");
  ASSERT_EQ(login.status, 200u);
  for (const auto* r : {&login}) {
    EXPECT_EQ(r->header("cache-control").value_or(""), "no-store");
    EXPECT_EQ(r->header("x-frame-options").value_or(""), "DENY");
    EXPECT_NE(r->header("strict-transport-security").value_or("").find("max-age="),
              std::string::npos);
    const std::string csp(r->header("content-security-policy").value_or(""));
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  }
  EXPECT_EQ(c.get("/metrics").status, 200u) << "loopback may read /metrics by default";

  test::TestServerOptions o;
  o.configure = [](net::ServerConfig& cfg) { cfg.metrics_allow = "10.0.0.0/8"; };
  TestServer restricted(o);
  HttpsClient r(restricted.port());
  auto m = r.get("/metrics");
  EXPECT_EQ(m.status, 404u) << m.body;
  EXPECT_EQ(m.body.find("patrol_"), std::string::npos);
}

// One client could hold every connection slot (idle TCP, or logged-in
// WebSockets answering pings). Now per address and per user caps.
TEST(Hardening, OneClientCannotHoldEverySlot) {
  test::TestServerOptions o;
  o.configure = [](net::ServerConfig& cfg) {
    cfg.limits.max_connections_per_ip = 3;
    cfg.limits.max_websockets_per_user = 2;
  };
  TestServer server(o);
  {
    std::vector<std::unique_ptr<HttpsClient>> held;
    for (int i = 0; i < 3; ++i) {
      held.push_back(std::make_unique<HttpsClient>(server.port()));
      ASSERT_EQ(held.back()->get("/healthz").status, 200u);
    }
    HttpsClient fourth(server.port());
    auto r = fourth.get("/healthz");
    EXPECT_EQ(r.status, 429u) << r.body;
    EXPECT_NE(r.body.find("too_many_connections"), std::string::npos) << r.body;
  }
  // Slots come back when connections close.
  std::this_thread::sleep_for(200ms);
  HttpsClient c(server.port());
  ASSERT_EQ(c.get("/healthz").status, 200u);
  const auto token = test::login(c, "13900000001");
  c.close();
  {
    // Per user: the 3rd live socket of one user is refused (the 4th
    // connection from this address would be refused anyway, so 2 + 1).
    WssClient a(server.port(), "/api/v1/live", {{"Authorization", "Bearer " + token}});
    WssClient b(server.port(), "/api/v1/live", {{"Authorization", "Bearer " + token}});
    ASSERT_TRUE(a.accepted());
    ASSERT_TRUE(b.accepted());
    WssClient third(server.port(), "/api/v1/live", {{"Authorization", "Bearer " + token}});
    EXPECT_FALSE(third.accepted());
    EXPECT_EQ(third.declined_status(), 429u) << third.declined_body();
    EXPECT_NE(third.declined_body().find("too_many_websockets"), std::string::npos);
  }
}

namespace {

struct Shop {
  std::string id;
  std::string template_id;
};

std::string inspection_op_json(const Shop& s, const std::string& op_id) {
  json::object body{
      {"id", op_id},  // the inspection id may equal the op id: both are UUIDs
      {"site_id", s.id},
      {"template_id", s.template_id},
      {"template_version", 1},
      {"observed_at", "2026-11-28T19:05:00+08:00"},
      {"items", json::array{json::object{{"code", "corridor_clutter"}, {"result", "ok"}}}}};
  return json::serialize(
      json::object{{"op_id", op_id}, {"type", "inspection.create"}, {"body", std::move(body)}});
}

std::string integrity_check(const std::filesystem::path& db) {
  sqlite3* h = nullptr;
  std::string out = "cannot open";
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    out.clear();
    if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW)
        out += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return out;
}

}  // namespace

// Faults at every storage call of a push: the Nth write (I/O error or disk
// full), sync, lock or read of the database fails (SQLite VFS shim), for N
// swept over the calls a push makes.
// While the fault lasts the push is answered 503 (or its ops applied, when
// the fault hit after the commit); once it is gone the same push, re-sent as
// the SDK does, is answered applied/duplicate: no op answered `applied` is
// ever lost or doubled, and `PRAGMA integrity_check` stays clean throughout.
TEST(Hardening, StorageFaultsDuringPushesLoseNothingAndRecover) {
  auto& vfs = FaultVfs::install();
  test::DisarmOnExit disarm{vfs};
  test::TestServerOptions o;
  o.configure = [](net::ServerConfig& cfg) {
    cfg.limits.rate_limit_per_ip = 0;
    cfg.api.user_rate_per_s = 0;
  };
  TestServer server(o);
  HttpsClient c(server.port());
  c.set_bearer(test::login(c, "13900000002"));
  auto v = json::parse(c.get("/api/v1/sites?category=shop&limit=1").body);
  const auto& s = v.at("items").as_array().at(0);
  const Shop shop{str(s.at("id")), str(s.at("template_id"))};

  std::set<std::string> applied;  // op ids ever answered applied
  std::size_t faults_seen = 0, unavailable = 0;
  struct Fault {
    unsigned kinds;
    bool disk_full;  // SQLITE_FULL instead of an I/O error
  };
  for (const auto [kinds, disk_full] :
       {Fault{FaultVfs::kWrite, false}, Fault{FaultVfs::kWrite, true},
        Fault{FaultVfs::kSync, false}, Fault{FaultVfs::kLock, false},
        Fault{FaultVfs::kRead, false}}) {
    for (std::uint64_t n = 1; n <= 12; ++n) {
      std::vector<std::string> ids;
      std::string body = R"({"device_id":"fault","ops":[)";
      for (int i = 0; i < 3; ++i) {
        ids.push_back(wire::make_uuid_v7());
        body += (i ? "," : "") + inspection_op_json(shop, ids.back());
      }
      body += "]}";
      vfs.fail_nth(kinds, n, /*sticky=*/false, disk_full);
      auto r = c.post_json("/api/v1/sync/push", body);
      vfs.disarm();
      faults_seen += vfs.failures();
      if (r.status == 503) {
        ++unavailable;
        EXPECT_TRUE(r.header("retry-after")) << r.body;
      } else {
        ASSERT_EQ(r.status, 200u) << "kinds " << kinds << " n " << n << ": " << r.body;
        const auto first = json::parse(r.body);
        for (const auto& res : first.at("results").as_array())
          if (str(res.at("status")) == "applied") applied.insert(str(res.at("op_id")));
      }
      // The device re-sends until answered: everything is stored exactly once.
      auto again = c.post_json("/api/v1/sync/push", body);
      ASSERT_EQ(again.status, 200u) << "kinds " << kinds << " n " << n << ": " << again.body;
      const auto second = json::parse(again.body);
      for (const auto& res : second.at("results").as_array()) {
        const auto id = str(res.at("op_id"));
        const auto st = str(res.at("status"));
        if (applied.count(id)) {
          EXPECT_EQ(st, "duplicate")
              << "applied op " << id << " was lost (kinds " << kinds << " n " << n << ")";
        } else {
          EXPECT_EQ(st, "applied") << id << " " << res;
        }
        applied.insert(id);
      }
      ASSERT_EQ(integrity_check(server.data_dir() / "patrol.db"), "ok")
          << "kinds " << kinds << " n " << n;
    }
  }
  EXPECT_GT(faults_seen, 10u) << "the faults never reached SQLite: the test proves nothing";
  EXPECT_GT(unavailable, 0u);
  // Exactly one stored inspection per op.
  std::size_t stored = 0;
  std::string after;
  for (;;) {
    auto page = json::parse(c.get("/api/v1/inspections?limit=1000" + after).body);
    stored += page.at("items").as_array().size();
    if (page.at("next").is_null()) break;
    after = "&after=" + str(page.at("next"));
  }
  EXPECT_EQ(stored, applied.size());
  std::cout << "storage faults injected: " << faults_seen
            << ", pushes answered 503: " << unavailable << ", ops checked: " << applied.size()
            << ", lost: 0\n";
}
