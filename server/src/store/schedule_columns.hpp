#pragma once
// The columns of a schedule and a round page that both stores keep in the
// same text form (sqlite_rounds.cpp, pg_rounds.cpp): weekdays and exceptions
// as JSON arrays, and the rounds list's cursor "STARTS_AT.ID". One place, so
// a row written by one store reads the same in the other and a cursor from
// one node pages on another.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/entities.hpp"

namespace patrol::store {

// [1,3,5] ⇄ {1,3,5}. Parsing throws on text that is not such an array (a
// corrupt row: the caller's read fails as a store error).
std::vector<int> parse_weekdays(std::string_view json);
std::string weekdays_json(const std::vector<int>& weekdays);

// [{"date":"2026-10-01","action":"cancel"},{"date":…,"action":"move",
// "start_time":"20:00"}] ⇄ the entries.
std::vector<ScheduleExceptionEntry> parse_exceptions(std::string_view json);
std::string exceptions_json(const std::vector<ScheduleExceptionEntry>& exceptions);

// Where a page of rounds (ordered by starts_at, id) resumes: after (t, id).
struct RoundCursor {
  Ms t;
  std::string id;
};
// No cursor: before every round. Throws std::invalid_argument /
// std::out_of_range on a cursor whose time is not a number.
RoundCursor parse_round_cursor(const std::optional<std::string>& after);
std::string round_cursor(const Round& last);

}  // namespace patrol::store
