#include "patrol/wire/messages.hpp"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <limits>
#include <set>
#include <span>

#include "patrol/wire/json_text.hpp"
#include "patrol/wire/op_view.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::wire {

namespace json = boost::json;

namespace {

// ---------- decoding helpers ----------
// Each helper returns the first problem (or nothing) and writes its result to an
// out-parameter, so a decoder reads as a list of field checks; PATROL_TRY stops
// at the first failure, which is what the wire reports.
using Err = std::optional<FieldError>;

#define PATROL_TRY(expr)             \
  do {                               \
    if (auto e_ = (expr)) return e_; \
  } while (false)

constexpr std::size_t kMaxIdChars = 128;

// A field's path ("body.items[2].code"), written out only when a check
// fails: decoding a valid message builds no path strings (it did, two or
// three per field, on every op of every push). A Path points at its parent
// and its name; both must outlive it (they are the caller's locals and
// literals, and a Path lives for one call).
class Path {
 public:
  Path(std::string_view root) : root_(root) {}  // NOLINT: a plain path converts
  Path(const char* root) : root_(root) {}       // NOLINT
  Path(const Path& parent, std::string_view name) : parent_(&parent), name_(name) {}
  Path(const Path& parent, std::size_t index) : parent_(&parent), index_(index), indexed_(true) {}
  Path(const Path&) = delete;
  Path& operator=(const Path&) = delete;

  // "a" + "b" is "a.b" ("b" when "a" is empty); "a" + [3] is "a[3]".
  std::string str() const {
    if (parent_ == nullptr) return std::string(root_);
    std::string s = parent_->str();
    if (indexed_) {
      s += '[';
      s += std::to_string(index_);
      s += ']';
    } else {
      if (!s.empty()) s += '.';
      s += name_;
    }
    return s;
  }
  operator std::string() const { return str(); }  // NOLINT: fail() takes the text

