// libFuzzer target: an HTTP request head as it arrives from the network,
// through what patrold does with it before any handler runs — Beast's parser,
// then check_request_head (framing, method, Host, header size), the
// request-target and query decoding (to_api_request), the content-type
// policy, the WebSocket handshake check and the response builder. Every input
// must end in a request or a JSON error, never a crash, hang or bad read.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/http_util.hpp"

namespace http = boost::beast::http;
namespace net = patrol::net;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < size && !parser.is_done()) {
    const auto n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (ec == http::error::need_more) {
      ec = {};
      break;
    }
    if (ec || n == 0) break;
    used += n;
  }
  if (ec || !parser.is_header_done()) return 0;
  const auto& head = parser.get();
  if (auto bad = net::check_request_head(head, 16 * 1024)) {
    (void)net::to_beast_response(*bad, 11, false, "rid", false);
    return 0;
  }
  patrol::api::Request req;
  if (auto bad = net::to_api_request(head, "127.0.0.1:1", "rid", req)) return 0;
  for (const auto& [k, v] : req.query) (void)k.size(), (void)v.size();
  (void)net::check_content_type(req.method, req.path, req.header("content-type"),
                                !req.body.empty());
  (void)net::check_websocket_handshake(head);
  if (auto rid = req.header("x-request-id")) (void)net::request_id_for(*rid);
  return 0;
}
