// patrold for tests: in-process (TestServer) or as a real child process
// (PatroldProcess, for kill -9). Both listen on 127.0.0.1 with an ephemeral
// port and real TLS; pair them with HttpsClient (https_client.hpp).
#pragma once

#include <sys/types.h>

#include <boost/system/result.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/api.hpp"
#include "live/publisher.hpp"
#include "metrics/metrics.hpp"
#include "net/config.hpp"
#include "net/server.hpp"

namespace patrol::test {

// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "patrol-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

using ApiFactory = std::function<boost::system::result<std::unique_ptr<api::Api>>(
    const api::ApiConfig&, metrics::Metrics&)>;

struct TestServerOptions {
  bool demo = true;                // seed the demo org (logins of DESIGN.md)
  std::filesystem::path data_dir;  // empty: a new TempDir, removed afterwards
  std::size_t io_threads = 2;
  std::size_t workers = 8;
  bool access_log = false;  // quiet by default; set true when debugging
  // Last word on the configuration (limits, timeouts, ...), after the defaults above.
  std::function<void(net::ServerConfig&)> configure;
  // Default: the real api::Api::open. Tests of the transport alone may pass another.
  ApiFactory api_factory;
  // Transport hooks for tests of the transport alone. When none is set, the
  // real live feed (live::Publisher with `live_options`) is installed, as in patrold.
  net::LiveHooks live;
  live::PublisherOptions live_options;
};

// The default options with the per-user and per-address request rate limits
// off: for tests that drive one user (or one address) harder than a phone
// would (the limits themselves are tested in hardening_test.cpp).
TestServerOptions without_request_rate_limits();

// patrold in this process: Api::open on the data dir, then net::Server on
// 127.0.0.1:0. The constructor returns when the port accepts connections and
// throws std::runtime_error if anything fails to start.
// Destruction: graceful stop, Api::shutdown(), temp dir removed.
class TestServer {
 public:
  explicit TestServer(TestServerOptions options = {});
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const;
  const std::filesystem::path& data_dir() const;
  const net::ServerConfig& config() const;
  metrics::Metrics& metrics();
  api::Api& api();
  // The live feed, or nullptr when the test installed its own hooks.
  live::Publisher* publisher();
  // Graceful stop (as on SIGTERM), blocking until done; Api::shutdown() after.
  // Idempotent; the destructor calls it.
  void stop();
  // Starts stop() on a background thread and returns at once (for tests that
  // check what happens to requests in flight). stop() / the destructor join it.
  void stop_async();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The real patrold binary as a child process (stdout parsed for the port,
// stderr appended to <data_dir>/patrold.log, or to <data_dir>.patrold.log
// when the data dir does not exist yet and patrold is to create it).
class PatroldProcess {
 public:
  // Starts `patrold --listen 127.0.0.1:0 --data-dir DIR [--demo] extra_args...`
  // and waits (up to 30 s) for its "patrold listening on https://…:PORT" line.
  // Throws std::runtime_error if it exits or stays silent.
  PatroldProcess(const std::filesystem::path& data_dir, bool demo = true,
                 std::vector<std::string> extra_args = {});
  // Kills (SIGKILL) and reaps the child if still running.
  ~PatroldProcess();
  PatroldProcess(const PatroldProcess&) = delete;
  PatroldProcess& operator=(const PatroldProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  void kill9();     // SIGKILL and reap
  int terminate();  // SIGTERM, wait; returns the exit status (-1 if killed by a signal)
  static std::filesystem::path binary();  // path of the patrold built with the tests

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace patrol::test
