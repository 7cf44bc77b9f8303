// Schedule recurrence: a team's rule ("Mon/Wed/Fri 19:00 for 120 min in
// Asia/Shanghai from 2026-09-01, not on 2026-10-01, at 20:00 on 2026-10-09")
// expanded into dated rounds with their UTC instants.
//
// A round belongs to the LOCAL date its start falls on: "Monday 23:30 for
// 60 min" is Monday's round even though it ends on Tuesday, and a 00:30 start
// on a Monday in China is Sunday 16:30 UTC. Round ids are derived from
// (schedule id, local date), so expanding the same rule twice yields the same
// ids: regeneration is idempotent, and a store upserts by id.
//
// Pure, thread-safe.
#pragma once

#include <boost/system/result.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/local_time.hpp"
#include "patrol/wire/field_error.hpp"

namespace patrol::domain {

template <class T>
using checked = boost::system::result<T, wire::FieldError>;

struct ScheduleException {
  CivilDate date;
  enum class Action { cancel, move } action = Action::cancel;
  std::optional<int> start_minute;  // the moved start (move only), minutes after local midnight
};

struct Recurrence {
  std::vector<int> weekdays;  // ISO 1 = Monday … 7 = Sunday
  int start_minute = 19 * 60;
  int duration_min = 120;
  std::string tz{kDefaultTz};
  CivilDate starts_on;
  std::optional<CivilDate> ends_on;  // inclusive
  std::vector<ScheduleException> exceptions;
};

// Checks a rule as a client sent it; the error names the schedule's field
// ("weekdays[2]", "exceptions[0].start_time", "tz", "ends_on", …).
std::optional<wire::FieldError> validate(const Recurrence& r);

struct Occurrence {
  CivilDate date;          // local date of the (planned) start
  Ms starts_at = 0;        // UTC
  Ms ends_at = 0;          // UTC, starts_at + duration
  bool cancelled = false;  // an exception cancelled it: the round exists, state cancelled
  bool moved = false;      // an exception moved its start time
};

// The occurrences whose [starts_at, ends_at) overlaps [from, to), in time
// order. Cancelled dates are included (flagged) so the calendar shows them.
// Fails (field "tz") only for an unknown zone; an invalid rule yields what
// validate() would report.
checked<std::vector<Occurrence>> occurrences(const Recurrence& r, Ms from, Ms to);

// Deterministic round id for (schedule, local date): a UUID (version 8,
// RFC 9562 §5.8) from SHA-256("patrol.round\0" schedule_id "\0" date).
std::string round_id(std::string_view schedule_id, CivilDate date);

}  // namespace patrol::domain
