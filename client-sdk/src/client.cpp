#include "patrol/client.hpp"

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <ctime>
#include <deque>
#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "device_db.hpp"
#include "patrol/wire/messages.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"
#include "photo_store.hpp"
#include "sync_engine.hpp"

namespace patrol {

const char* to_string(ErrorCode c) noexcept {
  switch (c) {
    case ErrorCode::ok:
      return "ok";
    case ErrorCode::invalid_argument:
      return "invalid_argument";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::not_logged_in:
      return "not_logged_in";
    case ErrorCode::auth_failed:
      return "auth_failed";
    case ErrorCode::network:
      return "network";
    case ErrorCode::server:
      return "server";
    case ErrorCode::protocol:
      return "protocol";
    case ErrorCode::storage:
      return "storage";
    case ErrorCode::offline:
      return "offline";
    case ErrorCode::rejected:
      return "rejected";
    case ErrorCode::internal:
      return "internal";
  }
  return "unknown";
}

namespace {

using sdk::DeviceDb;
namespace json = boost::json;

constexpr std::size_t kMaxQueuedEvents = 1000;
constexpr std::size_t kMaxPointsPerOp = 1000;

std::string str_field(const json::object& o, std::initializer_list<std::string_view> names) {
  for (auto n : names) {
    if (auto* v = o.if_contains(n)) {
      if (v->is_string()) return std::string(v->as_string());
      if (v->is_int64()) return std::to_string(v->as_int64());
      if (v->is_uint64()) return std::to_string(v->as_uint64());
    }
  }
  return {};
}
double num_field(const json::object& o, std::string_view name) {
  if (auto* v = o.if_contains(name)) {
    if (v->is_double()) return v->as_double();
    if (v->is_int64()) return static_cast<double>(v->as_int64());
    if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  }
  return 0;
}
std::optional<json::object> parse_object(const std::string& s) {
  boost::system::error_code ec;
  auto v = json::parse(s, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

SiteInfo to_site(const std::string& js) {
  SiteInfo s;
  s.json = js;
  if (auto o = parse_object(js)) {
    s.id = str_field(*o, {"id"});
    s.org_unit_id = str_field(*o, {"org_unit_id"});
    s.name = str_field(*o, {"name"});
    s.category = str_field(*o, {"category"});
    s.address = str_field(*o, {"address"});
    s.template_id = str_field(*o, {"template_id", "checklist_template_id"});
    s.lat = num_field(*o, "lat");
    s.lon = num_field(*o, "lon");
    if (auto* p = o->if_contains("position"); p && p->is_object()) {
      s.lat = num_field(p->as_object(), "lat");
      s.lon = num_field(p->as_object(), "lon");
    }
  }
  return s;
}

TemplateInfo to_template(const std::string& js) {
  TemplateInfo t;
  t.json = js;
  if (auto o = parse_object(js)) {
    t.id = str_field(*o, {"id"});
    t.name = str_field(*o, {"name"});
    if (auto* v = o->if_contains("version"); v && v->is_int64()) t.version = v->as_int64();
    if (auto* items = o->if_contains("items"); items && items->is_array()) {
      for (const auto& it : items->as_array()) {
        if (!it.is_object()) continue;
        const auto& io = it.as_object();
        TemplateItemInfo ti;
        ti.code = str_field(io, {"code"});
        ti.label_zh = str_field(io, {"label_zh"});
        ti.label_en = str_field(io, {"label_en"});
        ti.severity = str_field(io, {"severity"});
        if (auto* pr = io.if_contains("photo_required"); pr && pr->is_bool())
          ti.photo_required = pr->as_bool();
        t.items.push_back(std::move(ti));
      }
    }
  }
  return t;
}

// Route/site lists come as ["id",…] or [{"site_id":…},…].
std::vector<std::string> id_list(const json::object& o) {
  std::vector<std::string> out;
  for (auto name : {"site_ids", "route", "sites"}) {
    auto* v = o.if_contains(name);
    if (!v || !v->is_array()) continue;
    for (const auto& e : v->as_array()) {
      if (e.is_string())
        out.emplace_back(e.as_string());
      else if (e.is_object())
        if (auto id = str_field(e.as_object(), {"site_id", "id"}); !id.empty()) out.push_back(id);
    }
    if (!out.empty()) break;
  }
  return out;
}

RoundInfo to_round(const std::string& js) {
  RoundInfo r;
  r.json = js;
  if (auto o = parse_object(js)) {
    r.id = str_field(*o, {"id"});
    r.schedule_id = str_field(*o, {"schedule_id"});
    r.team_id = str_field(*o, {"team_id"});
    r.status = str_field(*o, {"status", "state"});
    r.date = str_field(*o, {"date", "round_date", "day"});
    r.starts_at = str_field(*o, {"starts_at", "start_at", "planned_start", "scheduled_start"});
    r.ends_at = str_field(*o, {"ends_at", "end_at", "planned_end", "scheduled_end"});
    r.site_ids = id_list(*o);
    if (r.date.empty() && r.starts_at.size() >= 10) r.date = r.starts_at.substr(0, 10);
  }
  return r;
}

wire::Millis to_millis(std::chrono::system_clock::time_point t) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(t);
}

std::optional<wire::Position> to_wire(const std::optional<GeoPoint>& p) {
  if (!p) return std::nullopt;
  wire::Position w;
  w.lat = p->lat;
  w.lon = p->lon;
  w.accuracy_m = p->accuracy_m;
  w.crs = p->crs.empty() ? "wgs84" : p->crs;
  return w;
}

// The wire op, as wire::to_json(wire::Op) writes it (same keys, same order),
// with the body moved in rather than copied. `device_time`: now, formatted
// (a report reuses it for its observed time and its receipt).
// The envelope is written as text around the serialised body: its three
// strings (a UUID the SDK made, an op type constant, an RFC 3339 time) need
// no escaping, and building a json::object for them cost more than the text.
std::string op_json(const std::string& op_id, std::string_view type, json::object body,
                    std::string_view device_time) {
  std::string out = R"({"op_id":")";
  out.reserve(640);
  out += op_id;
  out += R"(","type":")";
  out += type;
  out += R"(","device_time":")";
  out += device_time;
  out += R"(","body":)";
  out += json::serialize(body);
  out += '}';
  return out;
}
std::string op_json(const std::string& op_id, std::string_view type, json::object body) {
  return op_json(op_id, type, std::move(body), wire::format_rfc3339(wire::now_millis()));
}

Receipt to_receipt(const sdk::ReceiptRow& r) {
  return Receipt{r.report_id, r.op_id,       r.kind,
                 r.site_id,   r.seq,         static_cast<ReceiptState>(r.state),
                 r.saved_at,  r.received_at, r.reason};
}

Error invalid(std::string msg) {
  return make_error(ErrorCode::invalid_argument, std::move(msg));
}

}  // namespace

