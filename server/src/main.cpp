// patrold: wiring only — configuration, the Api (storage + handlers), the
// transport, signals. Everything else lives in the libraries the tests link.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include <sys/resource.h>

#include "api/api.hpp"
#include "live/publisher.hpp"
#include "metrics/metrics.hpp"
#include "net/config.hpp"
#include "net/server.hpp"

#ifndef PATROL_DEFAULT_WEB_ROOT
#define PATROL_DEFAULT_WEB_ROOT "server/web"
#endif

int main(int argc, char** argv) {
  using namespace patrol;
  auto cl = net::parse_command_line(argc, argv, PATROL_DEFAULT_WEB_ROOT);
  if (!cl) {
    std::fprintf(stderr, "patrold: %s\n", cl.error().message.c_str());
    return 2;
  }
  if (cl->help) {
    std::fputs(net::usage_text().c_str(), stdout);
    return 0;
  }
  const net::ServerConfig& cfg = cl->config;
  // A closed stdout/stderr pipe must not kill the server (sockets use MSG_NOSIGNAL already).
  std::signal(SIGPIPE, SIG_IGN);
  // Every live viewer holds a socket: take the hard limit on open files.
  if (rlimit rl{}; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }

  // Api::open creates the data directory (owner only) when it does not exist.
  metrics::Metrics metrics;
  auto api = api::Api::open(cfg.api, metrics);
  if (!api) {
    std::fprintf(stderr, "patrold: cannot open the database (%s): %s\n",
                 cfg.api.database.empty() ? cfg.api.data_dir.c_str() : "PostgreSQL",
                 api.error().message().c_str());
    return 1;
  }
  // The live feed: events from what each group commit wrote.
  live::PublisherOptions lo;
  lo.presence_window = cfg.live.presence_window;
  lo.ring_events = cfg.live.ring_events;
  lo.metrics = &metrics;
  live::Publisher publisher((*api)->store(), (*api)->live_store(), lo);
  if (auto r = publisher.start(); !r) {
    std::fprintf(stderr, "patrold: cannot start the live feed: %s\n", r.error().message().c_str());
    return 1;
  }
  (*api)->set_observer(&publisher);
  auto server = net::Server::create(cfg, **api, metrics, publisher.hooks());
  if (!server) {
    std::fprintf(stderr, "patrold: %s\n", server.error().message.c_str());
    (*api)->shutdown();
    return 1;
  }

  boost::asio::signal_set signals((*server)->io_context(), SIGINT, SIGTERM);
  signals.async_wait([&srv = **server](const boost::system::error_code& sec, int sig) {
    if (sec) return;
    std::fprintf(stderr, "patrold: signal %d, shutting down\n", sig);
    srv.request_stop();
  });
  (*server)->start();
  const std::string& host = (*server)->host();
  const bool v6 = host.find(':') != std::string::npos;
  std::printf("patrold listening on https://%s%s%s:%u\n", v6 ? "[" : "", host.c_str(),
              v6 ? "]" : "", static_cast<unsigned>((*server)->port()));
  std::fflush(stdout);

  (*server)->wait();
  publisher.stop();
  (*api)->shutdown();  // commits what is queued, checkpoints, closes the database
  (*api)->set_observer(nullptr);
  std::fprintf(stderr, "patrold: stopped\n");
  return 0;
}
