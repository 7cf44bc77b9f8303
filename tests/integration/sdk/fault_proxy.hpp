// FaultProxy: a TCP proxy on 127.0.0.1 between the SDK and patrold that
// breaks connections on purpose — reset in the middle of a request, reset in
// the middle of a response, stall (then reset), and "network cut" periods in
// which every connection is reset at once. The TLS stays end to end (the
// proxy sees only ciphertext), so what the SDK experiences is exactly what a
// flaky mobile network does to it.
//
// Thread safety: all public members are thread-safe. POSIX sockets (tests only).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace patrol::test {

struct FaultPlan {
  double reset_request = 0;   // probability a connection is reset after some client bytes
  double reset_response = 0;  // ... after some server bytes
  double stall = 0;           // ... stops forwarding for stall_for, then resets
  std::chrono::milliseconds stall_for{3000};
  std::size_t max_client_bytes = 60000;  // fault offsets are drawn below these
  std::size_t max_server_bytes = 16000;
};

struct FaultStats {
  std::uint64_t connections = 0;
  std::uint64_t reset_request = 0;
  std::uint64_t reset_response = 0;
  std::uint64_t stalls = 0;
  std::uint64_t cut_resets = 0;
  std::uint64_t upstream_refused = 0;
};

class FaultProxy {
 public:
  // Listens on 127.0.0.1:0 and forwards to 127.0.0.1:upstream_port.
  FaultProxy(std::uint16_t upstream_port, FaultPlan plan, std::uint64_t seed);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const { return port_; }
  void set_upstream(std::uint16_t port) { upstream_ = port; }
  void set_plan(const FaultPlan& plan);
  // Network gone: resets every open connection and every new one until restore().
  // Open connections are shut down before cut() returns, so no byte written
  // after it reaches either side (a poll already under way cannot forward one).
  void cut();
  void restore() { cut_ = false; }
  FaultStats stats();

 private:
  void accept_loop();
  void serve(int client_fd);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint16_t> upstream_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  std::mutex mu_;              // plan_, rng_, stats_, workers_, open_fds_
  std::vector<int> open_fds_;  // sockets of connections being served (closed only after removal)
  FaultPlan plan_;
  std::mt19937_64 rng_;
  FaultStats stats_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

}  // namespace patrol::test
