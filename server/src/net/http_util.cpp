#include "net/http_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <ctime>
#include <iterator>
#include <random>
#include <vector>

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

namespace {
std::optional<api::Response> to_api_request_head(const BeastRequest& in, std::string remote,
                                                 std::string request_id, api::Request& out) {
  const std::string_view target(in.target().data(), in.target().size());
  auto url = boost::urls::parse_origin_form(target);
  if (!url)
    return json_error(400, "bad_target", "target", "request target is not a valid URL path");
  // Methods are case-sensitive (RFC 9110 §9.1): check_request_head refused
  // anything but the known upper-case names already.
  out.method = std::string(in.method_string());
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
  out.remote = std::move(remote);
  out.request_id = std::move(request_id);
  return std::nullopt;
}
}  // namespace

std::optional<api::Response> to_api_request(const BeastRequest& in, std::string remote,
                                            std::string request_id, api::Request& out) {
  auto bad = to_api_request_head(in, std::move(remote), std::move(request_id), out);
  if (!bad) out.body = in.body();
  return bad;
}

std::optional<api::Response> to_api_request(BeastRequest&& in, std::string remote,
                                            std::string request_id, api::Request& out) {
  auto bad = to_api_request_head(in, std::move(remote), std::move(request_id), out);
  if (!bad) out.body = std::move(in.body());
  return bad;
}

std::string content_security_policy(std::string_view tile_origin) {
  std::string img = "img-src 'self' data: blob:";
  if (!tile_origin.empty()) img += " " + std::string(tile_origin);
  return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " + img +
         "; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
         "frame-ancestors 'none'";
}

std::string tile_origin_of(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) return {};
  std::string_view authority = url.substr(kScheme.size());
  authority = authority.substr(0, authority.find('/'));
  if (authority.empty() || authority.find_first_of(" ;,'\"\r\n@*") != std::string_view::npos)
    return {};
  // A templated subdomain ({s} for load balancing) becomes a wildcard label.
  if (authority.find('{') != std::string_view::npos) {
    const auto dot = authority.find('.');
    const std::string_view label = authority.substr(0, dot);
    std::string_view rest = dot == std::string_view::npos ? "" : authority.substr(dot);
    if (label.find('{') == std::string_view::npos || rest.find_first_of("{}") != rest.npos ||
        rest.size() < 2)
      return {};
    return std::string(kScheme) + "*" + std::string(rest);
  }
  return std::string(kScheme) + std::string(authority);
}

namespace {
// Everything but the body.
BeastResponse beast_response_head(const api::Response& res, unsigned http_version, bool keep_alive,
                                  std::string_view request_id, std::string_view csp) {
  BeastResponse out{static_cast<http::status>(res.status), http_version};
  out.set(http::field::server, "patrold");
  out.set(http::field::content_type,
          res.content_type.empty() ? "application/octet-stream" : res.content_type);
  out.set("Strict-Transport-Security", "max-age=31536000");
  out.set("X-Content-Type-Options", "nosniff");
  out.set("Content-Security-Policy", csp);
  out.set("X-Frame-Options", "DENY");
  out.set("Referrer-Policy", "no-referrer");
  out.set("X-Request-Id", request_id);
  bool cache_control = false;
  for (const auto& [k, v] : res.headers) {
    out.insert(k, v);
    cache_control = cache_control || boost::beast::iequals(k, "cache-control");
  }
  // Tokens, positions, names: nothing a shared cache or the browser's disk may keep.
  if (!cache_control) out.set(http::field::cache_control, "no-store");
  out.keep_alive(keep_alive);
  return out;
}
}  // namespace

BeastResponse to_beast_response(const api::Response& res, unsigned http_version, bool keep_alive,
                                std::string_view request_id, bool head, std::string_view csp) {
  auto out = beast_response_head(res, http_version, keep_alive, request_id, csp);
  if (head) {
    out.content_length(res.body.size());
  } else {
    out.body() = res.body;
    out.prepare_payload();
  }
  return out;
}