 private:
  const Path* parent_ = nullptr;
  std::string_view root_;
  std::string_view name_;
  std::size_t index_ = 0;
  bool indexed_ = false;
};

FieldError fail(std::string_view code, std::string field, std::string message) {
  return FieldError{std::string(code), std::move(field), std::move(message)};
}

// The member, or nullptr when absent or JSON null (both mean "not given").
const json::value* member(const json::object& o, std::string_view name) {
  const auto* m = o.if_contains(name);
  if (m == nullptr || m->is_null()) return nullptr;
  return m;
}

Err as_object(const json::value& v, const Path& path, const json::object*& out) {
  out = v.if_object();
  if (out == nullptr) return fail("invalid_type", std::string(path), "must be an object");
  return std::nullopt;
}

// Length limits count characters (Unicode code points), as JSON Schema's
// minLength/maxLength do: a 1,400-character Chinese note is 4,200 UTF-8 bytes
// and must pass a 2,000-character limit. Boost.JSON has already validated the
// UTF-8, so every byte that is not a continuation byte (10xxxxxx) starts one
// code point.
std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

Err string_value(const json::value& v, const Path& field, std::string& out, std::size_t min,
                 std::size_t max) {
  const auto* s = v.if_string();
  if (s == nullptr) return fail("invalid_type", field, "must be a string");
  // A string no longer in bytes than `max` has at most `max` characters, and
  // a non-empty one at least one: most strings need no count.
  if (s->size() <= max && (min == 0 || (min == 1 && !s->empty()))) {
    out.assign(s->data(), s->size());
    return std::nullopt;
  }
  const std::size_t chars = code_points(*s);
  if (chars < min)
    return fail(
        "required", field,
        min == 1 ? "must not be empty" : "must be at least " + std::to_string(min) + " characters");
  if (chars > max)
    return fail("too_long", field, "must be at most " + std::to_string(max) + " characters");
  out.assign(s->data(), s->size());
  return std::nullopt;
}

Err req_string(const json::object& o, const Path& path, std::string_view name, std::string& out,
               std::size_t min = 1, std::size_t max = kMaxIdChars) {
  const Path field(path, name);
  const auto* m = member(o, name);
  if (m == nullptr) return fail("required", field, "is required");
  return string_value(*m, field, out, min, max);
}

Err opt_string(const json::object& o, const Path& path, std::string_view name, std::string& out,
               std::size_t max) {
  const auto* m = member(o, name);
  if (m == nullptr) return std::nullopt;
  return string_value(*m, Path(path, name), out, 0, max);
}

Err opt_string(const json::object& o, const Path& path, std::string_view name,
               std::optional<std::string>& out, std::size_t min, std::size_t max) {
  const auto* m = member(o, name);
  if (m == nullptr) return std::nullopt;
  std::string s;
  PATROL_TRY(string_value(*m, Path(path, name), s, min, max));
  out = std::move(s);
  return std::nullopt;
}

// Human text (notes, labels) holds no C0 control characters but tab, LF and
// CR. U+0000 in particular: the server's SQLite JSON1 `->>` returns TEXT cut
// at a NUL, so a note holding one was answered "applied" and stored cut short.
Err plain_text(const Path& field, std::string_view s) {
  for (unsigned char ch : s)
    if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
      return fail("invalid_format", field,
                  "must not contain control characters (U+0000-U+001F other than tab, LF, CR)");
  return std::nullopt;
}

Err opt_text(const json::object& o, const Path& path, std::string_view name, std::string& out,
             std::size_t max) {
  PATROL_TRY(opt_string(o, path, name, out, max));
  return plain_text(Path(path, name), out);
}

Err req_text(const json::object& o, const Path& path, std::string_view name, std::string& out,
             std::size_t min, std::size_t max) {
  PATROL_TRY(req_string(o, path, name, out, min, max));
  return plain_text(Path(path, name), out);
}

Err req_uuid(const json::object& o, const Path& path, std::string_view name, std::string& out) {
  PATROL_TRY(req_string(o, path, name, out, 1, 64));
  if (!is_uuid(out))
    return fail("invalid_format", Path(path, name), "must be a UUID (8-4-4-4-12 hex)");
  // UUIDs are case-insensitive (RFC 4122 §3): one spelling, so the same op or
  // report id in upper case is a duplicate, never a second row.
  for (auto& ch : out)
    if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
  return std::nullopt;
}

// Times a device reports (observed_at, raised_at, track points, device_time:
// `device` true) must lie in [2000-01-01, 2100-01-01). RFC 3339 allows year
// 0000, but a time derived from it (minus the offset, plus a clock correction)
// fell before year 1 and was written back as "-001-12-31T…", which no client
// can parse.
Err time_value(const json::value& v, const Path& field, std::string& out, bool device = false) {
  PATROL_TRY(string_value(v, field, out, 1, 64));
  auto t = parse_rfc3339(out);
  if (!t)
    return fail("invalid_format", field,
                "must be an RFC 3339 date-time with a zone, e.g. 2026-11-28T19:05:03+08:00");
  if (device) {
    using namespace std::chrono;
    static constexpr auto kMin = sys_days{year{2000} / January / 1};
    static constexpr auto kMax = sys_days{year{2100} / January / 1};
    if (t->instant < kMin || t->instant >= kMax)
      return fail("out_of_range", field, "must be between 2000-01-01 and 2100-01-01");
  }
  return std::nullopt;
}

Err req_time(const json::object& o, const Path& path, std::string_view name, std::string& out,
             bool device = false) {
  const Path field(path, name);
  const auto* m = member(o, name);
  if (m == nullptr) return fail("required", field, "is required");
  return time_value(*m, field, out, device);
}

Err opt_time(const json::object& o, const Path& path, std::string_view name,
             std::optional<std::string>& out, bool device = false) {
  const auto* m = member(o, name);
  if (m == nullptr) return std::nullopt;
  std::string s;
  PATROL_TRY(time_value(*m, Path(path, name), s, device));
  out = std::move(s);
  return std::nullopt;
}

Err req_device_time(const json::object& o, const Path& path, std::string_view name,
                    std::string& out) {
  return req_time(o, path, name, out, true);
}

Err opt_device_time(const json::object& o, const Path& path, std::string_view name,
                    std::optional<std::string>& out) {
  return opt_time(o, path, name, out, true);
}

Err number_value(const json::value& v, const Path& field, double& out, double lo, double hi) {
  if (v.is_double())
    out = v.get_double();
  else if (v.is_int64())
    out = static_cast<double>(v.get_int64());
  else if (v.is_uint64())
    out = static_cast<double>(v.get_uint64());
  else
    return fail("invalid_type", field, "must be a number");
  if (!(out >= lo && out <= hi)) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "must be between %g and %g", lo, hi);
    return fail("out_of_range", field, buf);
  }
  return std::nullopt;
}

Err req_number(const json::object& o, const Path& path, std::string_view name, double& out,
               double lo, double hi) {
  const Path field(path, name);
  const auto* m = member(o, name);
  if (m == nullptr) return fail("required", field, "is required");
  return number_value(*m, field, out, lo, hi);
}

Err opt_number(const json::object& o, const Path& path, std::string_view name,
               std::optional<double>& out, double lo, double hi) {
  const auto* m = member(o, name);
  if (m == nullptr) return std::nullopt;
  double d = 0;
  PATROL_TRY(number_value(*m, Path(path, name), d, lo, hi));
  out = d;
  return std::nullopt;
}

