// WsTlsStream: the TLS stream a live WebSocket runs on once upgraded (internal
// to patrol_net; only ws_session.cpp uses it).
//
// Why not keep Beast's ssl_stream: asio's ssl::stream puts a BIO pair between
// OpenSSL and the socket, with two 17 KiB staging vectors (written at
// construction) and two 17 KiB BIO buffers per connection, and copies every
// record twice. A viewer sits idle for hours and 10,000 of them watch one
// village, so that is most of a connection's memory and a good part of its
// send cost. Here OpenSSL reads and writes the socket itself (a BIO of ours
// that uses recv/send with MSG_NOSIGNAL); with SSL_MODE_RELEASE_BUFFERS an idle
// connection holds no record buffer at all. Readiness comes from the socket's
// async_wait, so it still runs on the io_context and the connection's strand.
//
// Model: AsyncReadStream + AsyncWriteStream for beast::websocket::stream. One
// read and one write may be outstanding at once (Beast's rule), both on the
// stream's executor (a strand): OpenSSL is never entered concurrently.
// Completion handlers are never invoked from inside the initiating call.
// Once the socket is closed (timeout, stop) every operation fails with
// operation_aborted: OpenSSL is not called on a closed (maybe reused) fd.
//
// Direct writes: the session also writes its data frames itself, several
// queued messages in one TLS record and one send (try_write, then
// async_write_all for what the socket did not take), while Beast writes its
// control frames (ping, pong, close) through async_write_some. Writes never
// interleave: a write that has to wait for the socket holds the stream's
// write side until it is done, and any other write (Beast's or the
// session's) waits for it (then goes on, in the order they came). Beast's
// control frames are one async_write_some each, so whole frames alternate.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/append.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace patrol::net {

class WsTlsStream {
 public:
  using executor_type = boost::asio::any_io_executor;
  using next_layer_type = boost::asio::ip::tcp::socket;

  // Takes the TLS connection out of an asio/Beast ssl_stream whose handshake
  // is done and whose last operation completed (nothing in flight), and runs
  // it on `ex` from now on (the socket is re-registered there: the live feed
  // puts many WebSockets on one strand per I/O thread). Fails (std::nullopt,
  // `why` set) when bytes are still buffered between OpenSSL and the socket:
  // a client may not send frames before the 101 response.
  static std::optional<WsTlsStream> take_over(
      boost::beast::ssl_stream<boost::beast::tcp_stream>&& from, const executor_type& ex,
      std::string& why);

