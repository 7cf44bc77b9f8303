// The WebSocket session on /api/v1/live (internal to patrol_net). Only
// ws_session.cpp instantiates websocket::stream, so the HTTP session file does
// not pay for it.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>

#include "domain/principal.hpp"
#include "net/http_util.hpp"
#include "net/server_context.hpp"

namespace patrol::net {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Takes over an upgraded connection: accepts the handshake for `upgrade`,
// sends {"type":"hello","user":{...}}, then reads until closed. Runs on the
// stream's strand; returns immediately (the session owns itself).
void start_websocket_session(std::shared_ptr<ServerContext> ctx, TlsStream stream,
                             BeastRequest upgrade, domain::Principal who,
                             std::unique_ptr<ConnectionGuard> guard, std::string request_id);

}  // namespace patrol::net
