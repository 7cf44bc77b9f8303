// patrol::store::LifecycleStore — open-once concerns of a store: is it fresh,
// the demo seed, a health check, an orderly shutdown.
//
// Errors, durability and thread safety: as stated in store.hpp for every
// use-case interface.
#pragma once

#include <string>
#include <vector>

#include "store/entities.hpp"
#include "store/errors.hpp"

namespace patrol::store {

struct SeedUser {
  User user;
  std::string password_hash;
};

struct SeedData {
  std::vector<OrgUnit> org_units;  // parents before children
  std::vector<SeedUser> users;
  std::vector<ChecklistTemplate> templates;
  std::vector<Site> sites;
  std::vector<Team> teams;
  std::vector<Schedule> schedules;
  std::vector<Round> rounds;
};

class LifecycleStore {
 public:
  virtual ~LifecycleStore() = default;

  // True when no org unit exists yet (a fresh database, eligible for the demo seed).
  [[nodiscard]] virtual result<bool> is_empty() = 0;
  // Inserts all of `seed` in one transaction, with change-log entries.
  [[nodiscard]] virtual result<void> seed(const SeedData& seed) = 0;
  // Cheap round trip through a read connection (health check); shutting_down
  // once shutdown() began.
  [[nodiscard]] virtual result<void> ping() = 0;
  // Stops accepting writes, commits what is queued, closes. Idempotent.
  virtual void shutdown() = 0;
};

}  // namespace patrol::store
