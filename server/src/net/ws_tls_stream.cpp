#include "net/ws_tls_stream.hpp"

#include <openssl/bio.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

namespace patrol::net {
namespace asio = boost::asio;

namespace {

// A socket BIO that never raises SIGPIPE (send with MSG_NOSIGNAL: the test
// binaries, unlike patrold, do not ignore it) and says "retry" on EAGAIN. The
// fd is the asio socket's; the BIO never closes it.
int fd_of(BIO* b) {
  return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b)));
}

int sock_write(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  for (;;) {
    const ssize_t n = ::send(fd_of(b), data, static_cast<std::size_t>(len), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(b);
    return -1;
  }
}

int sock_read(BIO* b, char* data, int len) {
  BIO_clear_retry_flags(b);
  for (;;) {
    const ssize_t n = ::recv(fd_of(b), data, static_cast<std::size_t>(len), 0);
    if (n >= 0) {
      if (n == 0) BIO_set_flags(b, BIO_FLAGS_IN_EOF);
      return static_cast<int>(n);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(b);
    return -1;
  }
}

int sock_puts(BIO* b, const char* s) {
  return sock_write(b, s, static_cast<int>(std::strlen(s)));
}

long sock_ctrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    default:
      return 0;
  }
}

const BIO_METHOD* socket_method() {
  static const BIO_METHOD* m = [] {
    BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "patrol-ws-socket");
    BIO_meth_set_write(bm, sock_write);
    BIO_meth_set_read(bm, sock_read);
    BIO_meth_set_puts(bm, sock_puts);
    BIO_meth_set_ctrl(bm, sock_ctrl);
    return bm;
  }();
  return m;
}

boost::system::error_code ssl_error_code(int ssl_error) {
  if (ssl_error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    // The peer went away: reset, or EOF without close_notify.
    const int e = errno;
    ERR_clear_error();
    if (e == 0 || e == EAGAIN) return asio::error::eof;
    return {e, asio::error::get_system_category()};
  }
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return asio::error::connection_reset;
  return {static_cast<int>(e), asio::error::get_ssl_category()};
}

}  // namespace

std::optional<WsTlsStream> WsTlsStream::take_over(
    boost::beast::ssl_stream<boost::beast::tcp_stream>&& from, const executor_type& ex,
    std::string& why) {
  SSL* ssl = from.native_handle();
  if (SSL_pending(ssl) > 0 || BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0 ||
      BIO_ctrl_wpending(SSL_get_wbio(ssl)) > 0) {
    why = "bytes buffered at the upgrade";
    return std::nullopt;
  }
  boost::system::error_code ec;
  next_layer_type socket(ex);
  {
    auto old = from.next_layer().release_socket();
    const auto endpoint = old.local_endpoint(ec);
    const int fd = ec ? -1 : old.release(ec);  // deregistered from the old executor
    if (!ec) socket.assign(endpoint.protocol(), fd, ec);
    if (ec && fd >= 0) ::close(fd);
  }
  if (!ec) socket.non_blocking(true, ec);
  if (ec || !socket.is_open()) {
    why = "socket: " + ec.message();
    return std::nullopt;
  }
  BIO* bio = BIO_new(socket_method());
  if (bio == nullptr) {
    why = "out of memory";
    return std::nullopt;
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(socket.native_handle())));
  BIO_set_init(bio, 1);
  // The ssl_stream frees its reference when it goes; this one is ours.
  SSL_up_ref(ssl);
  SSL_set_bio(ssl, bio, bio);  // frees the BIO pair's inner half
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                        SSL_MODE_RELEASE_BUFFERS);
  return WsTlsStream(std::move(socket), ssl);
}

WsTlsStream::Step WsTlsStream::read_once(void* data, std::size_t size, std::size_t& n,
                                         boost::system::error_code& ec) {
  ERR_clear_error();
  errno = 0;
  if (SSL_read_ex(ssl_, data, size, &n) == 1) return Step::done;
  n = 0;
  const int e = SSL_get_error(ssl_, 0);
  if (e == SSL_ERROR_WANT_READ) return Step::want_read;
  if (e == SSL_ERROR_WANT_WRITE) return Step::want_write;
  if (e == SSL_ERROR_ZERO_RETURN)
    ec = asio::error::eof;  // close_notify
  else
    ec = ssl_error_code(e);
  return Step::done;
}

WsTlsStream::Step WsTlsStream::write_once(const void* data, std::size_t size, std::size_t& n,
                                          boost::system::error_code& ec) {
  ERR_clear_error();
  errno = 0;
  if (SSL_write_ex(ssl_, data, size, &n) == 1) return Step::done;
  n = 0;
  const int e = SSL_get_error(ssl_, 0);
  if (e == SSL_ERROR_WANT_WRITE) return Step::want_write;
  if (e == SSL_ERROR_WANT_READ) return Step::want_read;
  ec = e == SSL_ERROR_ZERO_RETURN ? asio::error::eof : ssl_error_code(e);
  if (ec == asio::error::eof) ec = asio::error::broken_pipe;
  return Step::done;
}

WsTlsStream::Step WsTlsStream::try_write(const void* data, std::size_t size, std::size_t& n,
                                         boost::system::error_code& ec) {
  n = 0;
  if (!socket_.is_open()) {
    ec = asio::error::operation_aborted;
    return Step::done;
  }
  if (write_busy_) return Step::want_write;
  while (n < size) {
    std::size_t k = 0;
    const Step step = write_once(static_cast<const char*>(data) + n, size - n, k, ec);
    n += k;
    if (ec || step != Step::done) return step;
  }
  return Step::done;
}

void WsTlsStream::shutdown_and_close(boost::system::error_code& ec) {
  if (!socket_.is_open()) return;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);  // close_notify if the socket takes it now; no wait for the peer's
  ERR_clear_error();
  boost::system::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ec);
}

void teardown(boost::beast::role_type, WsTlsStream& s, boost::system::error_code& ec) {
  s.shutdown_and_close(ec);
}

}  // namespace patrol::net
