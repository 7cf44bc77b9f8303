#include "patrol/wire/messages.hpp"
#include "patrol/wire/op_view.hpp"
#include "patrol/wire/uuid.hpp"

#include <gtest/gtest.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <functional>
#include <string>
#include <vector>

namespace patrol::wire {
namespace {

namespace json = boost::json;

// Every decoder behind one signature: the first problem, or nothing.
using Check = std::function<std::optional<FieldError>(const json::value&)>;

template <class T>
std::optional<FieldError> first_error(const Decoded<T>& r) {
  if (r) return std::nullopt;
  return r.error();
}

const Check kLoginRequest = [](const json::value& v) {
  return first_error(decode_login_request(v));
};
const Check kLoginResponse = [](const json::value& v) {
  return first_error(decode_login_response(v));
};
const Check kUserInfo = [](const json::value& v) { return first_error(decode_user_info(v)); };
const Check kPosition = [](const json::value& v) {
  return first_error(decode_position(v, "position"));
};
const Check kTrackPoint = [](const json::value& v) {
  return first_error(decode_track_point(v, "p"));
};
const Check kInspection = [](const json::value& v) {
  return first_error(decode_inspection_create(v));
};
const Check kPositionAppend = [](const json::value& v) {
  return first_error(decode_position_append(v));
};
const Check kSos = [](const json::value& v) { return first_error(decode_sos_raise(v)); };
const Check kOp = [](const json::value& v) { return first_error(decode_op(v)); };
const Check kOpWithBody = [](const json::value& v) -> std::optional<FieldError> {
  auto op = decode_op(v);
  if (!op) return op.error();
  return first_error(decode_op_body(*op));
};
const Check kPushRequest = [](const json::value& v) { return first_error(decode_push_request(v)); };
const Check kPushResponse = [](const json::value& v) {
  return first_error(decode_push_response(v));
};
const Check kOpResult = [](const json::value& v) { return first_error(decode_op_result(v, "r")); };
const Check kPullResponse = [](const json::value& v) {
  return first_error(decode_pull_response(v));
};
const Check kTemplate = [](const json::value& v) {
  return first_error(decode_checklist_template(v));
};
const Check kSite = [](const json::value& v) { return first_error(decode_site(v)); };

constexpr const char* kUuid = "0193a8f2-6c1d-7e4b-9a2f-3c4d5e6f7a8b";
const std::string kSha(64, 'a');

struct Case {
  const char* decoder;
  const Check* check;
  std::string input;
  std::string code;   // "" = must decode
  std::string field;  // expected path of the first problem
};

std::string q(const std::string& s) {
  return "\"" + s + "\"";
}

std::string inspection(const std::string& items, const std::string& extra = "") {
  return R"({"id":)" + q(kUuid) +
         R"(,"site_id":"s1","template_id":"t1","template_version":1,"round_id":null,)"
         R"("observed_at":"2026-11-28T19:05:00+08:00",)"
         R"("position":{"lat":28.8571,"lon":121.1432,"accuracy_m":8,"crs":"wgs84"},"items":)" +
         items + extra + "}";
}

// `s` n times (n characters of a CJK string are 3n UTF-8 bytes).
std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// n items with distinct codes c0..c(n-1), comma-separated (no brackets).
std::string distinct_items(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i)
    s += (i ? "," : "") + std::string(R"({"code":"c)") + std::to_string(i) + R"(","result":"ok"})";
  return s;
}

std::string many(const std::string& elem, std::size_t n) {
  std::string s = "[";
  for (std::size_t i = 0; i < n; ++i) s += (i ? "," : "") + elem;
  return s + "]";
}

std::vector<Case> cases() {
  const std::string ok_items = R"([{"code":"flying_wire_charging","result":"hazard",)"
                               R"("note":"三楼窗口飞线","photos":[)" +
                               q(kSha) + R"(]},{"code":"corridor_clutter","result":"ok"}])";
  const std::string login_resp =
      R"({"token":"abc","expires_at":"2026-12-28T11:05:03.000Z",)"
      R"("user":{"id":"u1","name":"张三","role":"volunteer","org_unit_id":"o1"}})";
  const std::string op =
      R"({"op_id":)" + q(kUuid) +
      R"(,"type":"position.append","device_time":"2026-11-28T19:05:03+08:00",)"
      R"("body":{"points":[{"t":"2026-11-28T19:05:00+08:00","lat":1,"lon":2}]}})";
  const std::string tmpl_item =
      R"({"code":"window_throwing","label_zh":"窗外抛物","label_en":"Throwing from windows",)"
      R"("severity":"high","photo_required":true})";
  std::vector<Case> c = {
      // ----- login request
      {"login_request", &kLoginRequest,
       R"({"phone":"13900000002","password":"patrol-demo","device_id":"d1"})", "", ""},
      {"login_request", &kLoginRequest, R"([])", "invalid_type", ""},
      {"login_request", &kLoginRequest, R"({"password":"p","device_id":"d"})", "required", "phone"},
      {"login_request", &kLoginRequest, R"({"phone":null,"password":"p","device_id":"d"})",
       "required", "phone"},
      {"login_request", &kLoginRequest, R"({"phone":13900000002,"password":"p","device_id":"d"})",
       "invalid_type", "phone"},
      {"login_request", &kLoginRequest, R"({"phone":"1390000000x","password":"p","device_id":"d"})",
       "invalid_format", "phone"},
      {"login_request", &kLoginRequest, R"({"phone":"1234","password":"p","device_id":"d"})",
       "invalid_format", "phone"},
      {"login_request", &kLoginRequest,
       R"({"phone":"123456789012345678901","password":"p","device_id":"d"})", "too_long", "phone"},
      {"login_request", &kLoginRequest, R"({"phone":"13900000002","password":"","device_id":"d"})",
       "required", "password"},
      {"login_request", &kLoginRequest,
       R"({"phone":"13900000002","password":")" + std::string(257, 'x') + R"(","device_id":"d"})",
       "too_long", "password"},
      {"login_request", &kLoginRequest, R"({"phone":"13900000002","password":"p"})", "required",
       "device_id"},
      {"login_request", &kLoginRequest,
       R"({"phone":"13900000002","password":"p","device_id":")" + std::string(129, 'd') + "\"}",
       "too_long", "device_id"},
      // ----- login response / user
      {"login_response", &kLoginResponse, login_resp, "", ""},
      {"login_response", &kLoginResponse, R"({"token":"abc","expires_at":"tomorrow","user":{}})",
       "invalid_format", "expires_at"},
      {"login_response", &kLoginResponse, R"({"token":"abc","expires_at":"2026-12-28T11:05:03Z"})",
       "required", "user"},
      {"login_response", &kLoginResponse,
       R"({"token":"abc","expires_at":"2026-12-28T11:05:03Z","user":{"id":"u","name":"n","role":"boss","org_unit_id":"o"}})",
       "unknown_value", "user.role"},
      {"user_info", &kUserInfo, R"({"id":"u","name":"n","role":"city_admin"})", "required",
       "user.org_unit_id"},
      // ----- position
      {"position", &kPosition, R"({"lat":28.8,"lon":121.1})", "", ""},
      {"position", &kPosition, R"({"lat":-90,"lon":180,"accuracy_m":0,"crs":"gcj02"})", "", ""},
      {"position", &kPosition, R"({"lat":"28.8","lon":121.1})", "invalid_type", "position.lat"},
      {"position", &kPosition, R"({"lat":90.0001,"lon":121.1})", "out_of_range", "position.lat"},
      {"position", &kPosition, R"({"lat":1,"lon":-180.5})", "out_of_range", "position.lon"},
      {"position", &kPosition, R"({"lat":1})", "required", "position.lon"},
      {"position", &kPosition, R"({"lat":1,"lon":1,"accuracy_m":-1})", "out_of_range",
       "position.accuracy_m"},
      {"position", &kPosition, R"({"lat":1,"lon":1,"crs":"bd09"})", "unknown_value",
       "position.crs"},
      {"position", &kPosition, R"(5)", "invalid_type", "position"},
      // ----- track point
      {"track_point", &kTrackPoint, R"({"t":"2026-11-28T19:05:00+08:00","lat":1,"lon":2})", "", ""},
      {"track_point", &kTrackPoint, R"({"lat":1,"lon":2})", "required", "p.t"},
      {"track_point", &kTrackPoint, R"({"t":"2026-11-28 19:05","lat":1,"lon":2})", "invalid_format",
       "p.t"},
      // Device times: 2000-01-01 <= t < 2100-01-01 (year 0000 came back as "-001-12-31…").
      {"track_point", &kTrackPoint, R"({"t":"0000-01-01T00:00:00+08:00","lat":1,"lon":2})",
       "out_of_range", "p.t"},
      {"track_point", &kTrackPoint, R"({"t":"1999-12-31T23:59:59Z","lat":1,"lon":2})",
       "out_of_range", "p.t"},
      {"track_point", &kTrackPoint, R"({"t":"2000-01-01T08:00:00+08:00","lat":1,"lon":2})", "", ""},
      {"track_point", &kTrackPoint, R"({"t":"2100-01-01T00:00:00Z","lat":1,"lon":2})",
       "out_of_range", "p.t"},
      // ----- inspection.create
      {"inspection_create", &kInspection, inspection(ok_items), "", ""},
      {"inspection_create", &kInspection, inspection(ok_items, R"(,"note":"all fine")"), "", ""},
      {"inspection_create", &kInspection, R"({"site_id":"s"})", "required", "body.id"},
      {"inspection_create", &kInspection, R"({"id":"not-a-uuid"})", "invalid_format", "body.id"},
      {"inspection_create", &kInspection,
       R"({"id":)" + q(kUuid) + R"(,"site_id":"","template_id":"t"})", "required", "body.site_id"},
      {"inspection_create", &kInspection,
       R"({"id":)" + q(kUuid) + R"(,"site_id":"s","template_id":"t","template_version":0})",
       "out_of_range", "body.template_version"},
      {"inspection_create", &kInspection,
       R"({"id":)" + q(kUuid) + R"(,"site_id":"s","template_id":"t","template_version":1.5})",
       "invalid_type", "body.template_version"},
      {"inspection_create", &kInspection,
       R"({"id":)" + q(kUuid) +
           R"(,"site_id":"s","template_id":"t","template_version":1,"round_id":7})",
       "invalid_type", "body.round_id"},
      {"inspection_create", &kInspection,
       R"({"id":)" + q(kUuid) + R"(,"site_id":"s","template_id":"t","template_version":2.0})",
       "required", "body.observed_at"},
      {"inspection_create", &kInspection, inspection("[]"), "required", "body.items"},
      {"inspection_create", &kInspection, inspection("{}"), "invalid_type", "body.items"},
      {"inspection_create", &kInspection, inspection(many(R"({"code":"a","result":"ok"})", 201)),
       "too_many", "body.items"},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"ok"},{"code":"b","result":"broken"}])"),
       "unknown_value", "body.items[1].result"},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"ok"},{"code":"b"}])"), "required",
       "body.items[1].result"},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"ok"},{"code":"a","result":"hazard"}])"), "duplicate",
       "body.items[1].code"},
      // A long list is checked for duplicates another way (a set): same answers.
      {"inspection_create", &kInspection, inspection("[" + distinct_items(40) + "]"), "", ""},
      {"inspection_create", &kInspection,
       inspection("[" + distinct_items(16) + R"(,{"code":"c3","result":"ok"}])"), "duplicate",
       "body.items[16].code"},
      {"inspection_create", &kInspection,
       inspection("[" + distinct_items(30) + R"(,{"code":"c29","result":"ok"}])"), "duplicate",
       "body.items[30].code"},
      {"inspection_create", &kInspection, inspection(R"([{"code":"Bad-Code","result":"ok"}])"),
       "invalid_format", "body.items[0].code"},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":")" + std::string(65, 'a') + R"(","result":"ok"}])"), "too_long",
       "body.items[0].code"},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"ok","note":")" + std::string(2001, 'n') + "\"}]"),
       "too_long", "body.items[0].note"},
      // Limits count characters (code points), as the schemas do: a 1,400-character
      // Chinese note is 4,200 UTF-8 bytes and is accepted; 2,001 characters are not.
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"hazard","note":")" + repeat("飞线", 700) + "\"}]"), "",
       ""},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"hazard","note":")" + repeat("楼", 2000) + "\"}]"), "",
       ""},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"hazard","note":")" + repeat("楼", 2001) + "\"}]"),
       "too_long", "body.items[0].note"},
      {"inspection_create", &kInspection,
       inspection(ok_items, R"(,"note":")" + repeat("窗外抛物", 1000) + "\""), "", ""},
      {"inspection_create", &kInspection,
       inspection(ok_items, R"(,"note":")" + repeat("窗外抛物", 1000) + "。\""), "too_long",
       "body.note"},
      // Notes: no C0 controls but tab/LF/CR (a NUL was stored cut short).
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"hazard","note":"abc\u0000def"}])"), "invalid_format",
       "body.items[0].note"},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"hazard","note":"line 1\r\n\tline 2"}])"), "", ""},
      {"inspection_create", &kInspection, inspection(ok_items, R"(,"note":"bell\u0007")"),
       "invalid_format", "body.note"},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"hazard","photos":["ABC"]}])"), "invalid_format",
       "body.items[0].photos[0]"},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"hazard","photos":[)" + q(std::string(64, 'A')) + "]}]"),
       "invalid_format", "body.items[0].photos[0]"},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"hazard","photos":[)" + q(kSha) + "," + q(kSha) + "]}]"),
       "duplicate", "body.items[0].photos[1]"},
      {"inspection_create", &kInspection,
       inspection(R"([{"code":"a","result":"hazard","photos":)" + many(q(kSha), 11) + "}]"),
       "too_many", "body.items[0].photos"},
      {"inspection_create", &kInspection,
       inspection(ok_items, R"(,"note":")" + std::string(4001, 'n') + "\""), "too_long",
       "body.note"},
      {"inspection_create", &kInspection,
       R"({"id":)" + q(kUuid) +
           R"(,"site_id":"s","template_id":"t","template_version":1,"observed_at":"2026-11-28T19:05:00+08:00","position":{"lat":100,"lon":0},"items":[]})",
       "out_of_range", "body.position.lat"},
      // ----- position.append
      {"position_append", &kPositionAppend,
       R"({"points":[{"t":"2026-11-28T19:05:00+08:00","lat":28.8571,"lon":121.1432,"accuracy_m":6}]})",
       "", ""},
      {"position_append", &kPositionAppend, R"({"points":[]})", "required", "body.points"},
      {"position_append", &kPositionAppend, R"({})", "required", "body.points"},
      {"position_append", &kPositionAppend,
       "{\"points\":" + many(R"({"t":"2026-11-28T19:05:00Z","lat":1,"lon":1})", 1001) + "}",
       "too_many", "body.points"},
      {"position_append", &kPositionAppend,
       R"({"points":[{"t":"2026-11-28T19:05:00Z","lat":1,"lon":1},{"t":"2026-11-28T19:05:00Z","lat":1,"lon":500}]})",
       "out_of_range", "body.points[1].lon"},
      {"position_append", &kPositionAppend,
       R"({"points":[{"t":"2026-11-28T19:05:00Z","lat":1,"lon":1}],"crs":"xyz"})", "unknown_value",
       "body.crs"},
      // ----- sos.raise
      {"sos_raise", &kSos, R"({"id":)" + q(kUuid) + R"(,"raised_at":"2026-11-28T19:05:00+08:00"})",
       "", ""},
      {"sos_raise", &kSos,
       R"({"id":)" + q(kUuid) +
           R"(,"raised_at":"2026-11-28T19:05:00+08:00","position":null,"note":"help"})",
       "", ""},
      {"sos_raise", &kSos, R"({"id":)" + q(kUuid) + "}", "required", "body.raised_at"},
      {"sos_raise", &kSos, R"({"id":)" + q(kUuid) + R"(,"raised_at":"9999-12-31T23:59:59Z"})",
       "out_of_range", "body.raised_at"},
      {"sos_raise", &kSos,
       R"({"id":)" + q(kUuid) + R"(,"raised_at":"2026-11-28T19:05:00Z","note":"x\u001f"})",
       "invalid_format", "body.note"},
      {"sos_raise", &kSos,
       R"({"id":)" + q(kUuid) + R"(,"raised_at":"2026-11-28T19:05:00Z","note":")" +
           std::string(2001, 'x') + "\"}",
       "too_long", "body.note"},
      // ----- op envelope
      {"op", &kOp, op, "", ""},
      {"op", &kOp, R"({"type":"position.append","body":{}})", "required", "op_id"},
      {"op", &kOp, R"({"op_id":"x","type":"position.append","body":{}})", "invalid_format",
       "op_id"},
      {"op", &kOp, R"({"op_id":)" + q(kUuid) + R"(,"type":"hazard.delete","body":{}})",
       "unknown_value", "type"},
      {"op", &kOp,
       R"({"op_id":)" + q(kUuid) + R"(,"type":"sos.raise","device_time":"now","body":{}})",
       "invalid_format", "device_time"},
      {"op", &kOp,
       R"({"op_id":)" + q(kUuid) +
           R"(,"type":"sos.raise","device_time":"1970-01-01T00:00:00Z","body":{}})",
       "out_of_range", "device_time"},
      {"op", &kOp, R"({"op_id":)" + q(kUuid) + R"(,"type":"sos.raise"})", "required", "body"},
      {"op", &kOp, R"({"op_id":)" + q(kUuid) + R"(,"type":"sos.raise","body":[]})", "invalid_type",
       "body"},
      {"op+body", &kOpWithBody, op, "", ""},
      {"op+body", &kOpWithBody,
       R"({"op_id":)" + q(kUuid) + R"(,"type":"inspection.create","body":)" +
           inspection(R"([{"code":"a","result":"ok"},{"code":"b","result":"bad"}])") + "}",
       "unknown_value", "body.items[1].result"},
      {"op+body", &kOpWithBody, R"({"op_id":)" + q(kUuid) + R"(,"type":"sos.raise","body":{}})",
       "required", "body.id"},
      // ----- push request
      {"push_request", &kPushRequest, R"({"device_id":"d","ops":[)" + op + "]}", "", ""},
      {"push_request", &kPushRequest, R"({"device_id":"d","clock_offset_ms":-1500,"ops":[1,"x"]})",
       "", ""},
      {"push_request", &kPushRequest, R"({"ops":[1]})", "required", "device_id"},
      {"push_request", &kPushRequest, R"({"device_id":"d","ops":[]})", "required", "ops"},
      {"push_request", &kPushRequest, R"({"device_id":"d","ops":{}})", "invalid_type", "ops"},
      {"push_request", &kPushRequest, R"({"device_id":"d","ops":)" + many("1", 501) + "}",
       "too_many", "ops"},
      {"push_request", &kPushRequest, R"({"device_id":"d","clock_offset_ms":"5","ops":[1]})",
       "invalid_type", "clock_offset_ms"},
      {"push_request", &kPushRequest, R"({"device_id":"d","clock_offset_ms":1e18,"ops":[1]})",
       "out_of_range", "clock_offset_ms"},
      // ----- push response / op result
      {"push_response", &kPushResponse,
       R"({"results":[{"op_id":)" + q(kUuid) +
           R"(,"status":"applied","received_at":"2026-11-28T11:05:03.000Z"},{"op_id":"x","status":"rejected","error":{"code":"invalid_format","field":"op_id","message":"m"}}],"server_time":"2026-11-28T11:05:03.000Z"})",
       "", ""},
      {"push_response", &kPushResponse, R"({"results":[]})", "required", "server_time"},
      {"push_response", &kPushResponse,
       R"({"results":[{"op_id":"a","status":"applied"},{"op_id":"b","status":"lost"}],"server_time":"2026-11-28T11:05:03Z"})",
       "unknown_value", "results[1].status"},
      {"op_result", &kOpResult, R"({"op_id":"a","status":"rejected"})", "required", "r.error"},
      {"op_result", &kOpResult, R"({"op_id":"a","status":"rejected","error":{"field":"x"}})",
       "required", "r.error.code"},
      {"op_result", &kOpResult, R"({"op_id":"a","status":"duplicate","received_at":"yesterday"})",
       "invalid_format", "r.received_at"},
      // ----- pull response
      {"pull_response", &kPullResponse,
       R"({"cursor":42,"has_more":false,"changes":[{"seq":41,"entity":"site","op":"upsert","id":"s1","data":{"id":"s1"}},{"seq":42,"entity":"hazard","op":"delete","id":"h1","data":null}]})",
       "", ""},
      {"pull_response", &kPullResponse, R"({"cursor":-1,"has_more":false,"changes":[]})",
       "out_of_range", "cursor"},
      {"pull_response", &kPullResponse, R"({"cursor":1,"has_more":"no","changes":[]})",
       "invalid_type", "has_more"},
      {"pull_response", &kPullResponse,
       R"({"cursor":1,"has_more":true,"changes":[{"seq":1,"entity":"planet","op":"upsert","id":"x","data":{}}]})",
       "unknown_value", "changes[0].entity"},
      {"pull_response", &kPullResponse,
       R"({"cursor":1,"has_more":true,"changes":[{"seq":1,"entity":"site","op":"merge","id":"x","data":{}}]})",
       "unknown_value", "changes[0].op"},
      {"pull_response", &kPullResponse,
       R"({"cursor":1,"has_more":true,"changes":[{"seq":1,"entity":"site","op":"upsert","id":"x"}]})",
       "required", "changes[0].data"},
      {"pull_response", &kPullResponse,
       R"({"cursor":1,"has_more":true,"changes":[{"seq":"1","entity":"site","op":"upsert","id":"x","data":{}}]})",
       "invalid_type", "changes[0].seq"},
      // ----- checklist template
      {"checklist_template", &kTemplate,
       R"({"id":"t1","version":3,"name":"九小场所","categories":["shop","eatery"],"items":[)" +
           tmpl_item + "]}",
       "", ""},
      {"checklist_template", &kTemplate, R"({"id":"t1","version":0,"categories":[],"items":[]})",
       "out_of_range", "data.version"},
      {"checklist_template", &kTemplate,
       R"({"id":"t1","version":1,"categories":["shop","spaceport"],"items":[]})", "unknown_value",
       "data.categories[1]"},
      {"checklist_template", &kTemplate,
       R"({"id":"t1","version":1,"categories":["shop","shop"],"items":[]})", "duplicate",
       "data.categories[1]"},
      {"checklist_template", &kTemplate,
       R"({"id":"t1","version":1,"categories":[],"items":[)" + tmpl_item + "," + tmpl_item + "]}",
       "duplicate", "data.items[1].code"},
      {"checklist_template", &kTemplate,
       R"({"id":"t1","version":1,"categories":[],"items":[{"code":"a","label_zh":"甲","label_en":"A","severity":"meh","photo_required":false}]})",
       "unknown_value", "data.items[0].severity"},
      {"checklist_template", &kTemplate,
       R"({"id":"t1","version":1,"categories":[],"items":[{"code":"a","label_zh":"甲","label_en":"A","severity":"low","photo_required":"no"}]})",
       "invalid_type", "data.items[0].photo_required"},
      {"checklist_template", &kTemplate,
       R"({"id":"t1","version":1,"categories":[],"items":[{"code":"a","label_zh":"甲\u0000","label_en":"A","severity":"low","photo_required":false}]})",
       "invalid_format", "data.items[0].label_zh"},
      // ----- site
      {"site", &kSite,
       R"({"id":"s1","org_unit_id":"o1","name":"刘村小卖部","category":"shop","address":"大田刘村1号","lat":28.85,"lon":121.14,"template_id":"t1"})",
       "", ""},
      {"site", &kSite,
       R"({"id":"s1","org_unit_id":"o1","name":"x","category":"castle","lat":1,"lon":1,"template_id":"t1"})",
       "unknown_value", "data.category"},
      {"site", &kSite,
       R"({"id":"s1","org_unit_id":"o1","name":"x","category":"shop","lat":1,"lon":1})", "required",
       "data.template_id"},
  };
  return c;
}

