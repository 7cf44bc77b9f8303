// BadServer: a deliberately broken HTTPS server on 127.0.0.1 (real TLS, a
// fresh self-signed ECDSA certificate) whose answers a test scripts byte for
// byte: garbage bodies, wrong statuses, oversized replies, wrong shapes, or
// no answer at all. It shows how the SDK copes with what patrold never sends.
//
// Thread safety: set_handler() may be called while serving.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace patrol::test {

struct RawRequest {
  std::string method;
  std::string target;
  std::string body;
};

class BadServer {
 public:
  // The handler returns the raw bytes written after the TLS handshake (status
  // line, headers, body); an empty string closes the connection unanswered.
  using Handler = std::function<std::string(const RawRequest&)>;
  BadServer();
  ~BadServer();
  std::uint16_t port() const { return port_; }
  void set_handler(Handler h);
  int requests() const { return requests_; }

  // A well-formed HTTP/1.1 response (Connection: close).
  static std::string response(unsigned status, const std::string& body,
                              const std::string& content_type = "application/json");

 private:
  void loop();
  void serve(int fd);
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  void* ctx_ = nullptr;  // SSL_CTX*
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  Handler handler_;
  std::thread thread_;
};

}  // namespace patrol::test