// Integers: JSON numbers without a fractional part (1.0 counts, as in JSON Schema).
Err int_value(const json::value& v, const Path& field, std::int64_t& out, std::int64_t lo,
              std::int64_t hi) {
  const auto range = [&] {
    return fail("out_of_range", field,
                "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  };
  if (v.is_int64()) {
    out = v.get_int64();
  } else if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return range();
    out = static_cast<std::int64_t>(v.get_uint64());
  } else if (v.is_double()) {
    const double d = v.get_double();
    if (std::trunc(d) != d) return fail("invalid_type", field, "must be an integer");
    if (!(d >= -9.2e18 && d <= 9.2e18)) return range();
    out = static_cast<std::int64_t>(d);
  } else {
    return fail("invalid_type", field, "must be an integer");
  }
  if (out < lo || out > hi) return range();
  return std::nullopt;
}

Err req_int(const json::object& o, const Path& path, std::string_view name, std::int64_t& out,
            std::int64_t lo, std::int64_t hi) {
  const Path field(path, name);
  const auto* m = member(o, name);
  if (m == nullptr) return fail("required", field, "is required");
  return int_value(*m, field, out, lo, hi);
}

Err opt_int(const json::object& o, const Path& path, std::string_view name,
            std::optional<std::int64_t>& out, std::int64_t lo, std::int64_t hi) {
  const auto* m = member(o, name);
  if (m == nullptr) return std::nullopt;
  std::int64_t i = 0;
  PATROL_TRY(int_value(*m, Path(path, name), i, lo, hi));
  out = i;
  return std::nullopt;
}

Err req_bool(const json::object& o, const Path& path, std::string_view name, bool& out) {
  const Path field(path, name);
  const auto* m = member(o, name);
  if (m == nullptr) return fail("required", field, "is required");
  if (!m->is_bool()) return fail("invalid_type", field, "must be a boolean");
  out = m->get_bool();
  return std::nullopt;
}

Err array_value(const json::value& v, const Path& field, const json::array*& out, std::size_t min,
                std::size_t max) {
  out = v.if_array();
  if (out == nullptr) return fail("invalid_type", field, "must be an array");
  if (out->size() < min)
    return fail(
        "required", field,
        "must have at least " + std::to_string(min) + (min == 1 ? " element" : " elements"));
  if (out->size() > max)
    return fail("too_many", field, "must have at most " + std::to_string(max) + " elements");
  return std::nullopt;
}

Err req_array(const json::object& o, const Path& path, std::string_view name,
              const json::array*& out, std::size_t min, std::size_t max) {
  const Path field(path, name);
  const auto* m = member(o, name);
  if (m == nullptr) return fail("required", field, "is required");
  return array_value(*m, field, out, min, max);
}

// Absent or null gives an empty array (out = nullptr).
Err opt_array(const json::object& o, const Path& path, std::string_view name,
              const json::array*& out, std::size_t max) {
  out = nullptr;
  const auto* m = member(o, name);
  if (m == nullptr) return std::nullopt;
  return array_value(*m, Path(path, name), out, 0, max);
}

std::string one_of(std::span<const std::string_view> allowed) {
  std::string s = "must be one of: ";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i != 0) s += ", ";
    s += allowed[i];
  }
  return s;
}

Err enum_value(const json::value& v, const Path& field, std::string& out,
               std::span<const std::string_view> allowed) {
  const auto* s = v.if_string();
  if (s == nullptr) return fail("invalid_type", field, "must be a string");
  const std::string_view sv(s->data(), s->size());
  if (std::find(allowed.begin(), allowed.end(), sv) == allowed.end())
    return fail("unknown_value", field, one_of(allowed));
  out.assign(sv);
  return std::nullopt;
}

Err req_enum(const json::object& o, const Path& path, std::string_view name, std::string& out,
             std::span<const std::string_view> allowed) {
  const Path field(path, name);
  const auto* m = member(o, name);
  if (m == nullptr) return fail("required", field, "is required");
  return enum_value(*m, field, out, allowed);
}

Err opt_enum(const json::object& o, const Path& path, std::string_view name, std::string& out,
             std::span<const std::string_view> allowed) {
  const auto* m = member(o, name);
  if (m == nullptr) return std::nullopt;
  return enum_value(*m, Path(path, name), out, allowed);
}

bool is_item_code(std::string_view s) noexcept {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Err item_code(const json::object& o, const Path& path, std::string& out) {
  PATROL_TRY(req_string(o, path, "code", out, 1, 64));
  if (!is_item_code(out))
    return fail("invalid_format", Path(path, "code"), "must match [a-z0-9_]{1,64}");
  return std::nullopt;
}

bool is_sha256_hex(std::string_view s) noexcept {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

constexpr std::string_view kRoles[] = {"volunteer", "team_leader", "village_admin", "town_staff",
                                       "city_admin"};
constexpr std::string_view kCrs[] = {"wgs84", "gcj02"};
constexpr std::string_view kItemResults[] = {"ok", "hazard", "not_applicable"};
constexpr std::string_view kOpTypes[] = {kOpInspectionCreate, kOpPositionAppend, kOpSosRaise,
                                         kOpRoundStart,       kOpRoundFinish,    kOpRoundCheckin,
                                         kOpHazardTransition};
constexpr std::string_view kOpStatuses[] = {"applied", "duplicate", "rejected"};
constexpr std::string_view kChangeOps[] = {"upsert", "delete"};
constexpr std::string_view kSeverities[] = {"low", "medium", "high", "critical"};

template <class T, class F>
Decoded<T> decode_with(F&& f) {
  T out{};
  if (auto e = f(out)) return Decoded<T>(boost::system::in_place_error, std::move(*e));
  return Decoded<T>(boost::system::in_place_value, std::move(out));
}

// ---------- per-message decoders (as Err + out-parameter) ----------

Err user_info(const json::value& v, const Path& path, UserInfo& u) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  PATROL_TRY(req_string(*o, path, "id", u.id));
  PATROL_TRY(req_string(*o, path, "name", u.name, 0, 256));
  PATROL_TRY(req_enum(*o, path, "role", u.role, kRoles));
  PATROL_TRY(req_string(*o, path, "org_unit_id", u.org_unit_id));
  return std::nullopt;
}

Err position(const json::value& v, const Path& path, Position& p) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  PATROL_TRY(req_number(*o, path, "lat", p.lat, -90, 90));
  PATROL_TRY(req_number(*o, path, "lon", p.lon, -180, 180));
  PATROL_TRY(opt_number(*o, path, "accuracy_m", p.accuracy_m, 0, 1e6));
  PATROL_TRY(opt_enum(*o, path, "crs", p.crs, kCrs));
  return std::nullopt;
}

