// TLS for patrold: the server context (TLS 1.2/1.3 only, Mozilla "intermediate"
// ciphers, ECDHE only) and the self-signed certificate generated on first start.
// Thread safety: free functions, no shared state; the returned context may be
// used by any number of streams concurrently (OpenSSL SSL_CTX is thread-safe once set up).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>

#include "net/config.hpp"

namespace patrol::net {

struct CertificateFiles {
  std::filesystem::path cert;  // PEM certificate (chain)
  std::filesystem::path key;   // PEM private key
  bool generated = false;      // true when ensure_self_signed created them just now
};

// Names of the generated files inside the data directory.
std::filesystem::path self_signed_cert_path(const std::filesystem::path& data_dir);
std::filesystem::path self_signed_key_path(const std::filesystem::path& data_dir);

// Returns the self-signed certificate of data_dir, generating it when neither
// file exists: ECDSA P-256 key, SHA-256 signature, CN=localhost, SAN
// DNS:localhost, IP:127.0.0.1, IP:::1, valid ~2 years. Each file is written to a
// temp file, fsynced and renamed (the key with mode 0600), so a crash never
// leaves half a key. Fails if only one of the two files exists (never
// overwrites a key someone may rely on) or on any I/O / OpenSSL error.
[[nodiscard]] Result<CertificateFiles> ensure_self_signed(const std::filesystem::path& data_dir);

// The server context: TLS 1.2 and 1.3 only; TLS 1.2 ciphers are the ECDHE
// AES-GCM/ChaCha20 suites of Mozilla's intermediate profile; groups X25519,
// P-256, P-384; no compression, no renegotiation. Fails if the files cannot be
// loaded or the key does not match the certificate.
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const CertificateFiles& files);

// The certificate files a config asks for: --cert/--key when given, else the
// (possibly generated) self-signed pair in the data directory.
[[nodiscard]] Result<CertificateFiles> certificate_for(const ServerConfig& cfg);

}  // namespace patrol::net
