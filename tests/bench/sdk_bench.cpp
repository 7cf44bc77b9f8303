// patrol_bench_sdk: the client SDK's numbers, each beside its baseline measured
// in the same run on the same disk.
//   enqueue   p50/p99 of one durable enqueue_inspection (WAL, synchronous=FULL)
//             beside p50/p99 of one raw write+fdatasync of a file in the same dir
//   positions batched enqueue_positions rate (points/s)
//   sync      wall time to push a backlog of N inspections to a running patrold
//             over TLS (the PouchDB baseline is tests/bench/pouchdb_replicate.js)
// Usage: patrol_bench_sdk WORK_DIR PORT [N]
// Prints one JSON line per measurement.
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "patrol/client.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// Bytes this process passed to write() so far (Linux /proc/self/io "wchar"),
// or -1 where that is not available.
std::int64_t bytes_written() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::int64_t value = 0;
  while (io >> key >> value)
    if (key == "wchar:") return value;
  return -1;
}

double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// CPU time of this whole process (all its threads: the SDK's engine and
// helpers), user + kernel, in ms.
double process_cpu_ms() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto ms = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
  };
  return ms(ru.ru_utime) + ms(ru.ru_stime);
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

void emit(const std::string& bench, double value, const std::string& unit,
          const std::string& baseline_name = "", double baseline = 0) {
  json::object o{{"bench", bench}, {"value", value}, {"unit", unit}};
  if (!baseline_name.empty()) {
    o["baseline_name"] = baseline_name;
    o["baseline"] = baseline;
    o["ratio"] = baseline > 0 ? value / baseline : 0;
  }
  std::cout << json::serialize(o) << std::endl;
}

// Older SDKs (a "before" build of this same bench) push on one connection.
template <class Options>
void set_connections(Options& o, std::size_t n) {
  if constexpr (requires { o.push_connections; }) o.push_connections = n;
}
template <class Options>
std::size_t default_connections() {
  if constexpr (requires(Options o) { o.push_connections; })
    return Options{}.push_connections;
  else
    return 1;
}

std::unique_ptr<patrol::Client> open_client(const fs::path& dir, unsigned short port,
                                            std::size_t connections = 2) {
  patrol::ClientOptions opts;
  set_connections(opts, connections);
  opts.data_dir = dir.string();
  opts.server_url = "https://127.0.0.1:" + std::to_string(port);
  opts.insecure = true;
  // PATROL_BENCH_SDK_BACKGROUND=1: the engine thread runs (as in an app).
  opts.background_sync = std::getenv("PATROL_BENCH_SDK_BACKGROUND") != nullptr;
  auto c = patrol::Client::open(std::move(opts));
  if (!c) throw std::runtime_error("open: " + c.error().message);
  return std::move(*c);
}

void check(const patrol::Status& s, const char* what) {
  if (!s) throw std::runtime_error(std::string(what) + ": " + s.error().message);
}

