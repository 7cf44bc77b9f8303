// The C API: a thin shim over patrol::Client. Every function catches
// everything, so no exception ever crosses into C, Java or Swift.
#include "patrol/patrol.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "patrol/client.hpp"

struct patrol_client {
  std::unique_ptr<patrol::Client> impl;
};

struct patrol_http_response {
  patrol::HttpResponse r;
};

namespace {

using patrol::Error;
using patrol::ErrorCode;

// Copies s into a fixed buffer, NUL-terminated; when it must be cut, the cut
// falls before a UTF-8 lead byte so that no character is left half written.
void copy_str(char* dst, std::size_t cap, std::string_view s) {
  if (!dst || cap == 0) return;
  std::size_t n = std::min(cap - 1, s.size());
  if (n < s.size())
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

// A struct the app filled, as this library sees it: the app's struct_size
// bytes (an older app's struct is shorter), the rest zero = the defaults.
template <class T>
bool read_sized(const T* in, T& out) {
  std::memset(&out, 0, sizeof out);
  if (!in || in->struct_size < sizeof(std::uint32_t)) return false;
  std::memcpy(&out, in, std::min<std::size_t>(in->struct_size, sizeof out));
  return true;
}

// An array the app filled, element by element with the app's element size
// (the first element's struct_size; every element must carry the same).
template <class T>
bool read_sized_array(const T* arr, std::size_t count, std::vector<T>& out, std::string& why) {
  out.clear();
  if (count == 0) return true;
  if (!arr) {
    why = "is NULL";
    return false;
  }
  const std::uint32_t stride = arr->struct_size;
  if (stride < sizeof(std::uint32_t)) {
    why = "struct_size not set";
    return false;
  }
  out.resize(count);
  const auto* base = reinterpret_cast<const unsigned char*>(arr);
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char* e = base + i * stride;
    std::uint32_t size = 0;
    std::memcpy(&size, e, sizeof size);
    if (size != stride) {
      why = "elements' struct_size differ";
      return false;
    }
    std::memset(&out[i], 0, sizeof(T));
    std::memcpy(&out[i], e, std::min<std::size_t>(stride, sizeof(T)));
  }
  return true;
}

// An out-struct in the app's memory: usable when its struct_size is set.
template <class T>
bool sized_out(const T* out) {
  return out && out->struct_size >= sizeof(std::uint32_t);
}
// Hands `full` back into the app's struct, only as far as the app's struct
// reaches (its struct_size then says how much was written).
template <class T>
void write_sized(T* app, T full) {
  full.struct_size = std::min<std::uint32_t>(app->struct_size, sizeof full);
  std::memcpy(app, &full, full.struct_size);
}

bool fail(patrol_error* err, const Error& e) {
  if (err) {
    err->code = static_cast<patrol_error_code>(e.code);
    err->retryable = e.retryable;
    copy_str(err->message, sizeof err->message, e.message);
  }
  return false;
}
bool fail(patrol_error* err, ErrorCode c, std::string_view msg) {
  return fail(err, Error{c, std::string(msg), false});
}

// Runs f, converting any escaping exception to an error (bad_alloc included).
template <class F>
bool guarded(patrol_error* err, F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return fail(err, ErrorCode::internal, "out of memory");
  } catch (const std::exception& e) {
    return fail(err, ErrorCode::internal, e.what());
  } catch (...) {
    return fail(err, ErrorCode::internal, "unknown exception");
  }
}

std::string str(const char* s) {
  return s ? std::string(s) : std::string();
}

bool out_string(char** out, const std::string& s, patrol_error* err) {
  if (!out) return fail(err, ErrorCode::invalid_argument, "out_json is NULL");
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) return fail(err, ErrorCode::internal, "out of memory");
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  *out = p;
  return true;
}

// Fills the app's receipt (checked with sized_out beforehand); NULL: nothing.
void fill_receipt(patrol_receipt* app_out, const patrol::Receipt& r) {
  if (!app_out) return;
  patrol_receipt full;
  patrol_receipt* out = &full;
  std::memset(out, 0, sizeof *out);
  copy_str(out->report_id, sizeof out->report_id, r.report_id);
  copy_str(out->op_id, sizeof out->op_id, r.op_id);
  out->state = static_cast<patrol_receipt_state>(r.state);
  out->local_seq = r.local_seq;
  copy_str(out->saved_at, sizeof out->saved_at, r.saved_at);
  copy_str(out->received_at, sizeof out->received_at, r.received_at);
  write_sized(app_out, full);
}