TEST(WireDecoders, TableOfGoodAndBadInputs) {
  for (const auto& c : cases()) {
    boost::system::error_code ec;
    const json::value v = json::parse(c.input, ec);
    if (ec) {
      ADD_FAILURE() << c.decoder << " test input is not JSON: " << c.input;
      continue;
    }
    const auto err = (*c.check)(v);
    if (c.code.empty()) {
      EXPECT_FALSE(err.has_value())
          << c.decoder << " rejected valid input: " << c.input << "\n  got " << err->code << " at '"
          << err->field << "': " << err->message;
    } else if (!err) {
      ADD_FAILURE() << c.decoder << " accepted invalid input: " << c.input;
    } else {
      EXPECT_EQ(err->code, c.code)
          << c.decoder << " input: " << c.input << "\n  message: " << err->message;
      EXPECT_EQ(err->field, c.field) << c.decoder << " input: " << c.input;
      EXPECT_FALSE(err->message.empty()) << c.decoder << " input: " << c.input;
    }
  }
}

// ---------- round trips: encode -> serialize -> parse -> decode gives the same value

template <class T, class D>
T round_trip(const T& in, D decode) {
  const auto text = json::serialize(to_json(in));
  auto back = decode(json::parse(text));
  EXPECT_TRUE(back.has_value()) << text << "\n  "
                                << (back ? "" : back.error().code + " at " + back.error().field);
  return back ? *back : T{};
}

