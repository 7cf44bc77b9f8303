// patrol::store — an inspection's REST shape written as JSON text straight
// from its row, for the live feed's tails (live_store.hpp): the bytes of
// boost::json::serialize(to_json(Inspection)) without building the
// Inspection, its items or a JSON object. The items column is spliced in as
// stored (items_json()), only "note":"" and "photos":[] added where it leaves
// them out; a column in any other form (not written by items_json()) is
// parsed and serialised as before, so the text is the same either way.
//
// Thread safety: pure functions. Errors: a stored items column that is not
// JSON throws as read_items() does (the tail fails; nothing is published).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "patrol/wire/json_text.hpp"
#include "store/entities.hpp"

namespace patrol::store {

// One inspections row, as views of the columns read (valid while the call
// below runs).
struct InspectionColumns {
  std::string_view id, op_id, site_id;
  std::int64_t org_unit_id = 0;
  std::string_view user_id, device_id, template_id;
  std::int64_t template_version = 0;
  std::optional<std::string_view> round_id;
  std::string_view observed_at;
  Ms observed_ms = 0;
  Ms received_ms = 0;
  std::optional<GeoPoint> position;
  std::string_view note;
  std::string_view items;  // the column as stored (items_json())
};

// Appends to_json(Inspection) of the row, serialised: exactly
// boost::json::serialize(to_json(i)) for the Inspection `i` read from it.
void append_inspection_json(std::string& out, const InspectionColumns& row);

// Room for what append_inspection_json() writes, to reserve once, with the
// live event's envelope (~72 bytes, live/messages.cpp) around it: ~415 bytes
// of names, punctuation, times and numbers, the strings as they are (nothing
// to escape in ids; an escape in a note may still grow the string once), and
// each item's `,"note":"","photos":[]` (22 bytes) over its stored form.
inline std::size_t inspection_json_size(const InspectionColumns& r) {
  return 512 + r.id.size() + r.op_id.size() + r.site_id.size() + r.user_id.size() +
         r.device_id.size() + r.template_id.size() + (r.round_id ? r.round_id->size() : 0) +
         r.observed_at.size() + r.note.size() + 2 * r.items.size();
}

// Appends the `items` member's value as to_json(Inspection) serialises it
// (every item {"code","result","note","photos"}) from the stored column.
// True when the column was spliced (items_json()'s form); false when it had
// to be parsed.
bool append_wire_items(std::string& out, std::string_view stored);

// Appends `s` as a JSON string, escaped as boost::json::serialize does.
using wire::append_json_string;

}  // namespace patrol::store
