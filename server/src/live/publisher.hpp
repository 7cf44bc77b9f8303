// patrol::live::Publisher — the live feed of /api/v1/live.
//
// Events are made from what was COMMITTED, never from a request: after every
// group commit the store's writer calls committed(); the publisher's own thread
// then tails the change log (hazard, round, sos), the inspections and the
// positions (reduced to each volunteer's latest marker) by sequence number
// through store::LiveStore, serialises every event once and fans it out to the
// subscribed connections whose node contains the event's org path. A second
// node could publish the same events from the same database. While nobody is
// subscribed it reads the tails only every idle_tail_interval and leaves the
// events unserialised (their text is made when a replay needs it); a
// subscribe request first has it read what it deferred.
//
// Protocol (DESIGN.md "Wire contract v1, part 2"): the client sends
// {"type":"subscribe","org_unit_id":"21","since":SEQ?}. Without `since` (or
// when `since` is older than the in-memory ring of recent events) it gets a
// snapshot {"type":"snapshot",...,"reset":true?} and then events
// {"type":"event","seq","kind","data"} with seq strictly increasing; with a
// `since` the ring still covers, {"type":"subscribed",…} and the events after
// `since` (no gap, no duplicate), then live ones. A node outside the caller's
// subtree (or unknown) is answered {"type":"error","error":{"code":"forbidden",
// "field":"org_unit_id",…}} and nothing of it is sent.
//
// Sequence numbers: when the store numbers events (LiveCursors::events,
// PostgreSQL: the same numbers on every node) they are the store's, so a
// viewer that reconnects to another node with `since` gets the events it
// missed there (if that node's ring covers them); this node's presence
// events take free numbers between them. Otherwise (SQLite) they are this
// process's: they start at the start time in microseconds, so a `since` from
// before a restart is always older than the ring and gets a fresh snapshot
// with reset (never a silent gap).
//
// Presence: a user is online while a device of theirs synced or sent a
// position within `presence_window`; `presence` events on every change.
// Sessions: a logout (session_ended) or an expired token closes the socket
// with close code 4001; sessions are also re-checked against the store every
// `revalidate_interval`.
//
// Never blocks ingest: committed() only sets a flag; the fan-out only queues
// shared text on each connection (bounded there: a too-slow consumer is closed
// by the transport with 1008 "send queue overflow"; positions of one user
// coalesce to the latest in a connection's queue).
//
// Thread safety: all public members are thread-safe. Lifecycle: start() once;
// stop() after the Server has stopped (it joins only the publisher's own
// threads); the Store and the Api outlive the Publisher (main.cpp's order).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "api/observer.hpp"
#include "metrics/metrics.hpp"
#include "net/live.hpp"
#include "store/live_store.hpp"
#include "store/store.hpp"

namespace patrol::live {

struct PublisherOptions {
  std::chrono::milliseconds presence_window{std::chrono::minutes(5)};
  std::size_t ring_events = 16384;                 // recent events kept for `since`
  int tail_limit = 2000;                           // rows per tail per read
  std::chrono::milliseconds sweep_interval{1000};  // presence and token expiry checks
  std::chrono::milliseconds revalidate_interval{std::chrono::minutes(1)};
  std::chrono::milliseconds snapshot_reuse{1000};  // share one snapshot read this long
  // While nobody is subscribed (nor subscribing), committed rows are read at
  // most this often, in one go, and left unserialised in the ring until a
  // replay needs them: ingest on a node nobody watches pays almost nothing.
  // A subscribe request first reads what was deferred (so `since` and the
  // snapshot's seq are exact, as ever).
  std::chrono::milliseconds idle_tail_interval{1000};
  std::size_t snapshot_threads = 2;
  // Longest catch-up (events after `since` or after a snapshot) sent to one
  // connection at once; longer gets a (reset) snapshot. Keep it well under
  // --ws-send-queue.
  std::size_t replay_max = 1024;
  // Where the feed reports subscribers and events published (/metrics); the
  // transport reports the rest (coalesced, dropped, slow consumers, queue
  // depth, commit-to-send). Not owned; outlives the Publisher. May be null.
  metrics::Metrics* metrics = nullptr;
};

struct PublisherStats {
  std::size_t connections = 0;  // open live connections
  std::size_t subscribed = 0;
  std::int64_t seq = 0;          // last event seq
  std::uint64_t events = 0;      // events published
  std::uint64_t deliveries = 0;  // messages queued on connections
};

class Publisher final : public api::ApiObserver {
 public:
  Publisher(store::Store& store, store::LiveStore& live, PublisherOptions opts = {});
  ~Publisher() override;
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Reads the tails' current ends (events start after them) and starts the
  // publisher thread. Fails when the store cannot be read.
  [[nodiscard]] store::result<void> start();
  // Joins the threads; idempotent. Connections are left to the transport.
  void stop();

  // The callbacks to install in the transport (net::Server::create).
  net::LiveHooks hooks();

  // api::ApiObserver
  void committed() noexcept override;
  void session_ended(std::string_view token_hash) noexcept override;
  void device_active(const domain::Principal& who, std::int64_t at_ms) noexcept override;

  PublisherStats stats() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace patrol::live