InspectionCreate sample_inspection() {
  InspectionCreate b;
  b.id = kUuid;
  b.site_id = "site-1";
  b.template_id = "tmpl-1";
  b.template_version = 2;
  b.round_id = "round-9";
  b.observed_at = "2026-11-28T19:05:00+08:00";
  b.position = Position{28.8571, 121.1432, 8.5, "gcj02"};
  b.items = {{"flying_wire_charging", ItemResult::hazard, "三楼窗口飞线", {std::string(64, 'f')}},
             {"corridor_clutter", ItemResult::ok, "", {}},
             {"window_throwing", ItemResult::not_applicable, "n/a", {}}};
  b.note = "巡查正常";
  return b;
}

TEST(WireRoundTrip, InspectionCreate) {
  const auto in = sample_inspection();
  const auto out = round_trip(in, [](const json::value& v) { return decode_inspection_create(v); });
  EXPECT_EQ(out.id, in.id);
  EXPECT_EQ(out.site_id, in.site_id);
  EXPECT_EQ(out.template_id, in.template_id);
  EXPECT_EQ(out.template_version, in.template_version);
  EXPECT_EQ(out.round_id, in.round_id);
  EXPECT_EQ(out.observed_at, in.observed_at);
  ASSERT_TRUE(out.position);
  EXPECT_DOUBLE_EQ(out.position->lat, in.position->lat);
  EXPECT_DOUBLE_EQ(out.position->lon, in.position->lon);
  EXPECT_EQ(out.position->accuracy_m, in.position->accuracy_m);
  EXPECT_EQ(out.position->crs, "gcj02");
  ASSERT_EQ(out.items.size(), in.items.size());
  for (std::size_t i = 0; i < in.items.size(); ++i) {
    EXPECT_EQ(out.items[i].code, in.items[i].code);
    EXPECT_EQ(out.items[i].result, in.items[i].result);
    EXPECT_EQ(out.items[i].note, in.items[i].note);
    EXPECT_EQ(out.items[i].photos, in.items[i].photos);
  }
  EXPECT_EQ(out.note, in.note);
}