struct Client::Impl {
  ClientOptions opts;
  std::string device_id;
  std::filesystem::path photo_dir;
  std::mutex db_mu;  // guards db (the API thread's connection)
  std::optional<DeviceDb> db;
  std::unique_ptr<sdk::SyncEngine> engine;

  std::mutex ev_mu;
  std::deque<Event> events;
  std::shared_ptr<std::function<void(const Event&)>> callback;

  void emit(const Event& e) {
    std::shared_ptr<std::function<void(const Event&)>> cb;
    {
      std::lock_guard lk(ev_mu);
      events.push_back(e);
      if (events.size() > kMaxQueuedEvents) events.pop_front();
      cb = callback;
    }
    if (cb && *cb) (*cb)(e);  // outside the lock: the callback may poll
  }

  // Templates are versioned: the pull keys them "id@version", so look them up
  // by the id inside and take the newest version (or the one asked for).
  // Caller holds db_mu.
  Result<std::optional<TemplateInfo>> find_template(const std::string& id,
                                                    std::optional<std::int64_t> version = {}) {
    auto rows = db->entities("checklist_template");
    if (!rows) return std::move(rows).error();
    std::optional<TemplateInfo> best;
    for (const auto& js : *rows) {
      auto t = to_template(js);
      if (t.id != id || (version && t.version != *version)) continue;
      if (!best || t.version > best->version) best = std::move(t);
    }
    return best;
  }

