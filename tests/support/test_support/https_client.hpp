// A small synchronous HTTPS/1.1 client for tests and benchmarks: keep-alive,
// certificate checks off (patrold's certificate is self-signed), real TLS.
//
// Thread safety: one HttpsClient per thread (it owns one connection).
// Failure: transport errors throw std::runtime_error with what happened;
// every HTTP status (4xx, 5xx included) is a normal HttpResponse.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace patrol::test {

struct HttpResponse {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string body;
  bool keep_alive = true;  // false when the server said Connection: close

  // First header with this lower-case name.
  std::optional<std::string_view> header(std::string_view lower_name) const;
};

struct HttpsClientOptions {
  std::string host = "127.0.0.1";
  // TLS versions the client offers (OpenSSL constants, e.g. TLS1_2_VERSION);
  // 0 = library default. Old versions are enabled at security level 0 so a
  // test can check that the *server* refuses them.
  int min_tls_version = 0;
  int max_tls_version = 0;
  unsigned timeout_ms = 30000;  // per request (connect + write + read)
};

class HttpsClient {
 public:
  explicit HttpsClient(std::uint16_t port, HttpsClientOptions options = {});
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;
  HttpsClient(HttpsClient&&) noexcept;
  HttpsClient& operator=(HttpsClient&&) noexcept;

  // Sends one request on the kept-alive connection (connecting first if there
  // is none). If a reused connection turns out closed by the server before any
  // response byte, reconnects once and resends (like browsers do).
  // `headers` are sent as given; Content-Type is added when content_type is
  // non-empty and the body is non-empty; Authorization when set_bearer() was called.
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       std::string_view content_type = "application/json",
                       const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResponse get(std::string_view target) { return request("GET", target); }
  HttpResponse post_json(std::string_view target, std::string_view json) {
    return request("POST", target, json, "application/json");
  }

  void set_bearer(std::string token) { bearer_ = std::move(token); }
  // Connections opened so far (a keep-alive check: stays 1 across requests).
  std::size_t connects() const;
  // Negotiated protocol of the current connection, e.g. "TLSv1.3"; connects if needed.
  std::string tls_version();
  // Connects (TCP + TLS handshake) now; throws if the handshake fails.
  void connect();
  bool connected() const;
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string bearer_;
};

// A bare connection for tests of misbehaving peers: raw bytes over TLS (or
// plain TCP without the handshake), and how the server ended it.
class RawConnection {
 public:
  enum class End { eof, reset, timeout, other };
  struct Received {
    std::string data;  // everything read before the end
    End end = End::other;
    std::string error;  // the error text behind `end`
  };
  // Connects to 127.0.0.1:port; handshakes TLS when tls is true. Throws on failure.
  explicit RawConnection(std::uint16_t port, bool tls = true);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  // Writes all bytes; false (with the reason in *error) if the peer is gone.
  bool write(std::string_view bytes, std::string* error = nullptr);
  // Reads until the peer closes the connection or timeout_ms pass.
  Received read_until_close(unsigned timeout_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// POST /api/v1/auth/login with the demo password; returns the token. Throws
// std::runtime_error (with the response body) unless the answer is 200.
std::string login(HttpsClient& client, std::string_view phone,
                  std::string_view password = "patrol-demo",
                  std::string_view device_id = "test-device");

// A client on its own connection, logged in as `phone` (login() above) with
// the bearer set. Throws as login() does.
HttpsClient client_as(std::uint16_t port, std::string_view phone);

// The `error.field` of a JSON error answer, or "<none>" when the body is no
// JSON error (for "status and field" checks).
std::string error_field(const HttpResponse& r);

// The `error.code` of a JSON error body, or "(not a JSON error)".
std::string error_code_of(std::string_view body);

// A user logged in (login() above) on its own kept-alive connection, the
// bearer set, with who they are from GET /api/v1/me. Throws as login() does,
// and std::runtime_error when /me does not answer 200.
struct LoggedIn {
  LoggedIn(std::uint16_t port, std::string_view phone, std::string_view device_id = "test-device",
           std::string_view password = "patrol-demo");
  HttpsClient client;
  std::string phone;
  std::string token;
  std::string id;
  std::string org_unit_id;
  std::string org_path;
};

}  // namespace patrol::test
