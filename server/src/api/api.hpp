// The HTTP API of patrold as one object the net layer calls: every route under
// /api/v1 plus /healthz, /metrics and the dashboard's static files.
//
// Thread safety: handle() and authenticate() are thread-safe and BLOCKING
// (they wait for SQLite reads, the writer's group commit and the password KDF).
// Call them only from the blocking worker pool, never from an I/O thread.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/http_types.hpp"
#include "domain/principal.hpp"

namespace patrol::metrics {
class Metrics;
}

namespace patrol::api {

struct ApiConfig {
  std::filesystem::path data_dir;  // holds patrol.db (+ -wal), attachments/, certs
  std::filesystem::path web_root;  // dashboard static files served at "/"
  bool demo = false;               // seed the demo org on an empty database
  std::chrono::seconds token_ttl{std::chrono::hours(24 * 30)};
  std::size_t read_connections = 4;  // read-only SQLite connections
  std::size_t max_batch_ops = 500;   // ops per sync/push request
  // Login throttling: failed logins per phone per minute before 429.
  int max_failed_logins_per_minute = 10;
  // Logins (and other callers of the password KDF) in the KDF path at once,
  // running or waiting for one of the 2 KDF slots; beyond that a login is
  // answered 429 with Retry-After at once instead of holding a worker thread,
  // so a login flood never stalls the other requests.
  int max_pending_logins = 8;
  // scrypt cost (N = 2^scrypt_log2_n) for password hashes the server creates
  // (the demo seed). Verification always uses the cost stored in the hash.
  // Keep the default in production; tests lower it to stay fast under ASan.
  int scrypt_log2_n = 15;
};

class Api {
 public:
  // Opens (creating if needed) the database in data_dir, runs migrations,
  // seeds the demo when asked and the database is empty, starts the writer.
  // Fails with a descriptive error (e.g. unwritable directory, newer schema).
  [[nodiscard]] static boost::system::result<std::unique_ptr<Api>> open(const ApiConfig& cfg,
                                                                        metrics::Metrics& metrics);
  virtual ~Api() = default;

  // Answers one request. Never throws: every failure becomes a JSON error
  // response {"error":{"code","field","message"}} with a fitting status.
  virtual Response handle(const Request& req) = 0;

  // Resolves "Bearer <token>" or a bare token to the caller; nullopt when
  // unknown, expired or logged out. Used by the WebSocket upgrade.
  virtual std::optional<domain::Principal> authenticate(std::string_view token) = 0;

  // Stops accepting writes, drains the writer queue (committing what is
  // queued), checkpoints the WAL and closes the database. Idempotent.
  virtual void shutdown() = 0;
};

}  // namespace patrol::api
