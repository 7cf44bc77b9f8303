#include "store/pg_listener.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>

#include <chrono>
#include <cstdlib>

namespace patrol::store {
namespace {

PGconn* connect_and_listen(const std::string& conninfo) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (!c || PQstatus(c) != CONNECTION_OK) {
    PQfinish(c);
    return nullptr;
  }
  PGresult* r = PQexec(c, "LISTEN patrol_changes");
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
  PGconn* c = connect_and_listen(conninfo);
  if (!c) return errc::unavailable;
  std::unique_ptr<PgChangeListener> l(new PgChangeListener());
  l->conninfo_ = conninfo;
  l->on_change_ = std::move(on_change);
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
      PQfinish(c);
      conn_ = connect_and_listen(conninfo_);
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
