#include "net/tls.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

using namespace patrol::net;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("patrol-tls-test-" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

X509* load_cert(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (f == nullptr) return nullptr;
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return x;
}

}  // namespace

TEST(Tls, GeneratesSelfSignedP256WithLocalhostNames) {
  TempDir dir;
  auto files = ensure_self_signed(dir.path);
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_TRUE(files->generated);
  EXPECT_EQ(files->cert, self_signed_cert_path(dir.path));
  struct stat st {};
  ASSERT_EQ(::stat(files->key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "private key must be owner-only";
  EXPECT_FALSE(fs::exists(files->key.string() + ".tmp"));

  X509* cert = load_cert(files->cert);
  ASSERT_NE(cert, nullptr);
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  ASSERT_NE(pub, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(pub, "EC"));
  char group[64] = {};
  size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(pub, group, sizeof group, &len), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "10.0.0.1", 0), 0);
  X509_free(cert);
}

TEST(Tls, ReusesTheGeneratedPairOnNextStart) {
  TempDir dir;
  auto first = ensure_self_signed(dir.path);
  ASSERT_TRUE(first) << first.error().message;
  const auto cert_bytes = slurp(first->cert);
  const auto key_bytes = slurp(first->key);
  auto second = ensure_self_signed(dir.path);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->generated);
  EXPECT_EQ(slurp(second->cert), cert_bytes);
  EXPECT_EQ(slurp(second->key), key_bytes);
}

TEST(Tls, RefusesToReplaceAHalfPresentPair) {
  TempDir dir;
  ASSERT_TRUE(ensure_self_signed(dir.path));
  fs::remove(self_signed_cert_path(dir.path));
  const auto key_before = slurp(self_signed_key_path(dir.path));
  auto again = ensure_self_signed(dir.path);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("only one of"), std::string::npos) << again.error().message;
  EXPECT_EQ(slurp(self_signed_key_path(dir.path)), key_before);
}

TEST(Tls, ContextAllowsOnlyTls12And13) {
  TempDir dir;
  auto files = ensure_self_signed(dir.path);
  ASSERT_TRUE(files);
  auto ctx = make_server_tls_context(*files);
  ASSERT_TRUE(ctx) << ctx.error().message;
  SSL_CTX* native = (*ctx)->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(native), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(native), TLS1_3_VERSION);
  // Every TLS 1.2 suite offered does forward-secret ECDHE with an AEAD.
  SSL* ssl = SSL_new(native);
  ASSERT_NE(ssl, nullptr);
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl);
  ASSERT_NE(ciphers, nullptr);
  int tls12 = 0;
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    const std::string name = SSL_CIPHER_get_name(c);
    if (name.rfind("TLS_", 0) == 0) continue;  // TLS 1.3 suites
    ++tls12;
    EXPECT_EQ(name.rfind("ECDHE-", 0), 0u) << name;
    EXPECT_TRUE(SSL_CIPHER_is_aead(c)) << name;
  }
  EXPECT_GT(tls12, 0);
  SSL_free(ssl);
}

TEST(Tls, ContextFailsOnMismatchedKey) {
  TempDir a, b;
  auto fa = ensure_self_signed(a.path);
  auto fb = ensure_self_signed(b.path);
  ASSERT_TRUE(fa && fb);
  auto ctx = make_server_tls_context(CertificateFiles{fa->cert, fb->key, false});
  ASSERT_FALSE(ctx);
  // OpenSSL notices while loading the key ("key values mismatch"); either way the message says so.
  const auto& m = ctx.error().message;
  EXPECT_TRUE(m.find("mismatch") != std::string::npos ||
              m.find("does not match") != std::string::npos)
      << m;
  auto missing = make_server_tls_context(CertificateFiles{a.path / "nope.pem", fa->key, false});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nope.pem"), std::string::npos);
}

TEST(Tls, CertificateForPrefersConfiguredFiles) {
  TempDir dir;
  ServerConfig cfg;
  cfg.api.data_dir = dir.path / "data";
  auto generated = certificate_for(cfg);
  ASSERT_TRUE(generated) << generated.error().message;
  EXPECT_TRUE(fs::exists(self_signed_cert_path(cfg.api.data_dir)));
  cfg.cert_file = "/etc/x/cert.pem";
  cfg.key_file = "/etc/x/key.pem";
  auto configured = certificate_for(cfg);
  ASSERT_TRUE(configured);
  EXPECT_EQ(configured->cert, "/etc/x/cert.pem");
  EXPECT_EQ(configured->key, "/etc/x/key.pem");
}
