// The HTTPS session (internal to patrol_net): TLS handshake, then HTTP/1.1
// keep-alive requests handed to the Api on the worker pool, limits enforced,
// /api/v1/live upgraded to a WebSocket session.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/server_context.hpp"

namespace patrol::net {

// Serves one accepted connection on its socket's executor (a strand). Returns at once.
void start_http_session(std::shared_ptr<ServerContext> ctx, boost::asio::ip::tcp::socket socket);

// At --max-connections: completes the TLS handshake, answers a JSON 503 with
// Connection: close and closes without a reset. Returns at once.
void start_refusal(const std::shared_ptr<ServerContext>& ctx, boost::asio::ip::tcp::socket socket);

}  // namespace patrol::net
