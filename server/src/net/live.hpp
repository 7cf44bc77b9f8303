// The plug for the live feed: an authenticated WebSocket on /api/v1/live as
// seen by whoever publishes events. The net layer owns the socket; the live
// feed only sees this handle.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "domain/principal.hpp"

namespace patrol::net {

// Thread safety: every member may be called from any thread.
class LiveConnection {
 public:
  virtual ~LiveConnection() = default;
  virtual const domain::Principal& principal() const = 0;
  // Queues one text message (share one serialisation among all receivers).
  // Exactly one write is outstanding per connection; when the bounded queue
  // (--ws-send-queue) is full the consumer is too slow and is closed with
  // close code 1008 "send queue overflow". A non-empty `coalesce_key` replaces
  // a message with the same key still waiting in the queue (e.g. one
  // volunteer's positions: only the latest matters); the new one goes to the
  // back, so the order of what is sent is kept. Returns false once the
  // connection is closing or closed (the message is dropped).
  virtual bool send(std::shared_ptr<const std::string> message, std::string_view coalesce_key) = 0;
  bool send(std::shared_ptr<const std::string> message) { return send(std::move(message), {}); }
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
