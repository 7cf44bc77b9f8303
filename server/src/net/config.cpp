#include "net/config.hpp"

#include "net/http_util.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

#include "domain/round_rules.hpp"

namespace patrol::net {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

Result<std::uint64_t> parse_uint(std::string_view name, std::string_view v, std::uint64_t min,
                                 std::uint64_t max) {
  std::uint64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty())
    return Error{"--" + std::string(name) + ": expected a whole number, got '" + std::string(v) +
                 "'"};
  if (out < min || out > max)
    return Error{"--" + std::string(name) + ": " + std::string(v) + " is out of range [" +
                 std::to_string(min) + ", " + std::to_string(max) + "]"};
  return out;
}

Result<double> parse_double(std::string_view name, std::string_view v) {
  double out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty() || out < 0)
    return Error{"--" + std::string(name) + ": expected a number >= 0, got '" + std::string(v) +
                 "'"};
  return out;
}

Result<bool> parse_bool(std::string_view name, std::string_view v) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return Error{"--" + std::string(name) + ": expected true or false, got '" + std::string(v) + "'"};
}

// "250ms", "90s", "5m", "1h" (a bare number is seconds).
Result<std::chrono::milliseconds> parse_duration(std::string_view name, std::string_view v) {
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  std::string_view unit(p, static_cast<std::size_t>(v.data() + v.size() - p));
  std::uint64_t mult = 0;
  if (unit == "ms")
    mult = 1;
  else if (unit == "s" || unit.empty())
    mult = 1000;
  else if (unit == "m")
    mult = 60'000;
  else if (unit == "h")
    mult = 3'600'000;
  if (ec != std::errc() || p == v.data() || mult == 0 || n == 0 ||
      n > 7ull * 24 * 3600 * 1000 / mult)
    return Error{"--" + std::string(name) + ": expected a duration such as 90s or 5m, got '" +
                 std::string(v) + "'"};
  return std::chrono::milliseconds(n * mult);
}

struct Option {
  std::string_view name;
  std::string_view arg;  // empty for boolean flags
  std::string_view help;
  std::function<Result<void>(std::string_view, std::string_view, ServerConfig&)> apply;
};

constexpr std::uint64_t kMaxU32 = 0xffffffffu;

template <class Field>
auto size_setter(Field field, std::uint64_t min, std::uint64_t max) {
  return
      [field, min, max](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
        auto r = parse_uint(n, v, min, max);
        if (!r) return r.error();
        std::invoke(field, c) = static_cast<std::size_t>(*r);
        return {};
      };
}

template <class Field>
auto ms_setter(Field field) {
  return [field](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
    auto r = parse_uint(n, v, 1, 24ull * 3600 * 1000);
    if (!r) return r.error();
    std::invoke(field, c) = std::chrono::milliseconds(*r);
    return {};
  };
}