Err opt_position(const json::object& o, const Path& path, std::string_view name,
                 std::optional<Position>& out) {
  const auto* m = member(o, name);
  if (m == nullptr) return std::nullopt;
  Position p;
  PATROL_TRY(position(*m, Path(path, name), p));
  out = std::move(p);
  return std::nullopt;
}

Err track_point(const json::value& v, const Path& path, TrackPoint& p) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  PATROL_TRY(req_device_time(*o, path, "t", p.t));
  PATROL_TRY(req_number(*o, path, "lat", p.lat, -90, 90));
  PATROL_TRY(req_number(*o, path, "lon", p.lon, -180, 180));
  PATROL_TRY(opt_number(*o, path, "accuracy_m", p.accuracy_m, 0, 1e6));
  return std::nullopt;
}

Err item_report(const json::value& v, const Path& path, ItemReport& r) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  PATROL_TRY(item_code(*o, path, r.code));
  std::string result;
  PATROL_TRY(req_enum(*o, path, "result", result, kItemResults));
  r.result = result == "hazard"           ? ItemResult::hazard
             : result == "not_applicable" ? ItemResult::not_applicable
                                          : ItemResult::ok;
  PATROL_TRY(opt_text(*o, path, "note", r.note, kMaxItemNoteChars));
  const json::array* photos = nullptr;
  const Path photos_path(path, "photos");
  PATROL_TRY(opt_array(*o, path, "photos", photos, kMaxPhotosPerItem));
  if (photos != nullptr) {
    for (std::size_t i = 0; i < photos->size(); ++i) {
      const Path field(photos_path, i);
      std::string h;
      PATROL_TRY(string_value((*photos)[i], field, h, 1, 64));
      if (!is_sha256_hex(h))
        return fail("invalid_format", field, "must be a lower-case hex SHA-256 (64 characters)");
      if (std::find(r.photos.begin(), r.photos.end(), h) != r.photos.end())
        return fail("duplicate", field, "photo listed twice");
      r.photos.push_back(std::move(h));
    }
  }
  return std::nullopt;
}

Err inspection_create(const json::value& v, const Path& path, InspectionCreate& b) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  PATROL_TRY(req_uuid(*o, path, "id", b.id));
  PATROL_TRY(req_string(*o, path, "site_id", b.site_id));
  PATROL_TRY(req_string(*o, path, "template_id", b.template_id));
  PATROL_TRY(req_int(*o, path, "template_version", b.template_version, 1,
                     std::numeric_limits<std::int32_t>::max()));
  PATROL_TRY(opt_string(*o, path, "round_id", b.round_id, 1, kMaxIdChars));
  PATROL_TRY(req_device_time(*o, path, "observed_at", b.observed_at));
  PATROL_TRY(opt_position(*o, path, "position", b.position));
  const json::array* items = nullptr;
  PATROL_TRY(req_array(*o, path, "items", items, 1, kMaxItemsPerInspection));
  const Path items_path(path, "items");
  // A report has a handful of items: a duplicate is looked for among the
  // ones before (no set of copied codes); a long list uses the set.
  constexpr std::size_t kScanItems = 16;
  std::set<std::string_view, std::less<>> codes;
  b.items.reserve(items->size());
  for (std::size_t i = 0; i < items->size(); ++i) {
    ItemReport r;
    const Path item_path(items_path, i);
    PATROL_TRY(item_report((*items)[i], item_path, r));
    const bool seen =
        items->size() <= kScanItems
            ? std::any_of(b.items.begin(), b.items.end(),
                          [&](const ItemReport& x) { return x.code == r.code; })
            : !codes.insert(std::string_view((*items)[i].as_object().at("code").as_string()))
                   .second;
    if (seen) return fail("duplicate", Path(item_path, "code"), "item code reported twice");
    b.items.push_back(std::move(r));
  }
  PATROL_TRY(opt_text(*o, path, "note", b.note, kMaxInspectionNoteChars));
  return std::nullopt;
}

Err position_append(const json::value& v, const Path& path, PositionAppend& b) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  const json::array* points = nullptr;
  PATROL_TRY(req_array(*o, path, "points", points, 1, kMaxPointsPerAppend));
  const Path points_path(path, "points");
  b.points.reserve(points->size());
  for (std::size_t i = 0; i < points->size(); ++i) {
    TrackPoint p;
    PATROL_TRY(track_point((*points)[i], Path(points_path, i), p));
    b.points.push_back(std::move(p));
  }
  PATROL_TRY(opt_enum(*o, path, "crs", b.crs, kCrs));
  return std::nullopt;
}

Err sos_raise(const json::value& v, const Path& path, SosRaise& b) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  PATROL_TRY(req_uuid(*o, path, "id", b.id));
  PATROL_TRY(req_device_time(*o, path, "raised_at", b.raised_at));
  PATROL_TRY(opt_position(*o, path, "position", b.position));
  PATROL_TRY(opt_text(*o, path, "note", b.note, kMaxItemNoteChars));
  return std::nullopt;
}

