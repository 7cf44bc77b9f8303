// Transport helpers that need no socket: Beast request -> api::Request,
// api::Response -> Beast response, the JSON error body, the content-type
// policy (415), request ids, the access-log line and the per-IP rate limiter.
// All are plain functions or self-locking objects, unit-tested without a server.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/http_types.hpp"
#include "net/config.hpp"

namespace patrol::net {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;

// {"error":{"code","field","message"}} with the given status; `route` is the
// metrics label (empty -> "(net)", meaning the transport answered, not the Api).
api::Response json_error(unsigned status, std::string_view code, std::string_view field,
                         std::string_view message);

// Converts a parsed request. Fails (with a 400 JSON response to send back)
// when the target is not an origin-form URL (e.g. bad percent-encoding).
// Header names are lower-cased; path and query are percent-decoded.
[[nodiscard]] std::optional<api::Response> to_api_request(const BeastRequest& in,
                                                          std::string remote,
                                                          std::string request_id,
                                                          api::Request& out);

// Builds the wire response: status, Content-Type, body, the Api's extra
// headers, Strict-Transport-Security, X-Request-Id and keep-alive. For HEAD the
// body is dropped and Content-Length keeps the length of the GET body.
BeastResponse to_beast_response(const api::Response& res, unsigned http_version, bool keep_alive,
                                std::string_view request_id, bool head);

// 415 policy: a POST/PUT/PATCH with a body must be application/json, except
// PUT /api/v1/attachments/... which must be application/octet-stream. Returns
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

// Token bucket per client IP. Thread-safe (one mutex; the critical section is a
// hash lookup). rate <= 0 disables it.
class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst);
  // true: allowed (a token was taken). false: rejected; retry_after is how long
  // until a token is available, rounded up to whole seconds (>= 1).
  bool allow(std::string_view ip, std::chrono::steady_clock::time_point now,
             std::chrono::seconds& retry_after);
  bool enabled() const { return rate_ > 0; }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  double rate_;
  double burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace patrol::net
