// patrol::store::AdminStore — administration within a subtree: users (create
// with a one-time password, edit, disable), teams and their members, sites,
// and the org units under a node. Team and site writes append change-log
// entries (phones see them through sync/pull); a deleted team or site is
// kept (rounds, inspections and hazards name it) but no longer listed.
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

struct TeamFilter {
  std::string scope_path;
  std::optional<std::string> after;  // team id
  int limit = 100;
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
  // Live teams in scope ordered by id, each with its members (leader first,
  // then by user id).
  [[nodiscard]] virtual result<Page<Team>> teams(const TeamFilter& f) = 0;
  // A live team with its members; not_found when unknown or deleted.
  [[nodiscard]] virtual result<Team> team_with_members(std::string_view id) = 0;
  // Inserts or replaces a team (name, org unit, leader) and its whole member
  // list: `members` in order, role "leader" for leader_id (added when absent
  // from `members`), "member" for the rest; member names are read back from
  // the users. A change-log upsert with the stored team. not_found when the
  // org unit or a member does not exist, or the team was deleted.
  [[nodiscard]] virtual result<void> put_team(
      const Team& t, const std::optional<AuditEntry>& audit = std::nullopt) = 0;
  // Marks a live team deleted (a change-log delete). not_found when unknown
  // or deleted; conflict while a live schedule names it.
  [[nodiscard]] virtual result<void> delete_team(
      std::string_view id, const std::optional<AuditEntry>& audit = std::nullopt) = 0;
  // Inserts or replaces a site (every field of `s`). A change-log upsert; when
  // the site moved to another org unit also a delete at its old path, so the
  // old village's phones drop it. not_found when the org unit does not exist
  // or the site was deleted.
  [[nodiscard]] virtual result<void> put_site(
      const Site& s, const std::optional<AuditEntry>& audit = std::nullopt) = 0;
  // Marks a live site deleted at `now` (a change-log delete); it leaves the
  // site lists and counts, and ReferenceStore::site() still finds it, flagged
  // (reports made offline before the delete still arrive). not_found when
  // unknown or deleted; conflict while a live schedule's route names it.
  [[nodiscard]] virtual result<void> delete_site(
      std::string_view id, Ms now, const std::optional<AuditEntry>& audit = std::nullopt) = 0;
  // `audit`, when set, is appended in the same transaction as the write
  // (AuditStore) for the four writes above.
  // The direct children of an org unit, ordered by id.
  [[nodiscard]] virtual result<std::vector<OrgUnit>> org_children(std::int64_t id) = 0;
};

}  // namespace patrol::store
