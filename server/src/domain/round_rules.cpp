#include "domain/round_rules.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace patrol::domain {
namespace {

using Decision = boost::system::result<RoundDecision, wire::FieldError>;

wire::FieldError invalid(RoundState from, std::string_view what) {
  return {"invalid_transition", "body.round_id",
          std::string("cannot ") + std::string(what) + " a round that is " +
              std::string(to_string(from))};
}

// planned|missed → in_progress when `t` is inside the start window.
Decision start_now(const RoundTimes& r, Ms t, const RoundPolicy& p) {
  if (t < r.starts_at - p.early_ms)
    return wire::FieldError{"too_early", "device_time",
                            "the round's start window has not opened at this device time"};
  if (t > r.starts_at + p.grace_ms)
    return wire::FieldError{"too_late", "device_time",
                            "the round's grace period had passed at this device time"};
  RoundDecision d{r, true};
  d.next.state = RoundState::in_progress;
  d.next.started_at = t;
  d.next.finished_at.reset();
  return d;
}

}  // namespace

std::string_view to_string(RoundState s) noexcept {
  switch (s) {
    case RoundState::planned:
      return "planned";
    case RoundState::in_progress:
      return "in_progress";
    case RoundState::completed:
      return "completed";
    case RoundState::missed:
      return "missed";
    case RoundState::cancelled:
      return "cancelled";
  }
  return "planned";
}

std::optional<RoundState> parse_round_state(std::string_view s) noexcept {
  for (auto st : {RoundState::planned, RoundState::in_progress, RoundState::completed,
                  RoundState::missed, RoundState::cancelled})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

Decision apply(const RoundTimes& r, RoundAction a, Ms t, const RoundPolicy& p) {
  switch (a) {
    case RoundAction::start:
      switch (r.state) {
        case RoundState::planned:
        case RoundState::missed:
          return start_now(r, t, p);
        case RoundState::in_progress:
        case RoundState::completed: {
          // Another member's phone: keep the earliest start.
          RoundDecision d{r, false};
          if (!r.started_at || t < *r.started_at) {
            d.next.started_at = t;
            d.changed = true;
          }
          return d;
        }
        case RoundState::cancelled:
          return invalid(r.state, "start");
      }
      break;
    case RoundAction::finish:
      switch (r.state) {
        case RoundState::in_progress: {
          RoundDecision d{r, true};
          d.next.state = RoundState::completed;
          d.next.finished_at = std::max(t, r.started_at.value_or(t));
          return d;
        }
        case RoundState::completed: {
          RoundDecision d{r, false};
          if (!r.finished_at || t > *r.finished_at) {
            d.next.finished_at = t;
            d.changed = true;
          }
          return d;
        }
        case RoundState::planned:
        case RoundState::missed:
        case RoundState::cancelled:
          return invalid(r.state, "finish");
      }
      break;
    case RoundAction::checkin:
      switch (r.state) {
        case RoundState::planned:
        case RoundState::missed:
          return start_now(r, t, p);
        case RoundState::in_progress:
        case RoundState::completed:
          return RoundDecision{r, false};
        case RoundState::cancelled:
          return invalid(r.state, "check in to");
      }
      break;
  }
  return invalid(r.state, "change");
}

std::optional<Ms> parse_duration(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  Ms unit = 1000;
  switch (s.back()) {
    case 's':
      s.remove_suffix(1);
      break;
    case 'm':
      unit = 60'000;
      s.remove_suffix(1);
      break;
    case 'h':
      unit = 3'600'000;
      s.remove_suffix(1);
      break;
    case 'd':
      unit = 86'400'000;
      s.remove_suffix(1);
      break;
    default:
      break;
  }
  if (s.empty() || s.size() > 9) return std::nullopt;
  Ms v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v * unit;
}

}  // namespace patrol::domain
