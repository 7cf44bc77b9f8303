#include "net/http_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <ctime>
#include <random>

#include "patrol/wire/field_error.hpp"

namespace patrol::net {
namespace http = boost::beast::http;
namespace json = boost::json;

api::Response json_error(unsigned status, std::string_view code, std::string_view field,
                         std::string_view message) {
  // error_body makes the strings valid UTF-8: messages quote client bytes
  // (the 415 echoes the Content-Type header).
  api::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = json::serialize(
      wire::error_body({std::string(code), std::string(field), std::string(message)}));
  r.route = "(net)";
  return r;
}

std::optional<api::Response> to_api_request(const BeastRequest& in, std::string remote,
                                            std::string request_id, api::Request& out) {
  const std::string_view target(in.target().data(), in.target().size());
  auto url = boost::urls::parse_origin_form(target);
  if (!url)
    return json_error(400, "bad_target", "target", "request target is not a valid URL path");
  out.method = std::string(in.method_string());
  std::transform(out.method.begin(), out.method.end(), out.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  out.target = std::string(target);
  out.path = url->path();
  if (out.path.find('\0') != std::string::npos)
    return json_error(400, "bad_target", "target", "path contains a NUL byte");
  out.query.clear();
  for (const auto& p : url->params()) out.query.emplace_back(p.key, p.value);
  out.headers.clear();
  for (const auto& f : in) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  out.body = in.body();
  out.remote = std::move(remote);
  out.request_id = std::move(request_id);
  return std::nullopt;
}

BeastResponse to_beast_response(const api::Response& res, unsigned http_version, bool keep_alive,
                                std::string_view request_id, bool head) {
  BeastResponse out{static_cast<http::status>(res.status), http_version};
  out.set(http::field::server, "patrold");
  out.set(http::field::content_type,
          res.content_type.empty() ? "application/octet-stream" : res.content_type);
  out.set("Strict-Transport-Security", "max-age=31536000");
  out.set("X-Content-Type-Options", "nosniff");
  out.set("X-Request-Id", request_id);
  for (const auto& [k, v] : res.headers) out.insert(k, v);
  out.keep_alive(keep_alive);
  if (head) {
    out.content_length(res.body.size());
  } else {
    out.body() = res.body;
    out.prepare_payload();
  }
  return out;
}

namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}
// "application/json; charset=utf-8" -> "application/json"
std::string_view media_type(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
  while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t')) ct.remove_prefix(1);
  return ct;
}
}  // namespace

std::optional<api::Response> check_content_type(std::string_view method, std::string_view path,
                                                std::optional<std::string_view> content_type,
                                                bool has_body) {
  if (!has_body) return std::nullopt;
  if (method != "POST" && method != "PUT" && method != "PATCH") return std::nullopt;
  if (path.substr(0, 5) != "/api/") return std::nullopt;
  const bool attachment = method == "PUT" && path.substr(0, 20) == "/api/v1/attachments/";
  const std::string_view want = attachment ? "application/octet-stream" : "application/json";
  if (content_type && iequals(media_type(*content_type), want)) return std::nullopt;
  auto r = json_error(415, "unsupported_media_type", "content-type",
                      "request body must be " + std::string(want) + ", got " +
                          (content_type ? "'" + std::string(*content_type) + "'" : "none"));
  r.headers.emplace_back("Accept", std::string(want));
  return r;
}

std::string request_id_for(std::optional<std::string_view> client_id) {
  if (client_id && !client_id->empty() && client_id->size() <= 64 &&
      std::all_of(client_id->begin(), client_id->end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.';
      }))
    return std::string(*client_id);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = rng();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) id[static_cast<std::size_t>(i)] = kHex[v & 0xf];
  return id;
}

std::string format_access_log(const AccessLogEntry& e) {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  json::object o;
  o["ts"] = ts;
  // Client bytes (a percent-decoded path may hold any byte) are made valid
  // UTF-8 so every line stays valid JSON for log shippers.
  o["method"] = wire::valid_utf8(e.method);
  o["path"] = wire::valid_utf8(e.path);
  o["status"] = e.status;
  o["us"] = e.duration.count();
  o["user"] = wire::valid_utf8(e.user);
  o["request_id"] = wire::valid_utf8(e.request_id);
  o["remote"] = e.remote;
  o["bytes"] = e.bytes_out;
  std::string line = json::serialize(o);
  line += '\n';
  return line;
}

void write_log_line(std::string_view line) {
  std::size_t done = 0;
  while (done < line.size()) {
    const auto n = ::write(2, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // stderr gone: logging must never take the server down
    }
    done += static_cast<std::size_t>(n);
  }
}

RateLimiter::RateLimiter(double rate_per_second, double burst)
    : rate_(rate_per_second), burst_(burst > 0 ? burst : std::max(1.0, rate_per_second)) {}

bool RateLimiter::allow(std::string_view ip, std::chrono::steady_clock::time_point now,
                        std::chrono::seconds& retry_after) {
  if (rate_ <= 0) return true;
  std::lock_guard lock(mu_);
  // Bound memory: forget every client when the table grows large; a forgotten
  // client simply starts again with a full bucket.
  if (buckets_.size() > 100000) buckets_.clear();
  auto [it, inserted] = buckets_.try_emplace(std::string(ip), Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted) {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  const double wait = (1.0 - b.tokens) / rate_;
  retry_after =
      std::chrono::seconds(std::max<long long>(1, static_cast<long long>(std::ceil(wait))));
  return false;
}

}  // namespace patrol::net
