#include "auth/password.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <memory>
#include <semaphore>
#include <vector>

#include "auth/base64url.hpp"

namespace patrol::auth {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kKeyBytes = 32;
// Refuse stored parameters that would let a corrupted row eat the machine.
constexpr std::uint64_t kMaxN = 1u << 20;
constexpr std::uint32_t kMaxR = 32;
constexpr std::uint32_t kMaxP = 16;

std::counting_semaphore<kMaxConcurrentKdf>& kdf_gate() {
  static std::counting_semaphore<kMaxConcurrentKdf> gate(kMaxConcurrentKdf);
  return gate;
}

struct KdfDeleter {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};

bool scrypt(std::string_view password, std::span<const unsigned char> salt, const ScryptParams& p,
            std::span<unsigned char> out) {
  struct Permit {
    Permit() { kdf_gate().acquire(); }
    ~Permit() { kdf_gate().release(); }
  } permit;
  std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  if (!kdf) return false;
  std::unique_ptr<EVP_KDF_CTX, KdfDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return false;
  std::uint64_t n = p.n;
  std::uint32_t r = p.r, par = p.p;
  // 128*r*N bytes for V plus headroom; OpenSSL refuses work above maxmem.
  std::uint64_t maxmem = 128ull * r * n * 2 + (1u << 20);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()),
                                        password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                        const_cast<unsigned char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  return EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1;
}

template <class T>
bool parse_num(std::string_view s, T& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

}  // namespace

std::optional<std::string> hash_password(std::string_view password, const ScryptParams& params) {
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) return std::nullopt;
  std::array<unsigned char, kKeyBytes> key{};
  if (!scrypt(password, salt, params, key)) return std::nullopt;
  return "scrypt$" + std::to_string(params.n) + "$" + std::to_string(params.r) + "$" +
         std::to_string(params.p) + "$" + base64url_encode(salt) + "$" + base64url_encode(key);
}

bool verify_password(std::string_view password, std::string_view stored) {
  auto parts = split(stored, '$');
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  ScryptParams p;
  if (!parse_num(parts[1], p.n) || !parse_num(parts[2], p.r) || !parse_num(parts[3], p.p))
    return false;
  if (p.n < 2 || (p.n & (p.n - 1)) != 0 || p.n > kMaxN || p.r == 0 || p.r > kMaxR || p.p == 0 ||
      p.p > kMaxP)
    return false;
  auto salt = base64url_decode(parts[4]);
  auto expected = base64url_decode(parts[5]);
  if (!salt || !expected || expected->empty() || expected->size() > 64) return false;
  std::vector<unsigned char> key(expected->size());
  if (!scrypt(password, *salt, p, key)) return false;
  return CRYPTO_memcmp(key.data(), expected->data(), key.size()) == 0;
}

void burn_password_time(std::string_view password) {
  static const std::array<unsigned char, kSaltBytes> salt{};
  std::array<unsigned char, kKeyBytes> key{};
  (void)scrypt(password, salt, ScryptParams{}, key);
}

}  // namespace patrol::auth
