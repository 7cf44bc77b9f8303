#include "net/http_util.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

using namespace patrol;
using namespace patrol::net;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

TEST(HttpUtil, JsonErrorShape) {
  auto r = json_error(413, "body_too_large", "body", "too \"big\"");
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.content_type, "application/json");
  auto v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("error").at("code").as_string(), "body_too_large");
  EXPECT_EQ(v.at("error").at("field").as_string(), "body");
  EXPECT_EQ(v.at("error").at("message").as_string(), "too \"big\"");
}

TEST(HttpUtil, ToApiRequestDecodesPathQueryAndHeaders) {
  BeastRequest in{http::verb::get, "/api/v1/sites/a%20b?limit=10&q=%E5%A4%A7%E7%94%B0&x=a+b&flag",
                  11};
  in.set("X-Custom-Header", "Value");
  in.set(http::field::authorization, "Bearer t");
  api::Request out;
  auto bad = to_api_request(in, "127.0.0.1:1", "rid", out);
  ASSERT_FALSE(bad.has_value()) << bad->body;
  EXPECT_EQ(out.method, "GET");
  EXPECT_EQ(out.path, "/api/v1/sites/a b");
  EXPECT_EQ(out.target, "/api/v1/sites/a%20b?limit=10&q=%E5%A4%A7%E7%94%B0&x=a+b&flag");
  EXPECT_EQ(out.query_param("limit").value_or(""), "10");
  EXPECT_EQ(out.query_param("q").value_or(""), "大田");
  EXPECT_TRUE(out.query_param("flag").has_value());
  EXPECT_EQ(out.header("x-custom-header").value_or(""), "Value");
  EXPECT_EQ(out.header("authorization").value_or(""), "Bearer t");
  EXPECT_EQ(out.remote, "127.0.0.1:1");
  EXPECT_EQ(out.request_id, "rid");
}

TEST(HttpUtil, ToApiRequestRejectsBadTargets) {
  for (const char* target : {"/bad%zzescape", "http://absolute.example/x", "/nul%00byte"}) {
    BeastRequest in{http::verb::get, target, 11};
    api::Request out;
    auto bad = to_api_request(in, "", "", out);
    ASSERT_TRUE(bad.has_value()) << target;
    EXPECT_EQ(bad->status, 400u) << target;
  }
}

TEST(HttpUtil, ContentTypePolicy) {
  struct Case {
    const char* method;
    const char* path;
    std::optional<std::string_view> ct;
    bool has_body;
    bool rejected;
  };
  const Case cases[] = {
      {"POST", "/api/v1/sync/push", "application/json", true, false},
      {"POST", "/api/v1/sync/push", "Application/JSON; charset=utf-8", true, false},
      {"POST", "/api/v1/sync/push", "text/plain", true, true},
      {"POST", "/api/v1/sync/push", std::nullopt, true, true},
      {"POST", "/api/v1/auth/logout", std::nullopt, false, false},  // no body, no type needed
      {"PUT", "/api/v1/attachments/abc", "application/octet-stream", true, false},
      {"PUT", "/api/v1/attachments/abc", "application/json", true, true},
      // openapi.yaml lists image/jpeg for uploads: it was answered 415 (issue 9).
      {"PUT", "/api/v1/attachments/abc", "image/jpeg", true, false},
      {"PUT", "/api/v1/attachments/abc", "image/gif", true, true},
      {"PATCH", "/api/v1/hazards/1", "text/plain", true, true},
      {"GET", "/api/v1/sites", "text/plain", true, false},
      {"POST", "/not-api", "text/plain", true, false},
  };
  for (const auto& c : cases) {
    auto r = check_content_type(c.method, c.path, c.ct, c.has_body);
    EXPECT_EQ(r.has_value(), c.rejected)
        << c.method << " " << c.path << " " << c.ct.value_or("(none)");
    if (r) {
      EXPECT_EQ(r->status, 415u);
    }
  }
}

TEST(HttpUtil, BeastResponseCarriesSecurityHeaders) {
  api::Response r;
  r.status = 201;
  r.body = R"({"ok":true})";
  r.headers.emplace_back("Location", "/x");
  auto out = to_beast_response(r, 11, true, "rid-1", false);
  EXPECT_EQ(out.result_int(), 201u);
  EXPECT_EQ(out[http::field::content_type], "application/json");
  EXPECT_EQ(out["Strict-Transport-Security"], "max-age=31536000");
  EXPECT_EQ(out["X-Request-Id"], "rid-1");
  EXPECT_EQ(out["Location"], "/x");
  EXPECT_EQ(out[http::field::content_length], "11");
  EXPECT_TRUE(out.keep_alive());
  auto head = to_beast_response(r, 11, false, "rid-2", true);
  EXPECT_TRUE(head.body().empty());
  EXPECT_EQ(head[http::field::content_length], "11");
  EXPECT_FALSE(head.keep_alive());
}

