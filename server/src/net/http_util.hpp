// Transport helpers that need no socket: Beast request -> api::Request,
// api::Response -> Beast response, the JSON error body, the content-type
// policy (415), request ids, the access-log line and the per-IP rate limiter.
// All are plain functions or self-locking objects, unit-tested without a server.
#pragma once

#include <array>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/http_types.hpp"
#include "auth/rate_limiter.hpp"
#include "net/config.hpp"

namespace patrol::net {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;

// {"error":{"code","field","message"}} with the given status; `route` is the
// metrics label (empty -> "(net)", meaning the transport answered, not the Api).
api::Response json_error(unsigned status, std::string_view code, std::string_view field,
                         std::string_view message);

// The Content-Security-Policy of every response: same-origin scripts only
// (no inline script), images also from data:/blob: and `tile_origin` (the
// map tile server, e.g. "https://tiles.example.cn"; empty: none), live feed
// over same-origin wss:, never framed.
std::string content_security_policy(std::string_view tile_origin);

// The origin a --tile-url template loads from, as a CSP source:
// "https://t{s}.example.cn/{z}/{x}/{y}.png" -> "https://*.example.cn",
// "https://tiles.example.cn:8443/x/{z}" -> "https://tiles.example.cn:8443".
// Empty when the URL is not https or holds characters that could end the
// directive, so a bad --tile-url never widens the policy.
std::string tile_origin_of(std::string_view tile_url);

// Converts a parsed request. Fails (with a 400 JSON response to send back)
// when the target is not an origin-form URL (e.g. bad percent-encoding).
// Header names are lower-cased; path and query are percent-decoded.
[[nodiscard]] std::optional<api::Response> to_api_request(const BeastRequest& in,
                                                          std::string remote,
                                                          std::string request_id,
                                                          api::Request& out);
// The same, moving the body out of `in` instead of copying it (the session's
// request is not read for its body afterwards; its head stays intact).
[[nodiscard]] std::optional<api::Response> to_api_request(BeastRequest&& in, std::string remote,
                                                          std::string request_id,
                                                          api::Request& out);

// Checks a parsed request head (before any body byte is read) against what
// RFC 9110/9112 require of a server, returning the answer when it must be
// refused; the caller then closes the connection (nothing after it on the
// connection can be trusted to be framed the way we think):
//   431 header_too_large  request line + header lines longer than max_header_bytes
//                         (counted here too: Beast's own limit lets many small
//                         lines through);
//   501 not_implemented   a method we do not know — methods are case-sensitive,
//                         so `get` is unknown, not GET (RFC 9110 §9.1);
//   400 bad_request       HTTP/1.1 without exactly one Host (RFC 9112 §3.2);
//   400 bad_request       Transfer-Encoding together with Content-Length, on
//                         HTTP/1.0, or with chunked not last/exactly once
//                         (RFC 9112 §6.1, §6.3: request smuggling);
//   501 not_implemented   a transfer coding other than chunked (`gzip, chunked`).
[[nodiscard]] std::optional<api::Response> check_request_head(const BeastRequest& head,
                                                              std::size_t max_header_bytes);

// The WebSocket opening handshake's own checks (RFC 6455 §4.2.1), done before
// Beast's accept so that a bad handshake gets our JSON error shape instead of
// Beast's plain-text one: 400 without a valid Sec-WebSocket-Key, 426 (+
// Sec-WebSocket-Version: 13) for another version. nullopt when it is fine.
[[nodiscard]] std::optional<api::Response> check_websocket_handshake(const BeastRequest& req);

// Builds the wire response: status, Content-Type, body, the Api's extra
// headers, X-Request-Id, keep-alive and the security headers every response
// carries: Strict-Transport-Security, X-Content-Type-Options,
// Content-Security-Policy (`csp`, see content_security_policy()),
// X-Frame-Options DENY, Referrer-Policy, and Cache-Control: no-store unless
// the Api chose its own Cache-Control (API answers carry tokens and personal
// data; static files choose no-cache). For HEAD the body is dropped and
// Content-Length keeps the length of the GET body.
BeastResponse to_beast_response(const api::Response& res, unsigned http_version, bool keep_alive,
                                std::string_view request_id, bool head,
                                std::string_view csp = content_security_policy({}));
// The same, moving `res.body` into the response instead of copying it (the
// rest of `res` is left as it was, for the access log and metrics).
BeastResponse to_beast_response(api::Response&& res, unsigned http_version, bool keep_alive,
                                std::string_view request_id, bool head,
                                std::string_view csp = content_security_policy({}));

// 415 policy: a POST/PUT/PATCH with a body must be application/json, except
// PUT /api/v1/attachments/... which must be application/octet-stream or
// image/jpeg (as openapi.yaml lists). Returns
// the 415 response when the request breaks it, nullopt when it is fine.
std::optional<api::Response> check_content_type(std::string_view method, std::string_view path,
                                                std::optional<std::string_view> content_type,
                                                bool has_body);

// The client's X-Request-Id when it is 1-64 chars of [A-Za-z0-9._-], else a new
// random 16-hex-digit id.
std::string request_id_for(std::optional<std::string_view> client_id);

struct AccessLogEntry {
  std::string_view method;
  std::string_view path;
  unsigned status = 0;
  std::chrono::microseconds duration{0};
  std::string_view user;
  std::string_view request_id;
  std::string_view remote;
  std::size_t bytes_out = 0;
};
// One JSON object on one line (newline included), e.g.
// {"ts":"2026-11-28T12:00:00.123Z","method":"GET","path":"/healthz","status":200,"us":85,...}
std::string format_access_log(const AccessLogEntry& e);
// Writes a line to stderr with one write(2) so lines from threads never interleave.
void write_log_line(std::string_view line);

// A list of address ranges ("127.0.0.0/8,::1/128,10.1.2.3"), e.g. who may
// read /metrics. An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) is matched as
// IPv4. Immutable after parse: thread-safe.
class AddressAllowList {
 public:
  // Fails with a message naming the bad entry. An empty text allows nobody.
  [[nodiscard]] static Result<AddressAllowList> parse(std::string_view text);
  bool allows(std::string_view ip) const;

 private:
  struct Range {
    std::array<unsigned char, 16> bytes{};
    bool v4 = false;
    unsigned prefix = 0;
  };
  std::vector<Range> ranges_;
};

// Token buckets per client address (auth/rate_limiter.hpp: bounded LRU, keys
// from auth::address_key so an IPv6 client is one /64).
using RateLimiter = auth::RateLimiter;

}  // namespace patrol::net