// An op's fields; its body checked and pointed at (op() copies it, op_view() does not).
Err op_fields(const json::value& v, const Path& path, std::string& op_id, std::string& type,
              std::optional<std::string>& device_time, const json::value*& body) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  PATROL_TRY(req_uuid(*o, path, "op_id", op_id));
  PATROL_TRY(req_enum(*o, path, "type", type, kOpTypes));
  PATROL_TRY(opt_device_time(*o, path, "device_time", device_time));
  body = member(*o, "body");
  if (body == nullptr) return fail("required", Path(path, "body"), "is required");
  if (!body->is_object()) return fail("invalid_type", Path(path, "body"), "must be an object");
  return std::nullopt;
}

Err op(const json::value& v, const Path& path, Op& out, const json::storage_ptr& sp = {}) {
  const json::value* body = nullptr;
  PATROL_TRY(op_fields(v, path, out.op_id, out.type, out.device_time, body));
  out.body = json::value(*body, sp);
  return std::nullopt;
}

Err op_result(const json::value& v, const Path& path, OpResult& r) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  // Not checked as a UUID: the server echoes whatever op_id a rejected op carried.
  PATROL_TRY(req_string(*o, path, "op_id", r.op_id, 0, 256));
  std::string status;
  PATROL_TRY(req_enum(*o, path, "status", status, kOpStatuses));
  r.status = status == "duplicate"  ? OpStatus::duplicate
             : status == "rejected" ? OpStatus::rejected
                                    : OpStatus::applied;
  if (const auto* e = member(*o, "error")) {
    const json::object* eo = nullptr;
    const Path epath(path, "error");
    PATROL_TRY(as_object(*e, epath, eo));
    FieldError fe;
    PATROL_TRY(req_string(*eo, epath, "code", fe.code, 1, 64));
    PATROL_TRY(opt_string(*eo, epath, "field", fe.field, 1024));
    PATROL_TRY(opt_string(*eo, epath, "message", fe.message, 4096));
    r.error = std::move(fe);
  } else if (r.status == OpStatus::rejected) {
    return fail("required", Path(path, "error"), "is required when status is rejected");
  }
  PATROL_TRY(opt_time(*o, path, "received_at", r.received_at));
  return std::nullopt;
}

Err change(const json::value& v, const Path& path, Change& c) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  PATROL_TRY(req_int(*o, path, "seq", c.seq, 0, std::numeric_limits<std::int64_t>::max()));
  PATROL_TRY(req_enum(*o, path, "entity", c.entity, kChangeEntities));
  PATROL_TRY(req_enum(*o, path, "op", c.op, kChangeOps));
  PATROL_TRY(req_string(*o, path, "id", c.id));
  const Path data_path(path, "data");
  const auto* data = member(*o, "data");
  if (c.op == "upsert") {
    if (data == nullptr) return fail("required", data_path, "is required for an upsert");
    if (!data->is_object()) return fail("invalid_type", data_path, "must be an object");
    c.data = *data;
  } else {
    c.data = nullptr;
  }
  return std::nullopt;
}

Err template_item(const json::value& v, const Path& path, TemplateItem& t) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  PATROL_TRY(item_code(*o, path, t.code));
  PATROL_TRY(req_text(*o, path, "label_zh", t.label_zh, 1, 512));
  PATROL_TRY(req_text(*o, path, "label_en", t.label_en, 1, 512));
  PATROL_TRY(req_enum(*o, path, "severity", t.severity, kSeverities));
  PATROL_TRY(req_bool(*o, path, "photo_required", t.photo_required));
  return std::nullopt;
}

Err checklist_template(const json::value& v, const Path& path, ChecklistTemplate& t) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  PATROL_TRY(req_string(*o, path, "id", t.id));
  PATROL_TRY(req_int(*o, path, "version", t.version, 1, std::numeric_limits<std::int32_t>::max()));
  PATROL_TRY(opt_string(*o, path, "name", t.name, 256));
  const json::array* cats = nullptr;
  PATROL_TRY(req_array(*o, path, "categories", cats, 0, std::size(kSiteCategories)));
  const Path cats_path(path, "categories");
  for (std::size_t i = 0; i < cats->size(); ++i) {
    std::string c;
    PATROL_TRY(enum_value((*cats)[i], Path(cats_path, i), c, kSiteCategories));
    if (std::find(t.categories.begin(), t.categories.end(), c) != t.categories.end())
      return fail("duplicate", Path(cats_path, i), "category listed twice");
    t.categories.push_back(std::move(c));
  }
  const json::array* items = nullptr;
  PATROL_TRY(req_array(*o, path, "items", items, 1, kMaxItemsPerInspection));
  const Path items_path(path, "items");
  std::set<std::string, std::less<>> codes;
  for (std::size_t i = 0; i < items->size(); ++i) {
    TemplateItem ti;
    const Path item_path(items_path, i);
    PATROL_TRY(template_item((*items)[i], item_path, ti));
    if (!codes.insert(ti.code).second)
      return fail("duplicate", Path(item_path, "code"), "item code listed twice");
    t.items.push_back(std::move(ti));
  }
  return std::nullopt;
}