// A whole event in SDK memory (struct_size = this library's size).
void fill_event(patrol_event* out, const patrol::Event& e) {
  std::memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  out->type = static_cast<patrol_event_type>(e.type);
  out->retryable = e.retryable;
  out->count = e.count;
  copy_str(out->op_id, sizeof out->op_id, e.op_id);
  copy_str(out->code, sizeof out->code, e.code);
  copy_str(out->message, sizeof out->message, e.message);
}

// The app's position (NULL: none); false when its struct_size is not set.
bool to_geo(const patrol_position* app_p, std::optional<patrol::GeoPoint>& out) {
  out.reset();
  if (!app_p) return true;
  patrol_position copy;
  if (!read_sized(app_p, copy)) return false;
  const patrol_position* p = &copy;
  patrol::GeoPoint g;
  g.lat = p->lat;
  g.lon = p->lon;
  if (p->accuracy_m >= 0) g.accuracy_m = p->accuracy_m;
  g.crs = p->gcj02 ? "gcj02" : "wgs84";
  out = g;
  return true;
}

std::chrono::system_clock::time_point from_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

std::string json_array(const std::vector<std::string>& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) s += ',';
    s += items[i];
  }
  return s + "]";
}

// Adapts a C transport callback to the C++ Transport interface.
class CTransport final : public patrol::Transport {
 public:
  explicit CTransport(patrol_transport t) : t_(t) {}
  patrol::Result<patrol::HttpResponse> send(const patrol::HttpRequest& req) override {
    std::vector<const char*> names, values;
    for (const auto& [k, v] : req.headers) {
      names.push_back(k.c_str());
      values.push_back(v.c_str());
    }
    patrol_http_request cr{};
    cr.struct_size = sizeof cr;
    cr.method = req.method.c_str();
    cr.target = req.target.c_str();
    cr.header_names = names.data();
    cr.header_values = values.data();
    cr.header_count = names.size();
    cr.body = reinterpret_cast<const std::uint8_t*>(req.body.data());
    cr.body_len = req.body.size();
    cr.timeout_ms = req.timeout.count();
    patrol_http_response resp;
    patrol_error err{};
    if (!t_.send(t_.user, &cr, &resp, &err)) {
      return Error{err.code == PATROL_OK ? ErrorCode::network : static_cast<ErrorCode>(err.code),
                   err.message[0] ? std::string(err.message) : "transport failed",
                   err.code == PATROL_OK || err.retryable};
    }
    return std::move(resp.r);
  }

 private:
  patrol_transport t_;
};

}  // namespace

extern "C" {

PATROL_API void patrol_http_response_set_status(patrol_http_response* r, uint32_t status) noexcept {
  if (r) r->r.status = status;
}
PATROL_API void patrol_http_response_add_header(patrol_http_response* r, const char* name,
                                                const char* value) noexcept {
  if (!r || !name) return;
  try {
    std::string n(name);
    for (auto& ch : n)
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    r->r.headers.emplace_back(std::move(n), str(value));
  } catch (...) {
  }
}
PATROL_API void patrol_http_response_set_body(patrol_http_response* r, const uint8_t* data,
                                              size_t len) noexcept {
  if (!r) return;
  try {
    r->r.body.assign(reinterpret_cast<const char*>(data), data ? len : 0);
  } catch (...) {
  }
}

PATROL_API void patrol_options_init_sized(patrol_options* o, uint32_t struct_size) noexcept {
  if (!o || struct_size < sizeof(std::uint32_t)) return;
  patrol_options d;
  std::memset(&d, 0, sizeof d);
  d.struct_size = std::min<std::uint32_t>(struct_size, sizeof d);
  d.background_sync = true;
  std::memset(o, 0, struct_size);
  std::memcpy(o, &d, d.struct_size);
}

PATROL_API patrol_client* patrol_client_open(const patrol_options* app_o,
                                             patrol_error* err) noexcept {
  patrol_client* out = nullptr;
  guarded(err, [&] {
    patrol_options opts;
    if (!read_sized(app_o, opts))
      return fail(err, ErrorCode::invalid_argument,
                  "options: struct_size not set (use patrol_options_init)");
    const patrol_options* o = &opts;
    if (!o->data_dir) return fail(err, ErrorCode::invalid_argument, "data_dir is required");
    patrol::ClientOptions co;
    co.data_dir = o->data_dir;
    co.server_url = str(o->server_url);
    co.insecure = o->insecure;
    if (o->spki_sha256_pin && *o->spki_sha256_pin)
      co.spki_sha256_pins.push_back(o->spki_sha256_pin);
    co.background_sync = o->background_sync;
    if (o->transport) {
      patrol_transport t;
      if (!read_sized(o->transport, t))
        return fail(err, ErrorCode::invalid_argument,
                    "transport: struct_size not set (sizeof(patrol_transport))");
      if (!t.send) return fail(err, ErrorCode::invalid_argument, "transport has no send function");
      co.transport = std::make_unique<CTransport>(t);
    }
    if (o->backoff_initial_ms > 0)
      co.backoff_initial = std::chrono::milliseconds(o->backoff_initial_ms);
    if (o->backoff_max_ms > 0) co.backoff_max = std::chrono::milliseconds(o->backoff_max_ms);
    auto c = patrol::Client::open(std::move(co));
    if (!c) return fail(err, c.error());
    out = new patrol_client{std::move(*c)};
    return true;
  });
  return out;
}

PATROL_API void patrol_client_close(patrol_client* c) noexcept {
  try {
    delete c;
  } catch (...) {
  }
}

#define PATROL_NEED_CLIENT(c) \
  if (!(c)) return fail(err, ErrorCode::invalid_argument, "client is NULL")

PATROL_API bool patrol_client_login(patrol_client* c, const char* phone, const char* password,
                                    patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    auto st = c->impl->login(str(phone), str(password));
    return st ? true : fail(err, st.error());
  });
}

