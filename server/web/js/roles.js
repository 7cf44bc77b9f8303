// Roles and what each may do, as the server decides it (domain/roles.hpp,
// domain/hazard_workflow.cpp, domain/admin_rules.hpp). The page only uses this
// to offer the buttons that can work; the server still answers 403/409.

export const ROLES = ['volunteer', 'team_leader', 'village_admin', 'town_staff', 'city_admin'];

export function roleRank(role) { return ROLES.indexOf(role); }

export const HAZARD_STATES = ['open', 'assigned', 'rectified', 'verified', 'closed'];

// The lifecycle graph with the lowest role allowed on each edge.
const EDGES = [
  { from: 'open', to: 'assigned', min: 'team_leader' },
  { from: 'assigned', to: 'rectified', min: 'volunteer' },
  { from: 'rectified', to: 'verified', min: 'volunteer' },
  { from: 'rectified', to: 'assigned', min: 'volunteer' },  // verification failed
  { from: 'verified', to: 'closed', min: 'village_admin' },
];

// The states a hazard in `from` may move to by `role`.
export function nextStates(from, role) {
  return EDGES.filter((e) => e.from === from && roleRank(role) >= roleRank(e.min)).map((e) => e.to);
}

export const mayPlanRounds = (role) => roleRank(role) >= roleRank('team_leader');
export const mayAdminister = (role) => roleRank(role) >= roleRank('village_admin');
// Roles a caller may give: never above their own.
export const grantable = (role) => (mayAdminister(role) ? ROLES.slice(0, roleRank(role) + 1) : []);