TEST(HttpUtil, RequestIds) {
  EXPECT_EQ(request_id_for("abc-123_x.y"), "abc-123_x.y");
  std::set<std::string> seen;
  for (auto bad :
       {std::optional<std::string_view>{}, std::optional<std::string_view>{""},
        std::optional<std::string_view>{"has space"}, std::optional<std::string_view>{"quote\""},
        std::optional<std::string_view>{std::string_view(
            "0123456789012345678901234567890123456789012345678901234567890123456789")}}) {
    auto id = request_id_for(bad);
    EXPECT_EQ(id.size(), 16u);
    EXPECT_TRUE(seen.insert(id).second) << "ids must not repeat";
  }
}

TEST(HttpUtil, AccessLogIsOneJsonLine) {
  auto line =
      format_access_log({"POST", "/api/v1/sync/push", 200, 1234us, "u-1", "rid", "1.2.3.4:5", 99});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto v = boost::json::parse(line);
  EXPECT_EQ(v.at("method").as_string(), "POST");
  EXPECT_EQ(v.at("path").as_string(), "/api/v1/sync/push");
  EXPECT_EQ(v.at("status").to_number<int>(), 200);
  EXPECT_EQ(v.at("us").to_number<int>(), 1234);
  EXPECT_EQ(v.at("user").as_string(), "u-1");
  EXPECT_EQ(v.at("request_id").as_string(), "rid");
  EXPECT_EQ(v.at("ts").as_string().size(), 24u);  // 2026-11-28T12:00:00.123Z
}

// Client bytes that are not UTF-8 (a Content-Type header, a percent-decoded
// path) must not make the JSON error body or the log line invalid.
TEST(HttpUtil, ErrorBodiesAndLogLinesStayValidUtf8) {
  auto r = check_content_type("POST", "/api/v1/sync/push", std::string_view("text/\xff\xfe"), true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415u);
  boost::system::error_code ec;
  auto v = boost::json::parse(r->body, ec);  // Boost.JSON validates UTF-8
  ASSERT_FALSE(ec) << r->body;
  EXPECT_NE(std::string(v.at("error").at("message").as_string()).find("text/\xEF\xBF\xBD"),
            std::string::npos);
  auto line = format_access_log({"GET",
                                 "/a\xc0\xaf"
                                 "b",
                                 404, 1us, "", "rid", "1.2.3.4:5", 0});
  auto l = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  EXPECT_EQ(l.at("path").as_string(),
            "/a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b");
}

TEST(HttpUtil, RateLimiterTokenBucket) {
  RateLimiter off(0, 0);
  EXPECT_FALSE(off.enabled());
  RateLimiter rl(2, 3);  // 2/s, burst 3
  const auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  std::chrono::seconds retry{0};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rl.allow("1.1.1.1", t0, retry)) << i;
  EXPECT_FALSE(rl.allow("1.1.1.1", t0, retry));
  EXPECT_EQ(retry, 1s);
  EXPECT_TRUE(rl.allow("2.2.2.2", t0, retry)) << "buckets are per address";
  EXPECT_TRUE(rl.allow("1.1.1.1", t0 + 500ms, retry)) << "refills at the rate";
  EXPECT_FALSE(rl.allow("1.1.1.1", t0 + 500ms, retry));
  RateLimiter slow(0.1, 1);  // one per 10 s
  EXPECT_TRUE(slow.allow("a", t0, retry));
  EXPECT_FALSE(slow.allow("a", t0, retry));
  EXPECT_EQ(retry, 10s);
}

// ---- issue 9: request smuggling and other framing the RFCs forbid ----

namespace {
BeastRequest head_with(std::vector<std::pair<std::string, std::string>> fields,
                       std::string_view method = "POST", unsigned version = 11) {
  BeastRequest r;
  r.method_string(method);
  r.target("/api/v1/sync/push");
  r.version(version);
  for (auto& [k, v] : fields) r.insert(k, v);
  return r;
}
}  // namespace