Err site(const json::value& v, const Path& path, Site& s) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, path, o));
  PATROL_TRY(req_string(*o, path, "id", s.id));
  PATROL_TRY(req_string(*o, path, "org_unit_id", s.org_unit_id));
  PATROL_TRY(req_string(*o, path, "name", s.name, 1, 256));
  PATROL_TRY(req_enum(*o, path, "category", s.category, kSiteCategories));
  PATROL_TRY(opt_string(*o, path, "address", s.address, 512));
  PATROL_TRY(req_number(*o, path, "lat", s.lat, -90, 90));
  PATROL_TRY(req_number(*o, path, "lon", s.lon, -180, 180));
  PATROL_TRY(req_string(*o, path, "template_id", s.template_id));
  return std::nullopt;
}

}  // namespace

// ---------- enums ----------

std::string_view to_string(ItemResult r) noexcept {
  switch (r) {
    case ItemResult::hazard:
      return "hazard";
    case ItemResult::not_applicable:
      return "not_applicable";
    case ItemResult::ok:
      break;
  }
  return "ok";
}

std::string_view to_string(OpStatus s) noexcept {
  switch (s) {
    case OpStatus::duplicate:
      return "duplicate";
    case OpStatus::rejected:
      return "rejected";
    case OpStatus::applied:
      break;
  }
  return "applied";
}

bool is_site_category(std::string_view c) noexcept {
  return std::find(std::begin(kSiteCategories), std::end(kSiteCategories), c) !=
         std::end(kSiteCategories);
}

// ---------- auth ----------

