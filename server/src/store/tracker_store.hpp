// patrol::store::TrackerStore — tracker identifiers of tracking apps (Traccar
// Client / OsmAnd protocol), each registered to one user; their positions are
// stored as that user's (through Store::apply_ops, like a phone's).
//
// Errors: result<T> as every store interface; conflict when an identifier is
// registered to someone else; not_found for an unknown identifier.
// Durability: register_tracker returns after its COMMIT (synchronous=FULL).
// Thread safety: every function may be called from any thread; calls block.
#pragma once

#include <string_view>

#include "store/entities.hpp"
#include "store/errors.hpp"

namespace patrol::store {

class TrackerStore {
 public:
  virtual ~TrackerStore() = default;

  // Registers `identifier` to `user_id`. true: newly registered; false: it
  // already was registered to this user (idempotent); conflict: to another user.
  [[nodiscard]] virtual result<bool> register_tracker(std::string_view identifier,
                                                      std::string_view user_id, Ms now) = 0;
  // The user a tracker identifier belongs to; not_found when unknown.
  [[nodiscard]] virtual result<User> tracker_owner(std::string_view identifier) = 0;
};

}  // namespace patrol::store
