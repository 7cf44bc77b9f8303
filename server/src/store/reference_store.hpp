// patrol::store::ReferenceStore — the reference data every other use case
// looks up: org units, sites, checklist templates, rounds.
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/entities.hpp"
#include "store/errors.hpp"
#include "store/page.hpp"
#include "store/site_cache.hpp"

namespace patrol::store {

struct SiteFilter {
  std::string scope_path;  // only sites at or below this org path
  std::optional<std::string> category;
  std::optional<std::string> after;  // site id
  int limit = 100;
};

class ReferenceStore {
 public:
  virtual ~ReferenceStore() = default;

  // Each single-entity lookup: not_found when it does not exist.
  [[nodiscard]] virtual result<OrgUnit> org_unit(std::int64_t id) = 0;
  // A deleted site is found too, flagged `deleted` (reports made offline
  // before the delete still arrive).
  [[nodiscard]] virtual result<Site> site(std::string_view id) = 0;
  // Live (not deleted) sites in scope ordered by id.
  [[nodiscard]] virtual result<Page<Site>> sites(const SiteFilter& f) = 0;
  [[nodiscard]] virtual result<ChecklistTemplate> checklist_template(std::string_view id,
                                                                     std::int64_t version) = 0;
  [[nodiscard]] virtual result<Round> round(std::string_view id) = 0;
  // The in-memory copy of site() this store keeps current under its own
  // (and, PostgreSQL, other nodes') writes (site_cache.hpp); nullptr when
  // the implementation keeps none. Valid as long as the store.
  virtual SiteCache* site_cache() { return nullptr; }
};

}  // namespace patrol::store
