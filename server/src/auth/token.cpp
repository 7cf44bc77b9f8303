#include "auth/token.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cctype>

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
  auto trim = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
  };
  auto is_bearer = [](std::string_view v) {
    if (v.size() != 6) return false;
    for (std::size_t i = 0; i < 6; ++i)
      if (std::tolower(static_cast<unsigned char>(v[i])) != "bearer"[i]) return false;
    return true;
  };
  h = trim(h);
  if (auto sp = h.find(' '); sp != std::string_view::npos) {
    if (!is_bearer(h.substr(0, sp))) return std::nullopt;
    h = trim(h.substr(sp + 1));
  } else if (is_bearer(h)) {
    return std::nullopt;
  }
  if (h.empty() || h.size() > 256) return std::nullopt;
  for (char c : h)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
      return std::nullopt;
  return h;
}

}  // namespace patrol::auth
