// A round's life: planned → in_progress → completed | missed | cancelled,
// decided from the op's DEVICE time (corrected by the clock offset), so a
// phone that was offline all evening and pushes at midnight gets the same
// answer it would have got online.
//
//   start   planned|missed → in_progress when the device time lies in the
//           start window [starts_at − early, starts_at + grace]; a missed
//           round whose start was only heard late is revived (the timer could
//           not know). Another member's start of an in_progress or completed
//           round is a no-op that keeps the earliest start.
//   finish  in_progress → completed; a second finish keeps the latest time.
//   checkin (and an inspection naming the round) starts a planned/missed
//           round like `start` when inside the window; visits a started one.
//   timer   planned → missed once now ≥ starts_at + grace.
//   cancel  planned → cancelled (a schedule exception or an admin).
//
// Pure, thread-safe.
#pragma once

#include <boost/system/result.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/local_time.hpp"
#include "domain/round_progress.hpp"
#include "patrol/wire/field_error.hpp"

namespace patrol::domain {

enum class RoundState { planned, in_progress, completed, missed, cancelled };

std::string_view to_string(RoundState s) noexcept;
std::optional<RoundState> parse_round_state(std::string_view s) noexcept;

struct RoundTimes {
  RoundState state = RoundState::planned;
  Ms starts_at = 0;  // planned
  Ms ends_at = 0;    // planned
  std::optional<Ms> started_at;
  std::optional<Ms> finished_at;
};

struct RoundPolicy {
  Ms grace_ms = 30 * 60'000;  // --round-grace
  Ms early_ms = 60 * 60'000;  // a start this long before starts_at is accepted
};

enum class RoundAction { start, finish, checkin };

// What an op does to a round: the new times, or a rejection naming the field.
// `changed` is false for an accepted no-op (a second start).
struct RoundDecision {
  RoundTimes next;
  bool changed = false;
};

// Codes: invalid_transition (field "body.round_id", message names the state),
// too_early / too_late (field "device_time").
boost::system::result<RoundDecision, wire::FieldError> apply(const RoundTimes& r, RoundAction a,
                                                             Ms device_t, const RoundPolicy& p);

// The instant the timer turns a planned round missed.
inline Ms missed_due(const RoundTimes& r, const RoundPolicy& p) noexcept {
  return r.starts_at + p.grace_ms;
}
inline bool is_missed(const RoundTimes& r, Ms now, const RoundPolicy& p) noexcept {
  return r.state == RoundState::planned && now >= missed_due(r, p);
}

// "90s", "30m", "2h", "1d" or bare seconds "45" → milliseconds; nullopt for
// anything else (empty, negative, unknown unit, overflow). For --round-grace.
std::optional<Ms> parse_duration(std::string_view s) noexcept;

// ---- progress (domain/round_progress.hpp) ----

// progress_between() over the round's own start and finish.
inline RoundProgress progress(const RoundTimes& r, const std::vector<SitePoint>& route,
                              double geofence_m, const std::vector<std::string>& visits,
                              std::vector<TrackSample> track,
                              const std::vector<std::string>& members, Ms now) {
  return progress_between(r.started_at, r.finished_at, route, geofence_m, visits, std::move(track),
                          members, now);
}

}  // namespace patrol::domain