const std::vector<Option>& options() {
  static const std::vector<Option> opts = {
      {"listen", "HOST:PORT", "address to listen on (port 0: any free port) [127.0.0.1:8443]",
       [](std::string_view, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_listen(v);
         if (!r) return r.error();
         c.listen_host = r->first;
         c.listen_port = r->second;
         return {};
       }},
      {"data-dir", "DIR", "data directory: database, attachments, generated certificate (required)",
       [](std::string_view, std::string_view v, ServerConfig& c) -> Result<void> {
         c.api.data_dir = std::string(v);
         return {};
       }},
      {"database", "URL",
       "postgresql://user@host:port/db to use PostgreSQL (several nodes may share it); "
       "default: SQLite in the data directory",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         if (!v.starts_with("postgresql://") && !v.starts_with("postgres://") && !v.empty())
           return Error{std::string("--") + std::string(n) +
                        " must be a postgresql:// URL (SQLite is the default)"};
         c.api.database = std::string(v);
         return {};
       }},
      {"demo", "", "seed the demo organisation when the database is empty [false]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_bool(n, v);
         if (!r) return r.error();
         c.api.demo = *r;
         return {};
       }},
      {"cert", "FILE", "PEM certificate chain (with --key); default: self-signed, generated",
       [](std::string_view, std::string_view v, ServerConfig& c) -> Result<void> {
         c.cert_file = std::string(v);
         return {};
       }},
      {"key", "FILE", "PEM private key for --cert",
       [](std::string_view, std::string_view v, ServerConfig& c) -> Result<void> {
         c.key_file = std::string(v);
         return {};
       }},
      {"config", "FILE", "read options from FILE (`key = value` lines); flags override it",
       [](std::string_view, std::string_view v, ServerConfig& c) -> Result<void> {
         c.config_file = std::string(v);
         return {};
       }},
      {"web-root", "DIR", "dashboard static files served at / [server/web of the source tree]",
       [](std::string_view, std::string_view v, ServerConfig& c) -> Result<void> {
         c.api.web_root = std::string(v);
         return {};
       }},
      {"tile-url", "URL",
       "dashboard base map: XYZ tile URL template ({z}/{x}/{y}, {s}); none = village outlines "
       "on a plain background []",
       [](std::string_view, std::string_view v, ServerConfig& c) -> Result<void> {
         c.api.tile_url = std::string(v);
         return {};
       }},
      {"tile-crs", "wgs84|gcj02",
       "datum the --tile-url tiles are drawn in (gcj02: most Chinese tile services) [wgs84]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         if (v != "wgs84" && v != "gcj02")
           return Error("--" + std::string(n) + ": expected wgs84 or gcj02, got '" +
                        std::string(v) + "'");
         c.api.tile_crs = std::string(v);
         return {};
       }},
      {"tile-attribution", "TEXT", "attribution the dashboard shows under --tile-url tiles []",
       [](std::string_view, std::string_view v, ServerConfig& c) -> Result<void> {
         c.api.tile_attribution = std::string(v);
         return {};
       }},
      {"threads", "N", "I/O threads running the event loop (0: one per core) [0]",
       size_setter(&ServerConfig::io_threads, 0, 1024)},
      {"workers", "N", "blocking worker threads running API handlers [64]",
       size_setter(&ServerConfig::workers, 1, 4096)},
      {"access-log", "", "write one structured line per request to stderr [true]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_bool(n, v);
         if (!r) return r.error();
         c.access_log = *r;
         return {};
       }},
      {"metrics-allow", "CIDRS",
       "address ranges that may read /metrics, comma-separated; others get 404 "
       "[127.0.0.0/8,::1]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         if (auto r = AddressAllowList::parse(v); !r)
           return Error{"--" + std::string(n) + ": " + r.error().message};
         c.metrics_allow = std::string(v);
         return {};
       }},
      {"tile-origin", "ORIGIN",
       "map tile server the dashboard may load images from (Content-Security-Policy img-src), "
       "e.g. https://tiles.example.cn [none]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         // An origin only: anything that could close the directive is refused.
         if (v.find_first_of(" ;,'\"\r\n") != std::string_view::npos ||
             (v.substr(0, 8) != "https://" && !v.empty()))
           return Error{"--" + std::string(n) + ": expected https://HOST[:PORT], got '" +
                        std::string(v) + "'"};
         c.tile_origin = std::string(v);
         return {};
       }},
      {"max-header-bytes", "N", "largest request header block; more gets 431 [16384]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 256, kMaxU32);
         if (!r) return r.error();
         c.limits.max_header_bytes = static_cast<std::size_t>(*r);
         return {};
       }},
      {"max-body-bytes", "N", "largest request body; more gets 413 [8388608]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 0, 1ull << 34);
         if (!r) return r.error();
         c.limits.max_body_bytes = static_cast<std::size_t>(*r);
         return {};
       }},
      {"request-timeout-ms", "MS",
       "time for a whole request to arrive; slower peers are closed [30000]",
       ms_setter([](ServerConfig & c) -> auto& { return c.limits.request_timeout; })},
      {"idle-timeout-ms", "MS", "keep-alive wait for the next request [60000]",
       ms_setter([](ServerConfig & c) -> auto& { return c.limits.idle_timeout; })},
      {"max-connections", "N", "open connections beyond which new ones get a JSON 503 [10000]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 1, kMaxU32);
         if (!r) return r.error();
         c.limits.max_connections = static_cast<std::size_t>(*r);
         return {};
       }},
      {"max-connections-per-ip", "N",
       "connections one client address (IPv6: /64) may hold; beyond: JSON 429 (0: no cap) [1000]",
       size_setter(
           [](ServerConfig & c) -> auto& { return c.limits.max_connections_per_ip; }, 0, kMaxU32)},
      {"max-websockets-per-user", "N",
       "live-feed WebSockets one user may hold open; beyond: 429 (0: no cap) [8]",
       size_setter(
           [](ServerConfig & c) -> auto& { return c.limits.max_websockets_per_user; }, 0,
           1u << 20)},
      {"max-connections-per-user", "N",
       "HTTP connections one logged-in user may hold open (all devices); beyond: 429 (0: no "
       "cap) [32]",
       size_setter(
           [](ServerConfig & c) -> auto& { return c.limits.max_connections_per_user; }, 0,
           1u << 20)},
      {"rate-limit", "R",
       "requests per second per client address (IPv6: per /64), then 429 + Retry-After; sized "
       "for a carrier NAT with hundreds of phones (0: off) [100]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_double(n, v);
         if (!r) return r.error();
         c.limits.rate_limit_per_ip = *r;
         return {};
       }},
      {"rate-burst", "N",
       "requests a client address may burst above --rate-limit (0: = rate) [400]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_double(n, v);
         if (!r) return r.error();
         c.limits.rate_burst_per_ip = *r;
         return {};
       }},
      {"user-rate-limit", "R",
       "requests per second per logged-in user (all devices), then 429 + Retry-After (0: off) "
       "[10]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_double(n, v);
         if (!r) return r.error();
         c.api.user_rate_per_s = *r;
         return {};
       }},
      {"user-rate-burst", "N", "requests a user may burst above --user-rate-limit [100]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_double(n, v);
         if (!r) return r.error();
         c.api.user_burst = *r;
         return {};
       }},
      {"login-rate-limit", "R",
       "logins per second per client IP, then 429 + Retry-After (0: off) [10]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_double(n, v);
         if (!r) return r.error();
         c.limits.login_rate_per_ip = *r;
         return {};
       }},
      {"login-rate-burst", "N", "logins a client IP may burst above --login-rate-limit [60]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_double(n, v);
         if (!r) return r.error();
         c.limits.login_burst_per_ip = *r;
         return {};
       }},
      {"ws-max-message-bytes", "N", "largest WebSocket message a client may send [65536]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 16, kMaxU32);
         if (!r) return r.error();
         c.limits.ws_max_message_bytes = static_cast<std::size_t>(*r);
         return {};
       }},
      {"presence-window", "DURATION",
       "a user is online while a device synced or sent a position this recently "
       "(e.g. 90s, 5m) [5m]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_duration(n, v);
         if (!r) return r.error();
         c.live.presence_window = *r;
         return {};
       }},
      {"live-ring-events", "N", "recent live events kept for reconnects with `since` [16384]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 16, 1u << 24);
         if (!r) return r.error();
         c.live.ring_events = static_cast<std::size_t>(*r);
         return {};
       }},
      {"ws-socket-buffer", "BYTES",
       "kernel send buffer of each live WebSocket (0: autotuned) [262144]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 0, 64u << 20);
         if (!r) return r.error();
         c.limits.ws_socket_buffer = static_cast<std::size_t>(*r);
         return {};
       }},
      {"ws-slow-after-ms", "MS",
       "a WebSocket consumer whose oldest queued message waited this long is closed [10000]",
       ms_setter([](ServerConfig & c) -> auto& { return c.limits.ws_slow_after; })},
      {"ws-send-queue", "N",
       "outgoing WebSocket messages queued before a consumer is too slow [4096]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 1, 1u << 20);
         if (!r) return r.error();
         c.limits.ws_send_queue = static_cast<std::size_t>(*r);
         return {};
       }},
      {"ws-idle-timeout-ms", "MS", "WebSocket silence limit; pings are sent at half of it [30000]",
       ms_setter([](ServerConfig & c) -> auto& { return c.limits.ws_idle_timeout; })},
      {"shutdown-timeout-ms", "MS",
       "on SIGTERM/SIGINT, wait this long for in-flight requests [10000]",
       ms_setter([](ServerConfig & c) -> auto& { return c.limits.shutdown_timeout; })},
      {"read-connections", "N", "read-only SQLite connections [4]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 1, 256);
         if (!r) return r.error();
         c.api.read_connections = static_cast<std::size_t>(*r);
         return {};
       }},
      {"max-batch-ops", "N",
       "ops accepted in one sync/push request, at most the wire contract's 500; more: 413 [500]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 1, wire::kMaxOpsPerPush);
         if (!r) return r.error();
         c.api.max_batch_ops = static_cast<std::size_t>(*r);
         return {};
       }},
      {"max-push-points", "N",
       "track points in the position.append ops of one push (>= 1000, one full op); more: 413 "
       "too_many_points [5000]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, wire::kMaxPointsPerAppend, 1000000);
         if (!r) return r.error();
         c.api.max_push_points = static_cast<std::size_t>(*r);
         return {};
       }},
      {"upload-quota-bytes", "N",
       "bytes one user may hold in unfinished photo uploads; beyond: 413 upload_quota "
       "[134217728]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 1, 1ull << 40);
         if (!r) return r.error();
         c.api.upload_quota_bytes = static_cast<std::int64_t>(*r);
         return {};
       }},
      {"partial-upload-ttl-s", "S",
       "unfinished photo uploads untouched this long are removed by a background sweep "
       "[172800]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 1, 365ull * 24 * 3600);
         if (!r) return r.error();
         c.api.partial_upload_ttl = std::chrono::seconds(*r);
         return {};
       }},
      {"token-ttl-s", "S", "bearer token lifetime in seconds [2592000]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 1, 10ull * 365 * 24 * 3600);
         if (!r) return r.error();
         c.api.token_ttl = std::chrono::seconds(*r);
         return {};
       }},
      {"scrypt-log2-n", "N",
       "scrypt cost 2^N for password hashes the server creates (demo seed); tests lower it [15]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 4, 22);
         if (!r) return r.error();
         c.api.scrypt_log2_n = static_cast<int>(*r);
         return {};
       }},
      {"max-failed-logins", "N", "failed logins per phone per minute before 429 [10]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 1, 1000000);
         if (!r) return r.error();
         c.api.max_failed_logins_per_minute = static_cast<int>(*r);
         return {};
       }},
      {"round-grace", "DURATION",
       "a round not started this long after its planned start is missed (90s, 30m, 2h) [30m]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto ms = domain::parse_duration(v);
         if (!ms || *ms > 7LL * 24 * 3600 * 1000)
           return Error{"--" + std::string(n) + ": a duration such as 90s, 30m or 2h (at most 7d)"};
         c.api.round_grace = std::chrono::milliseconds(*ms);
         return {};
       }},
      {"round-horizon", "DURATION", "plan every schedule's rounds this far ahead [14d]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto ms = domain::parse_duration(v);
         if (!ms || *ms < 3600 * 1000LL || *ms > 366LL * 24 * 3600 * 1000)
           return Error{"--" + std::string(n) + ": a duration from 1h to 366d, e.g. 14d"};
         c.api.round_horizon = std::chrono::milliseconds(*ms);
         return {};
       }},
      {"track-retention", "DURATION",
       "delete track points older than this (90d, 12h, 30s); inspections and hazards are kept "
       "[90d]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto ms = domain::parse_duration(v);
         if (!ms || *ms < 1000 || *ms > 3660LL * 24 * 3600 * 1000)
           return Error{"--" + std::string(n) + ": a duration from 1s to 3660d, e.g. 90d"};
         c.api.track_retention = std::chrono::milliseconds(*ms);
         return {};
       }},
      {"max-pending-logins", "N",
       "logins running or waiting for the password KDF; beyond: 429 + Retry-After [8]",
       [](std::string_view n, std::string_view v, ServerConfig& c) -> Result<void> {
         auto r = parse_uint(n, v, 1, 100000);
         if (!r) return r.error();
         c.api.max_pending_logins = static_cast<int>(*r);
         return {};
       }},
  };
  return opts;
}

