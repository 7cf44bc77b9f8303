// patrold's transport: one TLS port serving HTTP/1.1 keep-alive and WebSocket,
// handing every request to an api::Api on a blocking worker pool.
//
// Lifecycle: create() (binds) -> start() (threads) -> request_stop() (from a
// signal or a test) -> wait() (joins; afterwards no Api call is running, so the
// owner may call Api::shutdown()). The Api and Metrics must outlive the Server.
// Thread safety: port(), host(), request_stop() may be called from any thread;
// start() and wait() from the owning thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/api.hpp"
#include "metrics/metrics.hpp"
#include "net/config.hpp"
#include "net/live.hpp"

namespace boost::asio {
class io_context;
}

namespace patrol::net {

class Server {
 public:
  // Loads or generates the certificate (see tls.hpp), builds the TLS context,
  // resolves and binds cfg.listen_host:cfg.listen_port. Fails with a message
  // naming what failed (bad address, port in use, unreadable key, ...).
  [[nodiscard]] static Result<std::unique_ptr<Server>> create(const ServerConfig& cfg,
                                                              api::Api& api,
                                                              metrics::Metrics& metrics,
                                                              LiveHooks live = {});
  // Stops (as request_stop) and waits when still running.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts accepting and runs the io_context on cfg.io_threads threads.
  void start();
  // Graceful stop, idempotent and non-blocking: stop accepting; idle keep-alive
  // connections and WebSockets are closed; requests in flight finish and are
  // answered with Connection: close; after cfg.limits.shutdown_timeout whatever
  // is left is closed by force.
  void request_stop();
  // Blocks until the stop finished and every thread (I/O and workers) is joined.
  void wait();

  std::uint16_t port() const;       // the bound port (the real one for port 0)
  const std::string& host() const;  // as configured, e.g. "127.0.0.1"
  // For signal_set and timers of the owner; runs on the Server's I/O threads.
  boost::asio::io_context& io_context();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace patrol::net
