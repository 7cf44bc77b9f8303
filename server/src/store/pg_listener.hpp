// PgChangeListener — live events between nodes: every PgStore commit that
// appends to the change log NOTIFYs channel `patrol_changes` with the last
// seq it wrote (pg_engine.hpp). A node's live feed runs one listener; on each
// notification it pulls the change log after the last seq it published
// (SyncStore::changes), so the payload stays tiny and the events come from
// the committed data, in seq order, whichever node wrote them.
//
// The callback runs on the listener's thread: keep it short (hand the seq to
// the feed's executor). When the connection drops, the listener reconnects
// (every 500 ms) and then calls the callback with 0, meaning "notifications
// may have been missed: pull from your last seq".
//
// Thread safety: construct/destroy from one thread; the destructor stops and
// joins the thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "store/errors.hpp"

namespace patrol::store {

class PgChangeListener {
 public:
  // Connects and LISTENs before returning (a commit after start() returned is
  // always notified); unavailable when the server cannot be reached.
  [[nodiscard]] static result<std::unique_ptr<PgChangeListener>> start(
      const std::string& conninfo, std::function<void(std::int64_t seq)> on_change);
  // The same on another channel (`patrol_sites`: the site caches, site_cache.hpp),
  // with `on_lost` called (on the listener's thread) when the connection is
  // found down: notifications may be missed from then until the reconnect's
  // on_change(0).
  [[nodiscard]] static result<std::unique_ptr<PgChangeListener>> start(
      const std::string& conninfo, std::string channel,
      std::function<void(std::int64_t seq)> on_change, std::function<void()> on_lost);
  ~PgChangeListener();
  PgChangeListener(const PgChangeListener&) = delete;
  PgChangeListener& operator=(const PgChangeListener&) = delete;

 private:
  PgChangeListener() = default;
  void loop();
  std::string conninfo_;
  std::string channel_ = "patrol_changes";
  std::function<void(std::int64_t)> on_change_;
  std::function<void()> on_lost_;
  void* conn_ = nullptr;  // PGconn*
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace patrol::store
