// The v1 wire messages and their Boost.JSON codecs — one definition of the
// wire format for both the server and the SDK (DESIGN.md, "Wire contract").
// schemas/*.schema.json describe the same shapes; tests check the encoders'
// output against them.
//
// Decoders validate structure and value ranges and report the first problem
// as a FieldError whose `field` is a JSON path relative to `path` (the prefix
// the caller passes, e.g. "body" for an op body, "" for a request body).
// Domain rules (does the site exist, is the caller allowed) are not checked here.
// A JSON null counts as absent. Unknown members are ignored (forward
// compatibility: a newer SDK may send fields an older server does not know);
// the schemas, which describe exactly what v1 sends, forbid them.
// Codes: required, invalid_type, invalid_format, out_of_range, too_long,
// too_many, unknown_value, duplicate. Lengths are in bytes (UTF-8).
//
// All functions are pure and thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "patrol/wire/field_error.hpp"

namespace patrol::wire {

template <class T>
using Decoded = boost::system::result<T, FieldError>;

// Limits the decoders enforce (the schemas state the same numbers).
inline constexpr std::size_t kMaxItemsPerInspection = 200;
inline constexpr std::size_t kMaxPhotosPerItem = 10;
// Text limits count characters (code points), as the schemas' maxLength does.
inline constexpr std::size_t kMaxItemNoteChars = 2000;
inline constexpr std::size_t kMaxInspectionNoteChars = 4000;
inline constexpr std::size_t kMaxPointsPerAppend = 1000;
inline constexpr std::size_t kMaxOpsPerPush = 500;
inline constexpr std::size_t kMaxPullLimit = 1000;  // changes per pull page
inline constexpr std::int64_t kMaxClockOffsetMs = 10LL * 365 * 24 * 3600 * 1000;

// ---------- auth ----------

struct LoginRequest {
  std::string phone;      // digits, 5..20
  std::string password;   // 1..256 bytes
  std::string device_id;  // 1..128 bytes
};
Decoded<LoginRequest> decode_login_request(const boost::json::value& v);
boost::json::object to_json(const LoginRequest& r);

struct UserInfo {
  std::string id;
  std::string name;
  std::string role;  // volunteer | team_leader | village_admin | town_staff | city_admin
  std::string org_unit_id;
};
boost::json::object to_json(const UserInfo& u);
Decoded<UserInfo> decode_user_info(const boost::json::value& v, std::string_view path = "user");

struct LoginResponse {
  std::string token;
  std::string expires_at;  // RFC 3339
  UserInfo user;
};
boost::json::object to_json(const LoginResponse& r);
Decoded<LoginResponse> decode_login_response(const boost::json::value& v);

// ---------- positions ----------

// WGS84 unless crs says "gcj02" (the server converts those to WGS84).
struct Position {
  double lat = 0;                    // -90..90
  double lon = 0;                    // -180..180
  std::optional<double> accuracy_m;  // >= 0
  std::string crs = "wgs84";         // wgs84 | gcj02
};
boost::json::object to_json(const Position& p);
Decoded<Position> decode_position(const boost::json::value& v, std::string_view path);

struct TrackPoint {
  std::string t;  // RFC 3339
  double lat = 0;
  double lon = 0;
  std::optional<double> accuracy_m;
};
boost::json::object to_json(const TrackPoint& p);
Decoded<TrackPoint> decode_track_point(const boost::json::value& v, std::string_view path);

// ---------- ops (sync/push) ----------

inline constexpr std::string_view kOpInspectionCreate = "inspection.create";
inline constexpr std::string_view kOpPositionAppend = "position.append";
inline constexpr std::string_view kOpSosRaise = "sos.raise";
// Rounds and hazards (DESIGN part 2). Their bodies are checked by the server's
// domain (domain/workflow_ops.hpp), not decoded here: decode_op_body answers
// unknown_value for them.
inline constexpr std::string_view kOpRoundStart = "round.start";
inline constexpr std::string_view kOpRoundFinish = "round.finish";
inline constexpr std::string_view kOpRoundCheckin = "round.checkin";
inline constexpr std::string_view kOpHazardTransition = "hazard.transition";

enum class ItemResult { ok, hazard, not_applicable };
std::string_view to_string(ItemResult r) noexcept;

struct ItemReport {
  std::string code;  // template item code, [a-z0-9_]{1,64}
  ItemResult result = ItemResult::ok;
  std::string note;                 // <= 2000 bytes
  std::vector<std::string> photos;  // lower-case sha256 hex, <= 10
};
boost::json::object to_json(const ItemReport& r);

struct InspectionCreate {
  std::string id;  // UUID
  std::string site_id;
  std::string template_id;
  std::int64_t template_version = 0;  // >= 1
  std::optional<std::string> round_id;
  std::string observed_at;  // RFC 3339
  std::optional<Position> position;
  std::vector<ItemReport> items;  // 1..200, codes unique
  std::string note;               // <= 4000 bytes
};
boost::json::object to_json(const InspectionCreate& b);
// The same JSON with every node in `sp` (the SDK builds a report in a stack
// buffer: a monotonic resource makes its allocations and frees nearly free).
boost::json::object to_json(const InspectionCreate& b, boost::json::storage_ptr sp);
Decoded<InspectionCreate> decode_inspection_create(const boost::json::value& v,
                                                   std::string_view path = "body");

struct PositionAppend {
  std::vector<TrackPoint> points;  // 1..1000
  std::string crs = "wgs84";
};
boost::json::object to_json(const PositionAppend& b);
Decoded<PositionAppend> decode_position_append(const boost::json::value& v,
                                               std::string_view path = "body");

// An SOS from a volunteer: urgent lane on the device, alert for leaders.
struct SosRaise {
  std::string id;         // UUID
  std::string raised_at;  // RFC 3339
  std::optional<Position> position;
  std::string note;  // <= 2000 bytes
};
boost::json::object to_json(const SosRaise& b);
Decoded<SosRaise> decode_sos_raise(const boost::json::value& v, std::string_view path = "body");

// The envelope. `body` stays raw so each op is decoded (and rejected) on its own.
struct Op {
  std::string op_id;                       // UUID
  std::string type;                        // one of kOp*
  std::optional<std::string> device_time;  // RFC 3339
  boost::json::value body;
};
boost::json::object to_json(const Op& op);
// Checks op_id, type (known), device_time and that body is an object; `path`
// prefixes fields, e.g. "ops[3]" — but push results name fields relative to the op.
Decoded<Op> decode_op(const boost::json::value& v, std::string_view path = "");
// The same, with the op's body copied into `body_storage` (e.g. the request's
// arena, so a push's bodies cost no heap allocation); the Op must not outlive it.
Decoded<Op> decode_op(const boost::json::value& v, std::string_view path,
                      boost::json::storage_ptr body_storage);

// The body of a decoded op, by type. Fields are named relative to `path`
// ("body.items[1].result"). Fails with unknown_value at "type" for an unknown type.
using OpBody = std::variant<InspectionCreate, PositionAppend, SosRaise>;
Decoded<OpBody> decode_op_body(const Op& op, std::string_view path = "body");

struct PushRequest {
  std::string device_id;
  // Server clock minus device clock as the device estimates it, in ms.
  std::optional<std::int64_t> clock_offset_ms;
  std::vector<boost::json::value> ops;  // raw; 1..500 (decode each with decode_op)
};
boost::json::object to_json(const PushRequest& r);
Decoded<PushRequest> decode_push_request(const boost::json::value& v);

enum class OpStatus { applied, duplicate, rejected };
std::string_view to_string(OpStatus s) noexcept;

struct OpResult {
  std::string op_id;
  OpStatus status = OpStatus::applied;
  std::optional<FieldError> error;         // only when rejected
  std::optional<std::string> received_at;  // server time the op was first applied
};
boost::json::object to_json(const OpResult& r);
// The same built in `sp` (a request's arena: no heap allocation per result).
boost::json::object to_json(const OpResult& r, boost::json::storage_ptr sp);
Decoded<OpResult> decode_op_result(const boost::json::value& v, std::string_view path);

struct PushResponse {
  std::vector<OpResult> results;  // same order as the request's ops
  std::string server_time;
};
boost::json::object to_json(const PushResponse& r);
boost::json::object to_json(const PushResponse& r, boost::json::storage_ptr sp);
// The same as text, byte for byte serialize(to_json(r)), written directly
// (the answer of every push: no JSON tree per result).
std::string to_json_text(const PushResponse& r);
Decoded<PushResponse> decode_push_response(const boost::json::value& v);

// ---------- sync/pull ----------

// entity: org_unit | site | checklist_template | hazard | schedule | round | team | sos
inline constexpr std::string_view kChangeEntities[] = {
    "org_unit", "site", "checklist_template", "hazard", "schedule", "round", "team", "sos"};
struct Change {
  std::int64_t seq = 0;
  std::string entity;
  std::string op;  // upsert | delete
  std::string id;
  boost::json::value data;  // the entity as the read routes show it; null for delete
};
boost::json::object to_json(const Change& c);  // data is written as null for a delete
Decoded<Change> decode_change(const boost::json::value& v, std::string_view path);
struct PullResponse {
  std::int64_t cursor = 0;
  bool has_more = false;
  std::vector<Change> changes;
};
boost::json::object to_json(const PullResponse& r);
Decoded<PullResponse> decode_pull_response(const boost::json::value& v);

// ---------- reference data the SDK caches ----------

struct TemplateItem {
  std::string code;
  std::string label_zh;
  std::string label_en;
  std::string severity;  // low | medium | high | critical
  bool photo_required = false;
};
boost::json::object to_json(const TemplateItem& t);
struct ChecklistTemplate {
  std::string id;
  std::int64_t version = 1;
  std::string name;
  std::vector<std::string> categories;  // site categories it applies to
  std::vector<TemplateItem> items;
};
boost::json::object to_json(const ChecklistTemplate& t);
Decoded<ChecklistTemplate> decode_checklist_template(const boost::json::value& v,
                                                     std::string_view path = "data");

// Site categories (DESIGN.md "Domain words").
inline constexpr std::string_view kSiteCategories[] = {
    "shop",          "eatery",    "inn",    "karaoke", "internet_cafe",
    "beauty_bath",   "workshop",  "school", "clinic",  "rental_housing",
    "road_junction", "stairwell", "square"};
bool is_site_category(std::string_view c) noexcept;

struct Site {
  std::string id;
  std::string org_unit_id;
  std::string name;
  std::string category;
  std::string address;
  double lat = 0;
  double lon = 0;
  std::string template_id;  // the checklist template used for this site
};
boost::json::object to_json(const Site& s);
Decoded<Site> decode_site(const boost::json::value& v, std::string_view path = "data");

}  // namespace patrol::wire
