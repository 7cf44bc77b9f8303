#include "store/pg_listener.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>

#include <chrono>
#include <cstdlib>

namespace patrol::store {
namespace {

PGconn* connect_and_listen(const std::string& conninfo, const std::string& channel) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (!c || PQstatus(c) != CONNECTION_OK) {
    PQfinish(c);
    return nullptr;
  }
  PGresult* r = PQexec(c, ("LISTEN " + channel).c_str());
  bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    PQfinish(c);
    return nullptr;
  }
  return c;
}

}  // namespace

result<std::unique_ptr<PgChangeListener>> PgChangeListener::start(
    const std::string& conninfo, std::function<void(std::int64_t)> on_change) {
  return start(conninfo, "patrol_changes", std::move(on_change), nullptr);
}

result<std::unique_ptr<PgChangeListener>> PgChangeListener::start(
    const std::string& conninfo, std::string channel, std::function<void(std::int64_t)> on_change,
    std::function<void()> on_lost) {
  PGconn* c = connect_and_listen(conninfo, channel);
  if (!c) return errc::unavailable;
  std::unique_ptr<PgChangeListener> l(new PgChangeListener());
  l->conninfo_ = conninfo;
  l->channel_ = std::move(channel);
  l->on_change_ = std::move(on_change);
  l->on_lost_ = std::move(on_lost);
  l->conn_ = c;
  l->thread_ = std::thread([p = l.get()] {
    pthread_setname_np(pthread_self(), "patrol-pglisten");
    p->loop();
  });
  return l;
}

PgChangeListener::~PgChangeListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  PQfinish(static_cast<PGconn*>(conn_));
}

void PgChangeListener::loop() {
  while (!stop_) {
    auto* c = static_cast<PGconn*>(conn_);
    if (!c || PQstatus(c) != CONNECTION_OK) {
      if (c && on_lost_) on_lost_();  // once per loss: conn_ is null until reconnected
      PQfinish(c);
      conn_ = connect_and_listen(conninfo_, channel_);
      if (conn_) {
        on_change_(0);  // may have missed some: the caller pulls from its last seq
      } else {
        for (int i = 0; i < 5 && !stop_; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    // A short timeout bounds how long the destructor waits.
    pollfd p{PQsocket(c), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    if (!PQconsumeInput(c)) continue;  // the status check above reconnects
    while (PGnotify* n = PQnotifies(c)) {
      std::int64_t seq = n->extra ? std::strtoll(n->extra, nullptr, 10) : 0;
      PQfreemem(n);
      on_change_(seq);
    }
  }
}

}  // namespace patrol::store
