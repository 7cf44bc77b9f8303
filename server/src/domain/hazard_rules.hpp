// The hazard rules every store persists (and none re-decides in SQL):
//   - a hazard item found at a site whose hazard for that item is not closed
//     updates that hazard (one more occurrence, linked), never a second one;
//   - photo_missing: the template wants a photo for the item and none of the
//     photos the inspection named has arrived; a photo arriving clears it;
//   - a late (out-of-order) report changes only what it is the newest or the
//     oldest observation of, so reports applied in any order give the same
//     hazard (last_found_at and last_inspection_id always belong to the same,
//     newest observation; first_* to the oldest).
//
// All functions are pure and thread-safe. A store calls them inside its write
// transaction with the current hazard row and writes the result.
#pragma once

#include <string>
#include <vector>

#include "store/entities.hpp"

namespace patrol::domain {

// One hazard item of one inspection.
struct HazardSighting {
  std::string inspection_id;
  store::Ms observed_ms = 0;  // the inspection's observed time
  std::string site_id;
  std::int64_t org_unit_id = 0;
  std::string org_path;
  std::string item_code;
  std::string severity;
  std::string note;
  bool photo_missing = false;  // see photo_missing() below
};

// True when the item needs a photo and none of `photos` has arrived yet.
// `arrived(sha256)` says whether an attachment is stored; asked at most once
// per photo, stopping at the first that has.
template <class Arrived>
[[nodiscard]] bool photo_missing(bool photo_required, const std::vector<std::string>& photos,
                                 Arrived&& arrived) {
  if (!photo_required) return false;
  for (const auto& p : photos)
    if (arrived(p)) return false;
  return true;
}

// The hazard a first sighting opens: state open, one occurrence, `id` given
// by the caller (a new UUIDv7), updated_at = now.
[[nodiscard]] store::Hazard open_hazard(const HazardSighting& s, std::string id, store::Ms now);

// True when `s` is a newer observation than the hazard's last one (observed
// time, then inspection id to order equal times the same way everywhere).
[[nodiscard]] bool is_newer(const HazardSighting& s, const store::Hazard& h);

// `h` (not closed) found again by `s`: one more occurrence; last_found_at and
// last_inspection_id move to `s` only when it is newer, first_found_at and
// first_inspection_id only when it is older; note: the newest sighting's
// note when it has one, and a late sighting fills an empty note only;
// photo_missing stays set only while every sighting lacks its photo;
// severity and state are left alone; updated_at = now.
void found_again(store::Hazard& h, const HazardSighting& s, store::Ms now);

// A photo named for `h`'s item by one of its sightings arrived. True (and
// photo_missing cleared, updated_at = now) when that changes `h`.
[[nodiscard]] bool photo_arrived(store::Hazard& h, store::Ms now);

}  // namespace patrol::domain
