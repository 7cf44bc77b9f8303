#include "test_support/wss_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <stdexcept>

namespace patrol::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct WssClient::Impl {
  asio::io_context io;
  ssl::context tls{ssl::context::tls_client};
  std::unique_ptr<websocket::stream<beast::ssl_stream<beast::tcp_stream>>> ws;
  bool accepted = false;
  unsigned declined_status = 0;
  std::string declined_body;
  unsigned close_code = 0;
  beast::flat_buffer buffer;
};

WssClient::WssClient(std::uint16_t port, std::string_view target,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     unsigned timeout_ms)
    : impl_(std::make_unique<Impl>()) {
  auto& i = *impl_;
  i.tls.set_verify_mode(ssl::verify_none);
  i.ws = std::make_unique<websocket::stream<beast::ssl_stream<beast::tcp_stream>>>(i.io, i.tls);
  auto& tcp_stream = beast::get_lowest_layer(*i.ws);
  tcp_stream.expires_after(std::chrono::milliseconds(timeout_ms));
  beast::error_code ec;
  tcp_stream.socket().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) throw std::runtime_error("connect: " + ec.message());
  i.ws->next_layer().handshake(ssl::stream_base::client, ec);
  if (ec) throw std::runtime_error("TLS handshake: " + ec.message());
  i.ws->set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  websocket::response_type res;
  i.ws->handshake(res, "localhost", target, ec);
  if (ec) {
    if (res.result_int() != 0 && res.result_int() != 101) {
      // Declined: Beast read the response header; its body may still be in flight.
      i.declined_status = res.result_int();
      i.declined_body = res.body();
      if (i.declined_body.empty()) {
        // Read what the Content-Length promised from the raw TLS stream.
        std::size_t want = 0;
        if (auto it = res.find(beast::http::field::content_length); it != res.end())
          want = static_cast<std::size_t>(std::stoul(std::string(it->value())));
        std::string body;
        char buf[4096];
        while (body.size() < want) {
          const auto n = i.ws->next_layer().read_some(asio::buffer(buf), ec);
          if (ec) break;
          body.append(buf, n);
        }
        i.declined_body = body;
      }
      return;
    }
    throw std::runtime_error("websocket handshake: " + ec.message());
  }
  tcp_stream.expires_never();
  i.accepted = true;
}

WssClient::~WssClient() {
  if (impl_ && impl_->ws) {
    beast::error_code ec;  // a destructor must not throw: the error is ignored
    beast::get_lowest_layer(*impl_->ws).socket().close(ec);
  }
}

bool WssClient::accepted() const {
  return impl_->accepted;
}
unsigned WssClient::declined_status() const {
  return impl_->declined_status;
}
const std::string& WssClient::declined_body() const {
  return impl_->declined_body;
}
unsigned WssClient::close_code() const {
  return impl_->close_code;
}

std::optional<std::string> WssClient::read(unsigned timeout_ms) {
  auto& i = *impl_;
  if (!i.accepted) return std::nullopt;
  // Blocking reads ignore the stream's timer: run an async read for at most
  // timeout_ms (a timed-out read leaves the connection unusable: closed).
  beast::get_lowest_layer(*i.ws).expires_after(std::chrono::milliseconds(timeout_ms));
  beast::error_code ec = asio::error::would_block;
  i.buffer.consume(i.buffer.size());
  i.ws->async_read(i.buffer, [&ec](beast::error_code e, std::size_t) { ec = e; });
  i.io.restart();
  i.io.run();
  beast::get_lowest_layer(*i.ws).expires_never();
  if (ec) {
    i.close_code = i.ws->reason().code;
    return std::nullopt;
  }
  return beast::buffers_to_string(i.buffer.data());
}

void WssClient::write(std::string_view text) {
  auto& i = *impl_;
  i.ws->text(true);
  beast::get_lowest_layer(*i.ws).expires_after(std::chrono::seconds(10));
  i.ws->write(asio::buffer(text.data(), text.size()));
  beast::get_lowest_layer(*i.ws).expires_never();
}

void WssClient::close() {
  auto& i = *impl_;
  if (!i.accepted) return;
  beast::error_code ec;
  beast::get_lowest_layer(*i.ws).expires_after(std::chrono::seconds(5));
  i.ws->close(websocket::close_code::normal, ec);
}

}  // namespace patrol::test
