// A minimal keep-alive HTTPS connection for the benchmarks (certificate checks
// off: patrold's demo certificate is self-signed). Synchronous for setup work,
// asynchronous (C++20 coroutines) for the load loops.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <string>

namespace patrol::bench {

using Stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

boost::asio::ssl::context make_client_tls();

HttpRequest make_request(boost::beast::http::verb verb, const std::string& target,
                         const std::string& token, std::string body);

// Blocking: connect + handshake, one request, returns the response (throws on failure).
HttpResponse fetch_once(const std::string& host, unsigned short port, HttpRequest req);

// Async: connect + TLS handshake on an existing stream.
boost::asio::awaitable<void> async_connect(Stream& stream, const std::string& host,
                                           unsigned short port);
// Async: one request/response exchange on a connected stream.
boost::asio::awaitable<HttpResponse> async_exchange(Stream& stream, const HttpRequest& req);

}  // namespace patrol::bench
