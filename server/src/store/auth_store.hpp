// patrol::store::AuthStore — logging in: credentials by phone, users, and
// bearer-token sessions (stored by the token's hash, never the token).
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <string>
#include <string_view>

#include "store/entities.hpp"
#include "store/errors.hpp"

namespace patrol::store {

struct Credentials {
  User user;
  std::string password_hash;  // "scrypt$N$r$p$salt$hash"
};

struct NewSession {
  std::string token_hash;  // hex SHA-256 of the bearer token
  std::string user_id;
  std::string device_id;
  Ms created_at = 0;
  Ms expires_at = 0;
};

struct SessionInfo {
  User user;
  std::string device_id;
  Ms expires_at = 0;
};

class AuthStore {
 public:
  virtual ~AuthStore() = default;

  // not_found when no user has this phone.
  [[nodiscard]] virtual result<Credentials> credentials_by_phone(std::string_view phone) = 0;
  // not_found when unknown.
  [[nodiscard]] virtual result<User> user(std::string_view id) = 0;
  // Also purges the user's sessions expired at s.created_at. conflict when the
  // user does not exist or the token hash is already stored.
  [[nodiscard]] virtual result<void> create_session(const NewSession& s) = 0;
  // not_found when unknown or expired at `now`.
  [[nodiscard]] virtual result<SessionInfo> session(std::string_view token_hash, Ms now) = 0;
  // Succeeds also when there is no such session.
  [[nodiscard]] virtual result<void> delete_session(std::string_view token_hash) = 0;
};

}  // namespace patrol::store