// to_json(InspectionCreate) in a caller's storage (the SDK's stack buffer)
// writes the same text as before the storage overload: keys, order and
// shapes as built here the way the encoder always built them.
TEST(WireEncode, InspectionCreateInACallersStorageIsTheSameText) {
  for (const bool optionals : {true, false}) {
    auto b = sample_inspection();
    if (!optionals) {
      b.round_id.reset();
      b.position.reset();
    }
    json::object want;
    want["id"] = b.id;
    want["site_id"] = b.site_id;
    want["template_id"] = b.template_id;
    want["template_version"] = b.template_version;
    want["round_id"] = b.round_id ? json::value(*b.round_id) : json::value(nullptr);
    want["observed_at"] = b.observed_at;
    if (b.position) {
      json::object p{{"lat", b.position->lat}, {"lon", b.position->lon}};
      p["accuracy_m"] = *b.position->accuracy_m;
      p["crs"] = b.position->crs;
      want["position"] = std::move(p);
    } else {
      want["position"] = nullptr;
    }
    json::array items;
    for (const auto& i : b.items) {
      json::object o{{"code", i.code}, {"result", to_string(i.result)}};
      if (!i.note.empty()) o["note"] = i.note;
      if (!i.photos.empty()) {
        json::array a;
        for (const auto& ph : i.photos) a.emplace_back(ph);
        o["photos"] = std::move(a);
      }
      items.emplace_back(std::move(o));
    }
    want["items"] = std::move(items);
    want["note"] = b.note;
    unsigned char buf[512];  // small: part of it spills to the heap
    json::monotonic_resource mr(buf, sizeof buf);
    const auto built = to_json(b, &mr);
    EXPECT_EQ(built.storage().get(), &mr);
    EXPECT_EQ(json::serialize(built), json::serialize(want));
    EXPECT_EQ(json::serialize(to_json(b)), json::serialize(want));
  }
}

