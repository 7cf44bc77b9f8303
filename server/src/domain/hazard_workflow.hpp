// The hazard lifecycle (隐患整改): who may move a hazard from which state to
// which, its deadline by severity, when it is overdue, and how far up the
// organisation it has escalated (三级联创: village → town → city).
//
//   open      → assigned    team_leader, village_admin, town_staff, city_admin
//   assigned  → rectified   everyone (a volunteer reports the owner's fix)
//   rectified → verified    everyone (a volunteer verifies at the next round)
//   rectified → assigned    everyone (verification failed: back to work)
//   verified  → closed      village_admin, town_staff, city_admin
//
// A transition not in this graph is 409 invalid_transition (naming both
// states); one in the graph that the caller's role may not make is 403. The
// deadline runs from when the hazard was first found (an unassigned hazard
// still falls due), and an assignment may set another. Overdue: open or
// assigned past the deadline. Escalation: village until overdue, town once
// overdue, city once overdue by `city_after_ms`.
//
// Pure, thread-safe.
#pragma once

#include <array>
#include <boost/system/result.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "domain/local_time.hpp"
#include "patrol/wire/field_error.hpp"

namespace patrol::domain {

enum class HazardState { open, assigned, rectified, verified, closed };
enum class Escalation { village, town, city };

std::string_view to_string(HazardState s) noexcept;
std::string_view to_string(Escalation e) noexcept;
std::optional<HazardState> parse_hazard_state(std::string_view s) noexcept;
std::optional<Escalation> parse_escalation(std::string_view s) noexcept;

inline constexpr std::array<std::string_view, 5> kRoles = {
    "volunteer", "team_leader", "village_admin", "town_staff", "city_admin"};
// Rank of a role in domain/roles.hpp's table (volunteer 0 … city_admin 4);
// -1 for an unknown role.
int role_rank(std::string_view role) noexcept;

// True when `from → to` is an edge of the lifecycle graph.
bool transition_exists(HazardState from, HazardState to) noexcept;
// True when `role` may make the (existing) transition `from → to`.
bool role_may_transition(std::string_view role, HazardState from, HazardState to) noexcept;

struct TransitionRequest {
  std::string to;  // as the client sent it
  std::optional<std::string> assignee_id;
  std::optional<Ms> deadline;
};

// The outcome of checking a transition: the status the API answers with
// (422 bad `to` / missing assignee, 409 not from this state, 403 role) and the
// FieldError; success is the new state.
struct TransitionRefusal {
  int status = 409;
  wire::FieldError error;
};

boost::system::result<HazardState, TransitionRefusal> check_transition(
    std::string_view role, HazardState from, const TransitionRequest& req);

struct HazardPolicy {
  // Time allowed to rectify, by item severity; unknown severities get `fallback_ms`.
  std::map<std::string, Ms, std::less<>> deadline_ms = {
      {"critical", 24 * 3600'000LL},
      {"high", 3 * 24 * 3600'000LL},
      {"medium", 7 * 24 * 3600'000LL},
      {"low", 14 * 24 * 3600'000LL},
  };
  Ms fallback_ms = 7 * 24 * 3600'000LL;
  Ms city_after_ms = 3 * 24 * 3600'000LL;  // overdue this long → city
};

Ms default_deadline(std::string_view severity, Ms found_at, const HazardPolicy& p);

// Open or assigned past the deadline.
bool is_overdue(HazardState s, std::optional<Ms> deadline, Ms now) noexcept;
Escalation escalation(HazardState s, std::optional<Ms> deadline, Ms now,
                      const HazardPolicy& p) noexcept;
// The next instant at which escalation() changes for this hazard (nullopt: never
// again, e.g. rectified, closed, or already at city). The timer sleeps until
// the earliest of these.
std::optional<Ms> next_escalation_at(HazardState s, std::optional<Ms> deadline, Ms now,
                                     const HazardPolicy& p) noexcept;

}  // namespace patrol::domain
