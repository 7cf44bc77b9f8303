#include "test_support/https_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>

namespace patrol::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::optional<std::string_view> HttpResponse::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return std::string_view(v);
  return std::nullopt;
}

struct HttpsClient::Impl {
  std::uint16_t port;
  HttpsClientOptions opt;
  asio::io_context io;
  ssl::context tls{ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  std::size_t connects = 0;

  Impl(std::uint16_t p, HttpsClientOptions o) : port(p), opt(std::move(o)) {
    tls.set_verify_mode(ssl::verify_none);
    SSL_CTX* native = tls.native_handle();
    if (opt.min_tls_version != 0 && opt.min_tls_version < TLS1_2_VERSION) {
      // Let the client offer TLS 1.0/1.1 so the test checks the server's refusal,
      // not our own library's defaults.
      SSL_CTX_set_security_level(native, 0);
      SSL_CTX_set_cipher_list(native, "ALL:@SECLEVEL=0");
    }
    if (opt.min_tls_version != 0) SSL_CTX_set_min_proto_version(native, opt.min_tls_version);
    if (opt.max_tls_version != 0) SSL_CTX_set_max_proto_version(native, opt.max_tls_version);
  }

  std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(opt.timeout_ms); }

  void connect() {
    close();
    stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, tls);
    buffer.clear();
    auto& tcp_stream = beast::get_lowest_layer(*stream);
    tcp_stream.expires_after(timeout());
    const tcp::endpoint ep(asio::ip::make_address(opt.host), port);
    beast::error_code ec;
    tcp_stream.socket().connect(ep, ec);
    if (ec)
      throw std::runtime_error("connect to " + opt.host + ":" + std::to_string(port) + ": " +
                               ec.message());
    tcp_stream.socket().set_option(tcp::no_delay(true), ec);
    SSL_set_tlsext_host_name(stream->native_handle(), "localhost");
    stream->handshake(ssl::stream_base::client, ec);
    if (ec) {
      close();
      throw std::runtime_error("TLS handshake: " + ec.message());
    }
    ++connects;
  }

  void close() {
    if (!stream) return;
    beast::error_code ec;
    beast::get_lowest_layer(*stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(*stream).close();
    stream.reset();
  }
};

HttpsClient::HttpsClient(std::uint16_t port, HttpsClientOptions options)
    : impl_(std::make_unique<Impl>(port, std::move(options))) {}
HttpsClient::~HttpsClient() = default;
HttpsClient::HttpsClient(HttpsClient&&) noexcept = default;
HttpsClient& HttpsClient::operator=(HttpsClient&&) noexcept = default;

std::size_t HttpsClient::connects() const {
  return impl_->connects;
}
void HttpsClient::connect() {
  impl_->connect();
}
bool HttpsClient::connected() const {
  return impl_->stream != nullptr;
}
void HttpsClient::close() {
  impl_->close();
}

std::string HttpsClient::tls_version() {
  if (!impl_->stream) impl_->connect();
  return SSL_get_version(impl_->stream->native_handle());
}

HttpResponse HttpsClient::request(std::string_view method, std::string_view target,
                                  std::string_view body, std::string_view content_type,
                                  const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  if (req.method() == http::verb::unknown) req.method_string(method);
  req.set(http::field::host, "localhost");
  req.set(http::field::user_agent, "patrol-test");
  if (!bearer_.empty()) req.set(http::field::authorization, "Bearer " + bearer_);
  if (!body.empty() && !content_type.empty()) req.set(http::field::content_type, content_type);
  for (const auto& [k, v] : headers) req.insert(k, v);
  req.body() = std::string(body);
  req.keep_alive(true);
  req.prepare_payload();

  for (int attempt = 0;; ++attempt) {
    const bool reused = impl_->stream != nullptr;
    if (!reused) impl_->connect();
    auto& stream = *impl_->stream;
    beast::get_lowest_layer(stream).expires_after(impl_->timeout());
    beast::error_code ec;
    http::write(stream, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1024ull * 1024 * 1024);
    if (req.method() == http::verb::head) parser.skip(true);
    if (!ec) http::read(stream, impl_->buffer, parser, ec);
    if (ec) {
      impl_->close();
      if (reused && attempt == 0 && !parser.got_some())
        continue;  // server closed an idle connection
      throw std::runtime_error(std::string(method) + " " + std::string(target) + ": " +
                               ec.message());
    }
    auto res = parser.release();
    HttpResponse out;
    out.status = res.result_int();
    out.keep_alive = res.keep_alive();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    out.body = std::move(res.body());
    if (!out.keep_alive) impl_->close();
    return out;
  }
}

