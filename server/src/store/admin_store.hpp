// patrol::store::AdminStore — administration within a subtree: users (create
// with a one-time password, edit, disable), and the org units under a node.
// Who may do what is decided in domain/admin_rules.hpp before these are called.
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/audit_store.hpp"
#include "store/entities.hpp"
#include "store/errors.hpp"
#include "store/page.hpp"

namespace patrol::store {

struct UserFilter {
  std::string scope_path;
  std::optional<std::string> role;
  std::optional<std::string> after;  // user id
  int limit = 100;
};

struct UserWrite {
  User user;
  std::optional<std::string> password_hash;  // set: replace the password
  bool disabled = false;
  std::optional<AuditEntry> audit = std::nullopt;  // appended in the same transaction when set
};

class AdminStore {
 public:
  virtual ~AdminStore() = default;

  // Users in scope ordered by id, disabled ones included (flagged).
  [[nodiscard]] virtual result<Page<User>> users(const UserFilter& f) = 0;
  // conflict when the phone is taken; not_found when the org unit does not exist.
  [[nodiscard]] virtual result<void> create_user(const UserWrite& u, Ms now) = 0;
  // Replaces name, role, org unit, disabled (and the password when given);
  // disabling also ends the user's sessions. not_found / conflict as above.
  [[nodiscard]] virtual result<void> update_user(const UserWrite& u) = 0;
  // The direct children of an org unit, ordered by id.
  [[nodiscard]] virtual result<std::vector<OrgUnit>> org_children(std::int64_t id) = 0;
};

}  // namespace patrol::store
