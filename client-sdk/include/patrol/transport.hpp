// Transport: how the SDK talks HTTP. One blocking call, request -> response,
// so an app can plug in the platform's own HTTP stack (OkHttp, URLSession)
// and inherit its proxy, certificate and power settings. The SDK ships a
// default on Boost.Beast + OpenSSL (make_default_transport) that verifies the
// server certificate against the system CAs, can pin the server's public key,
// and accepts a self-signed certificate only when explicitly told to.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "patrol/result.hpp"

namespace patrol {

struct HttpRequest {
  std::string method;  // "GET", "POST", "PUT", "HEAD"
  std::string target;  // origin-relative, e.g. "/api/v1/sync/pull?cursor=3&limit=500"
  std::vector<std::pair<std::string, std::string>> headers;  // besides Host/Content-Length
  std::string body;
  // Whole-exchange deadline (connect + TLS + write + read).
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

struct HttpResponse {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // First header with this (lower-case) name.
  std::optional<std::string_view> header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return std::string_view(v);
    return std::nullopt;
  }
};

// Thread safety: the SDK calls send() from one thread at a time (its sync
// engine, or the caller of a blocking call, serialised by the SDK). An
// implementation need not be thread-safe, except for cancel() — unless it
// says otherwise through max_concurrent_sends().
class Transport {
 public:
  virtual ~Transport() = default;
  // Performs one exchange. Any HTTP status is a successful exchange (the SDK
  // interprets it); failure means no usable answer: connection refused/reset,
  // TLS failure, timeout, or a reply over the size limit. Return an Error with
  // code network (retryable) or protocol (e.g. oversized reply).
  virtual Result<HttpResponse> send(const HttpRequest& req) = 0;
  // Aborts an exchange in progress from another thread (best effort, may be a
  // no-op); used when the SDK shuts down.
  virtual void cancel() noexcept {}
  // How many send() calls the SDK may run at once, each from its own thread
  // (the implementation then uses one connection per call in progress). 1,
  // the default, keeps the contract above: one thread at a time. Only the
  // push of a backlog uses more (several batches in flight); every other
  // exchange is sent alone.
  virtual std::size_t max_concurrent_sends() const noexcept { return 1; }
};

struct TransportOptions {
  std::string server_url;  // "https://host:port" (no path); http:// is refused
  // Accept any server certificate (the demo's self-signed one). Off by default.
  bool insecure = false;
  // Pins: base64 or hex SHA-256 of the server certificate's SubjectPublicKeyInfo
  // (DER). When set, the server is trusted if its key matches one pin, whatever
  // signed its certificate (pinning is how an app trusts a self-signed server
  // without `insecure`).
  std::vector<std::string> spki_sha256_pins;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Largest response body accepted; bigger answers fail with code protocol.
  std::size_t max_response_bytes = 16u << 20;
  // Keep-alive connections held at most, one per exchange in progress
  // (max_concurrent_sends(); at least 1). A backlog is pushed on up to this
  // many at once: the server's per-request work then overlaps.
  std::size_t max_connections = 2;
};

// The default Beast/OpenSSL transport. Fails (invalid_argument) on a bad URL.
// Keeps up to max_connections keep-alive connections (one per send() in
// progress; send() is thread-safe up to that many callers) and reconnects one
// when it breaks.
Result<std::unique_ptr<Transport>> make_default_transport(const TransportOptions& opts);

}  // namespace patrol