Decoded<LoginRequest> decode_login_request(const json::value& v) {
  return decode_with<LoginRequest>([&](LoginRequest& r) -> Err {
    const json::object* o = nullptr;
    PATROL_TRY(as_object(v, "", o));
    PATROL_TRY(req_string(*o, "", "phone", r.phone, 1, 20));
    if (r.phone.size() < 5 ||
        !std::all_of(r.phone.begin(), r.phone.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return fail("invalid_format", "phone", "must be 5 to 20 digits");
    PATROL_TRY(req_string(*o, "", "password", r.password, 1, 256));
    PATROL_TRY(req_string(*o, "", "device_id", r.device_id, 1, kMaxIdChars));
    return std::nullopt;
  });
}

json::object to_json(const LoginRequest& r) {
  return {{"phone", r.phone}, {"password", r.password}, {"device_id", r.device_id}};
}

json::object to_json(const UserInfo& u) {
  return {{"id", u.id}, {"name", u.name}, {"role", u.role}, {"org_unit_id", u.org_unit_id}};
}

Decoded<UserInfo> decode_user_info(const json::value& v, std::string_view path) {
  return decode_with<UserInfo>([&](UserInfo& u) { return user_info(v, path, u); });
}

json::object to_json(const LoginResponse& r) {
  return {{"token", r.token}, {"expires_at", r.expires_at}, {"user", to_json(r.user)}};
}

Decoded<LoginResponse> decode_login_response(const json::value& v) {
  return decode_with<LoginResponse>([&](LoginResponse& r) -> Err {
    const json::object* o = nullptr;
    PATROL_TRY(as_object(v, "", o));
    PATROL_TRY(req_string(*o, "", "token", r.token, 1, 512));
    PATROL_TRY(req_time(*o, "", "expires_at", r.expires_at));
    const auto* u = member(*o, "user");
    if (u == nullptr) return fail("required", "user", "is required");
    return user_info(*u, "user", r.user);
  });
}

// ---------- positions ----------

namespace {
json::object position_json(const Position& p, json::storage_ptr sp) {
  json::object o(std::move(sp));
  o["lat"] = p.lat;
  o["lon"] = p.lon;
  if (p.accuracy_m) o["accuracy_m"] = *p.accuracy_m;
  o["crs"] = p.crs;
  return o;
}
}  // namespace

json::object to_json(const Position& p) {
  return position_json(p, {});
}

Decoded<Position> decode_position(const json::value& v, std::string_view path) {
  return decode_with<Position>([&](Position& p) { return position(v, path, p); });
}

json::object to_json(const TrackPoint& p) {
  json::object o{{"t", p.t}, {"lat", p.lat}, {"lon", p.lon}};
  if (p.accuracy_m) o["accuracy_m"] = *p.accuracy_m;
  return o;
}

Decoded<TrackPoint> decode_track_point(const json::value& v, std::string_view path) {
  return decode_with<TrackPoint>([&](TrackPoint& p) { return track_point(v, path, p); });
}

// ---------- ops ----------

namespace {
json::object item_report_json(const ItemReport& r, json::storage_ptr sp) {
  json::object o(sp);
  o["code"] = r.code;
  o["result"] = to_string(r.result);
  if (!r.note.empty()) o["note"] = r.note;
  if (!r.photos.empty()) {
    json::array a(sp);
    for (const auto& p : r.photos) a.emplace_back(p);
    o["photos"] = std::move(a);
  }
  return o;
}
}  // namespace

json::object to_json(const ItemReport& r) {
  return item_report_json(r, {});
}

json::object to_json(const InspectionCreate& b) {
  return to_json(b, {});
}

json::object to_json(const InspectionCreate& b, json::storage_ptr sp) {
  json::object o(sp);
  o["id"] = b.id;
  o["site_id"] = b.site_id;
  o["template_id"] = b.template_id;
  o["template_version"] = b.template_version;
  o["round_id"] = b.round_id ? json::value(*b.round_id, sp) : json::value(nullptr);
  o["observed_at"] = b.observed_at;
  o["position"] = b.position ? json::value(position_json(*b.position, sp)) : json::value(nullptr);
  json::array items(sp);
  items.reserve(b.items.size());
  for (const auto& i : b.items) items.emplace_back(item_report_json(i, sp));
  o["items"] = std::move(items);
  o["note"] = b.note;
  return o;
}

Decoded<InspectionCreate> decode_inspection_create(const json::value& v, std::string_view path) {
  return decode_with<InspectionCreate>(
      [&](InspectionCreate& b) { return inspection_create(v, path, b); });
}

json::object to_json(const PositionAppend& b) {
  json::array pts;
  for (const auto& p : b.points) pts.emplace_back(to_json(p));
  return {{"points", std::move(pts)}, {"crs", b.crs}};
}

Decoded<PositionAppend> decode_position_append(const json::value& v, std::string_view path) {
  return decode_with<PositionAppend>(
      [&](PositionAppend& b) { return position_append(v, path, b); });
}

json::object to_json(const SosRaise& b) {
  json::object o;
  o["id"] = b.id;
  o["raised_at"] = b.raised_at;
  o["position"] = b.position ? json::value(to_json(*b.position)) : json::value(nullptr);
  o["note"] = b.note;
  return o;
}

Decoded<SosRaise> decode_sos_raise(const json::value& v, std::string_view path) {
  return decode_with<SosRaise>([&](SosRaise& b) { return sos_raise(v, path, b); });
}

json::object to_json(const Op& op) {
  json::object o;
  o["op_id"] = op.op_id;
  o["type"] = op.type;
  if (op.device_time) o["device_time"] = *op.device_time;
  o["body"] = op.body;
  return o;
}

Decoded<Op> decode_op(const json::value& v, std::string_view path) {
  return decode_with<Op>([&](Op& out) { return op(v, path, out); });
}

Decoded<Op> decode_op(const json::value& v, std::string_view path, json::storage_ptr body_storage) {
  // The body is made in body_storage from the start: assigning a value of one
  // storage to a value of another copies it into the target's storage.
  Op out{{}, {}, std::nullopt, json::value(body_storage)};
  if (auto e = op(v, path, out, body_storage))
    return Decoded<Op>(boost::system::in_place_error, std::move(*e));
  return Decoded<Op>(boost::system::in_place_value, std::move(out));
}

Decoded<OpBody> decode_op_body(const Op& o, std::string_view path) {
  if (o.type == kOpInspectionCreate) {
    auto r = decode_inspection_create(o.body, path);
    if (!r) return Decoded<OpBody>(boost::system::in_place_error, r.error());
    return OpBody(std::move(*r));
  }
  if (o.type == kOpPositionAppend) {
    auto r = decode_position_append(o.body, path);
    if (!r) return Decoded<OpBody>(boost::system::in_place_error, r.error());
    return OpBody(std::move(*r));
  }
  if (o.type == kOpSosRaise) {
    auto r = decode_sos_raise(o.body, path);
    if (!r) return Decoded<OpBody>(boost::system::in_place_error, r.error());
    return OpBody(std::move(*r));
  }
  return Decoded<OpBody>(boost::system::in_place_error,
                         fail("unknown_value", "type", one_of(kOpTypes)));
}

json::object to_json(const PushRequest& r) {
  json::object o;
  o["device_id"] = r.device_id;
  if (r.clock_offset_ms) o["clock_offset_ms"] = *r.clock_offset_ms;
  json::array ops;
  for (const auto& op : r.ops) ops.push_back(op);
  o["ops"] = std::move(ops);
  return o;
}

namespace {
Err push_request_fields(const json::value& v, std::string& device_id,
                        std::optional<std::int64_t>& clock_offset_ms, const json::array*& ops) {
  const json::object* o = nullptr;
  PATROL_TRY(as_object(v, "", o));
  PATROL_TRY(req_string(*o, "", "device_id", device_id, 1, kMaxIdChars));
  PATROL_TRY(
      opt_int(*o, "", "clock_offset_ms", clock_offset_ms, -kMaxClockOffsetMs, kMaxClockOffsetMs));
  PATROL_TRY(req_array(*o, "", "ops", ops, 1, kMaxOpsPerPush));
  return std::nullopt;
}
}  // namespace

Decoded<PushRequest> decode_push_request(const json::value& v) {
  return decode_with<PushRequest>([&](PushRequest& r) -> Err {
    const json::array* ops = nullptr;
    PATROL_TRY(push_request_fields(v, r.device_id, r.clock_offset_ms, ops));
    r.ops.assign(ops->begin(), ops->end());
    return std::nullopt;
  });
}

Decoded<PushRequestView> decode_push_request_view(const json::value& v) {
  return decode_with<PushRequestView>([&](PushRequestView& r) -> Err {
    return push_request_fields(v, r.device_id, r.clock_offset_ms, r.ops);
  });
}

Decoded<OpView> decode_op_view(const json::value& v, std::string_view path) {
  return decode_with<OpView>([&](OpView& out) {
    return op_fields(v, path, out.op_id, out.type, out.device_time, out.body);
  });
}

json::object to_json(const OpResult& r) {
  return to_json(r, {});
}

json::object to_json(const OpResult& r, json::storage_ptr sp) {
  json::object o(std::move(sp));
  o.reserve(4);
  o["op_id"] = r.op_id;
  o["status"] = to_string(r.status);
  if (r.error) o["error"] = to_json(*r.error);
  if (r.received_at) o["received_at"] = *r.received_at;
  return o;
}

Decoded<OpResult> decode_op_result(const json::value& v, std::string_view path) {
  return decode_with<OpResult>([&](OpResult& r) { return op_result(v, path, r); });
}

json::object to_json(const PushResponse& r) {
  return to_json(r, {});
}

json::object to_json(const PushResponse& r, json::storage_ptr sp) {
  json::array results(sp);
  results.reserve(r.results.size());
  for (const auto& x : r.results) results.emplace_back(to_json(x, sp));
  json::object o(sp);
  o["results"] = std::move(results);
  o["server_time"] = r.server_time;
  return o;
}

std::string to_json_text(const PushResponse& r) {
  std::string out;
  out.reserve(48 + r.server_time.size() + 96 * r.results.size());
  out += R"({"results":[)";
  for (std::size_t k = 0; k < r.results.size(); ++k) {
    const auto& x = r.results[k];
    if (k != 0) out += ',';
    out += R"({"op_id":)";
    append_json_string(out, x.op_id);
    out += R"(,"status":")";
    out += to_string(x.status);
    out += '"';
    if (x.error) {
      out += R"(,"error":)";
      out += json::serialize(to_json(*x.error));
    }
    if (x.received_at) {
      out += R"(,"received_at":)";
      append_json_string(out, *x.received_at);
    }
    out += '}';
  }
  out += R"(],"server_time":)";
  append_json_string(out, r.server_time);
  out += '}';
  return out;
}

Decoded<PushResponse> decode_push_response(const json::value& v) {
  return decode_with<PushResponse>([&](PushResponse& r) -> Err {
    const json::object* o = nullptr;
    PATROL_TRY(as_object(v, "", o));
    const json::array* results = nullptr;
    PATROL_TRY(req_array(*o, "", "results", results, 0, kMaxOpsPerPush));
    for (std::size_t i = 0; i < results->size(); ++i) {
      OpResult x;
      PATROL_TRY(op_result((*results)[i], Path("results", i), x));
      r.results.push_back(std::move(x));
    }
    PATROL_TRY(req_time(*o, "", "server_time", r.server_time));
    return std::nullopt;
  });
}

// ---------- sync/pull ----------

json::object to_json(const Change& c) {
  json::object o;
  o["seq"] = c.seq;
  o["entity"] = c.entity;
  o["op"] = c.op;
  o["id"] = c.id;
  o["data"] = c.op == "delete" ? json::value(nullptr) : c.data;
  return o;
}

Decoded<Change> decode_change(const json::value& v, std::string_view path) {
  return decode_with<Change>([&](Change& c) { return change(v, path, c); });
}

json::object to_json(const PullResponse& r) {
  json::array changes;
  for (const auto& c : r.changes) changes.emplace_back(to_json(c));
  return {{"cursor", r.cursor}, {"has_more", r.has_more}, {"changes", std::move(changes)}};
}

Decoded<PullResponse> decode_pull_response(const json::value& v) {
  return decode_with<PullResponse>([&](PullResponse& r) -> Err {
    const json::object* o = nullptr;
    PATROL_TRY(as_object(v, "", o));
    PATROL_TRY(req_int(*o, "", "cursor", r.cursor, 0, std::numeric_limits<std::int64_t>::max()));
    PATROL_TRY(req_bool(*o, "", "has_more", r.has_more));
    const json::array* changes = nullptr;
    PATROL_TRY(req_array(*o, "", "changes", changes, 0, kMaxPullLimit));
    for (std::size_t i = 0; i < changes->size(); ++i) {
      Change c;
      PATROL_TRY(change((*changes)[i], Path("changes", i), c));
      r.changes.push_back(std::move(c));
    }
    return std::nullopt;
  });
}

// ---------- reference data ----------

json::object to_json(const TemplateItem& t) {
  return {{"code", t.code},
          {"label_zh", t.label_zh},
          {"label_en", t.label_en},
          {"severity", t.severity},
          {"photo_required", t.photo_required}};
}

json::object to_json(const ChecklistTemplate& t) {
  json::array cats;
  for (const auto& c : t.categories) cats.emplace_back(c);
  json::array items;
  for (const auto& i : t.items) items.emplace_back(to_json(i));
  return {{"id", t.id},
          {"version", t.version},
          {"name", t.name},
          {"categories", std::move(cats)},
          {"items", std::move(items)}};
}

Decoded<ChecklistTemplate> decode_checklist_template(const json::value& v, std::string_view path) {
  return decode_with<ChecklistTemplate>(
      [&](ChecklistTemplate& t) { return checklist_template(v, path, t); });
}

json::object to_json(const Site& s) {
  return {{"id", s.id},           {"org_unit_id", s.org_unit_id},
          {"name", s.name},       {"category", s.category},
          {"address", s.address}, {"lat", s.lat},
          {"lon", s.lon},         {"template_id", s.template_id}};
}

Decoded<Site> decode_site(const json::value& v, std::string_view path) {
  return decode_with<Site>([&](Site& s) { return site(v, path, s); });
}

#undef PATROL_TRY

}  // namespace patrol::wire
