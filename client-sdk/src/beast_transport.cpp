// The default Transport: HTTPS/1.1 over Boost.Beast + OpenSSL with a few
// keep-alive connections (one per exchange in progress, see TransportOptions). The only SDK file
// that sees Asio, so the core stays portable and cheap to compile; apps that bring their own HTTP
// stack may leave this file (and patrol_asio) out of their build.
//
// Each exchange runs the private io_context in short slices so that cancel()
// from another thread (SDK shutdown) takes effect within ~100 ms, and every
// step gets the remaining time of the request's deadline.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "patrol/transport.hpp"

namespace patrol {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string hex(const unsigned char* p, unsigned n) {
  static constexpr char k[] = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += k[p[i] >> 4];
    s += k[p[i] & 0xf];
  }
  return s;
}

std::string base64(const unsigned char* p, unsigned n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// One keep-alive connection and the io_context that drives it; used by one
// send() at a time (BeastTransport hands it out).
class Conn {
 public:
  Conn(const TransportOptions& opts, const std::string& host, const std::string& port,
       ssl::context& ctx, const std::atomic<bool>& cancelled)
      : opts_(opts), host_(host), port_(port), ctx_(ctx), cancelled_(cancelled) {}

  Result<HttpResponse> send(const HttpRequest& req) {
    if (cancelled_) return make_error(ErrorCode::network, "transport shut down", true);
    const bool reused = stream_.has_value();
    auto r = attempt(req);
    // A kept-alive connection the server closed meanwhile fails at once; one
    // fresh connection is the right retry (requests are idempotent by op id).
    if (!r && reused && !cancelled_ && r.error().code == ErrorCode::network) {
      close();
      r = attempt(req);
    }
    return r;
  }

 private:
  using Stream = beast::ssl_stream<beast::tcp_stream>;

  // Runs the io_context until `done`, honouring cancel() and the deadline.
  template <class Done>
  void run_until(Done&& done) {
    ioc_.restart();
    while (!done()) {
      ioc_.run_for(milliseconds(100));
      if (cancelled_ && stream_ && !done()) {
        boost::system::error_code ec;
        beast::get_lowest_layer(*stream_).socket().cancel(ec);
        beast::get_lowest_layer(*stream_).socket().close(ec);
      }
      if (ioc_.stopped() && !done()) ioc_.restart();
    }
  }

  Error net_error(std::string_view step, const boost::system::error_code& ec) {
    close();
    if (cancelled_) return make_error(ErrorCode::network, "request cancelled", true);
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == asio::ssl::error::stream_truncated)
      return make_error(ErrorCode::network,
                        std::string(step) +
                            ": the server closed the connection without a "
                            "complete answer (" +
                            ec.message() + ")",
                        true);
    if (ec == beast::error::timeout)
      return make_error(ErrorCode::network, std::string(step) + ": timed out", true);
    if (ec == http::error::body_limit || ec == http::error::header_limit ||
        ec == http::error::buffer_overflow)
      return make_error(ErrorCode::protocol,
                        std::string(step) + ": server reply too large (" + ec.message() + ")",
                        true);
    if (ec.category() == http::make_error_code(http::error::bad_version).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message)
      return make_error(ErrorCode::protocol,
                        std::string(step) + ": malformed HTTP reply (" + ec.message() + ")", true);
    return make_error(ErrorCode::network,
                      std::string(step) + " " + host_ + ":" + port_ + ": " + ec.message(), true);
  }

  void close() {
    if (stream_) {
      boost::system::error_code ec;
      beast::get_lowest_layer(*stream_).socket().close(ec);
    }
    stream_.reset();
    buffer_.clear();
  }

  Result<void> connect(std::chrono::steady_clock::time_point deadline) {
    stream_.emplace(ioc_, ctx_);
    if (!SSL_set_tlsext_host_name(stream_->native_handle(), host_.c_str())) {
      // An IP literal: no SNI, which is fine.
    }
    if (!opts_.insecure && opts_.spki_sha256_pins.empty())
      stream_->set_verify_callback(ssl::host_name_verification(host_));
    boost::system::error_code ec;
    bool done = false;
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type results;
    resolver.async_resolve(host_, port_,
                           [&](boost::system::error_code e, tcp::resolver::results_type rs) {
                             ec = e;
                             results = std::move(rs);
                             done = true;
                           });
    run_until([&] { return done; });
    if (ec) return net_error("resolve", ec);
    auto& tcp_stream = beast::get_lowest_layer(*stream_);
    tcp_stream.expires_at(
        std::min(deadline, std::chrono::steady_clock::now() + opts_.connect_timeout));
    done = false;
    tcp_stream.async_connect(results, [&](boost::system::error_code e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    run_until([&] { return done; });
    if (ec) return net_error("connect", ec);
    tcp_stream.socket().set_option(tcp::no_delay(true), ec);
    done = false;
    stream_->async_handshake(ssl::stream_base::client, [&](boost::system::error_code e) {
      ec = e;
      done = true;
    });
    run_until([&] { return done; });
    if (ec) {
      auto e = net_error("TLS handshake", ec);
      // A certificate the server cannot prove does not fix itself: the app is
      // told and nothing is retried until it acts. A handshake a flaky network
      // cut short (reset, truncated stream) is an ordinary network failure.
      if (ec.category() == boost::asio::error::get_ssl_category() &&
          ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED)
        e.retryable = false;
      return e;
    }
    if (!opts_.spki_sha256_pins.empty()) {
      if (auto st = check_pins(); !st) {
        close();
        return st;
      }
    }
    return {};
  }

  Result<void> check_pins() {
    X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
    if (!cert) return make_error(ErrorCode::network, "server sent no certificate");
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
    X509_free(cert);
    if (len <= 0) return make_error(ErrorCode::network, "cannot read server public key");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_Digest(der, static_cast<std::size_t>(len), md, &mdlen, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    const std::string h = hex(md, mdlen);
    const std::string b = base64(md, mdlen);
    for (const auto& pin : opts_.spki_sha256_pins) {
      std::string p = pin;
      if (p.rfind("sha256/", 0) == 0) p = p.substr(7);
      if (lower(p) == h || p == b) return {};
    }
    return make_error(ErrorCode::network,
                      "server public key does not match the pinned key (got sha256/" + b + ")",
                      false);
  }

  Result<HttpResponse> attempt(const HttpRequest& req) {
    const auto deadline = std::chrono::steady_clock::now() + req.timeout;
    if (!stream_) {
      if (auto st = connect(deadline); !st) return st.error();
    }
    http::request<http::string_body> hr;
    hr.method_string(req.method);
    hr.target(req.target);
    hr.version(11);
    hr.set(http::field::host, host_ + ":" + port_);
    hr.set(http::field::user_agent, "patrol-sdk/0.1");
    for (const auto& [k, v] : req.headers) hr.set(k, v);
    hr.body() = req.body;
    hr.prepare_payload();
    if (req.method == "HEAD" || req.method == "GET") {
      if (req.body.empty()) hr.erase(http::field::content_length);
    }
    auto& tcp_stream = beast::get_lowest_layer(*stream_);
    tcp_stream.expires_at(deadline);
    boost::system::error_code ec;
    bool done = false;
    http::async_write(*stream_, hr, [&](boost::system::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    run_until([&] { return done; });
    if (ec) return net_error("send request", ec);

    http::response_parser<http::string_body> parser;
    parser.body_limit(opts_.max_response_bytes);
    parser.header_limit(64 * 1024);
    if (req.method == "HEAD") parser.skip(true);
    done = false;
    http::async_read(*stream_, buffer_, parser, [&](boost::system::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    run_until([&] { return done; });
    if (ec) return net_error("read reply", ec);
    auto res = parser.release();
    HttpResponse out;
    out.status = res.result_int();
    for (const auto& f : res)
      out.headers.emplace_back(lower(std::string(f.name_string())), std::string(f.value()));
    out.body = std::move(res.body());
    if (!res.keep_alive()) close();
    return out;
  }

  const TransportOptions& opts_;
  const std::string& host_;
  const std::string& port_;
  ssl::context& ctx_;
  const std::atomic<bool>& cancelled_;
  asio::io_context ioc_;
  std::optional<Stream> stream_;
  beast::flat_buffer buffer_;
};

class BeastTransport final : public Transport {
 public:
  BeastTransport(TransportOptions opts, std::string host, std::string port)
      : opts_(std::move(opts)),
        host_(std::move(host)),
        port_(std::move(port)),
        ctx_(ssl::context::tls_client) {
    opts_.max_connections = std::max<std::size_t>(1, opts_.max_connections);
    ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (opts_.insecure || !opts_.spki_sha256_pins.empty()) {
      // insecure: the demo's self-signed certificate. Pins: trust is the key
      // match checked after the handshake, not the issuer.
      ctx_.set_verify_mode(ssl::verify_none);
    } else {
      boost::system::error_code ec;
      ctx_.set_default_verify_paths(ec);
      ctx_.set_verify_mode(ssl::verify_peer);
    }
  }

  // Sticky: the SDK cancels only when shutting down, so every later send fails
  // at once too (no race between a cancel and the start of the next send).
  void cancel() noexcept override { cancelled_ = true; }

  std::size_t max_concurrent_sends() const noexcept override { return opts_.max_connections; }

  // Thread-safe for up to max_connections callers: each takes an idle
  // connection (the most recently used, so a lone caller keeps reusing one),
  // or makes a new one while fewer than max_connections exist.
  Result<HttpResponse> send(const HttpRequest& req) override {
    std::unique_ptr<Conn> conn;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return !idle_.empty() || open_ < opts_.max_connections; });
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;
      }
    }
    if (!conn) conn = std::make_unique<Conn>(opts_, host_, port_, ctx_, cancelled_);
    auto r = conn->send(req);
    {
      std::lock_guard lk(mu_);
      idle_.push_back(std::move(conn));
    }
    cv_.notify_one();
    return r;
  }

 private:
  TransportOptions opts_;
  std::string host_;
  std::string port_;
  ssl::context ctx_;  // shared by the connections (an SSL_CTX is thread-safe to use)
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;  // guarded by mu_
  std::size_t open_ = 0;                     // connections made (idle or in use); guarded by mu_
};

}  // namespace

Result<std::unique_ptr<Transport>> make_default_transport(const TransportOptions& opts) {
  auto u = boost::urls::parse_absolute_uri(opts.server_url);
  if (!u)
    return make_error(ErrorCode::invalid_argument, "bad server URL '" + opts.server_url + "'");
  if (lower(std::string(u->scheme())) != "https")
    return make_error(ErrorCode::invalid_argument,
                      "server URL must start with https:// (got '" + opts.server_url + "')");
  std::string host(u->host_address());
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return make_error(ErrorCode::invalid_argument, "server URL has no host");
  std::string port = u->has_port() ? std::string(u->port()) : "443";
  return std::unique_ptr<Transport>(new BeastTransport(opts, host, port));
}

}  // namespace patrol