TEST(HttpUtil, TransferEncodingsTheServerCannotFrameAreRefused) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> fields;
    unsigned want;  // 0: accepted
  };
  const std::vector<Case> cases = {
      {{{"Host", "h"}, {"Transfer-Encoding", "chunked"}}, 0},
      {{{"Host", "h"}, {"Transfer-Encoding", "Chunked"}}, 0},
      {{{"Host", "h"}, {"Content-Length", "5"}}, 0},
      {{{"Host", "h"}, {"Transfer-Encoding", "xchunked"}}, 400},
      {{{"Host", "h"}, {"Transfer-Encoding", "chunked, identity"}}, 400},
      {{{"Host", "h"}, {"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "identity"}}, 400},
      {{{"Host", "h"}, {"Transfer-Encoding", "chunked, chunked"}}, 400},
      {{{"Host", "h"}, {"Transfer-Encoding", "gzip, chunked"}}, 501},
      {{{"Host", "h"}, {"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}, 400},
      {{{"Host", "h"}, {"Transfer-Encoding", ""}}, 400},
  };
  for (const auto& c : cases) {
    std::string desc;
    for (const auto& [k, v] : c.fields) desc += k + ": " + v + "; ";
    auto bad = check_request_head(head_with(c.fields), 16384);
    if (c.want == 0) {
      EXPECT_FALSE(bad) << desc << " -> " << (bad ? bad->body : "");
    } else {
      ASSERT_TRUE(bad) << desc;
      EXPECT_EQ(bad->status, c.want) << desc;
    }
  }
  // HTTP/1.0 has no transfer codings at all.
  auto v10 = check_request_head(head_with({{"Transfer-Encoding", "chunked"}}, "POST", 10), 16384);
  ASSERT_TRUE(v10);
  EXPECT_EQ(v10->status, 400u);
}

TEST(HttpUtil, MethodsAreCaseSensitiveAndUnknownOnesAre501) {
  for (const char* m : {"get", "Get", "FOO", "BREW"}) {
    auto bad = check_request_head(head_with({{"Host", "h"}}, m), 16384);
    ASSERT_TRUE(bad) << m;
    EXPECT_EQ(bad->status, 501u) << m;
  }
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
    EXPECT_FALSE(check_request_head(head_with({{"Host", "h"}}, m), 16384)) << m;
}

TEST(HttpUtil, Http11NeedsExactlyOneHost) {
  auto none = check_request_head(head_with({}), 16384);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 400u);
  auto two = check_request_head(head_with({{"Host", "a"}, {"Host", "b"}}), 16384);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->status, 400u);
  EXPECT_FALSE(check_request_head(head_with({}, "GET", 10), 16384));  // HTTP/1.0 may omit it
}

TEST(HttpUtil, ManySmallHeaderLinesCountAgainstTheHeaderLimit) {
  std::vector<std::pair<std::string, std::string>> fields{{"Host", "h"}};
  for (int i = 0; i < 2000; ++i) fields.emplace_back("X-" + std::to_string(i), "v");  // ~18 KB
  auto bad = check_request_head(head_with(fields), 16384);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 431u);
}

TEST(HttpUtil, WebSocketHandshakeErrorsAreJson) {
  BeastRequest ok{http::verb::get, "/api/v1/live", 11};
  ok.set(http::field::sec_websocket_version, "13");
  ok.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_FALSE(check_websocket_handshake(ok));
  auto v8 = ok;
  v8.set(http::field::sec_websocket_version, "8");
  auto r = check_websocket_handshake(v8);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 426u);
  EXPECT_EQ(boost::json::parse(r->body).at("error").at("code").as_string(), "upgrade_required");
  auto nokey = ok;
  nokey.erase(http::field::sec_websocket_key);
  r = check_websocket_handshake(nokey);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400u);
  EXPECT_EQ(boost::json::parse(r->body).at("error").at("field").as_string(), "sec-websocket-key");
}

TEST(HttpUtil, EveryResponseCarriesTheSecurityHeaders) {
  api::Response r;
  r.body = "{}";
  auto out = to_beast_response(r, 11, true, "rid", false, content_security_policy(""));
  EXPECT_EQ(out[http::field::cache_control], "no-store");
  EXPECT_EQ(out["X-Frame-Options"], "DENY");
  EXPECT_NE(out["Strict-Transport-Security"].find("max-age="), std::string::npos);
  const std::string csp(out["Content-Security-Policy"]);
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_NE(content_security_policy("https://t.example")
                .find("img-src 'self' data: blob: "
                      "https://t.example;"),
            std::string::npos);
  api::Response file;  // a static file chooses its own caching
  file.headers.emplace_back("Cache-Control", "no-cache");
  auto f = to_beast_response(file, 11, true, "rid", false);
  EXPECT_EQ(f[http::field::cache_control], "no-cache");
  EXPECT_EQ(std::distance(f.equal_range(http::field::cache_control).first,
                          f.equal_range(http::field::cache_control).second),
            1);
}

TEST(HttpUtil, AddressAllowList) {
  auto l = AddressAllowList::parse("127.0.0.0/8, ::1, 10.1.0.0/16");
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_TRUE(l->allows("127.0.0.1"));
  EXPECT_TRUE(l->allows("127.9.9.9"));
  EXPECT_TRUE(l->allows("::1"));
  EXPECT_TRUE(l->allows("::ffff:127.0.0.1"));  // v4-mapped
  EXPECT_TRUE(l->allows("10.1.200.3"));
  EXPECT_FALSE(l->allows("10.2.0.1"));
  EXPECT_FALSE(l->allows("192.168.1.1"));
  EXPECT_FALSE(l->allows("::2"));
  EXPECT_FALSE(l->allows("-"));
  auto none = AddressAllowList::parse("");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->allows("127.0.0.1"));
}

TEST(HttpUtil, TileOriginOfATileUrlTemplate) {
  EXPECT_EQ(tile_origin_of("https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&z={z}"),
            "https://*.tianditu.gov.cn");
  EXPECT_EQ(tile_origin_of("https://tiles.example.cn:8443/osm/{z}/{x}/{y}.png"),
            "https://tiles.example.cn:8443");
  EXPECT_EQ(tile_origin_of("http://tiles.example.cn/{z}/{x}/{y}.png"), "");
  EXPECT_EQ(tile_origin_of("https://a;script-src */{z}"), "");
  EXPECT_EQ(tile_origin_of("https://{s}/{z}"), "");
  EXPECT_EQ(tile_origin_of(""), "");
}
