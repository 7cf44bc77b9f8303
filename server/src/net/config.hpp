// patrold's configuration: command-line flags and an optional `key = value` file.
// Pure functions, no I/O besides reading the --config file, so they are unit-tested.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.hpp"

namespace patrol::net {

// An error meant for a human: what was wrong and where (flag, file, line).
// (explicit: a std::string converts to Result<std::string> as a value, never as an error)
struct Error {
  Error() = default;
  explicit Error(std::string m) : message(std::move(m)) {}
  std::string message;
};
[[noreturn]] inline void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw std::runtime_error(e.message);
}
template <class T>
using Result = boost::system::result<T, Error>;

// Transport limits and sizes; every one is a flag (see usage_text()).
struct NetLimits {
  std::size_t max_header_bytes = std::size_t{16} * 1024;  // larger header block -> 431
  std::size_t max_body_bytes =
      std::size_t{8} * 1024 * 1024;                  // larger body -> 413, then lingering close
  std::chrono::milliseconds request_timeout{30000};  // whole request (header + body) must arrive
  std::chrono::milliseconds idle_timeout{60000};     // keep-alive wait for the next request
  std::size_t max_connections = 10000;               // beyond: JSON 503 and close
  // One address (an IPv6 /64) may hold this many of max_connections, so one
  // client never holds every slot; generous because many phones share a
  // carrier-grade NAT address. 0 = no cap.
  std::size_t max_connections_per_ip = 1000;
  // WebSockets one user may hold open at once (browser tabs, a phone). 0 = no cap.
  std::size_t max_websockets_per_user = 8;
  // HTTP connections one logged-in user may hold at once (all devices; counted
  // from the connection's first authenticated request): a phone's SDK and a
  // few browser tabs need well under this. 0 = no cap.
  std::size_t max_connections_per_user = 32;
  // Requests per client address (IPv6: per /64). A phone sends one request
  // every few seconds; 100/s with a burst of 400 lets a few hundred phones
  // share one carrier NAT address in the evening peak, while one address can
  // take at most ~1% of what the server serves (8k pushes/s measured). 0 = off.
  double rate_limit_per_ip = 100;  // requests/s
  double rate_burst_per_ip = 400;  // bucket size; 0 = max(1, rate)
  // POST /api/v1/auth/login per client IP (on top of the above): each login
  // costs a password KDF, so a spray of random phones from one address is cut
  // off early. Generous for many phones behind one NAT. 0 = off.
  double login_rate_per_ip = 10;   // logins/s
  double login_burst_per_ip = 60;  // bucket size; 0 = max(1, rate)
  std::size_t ws_max_message_bytes =
      std::size_t{64} * 1024;  // bigger client message closes the socket
  // Outgoing WebSocket messages queued per connection before it is "too slow"
  // (shared texts: an entry costs ~48 bytes). One push of 500 inspections
  // makes ~1000 events in one burst, so a fast viewer must be able to queue them.
  std::size_t ws_send_queue = 4096;
  // SO_SNDBUF of live sockets (0: the kernel's autotuning, up to tcp_wmem's
  // max, often 4 MiB per socket). Bounds kernel memory per viewer and makes a
  // stalled viewer show up in its queue, where "too slow" is decided.
  std::size_t ws_socket_buffer = 256 * 1024;
  // A consumer whose oldest queued message has waited this long is too slow.
  std::chrono::milliseconds ws_slow_after{10000};
  std::chrono::milliseconds ws_idle_timeout{30000};   // pings every half of it; closed if silent
  std::chrono::milliseconds shutdown_timeout{10000};  // bounded wait for in-flight requests
};

// The live feed's settings (installed by main.cpp, run by live::Publisher).
struct LiveConfig {
  std::chrono::milliseconds presence_window{std::chrono::minutes(5)};
  std::size_t ring_events = 16384;
};

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8443;
  std::optional<std::filesystem::path> cert_file;  // both or neither
  std::optional<std::filesystem::path> key_file;
  std::optional<std::filesystem::path> config_file;
  std::size_t io_threads = 0;  // 0 = hardware_concurrency
  // Blocking pool running Api calls. Pushes wait in it for their group commit,
  // so it bounds how many requests one commit can take: 64 measured +5–15%
  // over 32 on 2 cores (perf commit 451e2e1), fewer was much worse.
  std::size_t workers = 64;
  bool access_log = true;  // one structured line per request on stderr
  // Who may read /metrics (others get 404): address ranges, comma-separated.
  std::string metrics_allow = "127.0.0.0/8,::1";
  // Map tile server origin the dashboard loads images from (added to the
  // Content-Security-Policy's img-src), e.g. "https://tiles.example.cn".
  std::string tile_origin;
  NetLimits limits;
  LiveConfig live;
  api::ApiConfig api;  // data_dir, web_root, demo, ...
};

// What parse_command_line decided.
struct CommandLine {
  bool help = false;  // --help given: print usage_text() and exit 0
  ServerConfig config;
};

// Parses argv (argv[0] is skipped). Flags are `--name value` or `--name=value`;
// boolean flags (--demo, --access-log) take an optional `=true|false`.
// A --config file is read first and flags override it. Defaults: web_root =
// default_web_root; threads = 0 (meaning hardware_concurrency).
// Fails on unknown flags, missing values, bad numbers, a missing --data-dir, or
// --cert without --key.
[[nodiscard]] Result<CommandLine> parse_command_line(int argc, const char* const* argv,
                                                     const std::filesystem::path& default_web_root);

// Applies `key = value` lines (keys are the flag names without "--"; '#' starts a
// comment; blank lines ignored) to cfg. Fails naming the line on unknown keys or bad values.
[[nodiscard]] Result<void> apply_config_text(std::string_view text, std::string_view origin,
                                             ServerConfig& cfg);

// Applies one option by name (without "--"); value is "true" for a bare boolean flag.
[[nodiscard]] Result<void> apply_option(std::string_view name, std::string_view value,
                                        ServerConfig& cfg);

// "HOST:PORT" or "[v6]:PORT" -> host, port. Port 0 = pick a free one.
[[nodiscard]] Result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text);

// The --help text: every option with its default.
std::string usage_text();

}  // namespace patrol::net