PATROL_API bool patrol_client_logout(patrol_client* c, patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    auto st = c->impl->logout();
    return st ? true : fail(err, st.error());
  });
}

PATROL_API bool patrol_client_enqueue_inspection(patrol_client* c, const patrol_inspection* app_in,
                                                 patrol_receipt* out, patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    patrol_inspection copy;
    if (!read_sized(app_in, copy))
      return fail(err, ErrorCode::invalid_argument,
                  "inspection: struct_size not set (sizeof(patrol_inspection))");
    const patrol_inspection* in = &copy;
    if (out && !sized_out(out))
      return fail(err, ErrorCode::invalid_argument, "receipt: struct_size not set");
    if (!in->site_id) return fail(err, ErrorCode::invalid_argument, "site_id is required");
    std::vector<patrol_inspection_item> items;
    if (std::string why; !read_sized_array(in->items, in->item_count, items, why))
      return fail(err, ErrorCode::invalid_argument, "items " + why);
    patrol::InspectionDraft d;
    d.site_id = in->site_id;
    if (in->template_id) d.template_id = in->template_id;
    if (in->template_version > 0) d.template_version = in->template_version;
    if (in->round_id) d.round_id = in->round_id;
    if (in->observed_at_ms > 0) d.observed_at = from_ms(in->observed_at_ms);
    if (!to_geo(in->position, d.position))
      return fail(err, ErrorCode::invalid_argument, "position: struct_size not set");
    d.note = str(in->note);
    for (const auto& it : items) {
      if (!it.code) return fail(err, ErrorCode::invalid_argument, "item code is NULL");
      if (it.result < PATROL_ITEM_OK || it.result > PATROL_ITEM_NOT_APPLICABLE)
        return fail(err, ErrorCode::invalid_argument, "item result out of range");
      patrol::InspectionItem ii;
      ii.code = it.code;
      ii.result = static_cast<patrol::ItemResult>(it.result);
      ii.note = str(it.note);
      if (it.photo_count > 0 && !it.photos)
        return fail(err, ErrorCode::invalid_argument, "photos is NULL");
      for (std::size_t j = 0; j < it.photo_count; ++j) ii.photos.push_back(str(it.photos[j]));
      d.items.push_back(std::move(ii));
    }
    auto r = c->impl->enqueue_inspection(d);
    if (!r) return fail(err, r.error());
    fill_receipt(out, *r);
    return true;
  });
}

PATROL_API bool patrol_client_enqueue_positions(patrol_client* c, const patrol_track_point* pts,
                                                size_t count, bool gcj02, int64_t* out_ops,
                                                patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    std::vector<patrol_track_point> app;
    if (std::string why; !read_sized_array(pts, count, app, why))
      return fail(err, ErrorCode::invalid_argument, "points " + why);
    std::vector<patrol::TrackPoint> v;
    v.reserve(count);
    for (const auto& pt : app) {
      patrol::TrackPoint p;
      p.t = from_ms(pt.time_ms);
      p.lat = pt.lat;
      p.lon = pt.lon;
      if (pt.accuracy_m >= 0) p.accuracy_m = pt.accuracy_m;
      v.push_back(p);
    }
    auto r = c->impl->enqueue_positions(v, gcj02 ? "gcj02" : "wgs84");
    if (!r) return fail(err, r.error());
    if (out_ops) *out_ops = *r;
    return true;
  });
}

