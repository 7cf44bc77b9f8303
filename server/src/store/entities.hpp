// The entities the store keeps, as plain values, and their JSON shapes. One
// rendering for both the read routes and the change log of sync/pull, so a
// device caches exactly what the dashboard shows. Times are milliseconds since
// the Unix epoch (UTC) here and RFC 3339 on the wire.
//
// All functions are pure and thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "patrol/wire/field_error.hpp"
#include "patrol/wire/messages.hpp"

namespace patrol::store {

using Ms = std::int64_t;  // milliseconds since the Unix epoch, UTC

struct OrgUnit {
  std::int64_t id = 0;
  std::optional<std::int64_t> parent_id;
  std::string kind;  // city | town | village | grid
  std::string name;
  std::string path;  // materialized path, e.g. "/1/4/37/"
};

struct User {
  std::string id;
  std::string phone;
  std::string name;
  std::string role;
  std::int64_t org_unit_id = 0;
  std::string org_path;
  bool disabled = false;  // may not log in (admin DELETE); kept for what it reported
};

struct TeamMember {
  std::string user_id;
  std::string name;
  std::string role;  // leader | member
};

struct Team {
  std::string id;
  std::int64_t org_unit_id = 0;
  std::string org_path;
  std::string name;
  std::optional<std::string> leader_id;
  std::vector<TeamMember> members;
};

struct Site {
  std::string id;
  std::int64_t org_unit_id = 0;
  std::string org_path;
  std::string name;
  std::string category;
  std::string address;
  double lat = 0;
  double lon = 0;
  std::string template_id;
  Ms updated_at = 0;
  bool deleted = false;  // admin DELETE; kept for what names it, not listed
};

using ChecklistTemplate = wire::ChecklistTemplate;
using TemplateItem = wire::TemplateItem;

// A dated exception of a schedule: the round of `date` is cancelled, or
// moved to `start_time` (local "HH:MM") that day.
struct ScheduleExceptionEntry {
  std::string date;    // "2026-10-01"
  std::string action;  // cancel | move
  std::optional<std::string> start_time;
};

struct Schedule {
  std::string id;
  std::string team_id;
  std::int64_t org_unit_id = 0;
  std::string org_path;
  std::string name;
  std::vector<int> weekdays;  // ISO: 1 = Monday … 7 = Sunday
  std::string start_time;     // "19:00", local time in tz
  int duration_min = 0;
  std::string tz;                      // "Asia/Shanghai"
  std::vector<std::string> route;      // site ids in walking order
  double geofence_m = 50;              // a track point this close to a route site visits it
  std::string starts_on;               // local date "2026-11-02" (first possible round)
  std::optional<std::string> ends_on;  // local date, inclusive; none = open-ended
  std::vector<ScheduleExceptionEntry> exceptions;
  Ms updated_at = 0;
};

struct Round {
  std::string id;
  std::string schedule_id;
  std::string team_id;
  std::int64_t org_unit_id = 0;
  std::string org_path;
  std::string date;  // local date "2026-11-30"
  Ms starts_at = 0;
  Ms ends_at = 0;
  std::string state;  // planned | in_progress | completed | missed | cancelled
  std::optional<Ms> started_at;
  std::optional<Ms> finished_at;
  std::vector<std::string> route;  // the schedule's route when the round was planned
  // Progress as last computed (domain::progress); all zero until started.
  int sites_visited = 0;
  double distance_m = 0;
  // Hazards at the route's sites that are not closed when the round was last
  // written: the phone verifies them on the walk (their data comes as `hazard`
  // changes of the same pull).
  std::vector<std::string> open_hazard_ids;
  Ms updated_at = 0;
};

struct GeoPoint {
  double lat = 0;
  double lon = 0;
  std::optional<double> accuracy_m;
};

struct InspectionItem {
  std::string code;
  std::string result;  // ok | hazard | not_applicable
  std::string note;
  std::vector<std::string> photos;  // sha256 hex
};

struct Inspection {
  std::int64_t seq = 0;  // store order, the paging key
  std::string id;
  std::string op_id;
  std::string site_id;
  std::int64_t org_unit_id = 0;
  std::string org_path;
  std::string user_id;
  std::string device_id;
  std::string template_id;
  std::int64_t template_version = 0;
  std::optional<std::string> round_id;
  std::string observed_at;  // exactly as the device sent it
  Ms observed_ms = 0;       // corrected by the device's clock offset
  Ms received_ms = 0;
  std::optional<GeoPoint> position;  // WGS84
  std::string note;
  std::vector<InspectionItem> items;
};

struct Hazard {
  std::string id;
  std::string site_id;
  std::int64_t org_unit_id = 0;
  std::string org_path;
  std::string item_code;
  std::string severity;
  std::string state;  // open | assigned | rectified | verified | closed
  bool photo_missing = false;
  std::int64_t occurrences = 0;
  Ms first_found_at = 0;
  Ms last_found_at = 0;
  std::string first_inspection_id;
  std::string last_inspection_id;
  std::string note;
  Ms updated_at = 0;
  std::optional<std::string> assignee_id;
  std::optional<Ms> deadline;          // set by the timer from the severity when none was given
  bool overdue = false;                // as the timer last decided (domain::is_overdue)
  std::string escalation = "village";  // village | town | city, never decreases
  std::optional<Ms> closed_at;
  // When the timer must look at it again (domain::next_escalation_at); not on
  // the wire. Unset with no deadline yet: the timer gives it one.
  std::optional<Ms> next_check_at;
};

// One step of a hazard's history (a transition, by whom, with what evidence).
struct HazardHistoryEntry {
  Ms at = 0;
  std::string by;  // user id ("system" for the timer)
  std::string from;
  std::string to;
  std::string note;
  std::vector<std::string> photos;
};

struct TrackPoint {
  std::int64_t seq = 0;
  std::string user_id;
  Ms t = 0;  // corrected device time
  double lat = 0;
  double lon = 0;
  std::optional<double> accuracy_m;
};

struct LatestPosition {
  std::string user_id;
  std::string user_name;
  std::int64_t org_unit_id = 0;
  Ms t = 0;
  double lat = 0;
  double lon = 0;
  std::optional<double> accuracy_m;
};

struct SosAlert {
  std::int64_t seq = 0;
  std::string id;
  std::string user_id;
  std::string user_name;
  std::int64_t org_unit_id = 0;
  std::string org_path;
  Ms raised_at = 0;  // corrected device time
  Ms received_at = 0;
  std::optional<GeoPoint> position;
  std::string note;
  std::string state;                           // open, acknowledged (POST /api/v1/sos/{id}/ack)
  std::optional<std::string> acknowledged_by;  // user id
  std::optional<Ms> acknowledged_at;
};

// org unit ids travel as strings (IDs are opaque on the wire).
std::string id_string(std::int64_t id);

boost::json::object to_json(const OrgUnit& o);
boost::json::object to_json(const User& u);  // {id,name,role,org_unit_id,phone}
boost::json::object to_json(const Team& t);
boost::json::object to_json(const Site& s);
boost::json::object to_json(const Schedule& s);
boost::json::object to_json(const Round& r);
boost::json::object to_json(const Inspection& i);
boost::json::object to_json(const Hazard& h);
boost::json::object to_json(const HazardHistoryEntry& e);
boost::json::object to_json(const TrackPoint& p);
boost::json::object to_json(const LatestPosition& p);
boost::json::object to_json(const SosAlert& a);

// Items as stored: [{"code","result","note"?,"photos"?},…] (empty members left out).
std::string items_json(const std::vector<InspectionItem>& items);

// RFC 3339 UTC with milliseconds.
std::string format_ms(Ms t);

}  // namespace patrol::store
