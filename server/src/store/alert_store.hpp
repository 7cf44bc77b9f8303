// patrol::store::AlertStore — what happens to an SOS alert after it was
// raised (sync/push `sos.raise` stores it; DashboardStore lists it): a leader
// acknowledges it on the server, so every leader's banner clears, not only
// the one who tapped it (issue 6).
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <string_view>

#include "store/entities.hpp"
#include "store/errors.hpp"

namespace patrol::store {

class AlertStore {
 public:
  virtual ~AlertStore() = default;

  // Marks alert `id` acknowledged by `by_user_id` at `at` in one write
  // transaction: state 'acknowledged', acknowledged_by, acknowledged_at, and a
  // change-log entry ("sos" upsert, the alert as stored), which the live feed
  // publishes as a `sos` event and devices pull. Whether the caller may is
  // the caller's decision; only `scope_path` is checked here, on the stored
  // row. Returns the alert as stored, with `changed` false when it already
  // was acknowledged (the first acknowledgement stays; nothing is written).
  // not_found: no such alert, or outside `scope_path` (the same answer, so
  // nothing leaks). conflict: the alert is closed.
  struct Acknowledged {
    SosAlert alert;
    bool changed = false;
  };
  [[nodiscard]] virtual result<Acknowledged> acknowledge_alert(std::string_view id,
                                                               std::string_view scope_path,
                                                               std::string_view by_user_id,
                                                               Ms at) = 0;
};

}  // namespace patrol::store