const Option* find_option(std::string_view name) {
  for (const auto& o : options())
    if (o.name == name) return &o;
  return nullptr;
}

Result<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error{"cannot read config file " + p.string()};
  std::ostringstream ss;
  ss << in.rdbuf();
  return Result<std::string>(boost::system::in_place_value, ss.str());
}

}  // namespace

Result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return Error{"--listen: expected [IPv6]:PORT, got '" + std::string(text) + "'"};
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return Error{"--listen: expected HOST:PORT, got '" + std::string(text) + "'"};
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) return Error{"--listen: missing host in '" + std::string(text) + "'"};
  auto p = parse_uint("listen", port, 0, 65535);
  if (!p) return p.error();
  return std::make_pair(std::string(host), static_cast<std::uint16_t>(*p));
}

Result<void> apply_option(std::string_view name, std::string_view value, ServerConfig& cfg) {
  const Option* o = find_option(name);
  if (o == nullptr || name == "help") return Error{"unknown option --" + std::string(name)};
  return o->apply(name, value, cfg);
}

Result<void> apply_config_text(std::string_view text, std::string_view origin, ServerConfig& cfg) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (const auto hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto where = std::string(origin) + ":" + std::to_string(line_no) + ": ";
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return Error{where + "expected `key = value`"};
    const auto key = trim(line.substr(0, eq));
    const auto value = trim(line.substr(eq + 1));
    if (key == "config") return Error{where + "`config` cannot be set from a config file"};
    if (auto r = apply_option(key, value, cfg); !r) return Error{where + r.error().message};
  }
  return {};
}

