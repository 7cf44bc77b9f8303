#include "bad_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace patrol::test {
namespace {

SSL_CTX* make_ctx() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("bad-server"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

}  // namespace

std::string BadServer::response(unsigned status, const std::string& body,
                                const std::string& content_type) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

BadServer::BadServer() {
  ctx_ = make_ctx();
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 16) != 0)
    throw std::runtime_error("bad server: bind/listen failed");
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { loop(); });
}

BadServer::~BadServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

void BadServer::set_handler(Handler h) {
  std::lock_guard lk(mu_);
  handler_ = std::move(h);
}

void BadServer::loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd >= 0) serve(fd);  // one at a time: the SDK uses one connection
  }
}

void BadServer::serve(int fd) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) == 1) {
    std::string in;
    char buf[8192];
    std::size_t head_end = std::string::npos;
    while (head_end == std::string::npos) {
      const int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
      head_end = in.find("\r\n\r\n");
    }
    if (head_end != std::string::npos) {
      RawRequest req;
      const auto sp1 = in.find(' ');
      const auto sp2 = in.find(' ', sp1 + 1);
      req.method = in.substr(0, sp1);
      req.target = in.substr(sp1 + 1, sp2 - sp1 - 1);
      std::size_t length = 0;
      for (const char* h : {"Content-Length: ", "content-length: "})
        if (auto p = in.find(h); p != std::string::npos && p < head_end)
          length = std::stoul(in.substr(p + std::char_traits<char>::length(h)));
      req.body = in.substr(head_end + 4);
      while (req.body.size() < length) {
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) break;
        req.body.append(buf, static_cast<std::size_t>(n));
      }
      ++requests_;
      Handler h;
      {
        std::lock_guard lk(mu_);
        h = handler_;
      }
      const std::string out = h ? h(req) : std::string();
      for (std::size_t off = 0; off < out.size();) {
        const int n = SSL_write(ssl, out.data() + off,
                                static_cast<int>(std::min<std::size_t>(out.size() - off, 1 << 16)));
        if (n <= 0) break;  // the client gave up (e.g. the reply was too big)
        off += static_cast<std::size_t>(n);
      }
      SSL_shutdown(ssl);
    }
  }
  SSL_free(ssl);
  ::close(fd);
}

}  // namespace patrol::test