TEST(WireRoundTrip, InspectionCreateWithoutOptionals) {
  auto in = sample_inspection();
  in.round_id.reset();
  in.position.reset();
  const auto j = to_json(in);
  EXPECT_TRUE(j.at("round_id").is_null());
  EXPECT_TRUE(j.at("position").is_null());
  const auto out = round_trip(in, [](const json::value& v) { return decode_inspection_create(v); });
  EXPECT_FALSE(out.round_id);
  EXPECT_FALSE(out.position);
}

TEST(WireRoundTrip, OpsAndPush) {
  PositionAppend pa;
  pa.points = {{"2026-11-28T19:05:00+08:00", 28.8571, 121.1432, 6.0},
               {"2026-11-28T19:05:10+08:00", 28.8572, 121.1433, std::nullopt}};
  const auto pa2 = round_trip(pa, [](const json::value& v) { return decode_position_append(v); });
  ASSERT_EQ(pa2.points.size(), 2u);
  EXPECT_EQ(pa2.points[1].t, pa.points[1].t);
  EXPECT_FALSE(pa2.points[1].accuracy_m);
  EXPECT_EQ(pa2.points[0].accuracy_m, 6.0);

  SosRaise sos{kUuid, "2026-11-28T19:06:00+08:00", Position{28.1, 121.2, std::nullopt, "wgs84"},
               "被狗追"};
  const auto sos2 = round_trip(sos, [](const json::value& v) { return decode_sos_raise(v); });
  EXPECT_EQ(sos2.id, sos.id);
  EXPECT_EQ(sos2.note, sos.note);
  ASSERT_TRUE(sos2.position);
  EXPECT_FALSE(sos2.position->accuracy_m);

  Op op{make_uuid_v7(), std::string(kOpInspectionCreate), "2026-11-28T19:05:03+08:00",
        to_json(sample_inspection())};
  const auto op2 = round_trip(op, [](const json::value& v) { return decode_op(v); });
  EXPECT_EQ(op2.op_id, op.op_id);
  EXPECT_EQ(op2.type, op.type);
  EXPECT_EQ(op2.device_time, op.device_time);
  EXPECT_EQ(op2.body, op.body);
  const auto body = decode_op_body(op2);
  ASSERT_TRUE(body) << body.error().field;
  ASSERT_TRUE(std::holds_alternative<InspectionCreate>(*body));
  EXPECT_EQ(std::get<InspectionCreate>(*body).items.size(), 3u);

  PushRequest req{
      "device-1", -250, {to_json(op), to_json(Op{kUuid, "sos.raise", {}, to_json(sos)})}};
  const auto req2 = round_trip(req, [](const json::value& v) { return decode_push_request(v); });
  EXPECT_EQ(req2.device_id, "device-1");
  EXPECT_EQ(req2.clock_offset_ms, -250);
  ASSERT_EQ(req2.ops.size(), 2u);
  EXPECT_FALSE(to_json(Op{kUuid, "sos.raise", {}, {}}).contains("device_time"));

  PushResponse resp;
  resp.server_time = "2026-11-28T11:05:03.000Z";
  resp.results = {
      {op.op_id, OpStatus::applied, std::nullopt, "2026-11-28T11:05:03.000Z"},
      {kUuid, OpStatus::duplicate, std::nullopt, "2026-11-28T11:00:00.000Z"},
      {"bad", OpStatus::rejected, FieldError{"out_of_range", "body.lat", "m"}, std::nullopt}};
  const auto resp2 = round_trip(resp, [](const json::value& v) { return decode_push_response(v); });
  ASSERT_EQ(resp2.results.size(), 3u);
  EXPECT_EQ(resp2.results[1].status, OpStatus::duplicate);
  EXPECT_EQ(resp2.results[2].status, OpStatus::rejected);
  ASSERT_TRUE(resp2.results[2].error);
  EXPECT_EQ(resp2.results[2].error->field, "body.lat");
  EXPECT_EQ(resp2.results[0].received_at, resp.results[0].received_at);
}

