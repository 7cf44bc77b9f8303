// Process-wide counters for /metrics (Prometheus text exposition format 0.0.4).
// Thread safety: every member function may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace patrol::metrics {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished HTTP request: route pattern (e.g. "/api/v1/sites/{id}"), status, latency.
  // Routes are label values: pass patterns, never raw paths (unbounded cardinality).
  void observe_request(std::string_view route, unsigned status, std::chrono::microseconds latency);
  void connection_opened();
  void connection_closed();
  void websocket_opened();
  void websocket_closed();
  // Writer thread: jobs waiting, and each group commit's size and duration.
  void set_writer_queue_depth(std::size_t depth);
  void observe_commit(std::size_t requests, std::size_t ops, std::chrono::microseconds duration);
  void count_storage_error();

  // Net layer: a connection refused because --max-connections was reached, and a
  // request answered 429 by the per-IP rate limit.
  void count_connection_refused();
  void count_rate_limited();

  // Live feed (/api/v1/live). The publisher: connections subscribed to a node,
  // events published. The WebSocket sessions: messages replaced in a queue by
  // a newer one of the same key (coalesced), messages not sent because their
  // connection was closing or closed (dropped), consumers closed as too slow,
  // the deepest send queue seen, and each event's time from its commit to
  // its write on a socket completing.
  void set_live_subscribers(std::size_t n);
  void count_live_events(std::size_t n);
  void count_live_coalesced();
  void count_live_dropped(std::size_t n);
  void count_live_slow_closed();
  void observe_live_queue_depth(std::size_t depth);
  void observe_live_send(std::chrono::microseconds commit_to_send);

  std::size_t open_connections() const;
  std::size_t open_websockets() const;
  std::string render_prometheus() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace patrol::metrics
