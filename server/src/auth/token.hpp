// Bearer tokens: 256 random bits from OpenSSL's CSPRNG, base64url (43 chars).
// Only the SHA-256 of a token is stored, so a leaked database cannot be
// replayed as sessions. Thread-safe pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace patrol::auth {

// A new token; nullopt only if the CSPRNG fails.
std::optional<std::string> new_token();
// Lower-case hex SHA-256 of the token text (64 chars).
std::string hash_token(std::string_view token);
// The token from an Authorization header value: "Bearer <t>" (scheme is
// case-insensitive) or a bare token; nullopt when empty or malformed.
std::optional<std::string_view> token_from_header(std::string_view header);

}  // namespace patrol::auth
