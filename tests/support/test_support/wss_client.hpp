// A synchronous WebSocket-over-TLS client for tests (certificate checks off).
// Thread safety: one WssClient per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace patrol::test {

class WssClient {
 public:
  // Connects and performs the upgrade on `target` (e.g. "/api/v1/live" or
  // "/api/v1/live?access_token=T") with the extra request headers.
  // On success accepted() is true. When the server declines the upgrade,
  // accepted() is false and declined_status()/declined_body() tell why.
  // Transport failures throw std::runtime_error.
  WssClient(std::uint16_t port, std::string_view target,
            const std::vector<std::pair<std::string, std::string>>& headers = {},
            unsigned timeout_ms = 10000);
  ~WssClient();
  WssClient(const WssClient&) = delete;
  WssClient& operator=(const WssClient&) = delete;

  bool accepted() const;
  unsigned declined_status() const;
  const std::string& declined_body() const;

  // Next text message; nullopt when the connection closed (then close_code()
  // holds the peer's close code, 0 if none) or the timeout passed.
  std::optional<std::string> read(unsigned timeout_ms = 10000);
  void write(std::string_view text);
  // Sends a close frame and waits for the server's.
  void close();
  unsigned close_code() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace patrol::test
