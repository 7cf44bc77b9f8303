#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <stdexcept>

namespace patrol::test {
namespace {

void reset_close(int fd) {
  if (fd < 0) return;
  linger l{1, 0};  // close with RST, not FIN: a real "connection reset by peer"
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

int connect_upstream(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

FaultProxy::FaultProxy(std::uint16_t upstream_port, FaultPlan plan, std::uint64_t seed)
    : upstream_(upstream_port), plan_(plan), rng_(seed) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("proxy: socket failed");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only, never another address
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 128) != 0)
    throw std::runtime_error("proxy: bind/listen failed");
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> ws;
  {
    std::lock_guard lk(mu_);
    ws.swap(workers_);
  }
  for (auto& t : ws)
    if (t.joinable()) t.join();
  ::close(listen_fd_);
}

void FaultProxy::set_plan(const FaultPlan& plan) {
  std::lock_guard lk(mu_);
  plan_ = plan;
}

FaultStats FaultProxy::stats() {
  std::lock_guard lk(mu_);
  return stats_;
}

void FaultProxy::cut() {
  std::lock_guard lk(mu_);
  cut_ = true;
  for (const int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  stats_.cut_resets += open_fds_.size() / 2;  // two sockets per connection
}

void FaultProxy::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    if (cut_) {
      std::lock_guard lk(mu_);
      ++stats_.cut_resets;
      reset_close(fd);
      continue;
    }
    std::lock_guard lk(mu_);
    ++stats_.connections;
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void FaultProxy::serve(int cfd) {
  int one = 1;
  ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int sfd = connect_upstream(upstream_);
  if (sfd < 0) {
    std::lock_guard lk(mu_);
    ++stats_.upstream_refused;
    reset_close(cfd);  // like a server that is down
    return;
  }
  {
    // Registered under the lock cut() takes: either cut() sees these sockets
    // and shuts them down, or this sees cut_ and resets the connection.
    std::lock_guard lk(mu_);
    if (cut_) {
      ++stats_.cut_resets;
      reset_close(cfd);
      reset_close(sfd);
      return;
    }
    open_fds_.push_back(cfd);
    open_fds_.push_back(sfd);
  }
  // The dice are rolled again at every new request on the connection (client
  // bytes after server bytes), so keep-alive connections get faults too.
  enum class Fault { none, reset_request, reset_response, stall };
  Fault fault = Fault::none;
  std::size_t at = 0;  // absolute byte offset (in the fault's direction) where it strikes
  std::chrono::milliseconds stall_for{0};
  std::size_t up = 0, down = 0;  // bytes forwarded client->server, server->client
  auto roll = [&] {
    std::lock_guard lk(mu_);
    std::uniform_real_distribution<double> u(0, 1);
    const double x = u(rng_);
    fault = Fault::none;
    if (x < plan_.reset_request) {
      fault = Fault::reset_request;
      at = up + std::uniform_int_distribution<std::size_t>(1, plan_.max_client_bytes)(rng_);
    } else if (x < plan_.reset_request + plan_.reset_response) {
      fault = Fault::reset_response;
      at = down + std::uniform_int_distribution<std::size_t>(1, plan_.max_server_bytes)(rng_);
    } else if (x < plan_.reset_request + plan_.reset_response + plan_.stall) {
      fault = Fault::stall;
      at = up + std::uniform_int_distribution<std::size_t>(1, plan_.max_client_bytes)(rng_);
      stall_for = plan_.stall_for;
    }
  };
  roll();
  bool server_spoke = false;
  char buf[16384];
  auto count = [&](std::uint64_t FaultStats::*field) {
    std::lock_guard lk(mu_);
    ++(stats_.*field);
  };
  for (;;) {
    if (stop_ || cut_) {
      if (cut_) count(&FaultStats::cut_resets);
      break;
    }
    pollfd p[2] = {{cfd, POLLIN, 0}, {sfd, POLLIN, 0}};
    const int n = ::poll(p, 2, 50);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    bool closed = false;
    for (int i = 0; i < 2 && !closed; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const bool from_client = i == 0;
      if (from_client && server_spoke) {
        server_spoke = false;
        roll();
      }
      std::size_t want = sizeof buf;
      const bool armed =
          (from_client && (fault == Fault::reset_request || fault == Fault::stall)) ||
          (!from_client && fault == Fault::reset_response);
      const std::size_t done = from_client ? up : down;
      if (armed) want = std::min(want, at > done ? at - done : std::size_t{0});
      if (armed && want == 0) {
        if (fault == Fault::stall) {
          count(&FaultStats::stalls);
          const auto until = std::chrono::steady_clock::now() + stall_for;
          while (!stop_ && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } else {
          count(fault == Fault::reset_request ? &FaultStats::reset_request
                                              : &FaultStats::reset_response);
        }
        closed = true;
        break;
      }
      const ssize_t r = ::recv(p[i].fd, buf, want, 0);
      if (r <= 0) {
        closed = true;
        break;
      }
      if (!write_all(from_client ? sfd : cfd, buf, static_cast<std::size_t>(r))) {
        closed = true;
        break;
      }
      (from_client ? up : down) += static_cast<std::size_t>(r);
      if (!from_client) server_spoke = true;
    }
    if (closed) break;
  }
  {
    std::lock_guard lk(mu_);
    std::erase(open_fds_, cfd);
    std::erase(open_fds_, sfd);
  }
  reset_close(cfd);
  reset_close(sfd);
}

}  // namespace patrol::test