PATROL_API bool patrol_client_raise_sos(patrol_client* c, const patrol_position* position,
                                        const char* note, patrol_receipt* out,
                                        patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    if (out && !sized_out(out))
      return fail(err, ErrorCode::invalid_argument, "receipt: struct_size not set");
    std::optional<patrol::GeoPoint> pos;
    if (!to_geo(position, pos))
      return fail(err, ErrorCode::invalid_argument, "position: struct_size not set");
    auto r = c->impl->raise_sos(pos, str(note));
    if (!r) return fail(err, r.error());
    fill_receipt(out, *r);
    return true;
  });
}

PATROL_API bool patrol_client_attach_photo(patrol_client* c, const char* path, char sha256_out[65],
                                           patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    if (!path) return fail(err, ErrorCode::invalid_argument, "path is NULL");
    auto r = c->impl->attach_photo(path);
    if (!r) return fail(err, r.error());
    if (sha256_out) copy_str(sha256_out, 65, *r);
    return true;
  });
}

PATROL_API bool patrol_client_set_online(patrol_client* c, bool online,
                                         patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    auto st = c->impl->set_online(online);
    return st ? true : fail(err, st.error());
  });
}

PATROL_API bool patrol_client_sync_now(patrol_client* c, patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    c->impl->sync_now();
    return true;
  });
}

PATROL_API bool patrol_client_sync(patrol_client* c, int64_t* pushed, patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    auto r = c->impl->sync();
    if (!r) return fail(err, r.error());
    if (pushed) *pushed = r->pushed;
    return true;
  });
}

PATROL_API bool patrol_client_status(patrol_client* c, patrol_status* out,
                                     patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    if (!out || out->struct_size < sizeof(std::uint32_t))
      return fail(err, ErrorCode::invalid_argument,
                  "status: out is NULL or its struct_size is not set");
    auto s = c->impl->status();
    if (!s) return fail(err, s.error());
    // Filled in full here, then handed back only as far as the app's struct reaches.
    patrol_status full;
    std::memset(&full, 0, sizeof full);
    patrol_status* app_out = out;
    out = &full;
    out->pending = s->pending;
    out->in_flight = s->in_flight;
    out->dead_letters = s->dead_letters;
    out->photos_pending = s->photos_pending;
    out->online = s->online;
    out->logged_in = s->logged_in;
    out->login_required = s->login_required;
    out->has_clock_offset = s->clock_offset_ms.has_value();
    out->clock_offset_ms = s->clock_offset_ms.value_or(0);
    copy_str(out->last_sync_at, sizeof out->last_sync_at, s->last_sync_at.value_or(""));
    write_sized(app_out, full);
    return true;
  });
}

PATROL_API bool patrol_client_receipt(patrol_client* c, const char* report_id, patrol_receipt* out,
                                      patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    if (!report_id) return fail(err, ErrorCode::invalid_argument, "report_id is NULL");
    if (!sized_out(out))
      return fail(err, ErrorCode::invalid_argument, "receipt: out is NULL or struct_size not set");
    auto r = c->impl->receipt(report_id);
    if (!r) return fail(err, r.error());
    fill_receipt(out, *r);
    return true;
  });
}

PATROL_API bool patrol_client_retry_dead_letter(patrol_client* c, const char* op_id,
                                                patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    if (!op_id) return fail(err, ErrorCode::invalid_argument, "op_id is NULL");
    auto r = c->impl->retry_dead_letter(op_id);
    return r ? true : fail(err, r.error());
  });
}

PATROL_API bool patrol_client_dismiss_dead_letter(patrol_client* c, const char* op_id,
                                                  patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    if (!op_id) return fail(err, ErrorCode::invalid_argument, "op_id is NULL");
    auto r = c->impl->dismiss_dead_letter(op_id);
    return r ? true : fail(err, r.error());
  });
}

PATROL_API bool patrol_client_dead_letters_json(patrol_client* c, char** out_json,
                                                patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    auto r = c->impl->dead_letters();
    if (!r) return fail(err, r.error());
    boost::json::array a;
    for (const auto& d : *r) {
      boost::system::error_code ec;
      auto op = boost::json::parse(d.op_json, ec);
      a.push_back({{"op_id", d.op_id},
                   {"type", d.type},
                   {"code", d.code},
                   {"field", d.field},
                   {"message", d.message},
                   {"rejected_at", d.rejected_at},
                   {"local_seq", d.local_seq},
                   {"op", ec ? boost::json::value(nullptr) : op}});
    }
    return out_string(out_json, boost::json::serialize(a), err);
  });
}

