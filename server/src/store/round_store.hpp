// patrol::store::RoundStore — schedules and their rounds: CRUD of schedules,
// the rounds planned from them (generated ahead by domain::plan_rounds), round
// reads, and the read-decide-write of a round's state where the decision is a
// domain function run inside the write transaction (so two phones' ops on one
// round are decided one after the other, never on a stale read).
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <boost/system/result.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "patrol/wire/field_error.hpp"
#include "store/audit_store.hpp"
#include "store/entities.hpp"
#include "store/errors.hpp"
#include "store/page.hpp"

namespace patrol::store {

struct ScheduleFilter {
  std::string scope_path;
  std::optional<std::string> team_id;
  std::optional<std::string> after;  // schedule id
  int limit = 100;
};

struct RoundFilter {
  std::string scope_path;
  std::optional<std::string> team_id;
  std::optional<Ms> from;  // starts_at >= from
  std::optional<Ms> to;    // starts_at < to
  std::optional<std::string> state;
  std::optional<std::string> after;  // "<starts_at>.<id>" of the previous page's last round
  int limit = 100;
};

// What a round's progress is computed from (domain::progress).
struct RoundActivity {
  std::vector<Site> route_sites;                   // in route order (missing sites left out)
  std::vector<std::string> visited_site_ids;       // check-ins and inspections naming the round
  std::vector<std::string> member_ids;             // users who checked in or inspected
  std::vector<std::pair<std::string, TrackPoint>>  // (user id, point) of the team's members
      track;                                       // in [from, to]
};

// A decision about a round taken inside the write transaction: the round as
// it will be stored, or nullopt for "leave it as it is".
using RoundDecider = std::function<std::optional<Round>(const Round& current)>;

// A round op of sync/push (round.start, round.finish, round.checkin) after
// domain validation, applied in the push's write transaction on the round's
// current row: `decide` answers the round as it will be stored (nullopt:
// unchanged, still applied) or the rejection recorded for the op.
struct RoundOpWrite {
  std::string round_id;
  std::string user_id;
  Ms at = 0;                                   // corrected device time
  std::optional<std::string> checkin_site_id;  // round.checkin: recorded with user_id and at
  std::function<boost::system::result<std::optional<Round>, wire::FieldError>(const Round&)> decide;
};

class RoundStore {
 public:
  virtual ~RoundStore() = default;

  // A live team without its members; not_found when unknown or deleted.
  [[nodiscard]] virtual result<Team> team(std::string_view id) = 0;
  // not_found also for a deleted schedule.
  [[nodiscard]] virtual result<Schedule> schedule(std::string_view id) = 0;
  // Live schedules in scope ordered by id.
  [[nodiscard]] virtual result<Page<Schedule>> schedules(const ScheduleFilter& f) = 0;
  // Every live schedule (the planner's input), whatever its scope.
  [[nodiscard]] virtual result<std::vector<Schedule>> all_schedules() = 0;

  // Inserts or replaces `s` and reconciles its rounds in [plan_from, plan_to):
  // a round of `plan` that does not exist is inserted; one that exists and is
  // still planned or cancelled takes the plan's times, state and route; rounds
  // of this schedule still planned or cancelled in the window that `plan` no
  // longer has are deleted. Started, completed and missed rounds are never
  // touched. Change-log entries for the schedule and every round written.
  // `audit`, when set, is appended in the same transaction (AuditStore).
  [[nodiscard]] virtual result<void> put_schedule(const Schedule& s, const std::vector<Round>& plan,
                                                  Ms plan_from, Ms plan_to,
                                                  const std::optional<AuditEntry>& audit) = 0;
  // Deletes the schedule (kept as a tombstone for its past rounds) and its
  // rounds that are still planned or cancelled; change-log delete entries;
  // `audit` as above.
  [[nodiscard]] virtual result<void> delete_schedule(std::string_view id, Ms now,
                                                     const std::optional<AuditEntry>& audit) = 0;
  // Inserts the rounds of `plan` that do not exist yet (by id); existing ones
  // are left alone. Returns the rounds inserted. (The horizon planner.)
  [[nodiscard]] virtual result<std::vector<Round>> add_rounds(const std::vector<Round>& plan) = 0;

  // Rounds in scope ordered by (starts_at, id).
  [[nodiscard]] virtual result<Page<Round>> rounds(const RoundFilter& f) = 0;
  // Planned rounds with starts_at <= `starts_before`, oldest first (the missed-round timer).
  [[nodiscard]] virtual result<std::vector<Round>> planned_rounds_starting_before(Ms starts_before,
                                                                                  int limit) = 0;
  // The earliest starts_at of a planned round (nullopt when none): when the
  // missed-round timer next has work.
  [[nodiscard]] virtual result<std::optional<Ms>> earliest_planned_start() = 0;

  // Runs `decide` on each round's current row inside one write transaction and
  // stores what it returns (with a change-log entry). Returns the rounds that
  // changed. Unknown ids are skipped.
  [[nodiscard]] virtual result<std::vector<Round>> update_rounds(
      const std::vector<std::string>& ids, RoundDecider decide) = 0;

  // What the progress of `round` is computed from, for the window [from, to].
  [[nodiscard]] virtual result<RoundActivity> round_activity(const Round& round, Ms from,
                                                             Ms to) = 0;
  // Records a check-in (idempotent per round, site and user).
  [[nodiscard]] virtual result<void> add_checkin(std::string_view round_id,
                                                 std::string_view site_id, std::string_view user_id,
                                                 Ms at) = 0;
};

}  // namespace patrol::store
