#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

using patrol::metrics::Metrics;
using namespace std::chrono_literals;

namespace {
bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}
}  // namespace

TEST(Metrics, CountsRequestsByRouteAndStatus) {
  Metrics m;
  m.observe_request("/api/v1/sites/{id}", 200, 1500us);
  m.observe_request("/api/v1/sites/{id}", 200, 700us);
  m.observe_request("/api/v1/sites/{id}", 404, 100us);
  const auto text = m.render_prometheus();
  EXPECT_TRUE(contains(text, "# TYPE patrol_http_requests_total counter\n")) << text;
  EXPECT_TRUE(
      contains(text, "patrol_http_requests_total{route=\"/api/v1/sites/{id}\",status=\"200\"} 2\n"))
      << text;
  EXPECT_TRUE(
      contains(text, "patrol_http_requests_total{route=\"/api/v1/sites/{id}\",status=\"404\"} 1\n"))
      << text;
}

TEST(Metrics, LatencyHistogramIsCumulative) {
  Metrics m;
  m.observe_request("/healthz", 200, 300us);   // <= 0.0005
  m.observe_request("/healthz", 200, 2000us);  // <= 0.0025
  m.observe_request("/healthz", 200, 20s);     // only +Inf
  const auto text = m.render_prometheus();
  const std::string p = "patrol_http_request_duration_seconds_bucket{route=\"/healthz\",le=";
  EXPECT_TRUE(contains(text, p + "\"0.0005\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, p + "\"0.001\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, p + "\"0.0025\"} 2\n")) << text;
  EXPECT_TRUE(contains(text, p + "\"10\"} 2\n")) << text;
  EXPECT_TRUE(contains(text, p + "\"+Inf\"} 3\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_http_request_duration_seconds_count{route=\"/healthz\"} 3\n"))
      << text;
  EXPECT_TRUE(
      contains(text, "patrol_http_request_duration_seconds_sum{route=\"/healthz\"} 20.0023"))
      << text;
}

TEST(Metrics, GaugesFollowOpenAndClose) {
  Metrics m;
  m.connection_opened();
  m.connection_opened();
  m.connection_closed();
  m.websocket_opened();
  m.set_writer_queue_depth(7);
  m.count_storage_error();
  EXPECT_EQ(m.open_connections(), 1u);
  EXPECT_EQ(m.open_websockets(), 1u);
  const auto text = m.render_prometheus();
  EXPECT_TRUE(contains(text, "patrol_open_connections 1\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_connections_total 2\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_open_websockets 1\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_writer_queue_depth 7\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_storage_errors_total 1\n")) << text;
}

TEST(Metrics, CommitHistograms) {
  Metrics m;
  m.observe_commit(3, 150, 2ms);
  m.observe_commit(1, 1, 1ms);
  const auto text = m.render_prometheus();
  EXPECT_TRUE(contains(text, "patrol_commit_ops_bucket{le=\"1\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_commit_ops_bucket{le=\"200\"} 2\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_commit_ops_count 2\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_commit_ops_sum 151\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_commit_requests_bucket{le=\"4\"} 2\n")) << text;
  EXPECT_TRUE(contains(text, "# TYPE patrol_commit_duration_seconds histogram\n")) << text;
}

TEST(Metrics, EscapesLabelValues) {
  Metrics m;
  m.observe_request("a\"b\\c\nd", 500, 1us);
  const auto text = m.render_prometheus();
  EXPECT_TRUE(contains(text, "route=\"a\\\"b\\\\c\\nd\",status=\"500\"} 1\n")) << text;
}

TEST(Metrics, ConcurrentObservationsAreAllCounted) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) {
        m.observe_request("/x", 200, 10us);
        m.connection_opened();
        m.connection_closed();
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto text = m.render_prometheus();
  EXPECT_TRUE(contains(text, "patrol_http_requests_total{route=\"/x\",status=\"200\"} 4000\n"))
      << text;
  EXPECT_EQ(m.open_connections(), 0u);
}

TEST(Metrics, LiveFeedCountersAndCommitToSendHistogram) {
  Metrics m;
  m.set_live_subscribers(3);
  m.count_live_events(5);
  m.count_live_coalesced();
  m.count_live_dropped(2);
  m.count_live_slow_closed();
  m.observe_live_queue_depth(7);
  m.observe_live_queue_depth(4);  // the high-water stays 7
  // From many threads at once, as the I/O threads observe.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) m.observe_live_send(3ms);  // <= 0.005
    });
  for (auto& t : threads) t.join();
  m.observe_live_send(20s);  // only +Inf
  const auto text = m.render_prometheus();
  EXPECT_TRUE(contains(text, "patrol_live_subscribers 3\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_live_events_total 5\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_live_coalesced_total 1\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_live_dropped_total 2\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_live_slow_consumers_closed_total 1\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_live_send_queue_high_water 7\n")) << text;
  const std::string p = "patrol_live_commit_to_send_seconds_bucket{le=";
  EXPECT_TRUE(contains(text, p + "\"0.0025\"} 0\n")) << text;
  EXPECT_TRUE(contains(text, p + "\"0.005\"} 4000\n")) << text;
  EXPECT_TRUE(contains(text, p + "\"10\"} 4000\n")) << text;
  EXPECT_TRUE(contains(text, p + "\"+Inf\"} 4001\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_live_commit_to_send_seconds_count 4001\n")) << text;
  EXPECT_TRUE(contains(text, "patrol_live_commit_to_send_seconds_sum 32\n")) << text;
}
