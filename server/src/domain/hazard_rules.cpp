#include "domain/hazard_rules.hpp"

#include <utility>

namespace patrol::domain {

store::Hazard open_hazard(const HazardSighting& s, std::string id, store::Ms now) {
  store::Hazard h;
  h.id = std::move(id);
  h.site_id = s.site_id;
  h.org_unit_id = s.org_unit_id;
  h.org_path = s.org_path;
  h.item_code = s.item_code;
  h.severity = s.severity;
  h.state = "open";
  h.photo_missing = s.photo_missing;
  h.occurrences = 1;
  h.first_found_at = s.observed_ms;
  h.last_found_at = s.observed_ms;
  h.first_inspection_id = s.inspection_id;
  h.last_inspection_id = s.inspection_id;
  h.note = s.note;
  h.updated_at = now;
  return h;
}

bool is_newer(const HazardSighting& s, const store::Hazard& h) {
  if (s.observed_ms != h.last_found_at) return s.observed_ms > h.last_found_at;
  return s.inspection_id > h.last_inspection_id;
}

namespace {
bool is_older(const HazardSighting& s, const store::Hazard& h) {
  if (s.observed_ms != h.first_found_at) return s.observed_ms < h.first_found_at;
  return s.inspection_id < h.first_inspection_id;
}
}  // namespace

void found_again(store::Hazard& h, const HazardSighting& s, store::Ms now) {
  ++h.occurrences;
  if (is_newer(s, h)) {
    h.last_found_at = s.observed_ms;
    h.last_inspection_id = s.inspection_id;
    if (!s.note.empty()) h.note = s.note;
  } else if (h.note.empty()) {
    h.note = s.note;
  }
  if (is_older(s, h)) {
    h.first_found_at = s.observed_ms;
    h.first_inspection_id = s.inspection_id;
  }
  h.photo_missing = h.photo_missing && s.photo_missing;
  h.updated_at = now;
}

bool photo_arrived(store::Hazard& h, store::Ms now) {
  if (!h.photo_missing) return false;
  h.photo_missing = false;
  h.updated_at = now;
  return true;
}

}  // namespace patrol::domain
