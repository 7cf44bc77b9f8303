// Internal to patrol_net: what every session of one Server shares. Not a
// public contract; sessions and the listener include it, nothing else.
#pragma once

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <map>
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

class WsShard;  // ws_session.cpp

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

// Counts per key (a client address, a user id) against a cap. Thread-safe.
class KeyCounter {
 public:
  // Takes one slot for `key` unless it already holds `limit` (0: no limit).
  bool try_acquire(const std::string& key, std::size_t limit) {
    std::lock_guard lock(mu_);
    auto& n = counts_[key];
    if (limit != 0 && n >= limit) {
      if (n == 0) counts_.erase(key);
      return false;
    }
    ++n;
    return true;
  }
  void release(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = counts_.find(key);
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
  }
  std::size_t count(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::size_t> counts_;  // only keys with n > 0
};

// Connections that have not yet sent a complete request head (TLS handshake
// or first request still under way), oldest first. At --max-connections the
// oldest of them is closed to make room for the newcomer, so idle or
// half-handshaken peers can never hold every slot: a real client's handshake
// takes milliseconds and the newest arrivals are evicted last. Thread-safe.
class UnprovenConnections {
 public:
  void add(std::uint64_t id, std::weak_ptr<Stoppable> s) {
    std::lock_guard lock(mu_);
    map_.emplace(id, std::move(s));
  }
  // Proven (a request head arrived) or gone.
  void remove(std::uint64_t id) {
    std::lock_guard lock(mu_);
    map_.erase(id);
  }
  // Removes and returns the oldest still alive; nullptr when there is none.
  std::shared_ptr<Stoppable> take_oldest() {
    std::lock_guard lock(mu_);
    while (!map_.empty()) {
      auto s = map_.begin()->second.lock();
      map_.erase(map_.begin());
      if (s) return s;
    }
    return nullptr;
  }

 private:
  std::mutex mu_;
  std::map<std::uint64_t, std::weak_ptr<Stoppable>> map_;  // registry id: accept order
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
        live(std::move(h)),
        metrics_allow(AddressAllowList::parse(c.metrics_allow).value()),
        // --tile-origin wins; otherwise the --tile-url's own origin, so a
        // configured base map is never blocked by the page's policy.
        csp(content_security_policy(c.tile_origin.empty() ? tile_origin_of(c.api.tile_url)
                                                          : c.tile_origin)) {}

  const ServerConfig cfg;
  api::Api& api;
  metrics::Metrics& metrics;
  std::shared_ptr<boost::asio::ssl::context> tls;
  boost::asio::thread_pool workers;  // Api calls only: they block
  // Requests handed to the Api whose reply has not been posted back yet (a
  // push waits for the writer's commit with no worker thread holding it):
  // Server::wait() waits for 0 before the io_context may go.
  std::atomic<std::size_t> replies_pending{0};
  RateLimiter limiter;
  RateLimiter login_limiter;  // POST /api/v1/auth/login only
  LiveHooks live;
  const AddressAllowList metrics_allow;  // who may GET /metrics
  const std::string csp;                 // Content-Security-Policy of every response
  SessionRegistry sessions;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};  // counted against max_connections
  KeyCounter connections_per_address;       // against max_connections_per_ip
  KeyCounter websockets_per_user;           // against max_websockets_per_user
  KeyCounter connections_per_user;          // HTTP, against max_connections_per_user
  UnprovenConnections unproven;             // evicted first at max_connections
  std::atomic<std::uint64_t> evicted{0};    // unproven connections closed to make room
  std::atomic<std::size_t> refusing{0};     // connections being told 503
  // The live WebSockets' shards (ws_session.cpp): a few strands per I/O thread,
  // assigned round-robin; weak, so the strands go with the last session.
  std::mutex ws_shards_mu;
  std::vector<std::weak_ptr<WsShard>> ws_shards;
  std::size_t ws_next_shard = 0;
};

// Counts one client connection for its whole life (HTTP, then maybe
// WebSocket): in the total, under its client address, and once upgraded
// under its user's WebSockets. Releases everything it holds when destroyed.
class ConnectionGuard {
 public:
  // nullptr when the address already holds max_connections_per_ip connections.
  static std::unique_ptr<ConnectionGuard> try_create(ServerContext& ctx, std::string address_key) {
    if (!ctx.connections_per_address.try_acquire(address_key,
                                                 ctx.cfg.limits.max_connections_per_ip))
      return nullptr;
    return std::unique_ptr<ConnectionGuard>(new ConnectionGuard(ctx, std::move(address_key)));
  }
  ~ConnectionGuard() {
    if (!ws_user_.empty()) ctx_.websockets_per_user.release(ws_user_);
    if (!http_user_.empty()) ctx_.connections_per_user.release(http_user_);
    ctx_.connections_per_address.release(address_);
    ctx_.connections.fetch_sub(1);
    ctx_.metrics.connection_closed();
  }
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // Counts this connection as one of `user_id`'s WebSockets; false (nothing
  // taken) when the user already holds max_websockets_per_user.
  bool bind_websocket_user(const std::string& user_id) {
    if (!ctx_.websockets_per_user.try_acquire(user_id, ctx_.cfg.limits.max_websockets_per_user))
      return false;
    ws_user_ = user_id;
    return true;
  }

  // Counts this connection as one of `user_id`'s HTTP connections (moving it
  // from the user it counted for before, if another); false (nothing changed)
  // when that user already holds max_connections_per_user. Called by whoever
  // runs the connection's request at the time (one at a time).
  bool bind_http_user(const std::string& user_id) {
    if (user_id == http_user_) return true;
    if (!ctx_.connections_per_user.try_acquire(user_id, ctx_.cfg.limits.max_connections_per_user))
      return false;
    if (!http_user_.empty()) ctx_.connections_per_user.release(http_user_);
    http_user_ = user_id;
    return true;
  }

 private:
  ConnectionGuard(ServerContext& ctx, std::string address)
      : ctx_(ctx), address_(std::move(address)) {
    ctx_.connections.fetch_add(1);
    ctx_.metrics.connection_opened();
  }
  ServerContext& ctx_;
  std::string address_;
  std::string ws_user_;
  std::string http_user_;
};

// Logs an exception that escaped a session coroutine; one bad peer never takes
// the server down.
void log_session_exception(const std::exception_ptr& e, std::string_view what);

}  // namespace patrol::net