Result<CommandLine> parse_command_line(int argc, const char* const* argv,
                                       const std::filesystem::path& default_web_root) {
  // Two passes: collect (name, value) pairs first so a --config file can be
  // applied before the flags that override it.
  std::vector<std::pair<std::string, std::string>> flags;
  CommandLine out;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      return out;
    }
    if (arg.substr(0, 2) != "--") return Error{"unexpected argument '" + std::string(arg) + "'"};
    arg.remove_prefix(2);
    std::string name(arg);
    std::optional<std::string> value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = std::string(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    }
    const Option* o = find_option(name);
    if (o == nullptr) return Error{"unknown option --" + name + " (see --help)"};
    if (!value) {
      if (o->arg.empty()) {
        value = "true";
      } else {
        if (i + 1 >= argc)
          return Error{"--" + name + " needs a value (" + std::string(o->arg) + ")"};
        value = argv[++i];
      }
    }
    flags.emplace_back(std::move(name), std::move(*value));
  }

  ServerConfig& cfg = out.config;
  cfg.api.web_root = default_web_root;
  for (const auto& [name, value] : flags) {
    if (name == "config") cfg.config_file = value;
  }
  if (cfg.config_file) {
    auto text = read_file(*cfg.config_file);
    if (!text) return text.error();
    if (auto r = apply_config_text(*text, cfg.config_file->string(), cfg); !r) return r.error();
  }
  for (const auto& [name, value] : flags) {
    if (auto r = apply_option(name, value, cfg); !r) return r.error();
  }
  if (cfg.api.data_dir.empty()) return Error{"--data-dir is required (see --help)"};
  if (cfg.cert_file.has_value() != cfg.key_file.has_value())
    return Error{"--cert and --key must be given together"};
  return out;
}

std::string usage_text() {
  std::string out =
      "Usage: patrold --data-dir DIR [options]\n"
      "Patrol server: HTTPS + WebSocket API, dashboard, SQLite storage.\n\n"
      "Options (also as `key = value` lines in a --config file, without the dashes):\n";
  for (const auto& o : options()) {
    std::string left = "  --" + std::string(o.name);
    if (!o.arg.empty()) left += " " + std::string(o.arg);
    if (left.size() < 30)
      left.resize(30, ' ');
    else
      left += "\n" + std::string(30, ' ');
    out += left + std::string(o.help) + "\n";
  }
  out += "  --help                      print this text and exit\n";
  return out;
}

}  // namespace patrol::net