  // Moved only before any operation was started (take_over).
  WsTlsStream(WsTlsStream&& o) noexcept : socket_(std::move(o.socket_)), ssl_(o.ssl_) {
    o.ssl_ = nullptr;
  }
  WsTlsStream& operator=(WsTlsStream&&) = delete;
  WsTlsStream(const WsTlsStream&) = delete;
  ~WsTlsStream() {
    if (ssl_) SSL_free(ssl_);
  }

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  next_layer_type& next_layer() noexcept { return socket_; }

  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        IoOp<MutableBufferSequence, false>{*this, buffers, false, {}}, token, socket_);
  }

  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        IoOp<ConstBufferSequence, true>{*this, buffers, false, {}}, token, socket_);
  }

  // Best effort close_notify (non-blocking), then the socket is shut and closed.
  void shutdown_and_close(boost::system::error_code& ec);

  enum class Step { done, want_read, want_write };

  // On the executor: writes as much of `data` as the socket takes now, in
  // whole TLS records, without waiting. Step::done with n == size, or
  // want_read/want_write with n < size (then the rest, from data + n, must go
  // through async_write_all: OpenSSL may hold part of a record), or `ec` set.
  // Also want_write (n == 0) while another write waits for the socket.
  Step try_write(const void* data, std::size_t size, std::size_t& n, boost::system::error_code& ec);

  // Writes all of `data` (kept alive by the caller until the handler runs),
  // waiting for the socket and for another write in progress as needed.
  // Handler: void(error_code, std::size_t).
  template <class Token>
  auto async_write_all(boost::asio::const_buffer data, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        AllOp{*this, data}, token, socket_);
  }

 private:
  WsTlsStream(next_layer_type socket, SSL* ssl) : socket_(std::move(socket)), ssl_(ssl) {}
  // One SSL_read_ex / SSL_write_ex attempt.
  Step read_once(void* data, std::size_t size, std::size_t& n, boost::system::error_code& ec);
  Step write_once(const void* data, std::size_t size, std::size_t& n,
                  boost::system::error_code& ec);

  // The write side: held by a write that waits for the socket; others wait
  // at the gate (a timer that never expires: cancel() opens it for all of
  // them, and each looks again).
  template <class Self>
  void wait_gate(Self&& self) {
    if (!gate_) gate_.emplace(socket_.get_executor(), boost::asio::steady_timer::time_point::max());
    gate_->async_wait(std::forward<Self>(self));
  }
  void release_write_side() {
    write_busy_ = false;
    if (gate_) gate_->cancel();
  }

  // async_write_all's operation.
  struct AllOp {
    WsTlsStream& s;
    boost::asio::const_buffer data;
    std::size_t done = 0;
    bool started = false;
    bool gated = false;  // resumed from the gate (its operation_aborted is no error)
    bool owner = false;  // holds the write side

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}) {
      namespace asio = boost::asio;
      const bool first = !started;
      started = true;
      if (std::exchange(gated, false)) ec = {};
      if (!ec && !s.socket_.is_open()) ec = asio::error::operation_aborted;
      while (!ec && done < data.size()) {
        if (s.write_busy_ && !owner) {
          gated = true;
          s.wait_gate(std::move(self));
          return;
        }
        std::size_t n = 0;
        const Step step =
            s.write_once(static_cast<const char*>(data.data()) + done, data.size() - done, n, ec);
        done += n;
        if (ec || step == Step::done) continue;
        if (!owner) {
          owner = true;
          s.write_busy_ = true;
        }
        s.socket_.async_wait(
            step == Step::want_read ? asio::socket_base::wait_read : asio::socket_base::wait_write,
            std::move(self));
        return;
      }
      if (owner) s.release_write_side();
      owner = false;
      if (first) {
        asio::post(s.get_executor(), asio::append(std::move(self), ec, done));
        return;
      }
      self.complete(ec, done);
    }
    template <class Self>
    void operator()(Self& self, boost::system::error_code ec, std::size_t n) {
      self.complete(ec, n);
    }
  };

  template <class Buffers, bool Write>
  struct IoOp {
    WsTlsStream& s;
    Buffers buffers;
    bool started = false;
    // A write of several buffers (a frame header, then its payload) is one
    // record: flattened here (up to one record), as Beast's flat_stream does.
    std::vector<unsigned char> flat;
    bool gated = false;  // resumed from the gate (its operation_aborted is no error)
    bool owner = false;  // a write holding the write side while it waits

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}) {
      namespace asio = boost::asio;
      const bool first = !started;
      started = true;
      if (std::exchange(gated, false)) ec = {};
      std::size_t n = 0;
      if (!ec && !s.socket_.is_open()) ec = asio::error::operation_aborted;
      if constexpr (Write) {
        if (!ec && s.write_busy_ && !owner) {
          gated = true;
          s.wait_gate(std::move(self));
          return;
        }
      }
      if (!ec) {
        Step step;
        if constexpr (Write) {
          asio::const_buffer b = *asio::buffer_sequence_begin(buffers);
          const std::size_t total = asio::buffer_size(buffers);
          if (b.size() < total && b.size() < kRecord) {
            if (flat.empty()) {
              flat.resize(std::min(total, kRecord));
              asio::buffer_copy(asio::buffer(flat), buffers);
            }
            b = asio::buffer(flat);
          }
          step = b.size() == 0 ? Step::done : s.write_once(b.data(), b.size(), n, ec);
        } else {
          asio::mutable_buffer b;
          for (auto it = asio::buffer_sequence_begin(buffers);
               it != asio::buffer_sequence_end(buffers); ++it) {
            if (asio::mutable_buffer(*it).size() > 0) {
              b = *it;
              break;
            }
          }
          step = b.size() == 0 ? Step::done : s.read_once(b.data(), b.size(), n, ec);
        }
        if constexpr (Write) {
          if (step != Step::done && !owner) {
            owner = true;
            s.write_busy_ = true;
          }
        }
        if (step == Step::want_read) {
          s.socket_.async_wait(asio::socket_base::wait_read, std::move(self));
          return;
        }
        if (step == Step::want_write) {
          s.socket_.async_wait(asio::socket_base::wait_write, std::move(self));
          return;
        }
      }
      if constexpr (Write) {
        if (owner) s.release_write_side();
        owner = false;
      }
      if (first) {
        // Done without waiting: complete from the executor, not from inside
        // the initiating function.
        asio::post(s.get_executor(), asio::append(std::move(self), ec, n));
        return;
      }
      self.complete(ec, n);
    }
    // The posted completion above.
    template <class Self>
    void operator()(Self& self, boost::system::error_code ec, std::size_t n) {
      self.complete(ec, n);
    }
  };

  static constexpr std::size_t kRecord = 16 * 1024;
  next_layer_type socket_;
  SSL* ssl_ = nullptr;
  bool write_busy_ = false;                        // a write waits for the socket (on the executor)
  std::optional<boost::asio::steady_timer> gate_;  // made on first contention
};

// Beast's websocket teardown customisation points (found by ADL).
void teardown(boost::beast::role_type role, WsTlsStream& s, boost::system::error_code& ec);

template <class TeardownHandler>
void async_teardown(boost::beast::role_type, WsTlsStream& s, TeardownHandler&& handler) {
  boost::system::error_code ec;
  s.shutdown_and_close(ec);
  boost::asio::post(s.get_executor(),
                    boost::asio::append(std::forward<TeardownHandler>(handler), ec));
}

}  // namespace patrol::net
