#include "auth/token.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

#include "auth/base64url.hpp"

namespace patrol::auth {

std::optional<std::string> new_token() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return std::nullopt;
  return base64url_encode(bytes);
}

std::string hash_token(std::string_view token) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), md.data(), &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::optional<std::string_view> token_from_header(std::string_view h) {
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  if (h.size() > 7) {
    std::string scheme(h.substr(0, 7));
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "bearer ") {
      h.remove_prefix(7);
      while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    }
  }
  if (h.empty() || h.size() > 256) return std::nullopt;
  for (char c : h)
    if (c == ' ' || static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
      return std::nullopt;
  return h;
}

}  // namespace patrol::auth