// The server's ingest path decodes pushes as views (no copy): the same checks
// and errors as the copying decoders, the ops and bodies pointed at in place.
TEST(WireViews, PushAndOpViewsCheckWhatTheDecodersCheck) {
  const Op op{make_uuid_v7(), std::string(kOpInspectionCreate), "2026-11-28T19:05:03+08:00",
              to_json(sample_inspection())};
  const json::value raw = to_json(op);
  const auto view = decode_op_view(raw);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->op_id, op.op_id);
  EXPECT_EQ(view->type, op.type);
  EXPECT_EQ(view->device_time, op.device_time);
  EXPECT_EQ(view->body, &raw.as_object().at("body"));

  for (const char* bad :
       {R"([])", R"({"type":"sos.raise","body":{}})",
        R"({"op_id":"x","type":"sos.raise","body":{}})",
        R"({"op_id":"0193a5c4-7b7e-7c3a-9d1e-3f5a2b6c8d90","type":"nope","body":{}})",
        R"({"op_id":"0193a5c4-7b7e-7c3a-9d1e-3f5a2b6c8d90","type":"sos.raise"})",
        R"({"op_id":"0193a5c4-7b7e-7c3a-9d1e-3f5a2b6c8d90","type":"sos.raise","body":1})",
        R"({"op_id":"0193a5c4-7b7e-7c3a-9d1e-3f5a2b6c8d90","type":"sos.raise",
                              "device_time":"yesterday","body":{}})"}) {
    const auto v = json::parse(bad);
    const auto copied = decode_op(v, "ops[2]");
    const auto viewed = decode_op_view(v, "ops[2]");
    ASSERT_FALSE(copied) << bad;
    ASSERT_FALSE(viewed) << bad;
    EXPECT_EQ(viewed.error().code, copied.error().code) << bad;
    EXPECT_EQ(viewed.error().field, copied.error().field) << bad;
  }

  const json::value push = to_json(PushRequest{"device-1", -250, {raw, raw}});
  const auto pv = decode_push_request_view(push);
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->device_id, "device-1");
  EXPECT_EQ(pv->clock_offset_ms, -250);
  EXPECT_EQ(pv->ops, &push.as_object().at("ops").as_array());
  for (const char* bad :
       {R"({"ops":[{}]})", R"({"device_id":"d","ops":[]})", R"({"device_id":"d","ops":{}})",
        R"({"device_id":"d","clock_offset_ms":"x","ops":[{}]})"}) {
    const auto v = json::parse(bad);
    const auto copied = decode_push_request(v);
    const auto viewed = decode_push_request_view(v);
    ASSERT_FALSE(copied) << bad;
    ASSERT_FALSE(viewed) << bad;
    EXPECT_EQ(viewed.error().code, copied.error().code) << bad;
    EXPECT_EQ(viewed.error().field, copied.error().field) << bad;
  }
}