// A volunteer's draft for a cached site, with every item of its template.
patrol::InspectionDraft draft_for(patrol::Client& c, const patrol::SiteInfo& site, int i) {
  auto tpl = c.template_for_site(site.id);
  if (!tpl) throw std::runtime_error("template: " + tpl.error().message);
  patrol::InspectionDraft d;
  d.site_id = site.id;
  d.position = patrol::GeoPoint{28.8571 + (i % 100) * 1e-5, 121.1432, 8.0, "wgs84"};
  for (std::size_t k = 0; k < tpl->items.size() && k < 6; ++k)
    d.items.push_back({tpl->items[k].code, patrol::ItemResult::ok, "", {}});
  return d;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::cerr << "usage: patrol_bench_sdk WORK_DIR PORT [N]\n";
    return 2;
  }
  const fs::path work = argv[1];
  const auto port = static_cast<unsigned short>(std::stoi(argv[2]));
  const int n = argc > 3 ? std::stoi(argv[3]) : 10000;

  // ---- durable enqueue latency beside a raw fsync of the same directory ----
  // Alternating one raw write+fdatasync and one enqueue, so both see the same
  // moment of the disk (and of the machine's other load). Measured in a second
  // app session (closed and reopened, as phones do) of a phone in its steady
  // state: the first session wrote enough reports to fill the WAL to its
  // checkpoint size once (1,000 frames; 1,000 reports at 1.3 to 2.7 frames
  // each), so the timed commits overwrite a WAL file the phone already has
  // instead of growing it (a phone's WAL grows once, on its first day).
  fs::create_directories(work / "sdk");
  const fs::path enq_dir = work / "sdk" / "device-enqueue";
  std::vector<patrol::InspectionDraft> drafts;
  {
    auto dev = open_client(enq_dir, port);
    check(dev->login("13900000002", "patrol-demo"), "login");
    if (auto p = dev->pull(); !p) throw std::runtime_error("pull: " + p.error().message);
    check(dev->set_online(false), "offline");
    auto sites = dev->sites();
    if (!sites || sites->empty()) throw std::runtime_error("no cached sites");
    for (int i = 0; i < 50; ++i) drafts.push_back(draft_for(*dev, (*sites)[i % sites->size()], i));
    for (int i = 0; i < 1000; ++i)  // the first session
      if (!dev->enqueue_inspection(drafts[i % drafts.size()])) throw std::runtime_error("enqueue");
  }
  auto dev = open_client(enq_dir, port);
  std::vector<double> fsync_ms, enqueue_ms;
  std::vector<double> enqueue_cpu_ms;  // this thread's CPU time in each enqueue (user + kernel)
  std::vector<double> fsync_cpu_ms;    // the same for each raw write + fdatasync
  const std::int64_t written_before = bytes_written();
  const fs::path wal = enq_dir / "device.db-wal";
  std::error_code wal_ec;
  const auto wal_before = static_cast<std::int64_t>(fs::file_size(wal, wal_ec));
  std::int64_t wal_max = wal_before;
  {
    int fd = ::open((work / "sdk" / "fsync.probe").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw std::runtime_error("cannot open probe file");
    std::string rec(200, 'x');
    for (int i = 0; i < 500; ++i) {
      auto t0 = Clock::now();
      const double fcpu0 = thread_cpu_ms();
      if (::write(fd, rec.data(), rec.size()) < 0 || ::fdatasync(fd) != 0)
        throw std::runtime_error("fdatasync failed");
      fsync_ms.push_back(ms_since(t0));
      fsync_cpu_ms.push_back(thread_cpu_ms() - fcpu0);
      t0 = Clock::now();
      const double cpu0 = thread_cpu_ms();
      auto r = dev->enqueue_inspection(drafts[i % drafts.size()]);
      enqueue_ms.push_back(ms_since(t0));
      enqueue_cpu_ms.push_back(thread_cpu_ms() - cpu0);
      if (!r) throw std::runtime_error("enqueue: " + r.error().message);
      wal_max = std::max(wal_max, static_cast<std::int64_t>(fs::file_size(wal, wal_ec)));
    }
    ::close(fd);
  }
  if (std::getenv("PATROL_BENCH_SDK_TAIL")) {  // the slowest ten of each, in round order
    for (const auto* v : {&enqueue_ms, &fsync_ms}) {
      std::vector<std::pair<double, std::size_t>> t;
      for (std::size_t i = 0; i < v->size(); ++i) t.emplace_back((*v)[i], i);
      std::sort(t.rbegin(), t.rend());
      std::cerr << (v == &enqueue_ms ? "enqueue" : "fsync  ") << " tail:";
      for (std::size_t i = 0; i < 10 && i < t.size(); ++i)
        std::cerr << " " << t[i].first << "@" << t[i].second;
      std::cerr << "\n";
    }
  }
  emit("enqueue_inspection_p50", pct(enqueue_ms, 0.5), "ms", "fsync p50", pct(fsync_ms, 0.5));
  emit("enqueue_inspection_p99", pct(enqueue_ms, 0.99), "ms", "fsync p99", pct(fsync_ms, 0.99));
  // The work one enqueue does, whatever the machine's load: its CPU time
  // (SDK, SQLite and the kernel's write/fdatasync path), p50.
  emit("enqueue_inspection_cpu_p50", pct(enqueue_cpu_ms, 0.5), "ms");
  // Beside it, the CPU time of the raw write + fdatasync (the kernel's write
  // and flush path): the enqueue's CPU outside its own fdatasync is about
  // the difference.
  emit("fsync_cpu_p50", pct(fsync_cpu_ms, 0.5), "ms");
  if (const std::int64_t after = bytes_written(); written_before >= 0 && after >= 0) {
    // Pages written per durable enqueue: the bytes this process passed to
    // write() during the 500 rounds, less the probe's own 500 x 200 bytes,
    // in WAL frames (a 4 KiB page + its 24-byte header; checkpoints' copies
    // into the database file are counted too). The WAL file's size no longer
    // tells: it is reused, not grown.
    const double frames = static_cast<double>(after - written_before - 500 * 200) / 4120.0 / 500.0;
    emit("enqueue_pages_per_commit", frames, "pages");
  }

  // How much the WAL file grew during the timed enqueues (0: every commit
  // overwrote blocks the file had, so its fdatasync carried no size change).
  if (!wal_ec) emit("enqueue_wal_growth", static_cast<double>(wal_max - wal_before), "bytes");

  // ---- batched position enqueues ----
  {
    std::vector<patrol::TrackPoint> batch(500);
    auto now = std::chrono::system_clock::now();
    for (std::size_t i = 0; i < batch.size(); ++i)
      batch[i] = {now + std::chrono::seconds(i), 28.85 + i * 1e-6, 121.14, 5.0};
    std::int64_t points = 0;
    auto t0 = Clock::now();
    while (ms_since(t0) < 2000) {
      auto r = dev->enqueue_positions(batch);
      if (!r) throw std::runtime_error("positions: " + r.error().message);
      points += static_cast<std::int64_t>(batch.size());
    }
    emit("enqueue_positions", static_cast<double>(points) / (ms_since(t0) / 1000.0), "points/s");
  }
  dev.reset();

  // ---- backlog sync of n inspections over TLS ----
  // PATROL_BENCH_SDK_CONNECTIONS: a comma-separated list of the SDK's push
  // connections to measure, one fresh device each, in that order (default:
  // the SDK's default, 2). "1,2,1,2" is a before/after in one run.
  std::vector<std::size_t> conn_counts;
  if (const char* e = std::getenv("PATROL_BENCH_SDK_CONNECTIONS"); e && *e) {
    std::string list = e;
    for (std::size_t pos = 0; pos < list.size();) {
      auto comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      conn_counts.push_back(static_cast<std::size_t>(std::stoul(list.substr(pos, comma - pos))));
      pos = comma + 1;
    }
  }
  if (conn_counts.empty()) conn_counts.push_back(default_connections<patrol::ClientOptions>());
  for (std::size_t k = 0; k < conn_counts.size(); ++k) {
    const std::size_t conns = conn_counts[k];
    auto sync_dev = open_client(work / "sdk" / ("device-sync-" + std::to_string(k)), port, conns);
    check(sync_dev->login("13900000002", "patrol-demo"), "login");
    if (auto p = sync_dev->pull(); !p) throw std::runtime_error("pull: " + p.error().message);
    check(sync_dev->set_online(false), "offline");
    for (int i = 0; i < n; ++i) {
      auto r = sync_dev->enqueue_inspection(drafts[i % drafts.size()]);
      if (!r) throw std::runtime_error("enqueue: " + r.error().message);
    }
    check(sync_dev->set_online(true), "online");
    const double cpu0 = process_cpu_ms();
    auto t0 = Clock::now();
    auto summary = sync_dev->sync();
    double secs = ms_since(t0) / 1000.0;
    const double sdk_cpu_ms = process_cpu_ms() - cpu0;
    if (!summary) throw std::runtime_error("sync: " + summary.error().message);
    if (summary->pushed != n)
      throw std::runtime_error("pushed " + std::to_string(summary->pushed) + " of " +
                               std::to_string(n));
    json::object o{{"bench", "sync_backlog_" + std::to_string(n)},
                   {"value", secs},
                   {"unit", "s"},
                   {"connections", conns}};
    std::cout << json::serialize(o) << std::endl;
    // The device's share of that backlog: this process's CPU time during the
    // sync (reading and framing batches, TLS, parsing and applying answers),
    // per op; the rest of the wall time is the server's and the network's.
    json::object cpu{{"bench", "sync_backlog_sdk_cpu_per_op"},
                     {"value", n > 0 ? sdk_cpu_ms * 1000.0 / n : 0},
                     {"unit", "us"},
                     {"connections", conns}};
    std::cout << json::serialize(cpu) << std::endl;
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "patrol_bench_sdk: " << e.what() << "\n";
  return 1;
}
