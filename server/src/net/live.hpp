// The plug for the live feed: an authenticated WebSocket on /api/v1/live as
// seen by whoever publishes events. The net layer owns the socket; the live
// feed only sees this handle.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "domain/principal.hpp"

namespace patrol::net {

// One message for the live feed, built once and shared by every connection
// it goes to (the fan-out copies a pointer, never the text). The text lives
// in the message: one allocation per event (make_shared), not two.
struct LiveMessage {
  std::string text;
  // Non-empty: replaces a message with the same key still waiting in a
  // connection's queue (one volunteer's positions: only the latest matters).
  std::string coalesce_key;
  // When the change it reports was committed (steady clock), for the
  // commit-to-send histogram in /metrics; default (epoch): not an event.
  std::chrono::steady_clock::time_point committed{};
};
using LiveMessagePtr = std::shared_ptr<const LiveMessage>;

// Thread safety: every member may be called from any thread.
class LiveConnection {
 public:
  virtual ~LiveConnection() = default;
  virtual const domain::Principal& principal() const = 0;
  // Queues one message. Exactly one write is outstanding per connection; when
  // the bounded queue (--ws-send-queue) is full, or its oldest message waited
  // longer than --ws-slow-after, the consumer is too slow and is closed with
  // close code 1008 "send queue overflow". A message with a coalesce_key
  // replaces one with the same key still waiting; the new one goes to the
  // back, so the order of what is sent is kept. Returns false once the
  // connection is closing or closed (the message is dropped). Cheap: it
  // appends to a batch of the connection's I/O thread, so one event sent to
  // thousands of connections costs one post per I/O thread, not one each.
  virtual bool send(LiveMessagePtr message) = 0;
  // A copy of `text` in a message of its own (tests; the feed sends messages).
  bool send(const std::shared_ptr<const std::string>& text, std::string_view coalesce_key = {}) {
    return send(
        std::make_shared<const LiveMessage>(LiveMessage{*text, std::string(coalesce_key), {}}));
  }
  // Starts a clean close (close frame with `code`, 1000 normal by default).
  virtual void close(unsigned short code = 1000, std::string_view reason = {}) = 0;
};

// Optional callbacks for the live feed; each is called on the connection's
// strand (an I/O thread): keep them short and non-blocking.
struct LiveHooks {
  // After the handshake and the hello message were queued.
  std::function<void(const std::shared_ptr<LiveConnection>&)> opened;
  // A text message from the client that the net layer does not answer itself
  // (it answers {"type":"ping"} with {"type":"pong"}).
  std::function<void(const std::shared_ptr<LiveConnection>&, std::string_view)> message;
  // Once, when the connection is gone (also when a forced stop tears it down).
  // Drop every shared_ptr to this connection here at the latest: a handle must
  // not outlive the Server, since it owns a socket of the Server's io_context.
  std::function<void(const LiveConnection&)> closed;
};

}  // namespace patrol::net
