#include "net/server.hpp"

#include <pthread.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "net/http_session.hpp"
#include "net/server_context.hpp"
#include "net/tls.hpp"

namespace patrol::net {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
constexpr auto as_tuple_awaitable = asio::as_tuple(use_awaitable);

struct Server::Impl {
  Impl(std::shared_ptr<ServerContext> c, std::size_t threads)
      : ctx(std::move(c)),
        io(static_cast<int>(threads)),
        strand(asio::make_strand(io)),
        acceptor(strand),
        io_threads(threads) {}

  // Declared first so it is destroyed last: the io_context's destructor drops
  // pending coroutine frames that still hold sessions referring to it.
  std::shared_ptr<ServerContext> ctx;
  asio::io_context io;
  asio::strand<asio::io_context::executor_type> strand;  // acceptor and shutdown sequence
  tcp::acceptor acceptor;
  std::size_t io_threads;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::atomic<bool> stop_requested{false};
  bool started = false;
  bool joined = false;

  awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), as_tuple_awaitable);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        // Out of file descriptors or similar: back off instead of spinning.
        asio::steady_timer t(strand, std::chrono::milliseconds(50));
        co_await t.async_wait(as_tuple_awaitable);
        continue;
      }
      boost::system::error_code opt_ec;
      socket.set_option(tcp::no_delay(true), opt_ec);  // Nagle + delayed ACK cost ~40 ms
      if (ctx->stopping.load()) continue;              // closes it
      tcp::socket s(std::move(socket));
      bool full = ctx->connections.load() >= ctx->cfg.limits.max_connections;
      if (full) {
        // Room for the newcomer: close the oldest connection that never sent
        // a request head (idle or half-handshaken). It is still counted
        // until its coroutine ends, so the total overshoots by the few being
        // closed at any moment.
        if (auto victim = ctx->unproven.take_oldest()) {
          victim->stop(true);
          ctx->evicted.fetch_add(1);
          full = false;
        }
      }
      std::unique_ptr<ConnectionGuard> guard;
      if (!full) {
        boost::system::error_code rec;
        const auto ep = s.remote_endpoint(rec);
        guard = ConnectionGuard::try_create(
            *ctx, auth::address_key(rec ? std::string("-") : ep.address().to_string()));
      }
      if (!guard) {
        // Bounded politeness: past a few dozen pending refusals just close.
        if (ctx->refusing.load() < 64)
          start_refusal(ctx, std::move(s), !full);
        else
          ctx->metrics.count_connection_refused();
        continue;
      }
      start_http_session(ctx, std::move(s), std::move(guard));
    }
  }

  awaitable<void> shutdown_sequence() {
    ctx->stopping.store(true);
    boost::system::error_code ec;
    acceptor.close(ec);
    ctx->sessions.stop_all(false);
    asio::steady_timer timer(strand);
    const auto deadline = std::chrono::steady_clock::now() + ctx->cfg.limits.shutdown_timeout;
    for (int tick = 1; ctx->sessions.size() > 0 && std::chrono::steady_clock::now() < deadline;
         ++tick) {
      timer.expires_after(std::chrono::milliseconds(10));
      co_await timer.async_wait(as_tuple_awaitable);
      // Sessions that were mid-handshake or mid-request when the stop came may
      // have gone idle since: nudge again, every 100 ms.
      if (tick % 10 == 0) ctx->sessions.stop_all(false);
    }
    if (ctx->sessions.size() > 0) {
      ctx->sessions.stop_all(true);
      const auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (ctx->sessions.size() > 0 && std::chrono::steady_clock::now() < hard) {
        timer.expires_after(std::chrono::milliseconds(10));
        co_await timer.async_wait(as_tuple_awaitable);
      }
    }
    io.stop();
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  if (impl_->started && !impl_->joined) {
    request_stop();
    wait();
  }
}

Result<std::unique_ptr<Server>> Server::create(const ServerConfig& cfg, api::Api& api,
                                               metrics::Metrics& metrics, LiveHooks live) {
  auto files = certificate_for(cfg);
  if (!files) return files.error();
  auto tls = make_server_tls_context(*files);
  if (!tls) return tls.error();
  std::size_t threads = cfg.io_threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  auto ctx = std::make_shared<ServerContext>(cfg, api, metrics, std::move(*tls), std::move(live));
  auto impl = std::make_unique<Impl>(std::move(ctx), threads);

  boost::system::error_code ec;
  tcp::resolver resolver(impl->io);
  auto results = resolver.resolve(cfg.listen_host, std::to_string(cfg.listen_port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty())
    return Error{"cannot resolve listen address " + cfg.listen_host + ": " + ec.message()};
  const tcp::endpoint ep = results.begin()->endpoint();
  auto& acc = impl->acceptor;
  if (acc.open(ep.protocol(), ec); ec) return Error{"cannot open socket: " + ec.message()};
  if (acc.set_option(asio::socket_base::reuse_address(true), ec); ec)
    return Error{"cannot set SO_REUSEADDR: " + ec.message()};
  if (acc.bind(ep, ec); ec)
    return Error{"cannot listen on " + cfg.listen_host + ":" + std::to_string(cfg.listen_port) +
                 ": " + ec.message()};
  if (acc.listen(asio::socket_base::max_listen_connections, ec); ec)
    return Error{"cannot listen: " + ec.message()};
  impl->port = acc.local_endpoint(ec).port();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::start() {
  if (impl_->started) return;
  impl_->started = true;
  asio::co_spawn(impl_->strand, impl_->accept_loop(),
                 [](const std::exception_ptr& e) { log_session_exception(e, "accept loop"); });
  for (std::size_t i = 0; i < impl_->io_threads; ++i) {
    impl_->threads.emplace_back([this] {
      pthread_setname_np(pthread_self(), "patrol-io");  // per-thread CPU (tests/bench/push_ab.sh)
      for (;;) {
        try {
          impl_->io.run();
          return;
        } catch (const std::exception&) {
          // A handler threw past its session: log it and keep this thread serving.
          log_session_exception(std::current_exception(), "io thread");
        }
      }
    });
  }
}

void Server::request_stop() {
  if (impl_->stop_requested.exchange(true)) return;
  if (!impl_->started) return;
  asio::co_spawn(impl_->strand, impl_->shutdown_sequence(),
                 [](const std::exception_ptr& e) { log_session_exception(e, "shutdown"); });
}

void Server::wait() {
  if (impl_->joined) return;
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // In-flight Api calls (only after a forced stop) finish before we return.
  impl_->ctx->workers.join();
  // Pushes queued on the writer answer from its thread by posting to the
  // io_context: it must outlive them (the writer commits promptly; nothing
  // waits on this side).
  while (impl_->ctx->replies_pending.load() > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_->joined = true;
}

std::uint16_t Server::port() const {
  return impl_->port;
}
const std::string& Server::host() const {
  return impl_->ctx->cfg.listen_host;
}
boost::asio::io_context& Server::io_context() {
  return impl_->io;
}

}  // namespace patrol::net