// The push handler decodes ops into, and answers from, its request's arena:
// the same JSON as with the default storage, and the values live in the arena.
TEST(WireRoundTrip, OpsAndPushInAGivenStorage) {
  json::monotonic_resource arena;
  const json::storage_ptr sp(&arena);
  const Op op{make_uuid_v7(), std::string(kOpInspectionCreate), "2026-11-28T19:05:03+08:00",
              to_json(sample_inspection())};
  const json::value raw = to_json(op);
  const auto in_arena = decode_op(raw, "", sp);
  ASSERT_TRUE(in_arena);
  EXPECT_EQ(in_arena->body, op.body);
  EXPECT_EQ(in_arena->body.storage().get(), &arena);
  EXPECT_NE(decode_op(raw)->body.storage().get(), &arena);
  const auto bad = decode_op(json::parse(R"({"op_id":"x","type":"sos.raise","body":{}})"), "", sp);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "op_id");

  PushResponse resp;
  resp.server_time = "2026-11-28T11:05:03.000Z";
  resp.results = {
      {op.op_id, OpStatus::applied, std::nullopt, "2026-11-28T11:05:03.000Z"},
      {"bad", OpStatus::rejected, FieldError{"out_of_range", "body.lat", "m"}, std::nullopt}};
  const json::object built = to_json(resp, sp);
  EXPECT_EQ(built.storage().get(), &arena);
  EXPECT_EQ(json::serialize(built), json::serialize(to_json(resp)));
  EXPECT_EQ(json::serialize(to_json(resp.results[1], sp)),
            json::serialize(to_json(resp.results[1])));
}

