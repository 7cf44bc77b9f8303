#include "metrics/metrics.hpp"

#include <array>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <map>
#include <mutex>
#include <system_error>
#include <utility>

namespace patrol::metrics {
namespace {

// Fixed-bucket histogram; upper bounds in the metric's unit, +Inf implied.
template <std::size_t N>
struct Histogram {
  const std::array<double, N>* bounds = nullptr;
  std::array<std::uint64_t, N> counts{};  // non-cumulative per bucket
  std::uint64_t count = 0;
  double sum = 0;

  void observe(double v) {
    for (std::size_t i = 0; i < N; ++i) {
      if (v <= (*bounds)[i]) {
        ++counts[i];
        break;
      }
    }
    ++count;
    sum += v;
  }
};

constexpr std::array<double, 14> kLatencyBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
// Lock-free, for observations from every I/O thread (one per event per
// viewer: 10,000 viewers make 40,000 a second at 4 events/s).
template <std::size_t N>
struct AtomicHistogram {
  const std::array<double, N>* bounds = nullptr;
  std::array<std::atomic<std::uint64_t>, N + 1> counts{};  // last: +Inf
  std::atomic<std::uint64_t> sum_us{0};

  void observe_us(std::int64_t us) {
    const double v = static_cast<double>(us) / 1e6;
    std::size_t i = 0;
    while (i < N && v > (*bounds)[i]) ++i;
    counts[i].fetch_add(1, std::memory_order_relaxed);
    sum_us.fetch_add(static_cast<std::uint64_t>(us < 0 ? 0 : us), std::memory_order_relaxed);
  }
};

constexpr std::array<double, 12> kOpsBounds{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
constexpr std::array<double, 9> kRequestsBounds{1, 2, 4, 8, 16, 32, 64, 128, 256};

// Shortest text that reads back as the same double ("0.0005", not "0.00050000000000000001").
std::string format_double(double v) {
  char buf[64];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, v,
                    v < 1e15 && v > -1e15 ? std::chars_format::fixed : std::chars_format::general);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

// Label values are escaped as the exposition format requires: \\, \" and \n.
std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

template <std::size_t N>
void render_histogram(std::string& out, std::string_view name, const AtomicHistogram<N>& h) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < N; ++i) {
    cumulative += h.counts[i].load(std::memory_order_relaxed);
    out += std::string(name) + "_bucket{le=\"" + format_double((*h.bounds)[i]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  cumulative += h.counts[N].load(std::memory_order_relaxed);
  out += std::string(name) + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  out += std::string(name) + "_sum " +
         format_double(static_cast<double>(h.sum_us.load(std::memory_order_relaxed)) / 1e6) + "\n";
  out += std::string(name) + "_count " + std::to_string(cumulative) + "\n";
}

template <std::size_t N>
void render_histogram(std::string& out, std::string_view name, std::string_view labels,
                      const Histogram<N>& h) {
  const std::string sep = labels.empty() ? "" : ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < N; ++i) {
    cumulative += h.counts[i];
    out += std::string(name) + "_bucket{" + std::string(labels) + sep + "le=\"" +
           format_double((*h.bounds)[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += std::string(name) + "_bucket{" + std::string(labels) + sep + "le=\"+Inf\"} " +
         std::to_string(h.count) + "\n";
  const std::string lbl = labels.empty() ? "" : "{" + std::string(labels) + "}";
  out += std::string(name) + "_sum" + lbl + " " + format_double(h.sum) + "\n";
  out += std::string(name) + "_count" + lbl + " " + std::to_string(h.count) + "\n";
}

}  // namespace

struct Metrics::State {
  mutable std::mutex mu;  // guards the maps and histograms below
  std::map<std::pair<std::string, unsigned>, std::uint64_t, std::less<>> requests;
  std::map<std::string, Histogram<kLatencyBounds.size()>, std::less<>> latency;
  Histogram<kOpsBounds.size()> commit_ops{&kOpsBounds};
  Histogram<kRequestsBounds.size()> commit_requests{&kRequestsBounds};
  Histogram<kLatencyBounds.size()> commit_seconds{&kLatencyBounds};

  std::atomic<std::int64_t> open_connections{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::int64_t> open_websockets{0};
  std::atomic<std::uint64_t> websockets_total{0};
  std::atomic<std::uint64_t> writer_queue_depth{0};
  std::atomic<std::uint64_t> storage_errors{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> rate_limited{0};

  std::atomic<std::uint64_t> live_subscribers{0};
  std::atomic<std::uint64_t> live_events{0};
  std::atomic<std::uint64_t> live_coalesced{0};
  std::atomic<std::uint64_t> live_dropped{0};
  std::atomic<std::uint64_t> live_slow_closed{0};
  std::atomic<std::uint64_t> live_queue_high_water{0};
  AtomicHistogram<kLatencyBounds.size()> live_send{&kLatencyBounds};
};

Metrics::Metrics() : s_(std::make_unique<State>()) {}
Metrics::~Metrics() = default;

void Metrics::observe_request(std::string_view route, unsigned status,
                              std::chrono::microseconds latency) {
  const double seconds = static_cast<double>(latency.count()) / 1e6;
  std::lock_guard lock(s_->mu);
  auto key = std::make_pair(std::string(route), status);
  ++s_->requests[key];
  auto it = s_->latency.find(route);
  if (it == s_->latency.end()) {
    it = s_->latency.emplace(std::string(route), Histogram<kLatencyBounds.size()>{&kLatencyBounds})
             .first;
  }
  it->second.observe(seconds);
}

void Metrics::connection_opened() {
  s_->open_connections.fetch_add(1, std::memory_order_relaxed);
  s_->connections_total.fetch_add(1, std::memory_order_relaxed);
}
void Metrics::connection_closed() {
  s_->open_connections.fetch_sub(1, std::memory_order_relaxed);
}
void Metrics::websocket_opened() {
  s_->open_websockets.fetch_add(1, std::memory_order_relaxed);
  s_->websockets_total.fetch_add(1, std::memory_order_relaxed);
}
void Metrics::websocket_closed() {
  s_->open_websockets.fetch_sub(1, std::memory_order_relaxed);
}
void Metrics::set_writer_queue_depth(std::size_t depth) {
  s_->writer_queue_depth.store(depth, std::memory_order_relaxed);
}
void Metrics::observe_commit(std::size_t requests, std::size_t ops,
                             std::chrono::microseconds duration) {
  std::lock_guard lock(s_->mu);
  s_->commit_requests.observe(static_cast<double>(requests));
  s_->commit_ops.observe(static_cast<double>(ops));
  s_->commit_seconds.observe(static_cast<double>(duration.count()) / 1e6);
}
void Metrics::count_storage_error() {
  s_->storage_errors.fetch_add(1, std::memory_order_relaxed);
}
void Metrics::count_connection_refused() {
  s_->connections_refused.fetch_add(1, std::memory_order_relaxed);
}
void Metrics::count_rate_limited() {
  s_->rate_limited.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::set_live_subscribers(std::size_t n) {
  s_->live_subscribers.store(n, std::memory_order_relaxed);
}
void Metrics::count_live_events(std::size_t n) {
  s_->live_events.fetch_add(n, std::memory_order_relaxed);
}
void Metrics::count_live_coalesced() {
  s_->live_coalesced.fetch_add(1, std::memory_order_relaxed);
}
void Metrics::count_live_dropped(std::size_t n) {
  s_->live_dropped.fetch_add(n, std::memory_order_relaxed);
}
void Metrics::count_live_slow_closed() {
  s_->live_slow_closed.fetch_add(1, std::memory_order_relaxed);
}
void Metrics::observe_live_queue_depth(std::size_t depth) {
  auto& hw = s_->live_queue_high_water;
  std::uint64_t seen = hw.load(std::memory_order_relaxed);
  while (depth > seen && !hw.compare_exchange_weak(seen, depth, std::memory_order_relaxed)) {
  }
}
void Metrics::observe_live_send(std::chrono::microseconds commit_to_send) {
  s_->live_send.observe_us(commit_to_send.count());
}

std::size_t Metrics::open_connections() const {
  const auto n = s_->open_connections.load(std::memory_order_relaxed);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}
std::size_t Metrics::open_websockets() const {
  const auto n = s_->open_websockets.load(std::memory_order_relaxed);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::string Metrics::render_prometheus() const {
  std::string out;
  out.reserve(4096);
  auto gauge = [&out](std::string_view name, std::string_view help, std::string_view type,
                      const std::string& value) {
    out += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
    out += "# TYPE " + std::string(name) + " " + std::string(type) + "\n";
    out += std::string(name) + " " + value + "\n";
  };
  gauge("patrol_open_connections", "Open client connections (HTTP and WebSocket).", "gauge",
        std::to_string(open_connections()));
  gauge("patrol_connections_total", "Connections accepted since start.", "counter",
        std::to_string(s_->connections_total.load(std::memory_order_relaxed)));
  gauge("patrol_connections_refused_total", "Connections refused at the connection limit.",
        "counter", std::to_string(s_->connections_refused.load(std::memory_order_relaxed)));
  gauge("patrol_open_websockets", "Open WebSocket sessions.", "gauge",
        std::to_string(open_websockets()));
  gauge("patrol_websockets_total", "WebSocket sessions accepted since start.", "counter",
        std::to_string(s_->websockets_total.load(std::memory_order_relaxed)));
  gauge("patrol_rate_limited_total", "Requests answered 429 by the per-IP rate limit.", "counter",
        std::to_string(s_->rate_limited.load(std::memory_order_relaxed)));
  gauge("patrol_writer_queue_depth", "Write jobs waiting for the writer thread.", "gauge",
        std::to_string(s_->writer_queue_depth.load(std::memory_order_relaxed)));
  gauge("patrol_storage_errors_total", "Storage errors (I/O, disk full, busy) seen.", "counter",
        std::to_string(s_->storage_errors.load(std::memory_order_relaxed)));

  auto load = [](const std::atomic<std::uint64_t>& a) {
    return std::to_string(a.load(std::memory_order_relaxed));
  };
  gauge("patrol_live_subscribers", "Live feed connections subscribed to an org unit.", "gauge",
        load(s_->live_subscribers));
  gauge("patrol_live_events_total", "Live feed events published.", "counter",
        load(s_->live_events));
  gauge("patrol_live_coalesced_total",
        "Live messages replaced in a send queue by a newer one of the same key.", "counter",
        load(s_->live_coalesced));
  gauge("patrol_live_dropped_total",
        "Live messages not sent because their connection was closing or closed.", "counter",
        load(s_->live_dropped));
  gauge("patrol_live_slow_consumers_closed_total",
        "Live connections closed as too slow (send queue overflow).", "counter",
        load(s_->live_slow_closed));
  gauge("patrol_live_send_queue_high_water", "Deepest live send queue seen since start.", "gauge",
        load(s_->live_queue_high_water));
  out +=
      "# HELP patrol_live_commit_to_send_seconds Live event latency from its commit to its "
      "write on a viewer's socket completing.\n";
  out += "# TYPE patrol_live_commit_to_send_seconds histogram\n";
  render_histogram(out, "patrol_live_commit_to_send_seconds", s_->live_send);

  std::lock_guard lock(s_->mu);
  out += "# HELP patrol_http_requests_total HTTP requests by route pattern and status.\n";
  out += "# TYPE patrol_http_requests_total counter\n";
  for (const auto& [key, n] : s_->requests) {
    out += "patrol_http_requests_total{route=\"" + escape_label(key.first) + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP patrol_http_request_duration_seconds HTTP request latency by route pattern.\n";
  out += "# TYPE patrol_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : s_->latency) {
    render_histogram(out, "patrol_http_request_duration_seconds",
                     "route=\"" + escape_label(route) + "\"", h);
  }
  out += "# HELP patrol_commit_ops Ops per group commit.\n";
  out += "# TYPE patrol_commit_ops histogram\n";
  render_histogram(out, "patrol_commit_ops", "", s_->commit_ops);
  out += "# HELP patrol_commit_requests Requests per group commit.\n";
  out += "# TYPE patrol_commit_requests histogram\n";
  render_histogram(out, "patrol_commit_requests", "", s_->commit_requests);
  out += "# HELP patrol_commit_duration_seconds Group commit duration.\n";
  out += "# TYPE patrol_commit_duration_seconds histogram\n";
  render_histogram(out, "patrol_commit_duration_seconds", "", s_->commit_seconds);
  return out;
}

}  // namespace patrol::metrics
