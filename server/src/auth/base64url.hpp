// base64url without padding (RFC 4648 §5), used for tokens and salts.
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace patrol::auth {

std::string base64url_encode(std::span<const unsigned char> bytes);
// nullopt on a character outside the alphabet or an impossible length.
std::optional<std::vector<unsigned char>> base64url_decode(std::string_view text);

}  // namespace patrol::auth