  // What every enqueue would otherwise read again (the online flag, a site's
  // template and a template's newest version), kept while the database's
  // content is unchanged (DeviceDb::change_epoch: any other connection's
  // commit, e.g. the engine's pull, or a settings write through this one,
  // drops it). Caller holds db_mu.
  struct Memo {
    std::pair<std::int64_t, std::uint64_t> epoch{-1, 0};
    std::optional<bool> online;
    std::unordered_map<std::string, std::string> site_template;
    std::unordered_map<std::string, std::int64_t> template_version;
  };
  Memo memo;
  Memo& fresh_memo() {
    auto e = db->change_epoch();
    if (!e || *e != memo.epoch) {
      memo = Memo{};
      if (e) memo.epoch = *e;  // on an error nothing is kept
    }
    return memo;
  }

  // `checked`: fresh_memo() was called already in this call (no second
  // PRAGMA data_version).
  bool online(bool checked = false) {
    auto& m = checked ? memo : fresh_memo();
    if (m.online) return *m.online;
    auto v = db->get(sdk::keys::kOnline);
    const bool on = !v || !*v || **v != "0";
    if (v) m.online = on;
    return on;
  }

  // `now`: the device time to stamp the receipt with (formatted once per
  // report); empty: the enqueue's own.
  Result<Receipt> enqueue_report(sdk::NewOp&& op, bool memo_checked = false, std::string now = {}) {
    std::vector<sdk::NewOp> ops;
    ops.push_back(std::move(op));
    std::string saved_at = std::move(now);
    std::lock_guard lk(db_mu);
    auto r = db->enqueue(ops, false, &saved_at);
    if (!r) return std::move(r).error();
    // A report (and an SOS above all) leaves at once, even during backoff.
    if (online(memo_checked)) engine->notify_work(/*urgent=*/true);
    // The receipt as enqueue wrote it (no read back).
    auto& o = ops.front();
    return Receipt{std::move(*o.report_id),
                   std::move(o.op_id),
                   std::move(o.receipt_kind),
                   std::move(o.site_id),
                   r->front(),
                   ReceiptState::saved,
                   std::move(saved_at),
                   {},
                   {}};
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() {
  if (impl_ && impl_->engine) impl_->engine->stop();
}

Result<std::unique_ptr<Client>> Client::open(ClientOptions opts) {
  if (opts.data_dir.empty()) return invalid("data_dir is required");
  std::error_code fec;
  std::filesystem::create_directories(opts.data_dir, fec);
  if (fec)
    return make_error(ErrorCode::storage,
                      "cannot create data dir " + opts.data_dir + ": " + fec.message());
  auto impl = std::make_unique<Impl>();
  impl->photo_dir = std::filesystem::path(opts.data_dir) / "photos";
  const std::string db_path = (std::filesystem::path(opts.data_dir) / "device.db").string();
  auto db = DeviceDb::open(db_path);
  if (!db) return std::move(db).error();
  // The device id is created once, with the database, and never changes.
  {
    auto id = db->get(sdk::keys::kDeviceId);
    if (!id) return std::move(id).error();
    if (!*id) {
      const std::string fresh = wire::make_uuid_v7();
      auto& raw = db->raw();
      auto st = raw.prepare("INSERT OR IGNORE INTO settings(key, value) VALUES(?, ?)");
      if (!st) return sdk::storage_error(st.error(), "device id");
      st->bind(1, sdk::keys::kDeviceId).bind(2, fresh);
      if (auto ec = st->run()) return sdk::storage_error(ec, "device id");
      id = db->get(sdk::keys::kDeviceId);
      if (!id || !*id) return make_error(ErrorCode::storage, "cannot create device id");
    }
    impl->device_id = **id;
  }
  auto engine_db = DeviceDb::open(db_path, DeviceDb::Durability::relaxed);
  if (!engine_db) return std::move(engine_db).error();

  std::unique_ptr<Transport> transport = std::move(opts.transport);
  if (!transport && !opts.server_url.empty()) {
    TransportOptions to;
    to.server_url = opts.server_url;
    to.insecure = opts.insecure;
    to.spki_sha256_pins = opts.spki_sha256_pins;
    to.max_connections = std::max<std::size_t>(1, opts.push_connections);
    auto t = make_default_transport(to);
    if (!t) return std::move(t).error();
    transport = std::move(*t);
  }
  sdk::EngineConfig ec;
  ec.device_id = impl->device_id;
  ec.backoff_initial = opts.backoff_initial;
  ec.backoff_max = opts.backoff_max;
  ec.refresh_interval = opts.refresh_interval;
  ec.request_timeout = opts.request_timeout;
  ec.batch_max_ops = opts.batch_max_ops;
  ec.batch_max_bytes = opts.batch_max_bytes;
  ec.photo_chunk_bytes = opts.photo_chunk_bytes;
  ec.jitter_seed = opts.jitter_seed;
  impl->db.emplace(std::move(*db));
  Impl* raw = impl.get();
  impl->engine = std::make_unique<sdk::SyncEngine>(ec, std::move(*engine_db), std::move(transport),
                                                   [raw](const Event& e) { raw->emit(e); });
  const bool background = opts.background_sync;
  impl->opts = std::move(opts);
  if (background) impl->engine->start();
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

// ---------------------------------------------------------------- session

Status Client::login(const std::string& phone, const std::string& password) {
  if (phone.empty() || password.empty()) return invalid("phone and password are required");
  auto s = impl_->engine->login(phone, password);
  if (!s) return std::move(s).error();
  {
    std::lock_guard lk(impl_->db_mu);
    // Another user on this device: their cached reference data is not ours.
    auto prev = impl_->db->get(sdk::keys::kUserId);
    if (prev && *prev && **prev != s->user_id) (void)impl_->db->clear_reference_data();
    namespace k = sdk::keys;
    auto st = impl_->db->set_many({{std::string(k::kToken), s->token},
                                   {std::string(k::kTokenExpiresAt), s->expires_at},
                                   {std::string(k::kUserId), s->user_id},
                                   {std::string(k::kUserName), s->user_name},
                                   {std::string(k::kUserRole), s->role},
                                   {std::string(k::kUserOrgUnit), s->org_unit_id}},
                                  {std::string(k::kLoginRequired)});
    if (!st) return st;
  }
  impl_->engine->wake_now();
  return {};
}

Status Client::logout() {
  std::optional<std::string> token;
  bool online = false;
  {
    std::lock_guard lk(impl_->db_mu);
    online = impl_->online();
    auto t = impl_->db->get(sdk::keys::kToken);
    if (!t) return std::move(t).error();
    token = *t;
    namespace k = sdk::keys;
    auto st = impl_->db->set_many({}, {std::string(k::kToken), std::string(k::kTokenExpiresAt),
                                       std::string(k::kLoginRequired)});
    if (!st) return st;
  }
  if (token && online) impl_->engine->logout_remote(*token);
  return {};
}

// ---------------------------------------------------------------- writes

Result<Receipt> Client::enqueue_inspection(const InspectionDraft& d) {
  if (d.site_id.empty()) return invalid("site_id is required");
  if (d.items.empty()) return invalid("an inspection needs at least one item");
  wire::InspectionCreate b;
  b.id = wire::make_uuid_v7();
  b.site_id = d.site_id;
  b.round_id = d.round_id;
  // One device time for the op, its receipt and (unless given) the observation.
  std::string now = wire::format_rfc3339(wire::now_millis());
  b.observed_at = d.observed_at ? wire::format_rfc3339(to_millis(*d.observed_at)) : now;
  b.position = to_wire(d.position);
  b.note = d.note;
  {
    std::lock_guard lk(impl_->db_mu);
    auto& memo = impl_->fresh_memo();
    std::string tid = d.template_id.value_or("");
    if (tid.empty()) {
      if (auto hit = memo.site_template.find(d.site_id); hit != memo.site_template.end()) {
        tid = hit->second;
      } else {
        auto site = impl_->db->entity("site", d.site_id);
        if (!site) return std::move(site).error();
        if (!*site)
          return make_error(
              ErrorCode::not_found,
              "site " + d.site_id + " is not in the cached reference data (pull first)");
        tid = to_site(**site).template_id;
        if (tid.empty())
          return make_error(ErrorCode::not_found,
                            "site " + d.site_id + " names no checklist template");
        memo.site_template.emplace(d.site_id, tid);
      }
    }
    if (d.template_version) {
      b.template_version = *d.template_version;
    } else if (auto hit = memo.template_version.find(tid); hit != memo.template_version.end()) {
      b.template_version = hit->second;
    } else {
      auto v = impl_->db->newest_template_version(tid);
      if (!v) return std::move(v).error();
      b.template_version = v->value_or(1);
      memo.template_version.emplace(tid, b.template_version);
    }
    b.template_id = std::move(tid);
  }
  for (const auto& it : d.items) {
    wire::ItemReport ir;
    ir.code = it.code;
    switch (it.result) {
      case ItemResult::ok:
        ir.result = wire::ItemResult::ok;
        break;
      case ItemResult::hazard:
        ir.result = wire::ItemResult::hazard;
        break;
      case ItemResult::not_applicable:
        ir.result = wire::ItemResult::not_applicable;
        break;
      default:
        return invalid("item " + it.code + ": unknown result");
    }
    ir.note = it.note;
    ir.photos = it.photos;
    b.items.push_back(std::move(ir));
  }
  // Validate with the same decoder the server uses: a report that could never
  // be accepted is refused here, while the volunteer can still fix it.
  // (A json::value from the start: the decoder takes one, and handing it the
  // object would copy the whole report.) Built in a stack buffer: its ~40
  // nodes cost a pointer bump each and nothing to free (a long note spills
  // to the heap); it lives until the op's text is written below.
  unsigned char scratch[8192];
  json::monotonic_resource mr(scratch, sizeof scratch);
  json::value body(wire::to_json(b, &mr));
  if (auto chk = wire::decode_inspection_create(body, "body"); !chk)
    return invalid("inspection: " + chk.error().field + ": " + chk.error().message);
  sdk::NewOp op;
  op.op_id = wire::make_uuid_v7();
  op.type = std::string(wire::kOpInspectionCreate);
  op.lane = sdk::Lane::backlog;
  op.op_json = op_json(op.op_id, wire::kOpInspectionCreate, std::move(body.as_object()), now);
  op.report_id = b.id;
  op.receipt_kind = "inspection";
  op.site_id = b.site_id;
  return impl_->enqueue_report(std::move(op), /*memo_checked=*/true, std::move(now));
}

Result<std::int64_t> Client::enqueue_positions(const std::vector<TrackPoint>& points,
                                               const std::string& crs) {
  if (points.empty()) return std::int64_t{0};
  if (crs != "wgs84" && crs != "gcj02") return invalid("crs must be wgs84 or gcj02");
  std::vector<TrackPoint> pts(points);
  std::stable_sort(pts.begin(), pts.end(),
                   [](const TrackPoint& a, const TrackPoint& b) { return a.t < b.t; });
  for (const auto& p : pts)
    if (!(p.lat >= -90 && p.lat <= 90 && p.lon >= -180 && p.lon <= 180) ||
        (p.accuracy_m && !(*p.accuracy_m >= 0)))
      return invalid("position out of range");
  auto make_op = [&](std::size_t from, std::size_t to, sdk::Lane lane) {
    wire::PositionAppend pa;
    pa.crs = crs;
    for (std::size_t i = from; i < to; ++i)
      pa.points.push_back(
          {wire::format_rfc3339(to_millis(pts[i].t)), pts[i].lat, pts[i].lon, pts[i].accuracy_m});
    sdk::NewOp op;
    op.op_id = wire::make_uuid_v7();
    op.type = std::string(wire::kOpPositionAppend);
    op.lane = lane;
    op.op_json = op_json(op.op_id, wire::kOpPositionAppend, wire::to_json(pa));
    return op;
  };
  // The newest point rides the urgent lane so the leader's map is current
  // even behind an hour of backlog; the rest catches up oldest first.
  std::vector<sdk::NewOp> ops;
  const std::size_t backlog = pts.size() - 1;
  for (std::size_t i = 0; i < backlog; i += kMaxPointsPerOp)
    ops.push_back(make_op(i, std::min(backlog, i + kMaxPointsPerOp), sdk::Lane::backlog));
  ops.push_back(make_op(backlog, pts.size(), sdk::Lane::urgent));
  std::lock_guard lk(impl_->db_mu);
  auto r = impl_->db->enqueue(ops, /*demote_urgent_positions=*/true);
  if (!r) return std::move(r).error();
  if (impl_->online()) impl_->engine->notify_work();
  return static_cast<std::int64_t>(ops.size());
}

Result<Receipt> Client::raise_sos(const std::optional<GeoPoint>& position,
                                  const std::string& note) {
  wire::SosRaise s;
  s.id = wire::make_uuid_v7();
  s.raised_at = wire::format_rfc3339(wire::now_millis());
  s.position = to_wire(position);
  s.note = note;
  json::value body = wire::to_json(s);  // a value: the decoder would copy an object
  if (auto chk = wire::decode_sos_raise(body, "body"); !chk)
    return invalid("sos: " + chk.error().field + ": " + chk.error().message);
  sdk::NewOp op;
  op.op_id = wire::make_uuid_v7();
  op.type = std::string(wire::kOpSosRaise);
  op.lane = sdk::Lane::urgent;
  op.op_json = op_json(op.op_id, wire::kOpSosRaise, std::move(body.as_object()), s.raised_at);
  op.report_id = s.id;
  op.receipt_kind = "sos";
  return impl_->enqueue_report(std::move(op), false, s.raised_at);
}

Result<Receipt> Client::enqueue_round_op(const std::string& action, const std::string& round_id,
                                         const std::string& site_id,
                                         const std::optional<GeoPoint>& position) {
  std::string_view type = action == "start"     ? wire::kOpRoundStart
                          : action == "finish"  ? wire::kOpRoundFinish
                          : action == "checkin" ? wire::kOpRoundCheckin
                                                : std::string_view();
  if (type.empty()) return invalid("round action must be start, finish or checkin");
  if (round_id.empty()) return invalid("round_id is required");
  if (type == wire::kOpRoundCheckin && site_id.empty()) return invalid("checkin needs a site_id");
  json::object body{{"round_id", round_id}};
  if (!site_id.empty()) body["site_id"] = site_id;
  if (auto p = to_wire(position)) body["position"] = wire::to_json(*p);
  sdk::NewOp op;
  op.op_id = wire::make_uuid_v7();
  op.type = std::string(type);
  op.lane = sdk::Lane::backlog;
  op.op_json = op_json(op.op_id, type, std::move(body));
  op.report_id = op.op_id;
  op.receipt_kind = "round";
  if (!site_id.empty()) op.site_id = site_id;
  return impl_->enqueue_report(std::move(op));
}

Result<Receipt> Client::enqueue_hazard_transition(const std::string& hazard_id,
                                                  const std::string& to, const std::string& note,
                                                  const std::vector<std::string>& photos) {
  if (hazard_id.empty()) return invalid("hazard_id is required");
  if (to != "assigned" && to != "rectified" && to != "verified" && to != "closed")
    return invalid("to must be assigned, rectified, verified or closed");
  json::array ph;
  for (const auto& p : photos) ph.emplace_back(p);
  json::object body{
      {"hazard_id", hazard_id}, {"to", to}, {"note", note}, {"photos", std::move(ph)}};
  sdk::NewOp op;
  op.op_id = wire::make_uuid_v7();
  op.type = std::string(wire::kOpHazardTransition);
  op.lane = sdk::Lane::backlog;
  op.op_json = op_json(op.op_id, wire::kOpHazardTransition, std::move(body));
  op.report_id = op.op_id;
  op.receipt_kind = "hazard";
  return impl_->enqueue_report(std::move(op));
}

Result<std::string> Client::attach_photo(const std::string& path) {
  auto stored = sdk::store_photo(path, impl_->photo_dir);
  if (!stored) return std::move(stored).error();
  std::lock_guard lk(impl_->db_mu);
  auto st = impl_->db->add_photo({stored->sha256, stored->path.string(), stored->size, false});
  if (!st) return std::move(st).error();
  // Attached again after the server got it: no upload, so no copy to keep.
  if (auto up = impl_->db->photo_uploaded(stored->sha256); up && *up) {
    std::error_code ec;
    std::filesystem::remove(stored->path, ec);
  }
  return stored->sha256;
}

// ---------------------------------------------------------------- sync control

Status Client::set_online(bool online) {
  {
    std::lock_guard lk(impl_->db_mu);
    auto st = impl_->db->set(sdk::keys::kOnline, online ? "1" : "0");
    impl_->memo.online.reset();  // also for an enqueue that checked the memo before this
    if (!st) return st;
  }
  if (online) impl_->engine->wake_now();
  return {};
}

void Client::sync_now() {
  impl_->engine->wake_now();
}

Result<SyncSummary> Client::sync(const std::function<void(const SyncProgress&)>& progress) {
  return impl_->engine->sync(progress);
}

Result<std::int64_t> Client::pull() {
  return impl_->engine->pull();
}

// ---------------------------------------------------------------- queries

Result<QueueStatus> Client::status() {
  std::lock_guard lk(impl_->db_mu);
  auto& db = *impl_->db;
  auto c = db.counts();
  if (!c) return std::move(c).error();
  QueueStatus s;
  s.pending = c->pending;
  s.in_flight = impl_->engine ? impl_->engine->in_flight() : c->in_flight;
  s.dead_letters = c->dead_letters;
  s.photos_pending = c->photos_pending;
  s.device_id = impl_->device_id;
  s.online = impl_->online();
  namespace k = sdk::keys;
  auto get = [&](std::string_view key) -> std::optional<std::string> {
    auto v = db.get(key);
    return v ? *v : std::nullopt;
  };
  s.logged_in = get(k::kToken).has_value();
  s.login_required = get(k::kLoginRequired).value_or("") == "1";
  s.last_sync_at = get(k::kLastSyncAt);
  if (auto o = get(k::kClockOffsetMs)) s.clock_offset_ms = std::strtoll(o->c_str(), nullptr, 10);
  auto cur = db.cursor();
  s.cursor = cur ? *cur : 0;
  s.user_id = get(k::kUserId).value_or("");
  s.user_name = get(k::kUserName).value_or("");
  s.last_error = get(k::kLastError).value_or("");
  return s;
}

Result<std::vector<DeadLetter>> Client::dead_letters() {
  std::lock_guard lk(impl_->db_mu);
  auto rows = impl_->db->dead_letters();
  if (!rows) return std::move(rows).error();
  std::vector<DeadLetter> out;
  for (auto& r : *rows)
    out.push_back({r.seq, r.op_id, r.type, r.op_json, r.code, r.field, r.message, r.rejected_at});
  return out;
}

Status Client::retry_dead_letter(const std::string& op_id) {
  {
    std::lock_guard lk(impl_->db_mu);
    auto r = impl_->db->retry_dead_letter(op_id);
    if (!r) return std::move(r).error();
    if (!*r) return make_error(ErrorCode::not_found, "no dead letter with op id " + op_id);
  }
  impl_->engine->notify_work(/*urgent=*/true);
  return {};
}

Status Client::dismiss_dead_letter(const std::string& op_id) {
  std::lock_guard lk(impl_->db_mu);
  auto r = impl_->db->dismiss_dead_letter(op_id);
  if (!r) return std::move(r).error();
  if (!*r) return make_error(ErrorCode::not_found, "no dead letter with op id " + op_id);
  return {};
}

Result<Receipt> Client::receipt(const std::string& report_id) {
  std::lock_guard lk(impl_->db_mu);
  auto r = impl_->db->receipt(report_id);
  if (!r) return std::move(r).error();
  if (!*r) return make_error(ErrorCode::not_found, "no report " + report_id);
  return to_receipt(**r);
}

Result<std::vector<Receipt>> Client::receipts(std::size_t limit) {
  std::lock_guard lk(impl_->db_mu);
  auto r = impl_->db->receipts(limit);
  if (!r) return std::move(r).error();
  std::vector<Receipt> out;
  for (const auto& row : *r) out.push_back(to_receipt(row));
  return out;
}

Result<std::vector<std::string>> Client::cached(const std::string& entity) {
  std::lock_guard lk(impl_->db_mu);
  return impl_->db->entities(entity);
}

Result<std::vector<SiteInfo>> Client::sites() {
  auto rows = cached("site");
  if (!rows) return std::move(rows).error();
  std::vector<SiteInfo> out;
  for (const auto& js : *rows) out.push_back(to_site(js));
  return out;
}

Result<SiteInfo> Client::site(const std::string& site_id) {
  std::lock_guard lk(impl_->db_mu);
  auto r = impl_->db->entity("site", site_id);
  if (!r) return std::move(r).error();
  if (!*r) return make_error(ErrorCode::not_found, "site " + site_id + " is not cached");
  return to_site(**r);
}

Result<TemplateInfo> Client::template_for_site(const std::string& site_id) {
  auto s = site(site_id);
  if (!s) return std::move(s).error();
  std::lock_guard lk(impl_->db_mu);
  auto t = impl_->find_template(s->template_id);
  if (!t) return std::move(t).error();
  if (!*t) return make_error(ErrorCode::not_found, "template " + s->template_id + " is not cached");
  return std::move(**t);
}

Result<std::vector<RoundInfo>> Client::rounds() {
  auto rows = cached("round");
  if (!rows) return std::move(rows).error();
  std::vector<RoundInfo> out;
  for (const auto& js : *rows) {
    auto r = to_round(js);
    if (r.site_ids.empty() && !r.schedule_id.empty()) {
      std::lock_guard lk(impl_->db_mu);
      auto sch = impl_->db->entity("schedule", r.schedule_id);
      if (sch && *sch)
        if (auto o = parse_object(**sch)) r.site_ids = id_list(*o);
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const RoundInfo& a, const RoundInfo& b) {
    return std::tie(a.date, a.starts_at, a.id) < std::tie(b.date, b.starts_at, b.id);
  });
  return out;
}

Result<RoundInfo> Client::tonights_round() {
  auto all = rounds();
  if (!all) return std::move(all).error();
  const auto now = wire::now_millis();
  // The volunteer's "today": the round's own date when it has a start time
  // with an offset (Asia/Shanghai rounds say +08:00); else the device's date.
  std::string device_today;
  {
    const std::time_t tt = std::time(nullptr);
    static std::mutex tm_mu;  // std::localtime's buffer is shared
    std::lock_guard lk(tm_mu);
    if (const std::tm* tm = std::localtime(&tt)) {
      char buf[16];
      std::strftime(buf, sizeof buf, "%Y-%m-%d", tm);
      device_today = buf;
    }
  }
  // In progress wins; then the planned round that has not ended yet and starts
  // within the next 18 hours (the evening's round seen from the afternoon);
  // then one dated today on the device.
  const RoundInfo* best = nullptr;
  wire::Millis best_start{};
  for (const auto& r : *all) {
    if (r.status == "in_progress") return r;
    if (!r.status.empty() && r.status != "planned") continue;
    auto st = wire::parse_rfc3339(r.starts_at);
    auto en = wire::parse_rfc3339(r.ends_at);
    if (st && en && en->instant > now && st->instant < now + std::chrono::hours(18) &&
        (!best || st->instant < best_start)) {
      best = &r;
      best_start = st->instant;
    }
  }
  if (!best)
    for (const auto& r : *all)
      if ((r.status.empty() || r.status == "planned") && r.date == device_today) {
        best = &r;
        break;
      }
  if (!best) return make_error(ErrorCode::not_found, "no round planned for today");
  return *best;
}

Result<std::vector<SiteInfo>> Client::round_sites(const std::string& round_id) {
  auto all = rounds();
  if (!all) return std::move(all).error();
  auto it =
      std::find_if(all->begin(), all->end(), [&](const RoundInfo& r) { return r.id == round_id; });
  if (it == all->end())
    return make_error(ErrorCode::not_found, "round " + round_id + " is not cached");
  std::vector<SiteInfo> out;
  for (const auto& sid : it->site_ids) {
    auto s = site(sid);
    if (s) out.push_back(std::move(*s));
  }
  return out;
}

// ---------------------------------------------------------------- events

void Client::set_event_callback(std::function<void(const Event&)> cb) {
  std::lock_guard lk(impl_->ev_mu);
  impl_->callback = std::make_shared<std::function<void(const Event&)>>(std::move(cb));
}

std::optional<Event> Client::poll_event() {
  std::lock_guard lk(impl_->ev_mu);
  if (impl_->events.empty()) return std::nullopt;
  Event e = std::move(impl_->events.front());
  impl_->events.pop_front();
  return e;
}

}  // namespace patrol
