#include "domain/hazard_workflow.hpp"

#include "domain/roles.hpp"

namespace patrol::domain {
namespace {

using HS = HazardState;

// The lifecycle graph with the lowest role rank allowed on each edge.
struct Edge {
  HS from;
  HS to;
  int min_rank;
};
constexpr Edge kEdges[] = {
    {HS::open, HS::assigned, 1},       // team_leader and up
    {HS::assigned, HS::rectified, 0},  // everyone
    {HS::rectified, HS::verified, 0},  // everyone
    {HS::rectified, HS::assigned, 0},  // verification failed
    {HS::verified, HS::closed, 2},     // village_admin and up
};

const Edge* find_edge(HS from, HS to) noexcept {
  for (const auto& e : kEdges)
    if (e.from == from && e.to == to) return &e;
  return nullptr;
}

}  // namespace

std::string_view to_string(HazardState s) noexcept {
  switch (s) {
    case HS::open:
      return "open";
    case HS::assigned:
      return "assigned";
    case HS::rectified:
      return "rectified";
    case HS::verified:
      return "verified";
    case HS::closed:
      return "closed";
  }
  return "open";
}

std::string_view to_string(Escalation e) noexcept {
  switch (e) {
    case Escalation::village:
      return "village";
    case Escalation::town:
      return "town";
    case Escalation::city:
      return "city";
  }
  return "village";
}

std::optional<HazardState> parse_hazard_state(std::string_view s) noexcept {
  for (auto st : {HS::open, HS::assigned, HS::rectified, HS::verified, HS::closed})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

std::optional<Escalation> parse_escalation(std::string_view s) noexcept {
  for (auto e : {Escalation::village, Escalation::town, Escalation::city})
    if (to_string(e) == s) return e;
  return std::nullopt;
}

int role_rank(std::string_view role) noexcept {
  // The role table of domain/roles.hpp (lowest to highest): an unknown role
  // has no rank and so no right.
  auto r = parse_role(role);
  return r ? static_cast<int>(*r) : -1;
}

bool transition_exists(HazardState from, HazardState to) noexcept {
  return find_edge(from, to) != nullptr;
}

bool role_may_transition(std::string_view role, HazardState from, HazardState to) noexcept {
  const Edge* e = find_edge(from, to);
  int rank = role_rank(role);
  return e && rank >= 0 && rank >= e->min_rank;
}

boost::system::result<HazardState, TransitionRefusal> check_transition(
    std::string_view role, HazardState from, const TransitionRequest& req) {
  auto to = parse_hazard_state(req.to);
  if (!to)
    return TransitionRefusal{
        422, {"invalid_value", "to", "one of open, assigned, rectified, verified, closed"}};
  if (!transition_exists(from, *to))
    return TransitionRefusal{409,
                             {"invalid_transition", "to",
                              "a hazard that is " + std::string(to_string(from)) +
                                  " cannot become " + std::string(to_string(*to))}};
  if (!role_may_transition(role, from, *to))
    return TransitionRefusal{
        403,
        {"forbidden", "to",
         "a " + std::string(role) + " may not move a hazard from " + std::string(to_string(from)) +
             " to " + std::string(to_string(*to))}};
  if (*to == HS::assigned && from == HS::open && !req.assignee_id)
    return TransitionRefusal{422, {"required", "assignee_id", "an assignment names the assignee"}};
  return *to;
}

Ms default_deadline(std::string_view severity, Ms found_at, const HazardPolicy& p) {
  auto it = p.deadline_ms.find(severity);
  return found_at + (it == p.deadline_ms.end() ? p.fallback_ms : it->second);
}

bool is_overdue(HazardState s, std::optional<Ms> deadline, Ms now) noexcept {
  return (s == HS::open || s == HS::assigned) && deadline && now > *deadline;
}

Escalation escalation(HazardState s, std::optional<Ms> deadline, Ms now,
                      const HazardPolicy& p) noexcept {
  if (!is_overdue(s, deadline, now)) return Escalation::village;
  return now > *deadline + p.city_after_ms ? Escalation::city : Escalation::town;
}

std::optional<Ms> next_escalation_at(HazardState s, std::optional<Ms> deadline, Ms now,
                                     const HazardPolicy& p) noexcept {
  if (!deadline || !(s == HS::open || s == HS::assigned)) return std::nullopt;
  // is_overdue is strict (now > deadline): the change happens 1 ms after.
  if (now <= *deadline) return *deadline + 1;
  if (now <= *deadline + p.city_after_ms) return *deadline + p.city_after_ms + 1;
  return std::nullopt;
}

}  // namespace patrol::domain
