#include "domain/round_planner.hpp"

namespace patrol::domain {

checked<Recurrence> recurrence_of(const store::Schedule& s) {
  Recurrence r;
  r.weekdays = s.weekdays;
  auto start = parse_hhmm(s.start_time);
  if (!start) return wire::FieldError{"invalid_value", "start_time", "HH:MM, 00:00 to 23:59"};
  r.start_minute = *start;
  r.duration_min = s.duration_min;
  r.tz = s.tz.empty() ? std::string(kDefaultTz) : s.tz;
  auto from = parse_date(s.starts_on);
  if (!from) return wire::FieldError{"invalid_value", "starts_on", "a date YYYY-MM-DD"};
  r.starts_on = *from;
  if (s.ends_on) {
    auto to = parse_date(*s.ends_on);
    if (!to) return wire::FieldError{"invalid_value", "ends_on", "a date YYYY-MM-DD or null"};
    r.ends_on = *to;
  }
  for (std::size_t i = 0; i < s.exceptions.size(); ++i) {
    const auto& e = s.exceptions[i];
    std::string f = "exceptions[" + std::to_string(i) + "]";
    ScheduleException x;
    auto d = parse_date(e.date);
    if (!d) return wire::FieldError{"invalid_value", f + ".date", "a date YYYY-MM-DD"};
    x.date = *d;
    if (e.action == "cancel") {
      x.action = ScheduleException::Action::cancel;
    } else if (e.action == "move") {
      x.action = ScheduleException::Action::move;
    } else {
      return wire::FieldError{"invalid_value", f + ".action", "cancel or move"};
    }
    if (e.start_time) {
      auto m = parse_hhmm(*e.start_time);
      if (!m) return wire::FieldError{"invalid_value", f + ".start_time", "HH:MM"};
      x.start_minute = *m;
    }
    r.exceptions.push_back(x);
  }
  if (auto err = validate(r)) return *err;
  return r;
}

checked<std::vector<store::Round>> plan_rounds(const store::Schedule& s, Ms from, Ms to, Ms now) {
  auto rule = recurrence_of(s);
  if (!rule) return rule.error();
  auto occ = occurrences(*rule, from, to);
  if (!occ) return occ.error();
  std::vector<store::Round> out;
  out.reserve(occ->size());
  for (const auto& o : *occ) {
    store::Round r;
    r.id = round_id(s.id, o.date);
    r.schedule_id = s.id;
    r.team_id = s.team_id;
    r.org_unit_id = s.org_unit_id;
    r.org_path = s.org_path;
    r.date = format_date(o.date);
    r.starts_at = o.starts_at;
    r.ends_at = o.ends_at;
    r.state = o.cancelled ? "cancelled" : "planned";
    r.route = s.route;
    r.updated_at = now;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace patrol::domain