PATROL_API bool patrol_client_sites_json(patrol_client* c, char** out_json,
                                         patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    auto r = c->impl->sites();
    if (!r) return fail(err, r.error());
    std::vector<std::string> js;
    for (const auto& s : *r) js.push_back(s.json);
    return out_string(out_json, json_array(js), err);
  });
}

PATROL_API bool patrol_client_rounds_json(patrol_client* c, char** out_json,
                                          patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    auto r = c->impl->rounds();
    if (!r) return fail(err, r.error());
    boost::json::array a;
    for (const auto& round : *r) {
      boost::system::error_code ec;
      auto v = boost::json::parse(round.json, ec);
      if (ec || !v.is_object()) continue;
      boost::json::array ids;
      for (const auto& s : round.site_ids) ids.emplace_back(s);
      v.as_object()["site_ids"] = std::move(ids);
      a.push_back(std::move(v));
    }
    return out_string(out_json, boost::json::serialize(a), err);
  });
}

PATROL_API bool patrol_client_receipts_json(patrol_client* c, char** out_json,
                                            patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    auto r = c->impl->receipts(1000);
    if (!r) return fail(err, r.error());
    boost::json::array a;
    for (const auto& x : *r) {
      const char* state = x.state == patrol::ReceiptState::saved      ? "saved"
                          : x.state == patrol::ReceiptState::received ? "received"
                                                                      : "rejected";
      a.push_back({{"report_id", x.report_id},
                   {"op_id", x.op_id},
                   {"kind", x.kind},
                   {"site_id", x.site_id},
                   {"state", state},
                   {"saved_at", x.saved_at},
                   {"received_at", x.received_at},
                   {"reason", x.reason}});
    }
    return out_string(out_json, boost::json::serialize(a), err);
  });
}

PATROL_API bool patrol_client_cached_json(patrol_client* c, const char* entity, char** out_json,
                                          patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    if (!entity) return fail(err, ErrorCode::invalid_argument, "entity is NULL");
    auto r = c->impl->cached(entity);
    if (!r) return fail(err, r.error());
    return out_string(out_json, json_array(*r), err);
  });
}

PATROL_API bool patrol_client_tonights_round_json(patrol_client* c, char** out_json,
                                                  patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    auto r = c->impl->tonights_round();
    if (!r) return fail(err, r.error());
    return out_string(out_json, r->json, err);
  });
}

PATROL_API bool patrol_client_round_sites_json(patrol_client* c, const char* round_id,
                                               char** out_json, patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    if (!round_id) return fail(err, ErrorCode::invalid_argument, "round_id is NULL");
    auto r = c->impl->round_sites(round_id);
    if (!r) return fail(err, r.error());
    std::vector<std::string> js;
    for (const auto& s : *r) js.push_back(s.json);
    return out_string(out_json, json_array(js), err);
  });
}

PATROL_API bool patrol_client_template_for_site_json(patrol_client* c, const char* site_id,
                                                     char** out_json, patrol_error* err) noexcept {
  return guarded(err, [&] {
    PATROL_NEED_CLIENT(c);
    if (!site_id) return fail(err, ErrorCode::invalid_argument, "site_id is NULL");
    auto r = c->impl->template_for_site(site_id);
    if (!r) return fail(err, r.error());
    return out_string(out_json, r->json, err);
  });
}

PATROL_API void patrol_string_free(char* s) noexcept {
  std::free(s);
}

PATROL_API void patrol_client_set_event_callback(patrol_client* c, patrol_event_fn fn,
                                                 void* user) noexcept {
  if (!c) return;
  try {
    if (!fn) {
      c->impl->set_event_callback({});
      return;
    }
    c->impl->set_event_callback([fn, user](const patrol::Event& e) {
      patrol_event ev;
      fill_event(&ev, e);
      fn(user, &ev);
    });
  } catch (...) {
  }
}

PATROL_API bool patrol_client_poll_event(patrol_client* c, patrol_event* out) noexcept {
  if (!c || !sized_out(out)) return false;
  try {
    auto e = c->impl->poll_event();
    if (!e) return false;
    patrol_event full;
    fill_event(&full, *e);
    write_sized(out, full);
    return true;
  } catch (...) {
    return false;
  }
}

PATROL_API const char* patrol_error_code_name(patrol_error_code code) noexcept {
  if (code < 0 || code > PATROL_ERR_INTERNAL) return "unknown";
  return patrol::to_string(static_cast<ErrorCode>(code));
}

}  // extern "C"
