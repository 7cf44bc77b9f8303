#include "net/tls.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace patrol::net {
namespace fs = std::filesystem;
namespace ssl = boost::asio::ssl;

namespace {

constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

std::string openssl_error(std::string_view what) {
  std::string msg(what);
  unsigned long e = 0;
  bool first = true;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += first ? ": " : "; ";
    msg += buf;
    first = false;
  }
  return msg;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};

Result<std::string> bio_to_string(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len < 0 || data == nullptr) return Error{openssl_error("reading PEM from memory")};
  return Result<std::string>(boost::system::in_place_value, data, static_cast<std::size_t>(len));
}

std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}

// Writes `bytes` to `path` atomically and durably: temp file with `mode`, fsync,
// rename, fsync of the directory.
Result<void> write_file_durably(const fs::path& path, const std::string& bytes, mode_t mode) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Error{"cannot create " + tmp.string() + ": " + errno_text(errno)};
  // open() applies the umask; make the mode exact (the key must stay 0600).
  if (::fchmod(fd, mode) != 0) {
    const int err = errno;
    ::close(fd);
    return Error{"cannot chmod " + tmp.string() + ": " + errno_text(err)};
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Error{"cannot write " + tmp.string() + ": " + errno_text(err)};
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return Error{"cannot fsync " + tmp.string() + ": " + errno_text(err)};
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return Error{"cannot rename " + tmp.string() + ": " + errno_text(errno)};
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<void> add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return Error{openssl_error(std::string("adding certificate extension ") + value)};
  return {};
}

Result<void> generate_self_signed(const fs::path& cert_path, const fs::path& key_path) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Error{openssl_error("generating an ECDSA P-256 key")};

  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) return Error{openssl_error("allocating a certificate")};
  X509_set_version(cert.get(), X509_VERSION_3);
  // 159-bit random serial: positive and unique enough that browsers never see a repeat.
  {
    BIGNUM* bn = BN_new();
    if (bn == nullptr || BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) == nullptr) {
      BN_free(bn);
      return Error{openssl_error("making a serial number")};
    }
    BN_free(bn);
  }
  // Valid from an hour ago (clock skew) for 825 days, the longest browsers accept.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 825L * 24 * 3600);
  if (X509_set_pubkey(cert.get(), key.get()) != 1)
    return Error{openssl_error("setting public key")};
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Patrol (self-signed)"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
                            std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                            std::pair{NID_key_usage, "critical,digitalSignature"},
                            std::pair{NID_ext_key_usage, "serverAuth"},
                            std::pair{NID_subject_key_identifier, "hash"}}) {
    if (auto r = add_extension(cert.get(), &ctx, nid, value); !r) return r.error();
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    return Error{openssl_error("signing the certificate")};

  std::unique_ptr<BIO, BioFree> key_bio(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, BioFree> cert_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !cert_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1)
    return Error{openssl_error("encoding PEM")};
  auto key_pem = bio_to_string(key_bio.get());
  if (!key_pem) return key_pem.error();
  auto cert_pem = bio_to_string(cert_bio.get());
  if (!cert_pem) return cert_pem.error();
  // Key first: a crash between the two renames leaves a key without a
  // certificate, which the next start reports instead of silently replacing.
  if (auto r = write_file_durably(key_path, *key_pem, 0600); !r) return r.error();
  if (auto r = write_file_durably(cert_path, *cert_pem, 0644); !r) return r.error();
  return {};
}

}  // namespace

fs::path self_signed_cert_path(const fs::path& data_dir) {
  return data_dir / "tls-cert.pem";
}
fs::path self_signed_key_path(const fs::path& data_dir) {
  return data_dir / "tls-key.pem";
}

Result<CertificateFiles> ensure_self_signed(const fs::path& data_dir) {
  CertificateFiles files{self_signed_cert_path(data_dir), self_signed_key_path(data_dir), false};
  std::error_code ec;
  const bool has_cert = fs::exists(files.cert, ec);
  const bool has_key = fs::exists(files.key, ec);
  if (has_cert && has_key) return files;
  if (has_cert != has_key)
    return Error{"found only one of " + files.cert.string() + " and " + files.key.string() +
                 "; remove it to generate a new self-signed pair, or pass --cert/--key"};
  fs::create_directories(data_dir, ec);
  if (ec) return Error{"cannot create data directory " + data_dir.string() + ": " + ec.message()};
  if (auto r = generate_self_signed(files.cert, files.key); !r) return r.error();
  files.generated = true;
  return files;
}

Result<CertificateFiles> certificate_for(const ServerConfig& cfg) {
  if (cfg.cert_file && cfg.key_file) return CertificateFiles{*cfg.cert_file, *cfg.key_file, false};
  return ensure_self_signed(cfg.api.data_dir);
}

Result<std::shared_ptr<ssl::context>> make_server_tls_context(const CertificateFiles& files) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(ssl::context::default_workarounds | ssl::context::single_dh_use |
                   ssl::context::no_compression);
  // Intermediate profile: the client picks among our (all strong) suites.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  // Idle connections (thousands of live-map viewers) give their ~34 KiB of
  // record buffers back to the allocator between records.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1)
    return Error{openssl_error("restricting TLS versions")};
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(native, kTls13Suites) != 1)
    return Error{openssl_error("setting cipher suites")};
  if (SSL_CTX_set1_groups_list(native, kGroups) != 1)
    return Error{openssl_error("setting key exchange groups")};
  if (SSL_CTX_use_certificate_chain_file(native, files.cert.c_str()) != 1)
    return Error{openssl_error("loading certificate " + files.cert.string())};
  if (SSL_CTX_use_PrivateKey_file(native, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return Error{openssl_error("loading private key " + files.key.string())};
  if (SSL_CTX_check_private_key(native) != 1)
    return Error{openssl_error("private key does not match certificate " + files.cert.string())};
  return ctx;
}

}  // namespace patrol::net