struct RawConnection::Impl {
  asio::io_context io;
  ssl::context tls{ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  bool use_tls = true;
};

RawConnection::RawConnection(std::uint16_t port, bool tls) : impl_(std::make_unique<Impl>()) {
  impl_->use_tls = tls;
  impl_->tls.set_verify_mode(ssl::verify_none);
  impl_->stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(impl_->io, impl_->tls);
  auto& tcp_stream = beast::get_lowest_layer(*impl_->stream);
  tcp_stream.expires_after(std::chrono::seconds(10));
  beast::error_code ec;
  tcp_stream.socket().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) throw std::runtime_error("connect: " + ec.message());
  tcp_stream.socket().set_option(tcp::no_delay(true), ec);
  if (tls) {
    impl_->stream->handshake(ssl::stream_base::client, ec);
    if (ec) throw std::runtime_error("TLS handshake: " + ec.message());
  }
}

RawConnection::~RawConnection() = default;

bool RawConnection::write(std::string_view bytes, std::string* error) {
  beast::error_code ec;
  auto& tcp_stream = beast::get_lowest_layer(*impl_->stream);
  tcp_stream.expires_after(std::chrono::seconds(30));
  if (impl_->use_tls)
    asio::write(*impl_->stream, asio::buffer(bytes.data(), bytes.size()), ec);
  else
    asio::write(tcp_stream, asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec && error) *error = ec.message();
  return !ec;
}

RawConnection::Received RawConnection::read_until_close(unsigned timeout_ms) {
  Received out;
  auto& tcp_stream = beast::get_lowest_layer(*impl_->stream);
  tcp_stream.expires_after(std::chrono::milliseconds(timeout_ms));
  char buf[16384];
  for (;;) {
    beast::error_code ec;
    const std::size_t n = impl_->use_tls ? impl_->stream->read_some(asio::buffer(buf), ec)
                                         : tcp_stream.read_some(asio::buffer(buf), ec);
    out.data.append(buf, n);
    if (!ec) continue;
    out.error = ec.message();
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated)
      out.end = End::eof;
    else if (ec == asio::error::connection_reset)
      out.end = End::reset;
    else if (ec == beast::error::timeout)
      out.end = End::timeout;
    else
      out.end = End::other;
    return out;
  }
}

std::string login(HttpsClient& client, std::string_view phone, std::string_view password,
                  std::string_view device_id) {
  boost::json::object o;
  o["phone"] = phone;
  o["password"] = password;
  o["device_id"] = device_id;
  auto res = client.post_json("/api/v1/auth/login", boost::json::serialize(o));
  if (res.status != 200)
    throw std::runtime_error("login " + std::string(phone) + ": " + std::to_string(res.status) +
                             " " + res.body);
  auto v = boost::json::parse(res.body);
  return std::string(v.at("token").as_string());
}

HttpsClient client_as(std::uint16_t port, std::string_view phone) {
  HttpsClient c(port);
  c.set_bearer(login(c, phone));
  return c;
}

std::string error_field(const HttpResponse& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  const auto* err = !ec && v.is_object() ? v.as_object().if_contains("error") : nullptr;
  const auto* field = err && err->is_object() ? err->as_object().if_contains("field") : nullptr;
  return field && field->is_string() ? std::string(field->get_string()) : std::string("<none>");
}

std::string error_code_of(std::string_view body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  const auto* err = !ec && v.is_object() ? v.as_object().if_contains("error") : nullptr;
  const auto* code = err && err->is_object() ? err->as_object().if_contains("code") : nullptr;
  return code && code->is_string() ? std::string(code->get_string()) : "(not a JSON error)";
}

LoggedIn::LoggedIn(std::uint16_t port, std::string_view phone_, std::string_view device_id,
                   std::string_view password)
    : client(port), phone(phone_) {
  token = login(client, phone, password, device_id);
  client.set_bearer(token);
  auto res = client.get("/api/v1/me");
  if (res.status != 200)
    throw std::runtime_error("GET /api/v1/me as " + phone + ": " + std::to_string(res.status) +
                             " " + res.body);
  auto me = boost::json::parse(res.body).as_object();
  auto text = [&](std::string_view k) {
    const auto* x = me.if_contains(k);
    return x && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  id = text("id");
  org_unit_id = text("org_unit_id");
  org_path = text("org_path");
}

}  // namespace patrol::test
