// Internal to patrol_net: what every session of one Server shares. Not a
// public contract; sessions and the listener include it, nothing else.
#pragma once

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "api/api.hpp"
#include "metrics/metrics.hpp"
#include "net/config.hpp"
#include "net/http_util.hpp"
#include "net/live.hpp"

namespace patrol::net {

// A connection the shutdown can reach. stop() is thread-safe: it posts to the
// connection's strand. force=false: finish the request in flight, close when
// idle (WebSocket: send a close frame). force=true: close the socket now.
class Stoppable {
 public:
  virtual ~Stoppable() = default;
  virtual void stop(bool force) = 0;
};

// Live connections, for shutdown. Thread-safe.
class SessionRegistry {
 public:
  std::uint64_t add(std::weak_ptr<Stoppable> s) {
    std::lock_guard lock(mu_);
    const auto id = ++next_;
    map_.emplace(id, std::move(s));
    return id;
  }
  void remove(std::uint64_t id) {
    std::lock_guard lock(mu_);
    map_.erase(id);
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return map_.size();
  }
  void stop_all(bool force) {
    std::vector<std::shared_ptr<Stoppable>> live;
    {
      std::lock_guard lock(mu_);
      for (auto& [id, w] : map_)
        if (auto s = w.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->stop(force);
  }

 private:
  mutable std::mutex mu_;
  std::uint64_t next_ = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<Stoppable>> map_;
};

struct ServerContext {
  ServerContext(const ServerConfig& c, api::Api& a, metrics::Metrics& m,
                std::shared_ptr<boost::asio::ssl::context> t, LiveHooks h)
      : cfg(c),
        api(a),
        metrics(m),
        tls(std::move(t)),
        workers(c.workers),
        limiter(c.limits.rate_limit_per_ip, c.limits.rate_burst_per_ip),
        login_limiter(c.limits.login_rate_per_ip, c.limits.login_burst_per_ip),
        live(std::move(h)) {}

  const ServerConfig cfg;
  api::Api& api;
  metrics::Metrics& metrics;
  std::shared_ptr<boost::asio::ssl::context> tls;
  boost::asio::thread_pool workers;  // Api calls only: they block
  RateLimiter limiter;
  RateLimiter login_limiter;  // POST /api/v1/auth/login only
  LiveHooks live;
  SessionRegistry sessions;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};  // counted against max_connections
  std::atomic<std::size_t> refusing{0};     // connections being told 503
};

// Counts one client connection for its whole life (HTTP, then maybe WebSocket).
class ConnectionGuard {
 public:
  explicit ConnectionGuard(ServerContext& ctx) : ctx_(ctx) {
    ctx_.connections.fetch_add(1);
    ctx_.metrics.connection_opened();
  }
  ~ConnectionGuard() {
    ctx_.connections.fetch_sub(1);
    ctx_.metrics.connection_closed();
  }
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

 private:
  ServerContext& ctx_;
};

// Logs an exception that escaped a session coroutine; one bad peer never takes
// the server down.
void log_session_exception(const std::exception_ptr& e, std::string_view what);

}  // namespace patrol::net
