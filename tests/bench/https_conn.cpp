#include "https_conn.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace patrol::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

asio::ssl::context make_client_tls() {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);
  return ctx;
}

HttpRequest make_request(http::verb verb, const std::string& target, const std::string& token,
                         std::string body) {
  HttpRequest req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
  }
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

HttpResponse fetch_once(const std::string& host, unsigned short port, HttpRequest req) {
  asio::io_context ioc;
  auto tls = make_client_tls();
  Stream stream(ioc, tls);
  tcp::resolver resolver(ioc);
  beast::get_lowest_layer(stream).connect(resolver.resolve(host, std::to_string(port)));
  beast::get_lowest_layer(stream).socket().set_option(tcp::no_delay(true));
  stream.handshake(asio::ssl::stream_base::client);
  http::write(stream, req);
  beast::flat_buffer buf;
  HttpResponse res;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buf, parser);
  beast::error_code ec;
  stream.shutdown(ec);  // the peer may just close: not an error for a benchmark
  return parser.release();
}

asio::awaitable<void> async_connect(Stream& stream, const std::string& host, unsigned short port) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto eps = co_await resolver.async_resolve(host, std::to_string(port), asio::use_awaitable);
  co_await beast::get_lowest_layer(stream).async_connect(eps, asio::use_awaitable);
  beast::get_lowest_layer(stream).socket().set_option(tcp::no_delay(true));
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
}

asio::awaitable<HttpResponse> async_exchange(Stream& stream, const HttpRequest& req) {
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  co_await http::async_read(stream, buf, parser, asio::use_awaitable);
  co_return parser.release();
}

}  // namespace patrol::bench