BeastResponse to_beast_response(api::Response&& res, unsigned http_version, bool keep_alive,
                                std::string_view request_id, bool head, std::string_view csp) {
  auto out = beast_response_head(res, http_version, keep_alive, request_id, csp);
  if (head) {
    out.content_length(res.body.size());
  } else {
    out.body() = std::move(res.body);
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

namespace {

bool known_method(std::string_view m) {
  // RFC 9110 §9 and PATCH (RFC 5789); case-sensitive.
  static constexpr std::string_view kKnown[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  return std::find(std::begin(kKnown), std::end(kKnown), m) != std::end(kKnown);
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

api::Response refuse(unsigned status, std::string_view code, std::string_view field,
                     std::string_view message) {
  // The caller sends it with keep-alive off (Connection: close) and closes.
  return json_error(status, code, field, message);
}

}  // namespace

std::optional<api::Response> check_request_head(const BeastRequest& head,
                                                std::size_t max_header_bytes) {
  // Request line + "\r\n" and each "name: value\r\n", as on the wire.
  std::size_t bytes = head.method_string().size() + head.target().size() + 12;
  for (const auto& f : head) bytes += f.name_string().size() + f.value().size() + 4;
  if (bytes > max_header_bytes)
    return refuse(431, "header_too_large", "headers",
                  "request header block exceeds " + std::to_string(max_header_bytes) + " bytes");

  const std::string_view method(head.method_string().data(), head.method_string().size());
  if (!known_method(method))
    return refuse(501, "not_implemented", "method",
                  "unknown method (methods are case-sensitive: GET, POST, PUT, ...)");

  std::size_t hosts = 0;
  std::size_t lengths = 0;
  std::vector<std::string_view> codings;
  for (const auto& f : head) {
    if (f.name() == http::field::host) ++hosts;
    if (f.name() == http::field::content_length) ++lengths;
    if (f.name() == http::field::transfer_encoding) {
      std::string_view v(f.value().data(), f.value().size());
      while (true) {
        const auto comma = v.find(',');
        codings.push_back(trim_ows(v.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
    }
  }
  if (head.version() >= 11 && hosts != 1)
    return refuse(
        400, "bad_request", "host",
        hosts == 0 ? "HTTP/1.1 request without a Host header" : "more than one Host header");
  if (head.version() < 11 && hosts > 1)
    return refuse(400, "bad_request", "host", "more than one Host header");

  bool has_te = false;
  for (const auto& f : head) has_te = has_te || f.name() == http::field::transfer_encoding;
  if (!has_te) return std::nullopt;
  if (lengths > 0)
    return refuse(400, "bad_request", "transfer-encoding",
                  "Transfer-Encoding and Content-Length together: ambiguous framing");
  if (head.version() < 11)
    return refuse(400, "bad_request", "transfer-encoding",
                  "Transfer-Encoding is not allowed in an HTTP/1.0 request");
  std::size_t chunked = 0;
  for (auto c : codings) chunked += iequals(c, "chunked") ? 1 : 0;
  if (chunked != 1 || !iequals(codings.back(), "chunked"))
    return refuse(400, "bad_request", "transfer-encoding",
                  "the body's length cannot be determined: chunked must be the last transfer "
                  "coding, exactly once");
  if (codings.size() != 1)
    return refuse(501, "not_implemented", "transfer-encoding",
                  "only the chunked transfer coding is supported");
  return std::nullopt;
}

std::optional<api::Response> check_websocket_handshake(const BeastRequest& req) {
  const auto version = req.find(http::field::sec_websocket_version);
  if (version == req.end() ||
      trim_ows({version->value().data(), version->value().size()}) != "13") {
    auto r = refuse(426, "upgrade_required", "sec-websocket-version",
                    "WebSocket version 13 is required");
    r.headers.emplace_back("Sec-WebSocket-Version", "13");
    return r;
  }
  const auto key = req.find(http::field::sec_websocket_key);
  // 16 random bytes in base64: 24 characters ending in "==".
  const std::string_view k =
      key == req.end() ? std::string_view{} : trim_ows({key->value().data(), key->value().size()});
  const bool key_ok = k.size() == 24 && k.substr(22) == "==" &&
                      std::all_of(k.begin(), k.begin() + 22, [](unsigned char c) {
                        return std::isalnum(c) || c == '+' || c == '/';
                      });
  if (!key_ok)
    return refuse(400, "bad_request", "sec-websocket-key",
                  "missing or malformed Sec-WebSocket-Key");
  return std::nullopt;
}

std::optional<api::Response> check_content_type(std::string_view method, std::string_view path,
                                                std::optional<std::string_view> content_type,
                                                bool has_body) {
  if (!has_body) return std::nullopt;
  if (method != "POST" && method != "PUT" && method != "PATCH") return std::nullopt;
  if (path.substr(0, 5) != "/api/") return std::nullopt;
  const bool attachment = method == "PUT" && path.substr(0, 20) == "/api/v1/attachments/";
  const std::string_view want = attachment ? "application/octet-stream" : "application/json";
  if (content_type && iequals(media_type(*content_type), want)) return std::nullopt;
  // openapi.yaml lists image/jpeg for photo uploads too (a phone sends what it has).
  if (attachment && content_type && iequals(media_type(*content_type), "image/jpeg"))
    return std::nullopt;
  auto r = json_error(415, "unsupported_media_type", "content-type",
                      "request body must be " + std::string(want) + ", got " +
                          (content_type ? "'" + std::string(*content_type) + "'" : "none"));
  r.headers.emplace_back("Accept",
                         attachment ? "application/octet-stream, image/jpeg" : std::string(want));
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

namespace {
// Address bytes (4 or 16) of an IP literal; IPv4-mapped IPv6 becomes IPv4.
std::optional<std::pair<std::array<unsigned char, 16>, bool>> address_bytes(std::string_view ip) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(ip), ec);
  if (ec) return std::nullopt;
  std::array<unsigned char, 16> out{};
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
    return std::make_pair(out, true);
  }
  const auto b = a.to_v6().to_bytes();
  std::copy(b.begin(), b.end(), out.begin());
  return std::make_pair(out, false);
}
}  // namespace

Result<AddressAllowList> AddressAllowList::parse(std::string_view text) {
  AddressAllowList list;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = trim_ows(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    const auto slash = item.find('/');
    auto bytes = address_bytes(item.substr(0, slash));
    if (!bytes) return Error{"not an IP address: '" + std::string(item) + "'"};
    Range r;
    r.bytes = bytes->first;
    r.v4 = bytes->second;
    const unsigned max = r.v4 ? 32 : 128;
    r.prefix = max;
    if (slash != std::string_view::npos) {
      const auto p = item.substr(slash + 1);
      unsigned n = 0;
      auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
      if (ec != std::errc() || end != p.data() + p.size() || p.empty() || n > max)
        return Error{"bad prefix length in '" + std::string(item) + "'"};
      r.prefix = n;
    }
    list.ranges_.push_back(r);
  }
  return list;
}

bool AddressAllowList::allows(std::string_view ip) const {
  auto a = address_bytes(ip);
  if (!a) return false;
  for (const auto& r : ranges_) {
    if (r.v4 != a->second) continue;
    unsigned bits = r.prefix;
    std::size_t i = 0;
    bool match = true;
    for (; bits >= 8; bits -= 8, ++i)
      if (r.bytes[i] != a->first[i]) {
        match = false;
        break;
      }
    if (match && bits > 0) {
      const auto mask = static_cast<unsigned char>(0xff << (8 - bits));
      match = (r.bytes[i] & mask) == (a->first[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

}  // namespace patrol::net