// The push's answer is written as text: byte for byte what serialising the
// object form gives, for escapes, every status, errors and missing times.
TEST(WireRoundTrip, PushResponseTextIsTheSerialisedObject) {
  std::string every_byte;
  for (int ch = 1; ch < 256; ++ch) every_byte += static_cast<char>(ch);
  PushResponse resp;
  EXPECT_EQ(to_json_text(resp), json::serialize(to_json(resp)));
  resp.server_time = "2026-11-28T11:05:03.000Z";
  resp.results = {
      {kUuid, OpStatus::applied, std::nullopt, "2026-11-28T11:05:03.000Z"},
      {kUuid, OpStatus::duplicate, std::nullopt, "2026-11-28T11:00:00.000Z"},
      {"bad \"quoted\" \\ \n\t\x01\x1f\x7f 飞线 😀", OpStatus::rejected,
       FieldError{"out_of_range", "body.items[0].\"x\"", "must be \u00e9 \x02"}, std::nullopt},
      {every_byte, OpStatus::rejected, FieldError{every_byte, every_byte, every_byte}, every_byte},
      {"", OpStatus::applied, std::nullopt, ""}};
  EXPECT_EQ(to_json_text(resp), json::serialize(to_json(resp)));
  resp.server_time = "\"";
  EXPECT_EQ(to_json_text(resp), json::serialize(to_json(resp)));
}

TEST(WireRoundTrip, LoginAndPull) {
  LoginRequest lr{"13900000002", "patrol-demo", "dev-1"};
  const auto lr2 = round_trip(lr, [](const json::value& v) { return decode_login_request(v); });
  EXPECT_EQ(lr2.phone, lr.phone);
  EXPECT_EQ(lr2.password, lr.password);
  EXPECT_EQ(lr2.device_id, lr.device_id);

  LoginResponse resp{"tok", "2026-12-28T11:05:03.000Z", {"u2", "王五", "volunteer", "o37"}};
  const auto resp2 =
      round_trip(resp, [](const json::value& v) { return decode_login_response(v); });
  EXPECT_EQ(resp2.user.name, "王五");
  EXPECT_EQ(resp2.user.org_unit_id, "o37");

  ChecklistTemplate t{"tmpl-1", 2, "九小场所通用", {"shop", "eatery"}, {}};
  t.items = {{"flying_wire_charging", "飞线充电", "Flying-wire charging", "high", true},
             {"corridor_clutter", "楼道杂物", "Corridor clutter", "medium", false}};
  const auto t2 = round_trip(t, [](const json::value& v) { return decode_checklist_template(v); });
  EXPECT_EQ(t2.categories, t.categories);
  ASSERT_EQ(t2.items.size(), 2u);
  EXPECT_TRUE(t2.items[0].photo_required);
  EXPECT_EQ(t2.items[1].label_zh, "楼道杂物");

  Site s{"s1", "o37", "刘村小卖部", "shop", "大田刘村1号", 28.85, 121.14, "tmpl-1"};
  const auto s2 = round_trip(s, [](const json::value& v) { return decode_site(v); });
  EXPECT_EQ(s2.name, s.name);
  EXPECT_DOUBLE_EQ(s2.lat, s.lat);

  PullResponse p{7, true, {}};
  p.changes.push_back({6, "site", "upsert", "s1", to_json(s)});
  p.changes.push_back({7, "hazard", "delete", "h1", json::value(json::object{{"x", 1}})});
  const auto text = json::serialize(to_json(p));
  EXPECT_NE(text.find(R"("op":"delete","id":"h1","data":null)"), std::string::npos) << text;
  const auto p2 = round_trip(p, [](const json::value& v) { return decode_pull_response(v); });
  EXPECT_EQ(p2.cursor, 7);
  EXPECT_TRUE(p2.has_more);
  ASSERT_EQ(p2.changes.size(), 2u);
  EXPECT_EQ(p2.changes[0].data, json::value(to_json(s)));
  EXPECT_TRUE(p2.changes[1].data.is_null());
}

TEST(WireEnums, NamesAndCategories) {
  EXPECT_EQ(to_string(ItemResult::ok), "ok");
  EXPECT_EQ(to_string(ItemResult::hazard), "hazard");
  EXPECT_EQ(to_string(ItemResult::not_applicable), "not_applicable");
  EXPECT_EQ(to_string(OpStatus::applied), "applied");
  EXPECT_EQ(to_string(OpStatus::duplicate), "duplicate");
  EXPECT_EQ(to_string(OpStatus::rejected), "rejected");
  for (auto c : kSiteCategories) EXPECT_TRUE(is_site_category(c)) << c;
  EXPECT_FALSE(is_site_category("Shop"));
  EXPECT_FALSE(is_site_category(""));
}

// UUIDs are case-insensitive: decoders hand out one spelling (lower case), so
// an op or report id retried in upper case is the same id.
TEST(WireMessages, UuidsAreNormalizedToLowerCase) {
  const std::string upper = "0193A8F2-6C1D-7E4B-9A2F-3C4D5E6F7A8B";
  auto op =
      decode_op(json::parse(R"({"op_id":")" + upper + R"(","type":"sos.raise","body":{"id":")" +
                            upper + R"(","raised_at":"2026-11-28T19:05:00Z"}})"));
  ASSERT_TRUE(op);
  EXPECT_EQ(op->op_id, kUuid);
  auto sos = decode_sos_raise(op->body);
  ASSERT_TRUE(sos);
  EXPECT_EQ(sos->id, kUuid);
  auto ins = json::parse(inspection(R"([{"code":"a","result":"ok"}])"));
  ins.as_object()["id"] = upper;
  auto d = decode_inspection_create(ins);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id, kUuid);
}

}  // namespace
}  // namespace patrol::wire
