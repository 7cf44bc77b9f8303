// The HTTPS session (internal to patrol_net): TLS handshake, then HTTP/1.1
// keep-alive requests handed to the Api on the worker pool, limits enforced,
// /api/v1/live upgraded to a WebSocket session.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/server_context.hpp"

namespace patrol::net {

// Serves one accepted connection on its socket's executor (a strand), counted
// by `guard` (ConnectionGuard::try_create) for its whole life. Returns at once.
void start_http_session(std::shared_ptr<ServerContext> ctx, boost::asio::ip::tcp::socket socket,
                        std::unique_ptr<ConnectionGuard> guard);

// At --max-connections (503) or the address's --max-connections-per-ip
// (per_address: 429): completes the TLS handshake, answers the JSON error with
// Connection: close and closes without a reset. Returns at once.
void start_refusal(const std::shared_ptr<ServerContext>& ctx, boost::asio::ip::tcp::socket socket,
                   bool per_address = false);

}  // namespace patrol::net
