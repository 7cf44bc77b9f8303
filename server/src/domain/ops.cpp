#include "domain/ops.hpp"

#include <algorithm>
#include <chrono>

#include "domain/clock.hpp"
#include "domain/geo.hpp"
#include "domain/workflow_ops.hpp"
#include "patrol/wire/messages.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::domain {
namespace json = boost::json;
using store::errc;

namespace {

wire::FieldError reject(std::string code, std::string field, std::string message) {
  return {std::move(code), std::move(field), std::move(message)};
}

store::Ms to_ms(const wire::Timestamp& t) {
  return t.instant.time_since_epoch().count();
}

store::GeoPoint to_wgs84(const wire::Position& p) {
  LatLon ll{p.lat, p.lon};
  if (p.crs == "gcj02") ll = gcj02_to_wgs84(ll);
  return {ll.lat, ll.lon, p.accuracy_m};
}

template <class T>
store::result<T> store_error(boost::system::error_code ec) {
  return {boost::system::in_place_error, ec};
}

}  // namespace

store::result<std::shared_ptr<const store::ChecklistTemplate>> TemplateCache::get(
    store::ReferenceStore& s, const std::string& id, std::int64_t version) {
  {
    std::lock_guard lk(mu_);
    auto it = cache_.find({id, version});
    if (it != cache_.end()) return it->second;
  }
  auto t = s.checklist_template(id, version);
  if (!t) return t.error();
  auto ptr = std::make_shared<const store::ChecklistTemplate>(std::move(*t));
  std::lock_guard lk(mu_);
  cache_.emplace(std::make_pair(id, version), ptr);
  return ptr;
}

std::shared_ptr<const store::ChecklistTemplate> TemplateCache::peek(const std::string& id,
                                                                    std::int64_t version) {
  std::lock_guard lk(mu_);
  auto it = cache_.find({id, version});
  return it == cache_.end() ? nullptr : it->second;
}

boost::system::error_code OpValidator::block() {
  blocked_ = true;
  return errc::unavailable;
}

store::result<std::shared_ptr<const store::Site>> OpValidator::visible_site(const std::string& id) {
  for (const auto& [k, v] : sites_)
    if (k == id) return v;
  // The store's site cache first (site_cache.hpp): kept current under every
  // site/team/user write, so a hit answers what a read would.
  store::SiteCache* cache = store_.site_cache();
  std::shared_ptr<const store::Site> s = cache ? cache->get(id) : nullptr;
  if (!s) {
    if (ctx_.no_store_reads) return block();
    const std::uint64_t gen = cache ? cache->generation() : 0;  // before the read
    auto r = store_.site(id);
    if (!r) {
      if (r.error() != errc::not_found) return r.error();
    } else {
      if (cache) cache->put(*r, gen);
      s = std::make_shared<const store::Site>(std::move(*r));
    }
  }
  // Out of scope reads exactly like "does not exist": no leak across villages.
  if (s && !ctx_.who.can_see(s->org_path)) s = nullptr;
  sites_.emplace_back(id, s);
  return s;
}

store::result<std::shared_ptr<const store::ChecklistTemplate>> OpValidator::template_of(
    const std::string& id, std::int64_t version) {
  if (ctx_.no_store_reads) {
    if (auto t = templates_.peek(id, version)) return t;
    return block();
  }
  return templates_.get(store_, id, version);
}

store::result<Prepared> OpValidator::prepare(const json::value& raw) {
  // The body is read where it was parsed, not copied.
  auto op = wire::decode_op_view(raw, "");
  if (!op) {
    // Record the rejection under the op id when there is a usable one.
    const auto* obj = raw.if_object();
    const json::value* id = obj ? obj->if_contains("op_id") : nullptr;
    std::string op_id = id && id->is_string() ? std::string(id->as_string()) : "";
    if (op_id.empty() || !wire::is_uuid(op_id)) return Prepared(Unrecordable{op_id, op.error()});
    std::string type;
    if (const json::value* t = obj->if_contains("type"); t && t->is_string())
      type = std::string(t->as_string()).substr(0, 64);
    return Prepared(store::PreparedOp{op_id, ctx_.who.user_id, ctx_.device_id, type, op.error()});
  }
  store::PreparedOp out{op->op_id, ctx_.who.user_id, ctx_.device_id, op->type, wire::FieldError{}};
  store::result<Action> action = wire::FieldError{};
  if (op->type == wire::kOpInspectionCreate) {
    action = inspection(*op->body);
  } else if (op->type == wire::kOpPositionAppend) {
    action = positions(*op->body);
  } else if (op->type == wire::kOpSosRaise) {
    action = sos(*op->body);
  } else if (op->type == wire::kOpRoundStart || op->type == wire::kOpRoundFinish ||
             op->type == wire::kOpRoundCheckin || op->type == wire::kOpHazardTransition) {
    action = workflow(*op);
  } else {
    action = Action(reject("unknown_type", "type", "unknown op type"));
  }
  if (!action) return action.error();
  out.action = std::move(*action);
  return Prepared(std::move(out));
}

store::result<OpValidator::Action> OpValidator::inspection(const json::value& body) {
  auto d = wire::decode_inspection_create(body, "body");
  if (!d) return Action(d.error());
  auto& b = *d;

  auto site = visible_site(b.site_id);
  if (!site) return site.error();
  if (!*site) return Action(reject("not_found", "body.site_id", "no such site in your area"));
  const store::Site& s = **site;

  auto tpl = template_of(b.template_id, b.template_version);
  if (!tpl) {
    if (tpl.error() != errc::not_found) return tpl.error();
    return Action(
        reject("not_found", "body.template_version", "no such checklist template version"));
  }
  const auto& t = **tpl;
  if (std::find(t.categories.begin(), t.categories.end(), s.category) == t.categories.end())
    return Action(reject("template_mismatch", "body.template_id",
                         "template does not apply to this site's category"));

  if (b.round_id) {
    if (ctx_.no_store_reads) return block();
    auto r = store_.round(*b.round_id);
    if (!r && r.error() != errc::not_found) return r.error();
    if (!r || !ctx_.who.can_see(r->org_path))
      return Action(reject("not_found", "body.round_id", "no such round in your area"));
  }

  auto observed = wire::parse_rfc3339(b.observed_at);
  if (!observed) return Action(reject("invalid_format", "body.observed_at", "not RFC 3339"));

  store::InspectionWrite w;
  auto& i = w.inspection;
  // The decoded body is ours: its strings move into the row.
  i.id = std::move(b.id);
  i.site_id = s.id;
  i.org_unit_id = s.org_unit_id;
  i.org_path = s.org_path;
  i.user_id = ctx_.who.user_id;
  i.device_id = ctx_.device_id;
  i.template_id = t.id;
  i.template_version = t.version;
  i.round_id = std::move(b.round_id);
  i.observed_at = std::move(b.observed_at);
  i.observed_ms = correct_device_time(to_ms(*observed), ctx_.clock_offset_ms, ctx_.received_ms);
  if (b.position) i.position = to_wgs84(*b.position);
  i.note = std::move(b.note);
  i.items.reserve(b.items.size());
  for (std::size_t k = 0; k < b.items.size(); ++k) {
    auto& it = b.items[k];
    auto ti = std::find_if(t.items.begin(), t.items.end(),
                           [&](const store::TemplateItem& x) { return x.code == it.code; });
    if (ti == t.items.end())
      return Action(reject("unknown_item", "body.items[" + std::to_string(k) + "].code",
                           "item code is not in this template version"));
    if (it.result == wire::ItemResult::hazard)
      w.hazards.push_back({it.code, ti->severity, ti->photo_required, it.photos, it.note});
    i.items.push_back({std::move(it.code), std::string(wire::to_string(it.result)),
                       std::move(it.note), std::move(it.photos)});
  }
  // Serialized here, on the request's worker thread, not on the single writer.
  w.items_json = store::items_json(i.items);
  return Action(std::move(w));
}

store::result<OpValidator::Action> OpValidator::positions(const json::value& body) {
  auto d = wire::decode_position_append(body, "body");
  if (!d) return Action(d.error());
  store::PositionsWrite w;
  w.user_id = ctx_.who.user_id;
  w.device_id = ctx_.device_id;
  w.org_path = ctx_.who.org_path;
  w.org_unit_id = std::stoll(ctx_.who.org_unit_id);
  for (std::size_t k = 0; k < d->points.size(); ++k) {
    const auto& p = d->points[k];
    auto t = wire::parse_rfc3339(p.t);
    if (!t)
      return Action(
          reject("invalid_format", "body.points[" + std::to_string(k) + "].t", "not RFC 3339"));
    LatLon ll{p.lat, p.lon};
    if (d->crs == "gcj02") ll = gcj02_to_wgs84(ll);
    store::TrackPoint tp;
    tp.user_id = w.user_id;
    tp.t = correct_device_time(to_ms(*t), ctx_.clock_offset_ms, ctx_.received_ms);
    tp.lat = ll.lat;
    tp.lon = ll.lon;
    tp.accuracy_m = p.accuracy_m;
    w.points.push_back(tp);
  }
  return Action(std::move(w));
}

store::result<OpValidator::Action> OpValidator::sos(const json::value& body) {
  auto d = wire::decode_sos_raise(body, "body");
  if (!d) return Action(d.error());
  auto t = wire::parse_rfc3339(d->raised_at);
  if (!t) return Action(reject("invalid_format", "body.raised_at", "not RFC 3339"));
  store::SosWrite w;
  auto& a = w.alert;
  a.id = d->id;
  a.user_id = ctx_.who.user_id;
  a.user_name = ctx_.who.name;
  a.org_unit_id = std::stoll(ctx_.who.org_unit_id);
  a.org_path = ctx_.who.org_path;
  a.raised_at = correct_device_time(to_ms(*t), ctx_.clock_offset_ms, ctx_.received_ms);
  if (d->position) a.position = to_wgs84(*d->position);
  a.note = d->note;
  return Action(std::move(w));
}

// Round and hazard ops, judged by the op's corrected device time (the time it
// was pushed when it names none).
store::result<OpValidator::Action> OpValidator::workflow(const wire::OpView& op) {
  if (ctx_.no_store_reads) return block();  // rounds and hazards are read from the store
  store::Ms t = ctx_.received_ms;
  if (op.device_time)
    if (auto d = wire::parse_rfc3339(*op.device_time))
      t = correct_device_time(d->instant.time_since_epoch().count(), ctx_.clock_offset_ms,
                              ctx_.received_ms);
  if (op.type == wire::kOpHazardTransition) {
    if (!ctx_.hazards) return Action(reject("unknown_type", "type", "unknown op type"));
    auto w =
        prepare_hazard_op(*ctx_.hazards, ctx_.who, *op.body, t, ctx_.hazard_policy, ctx_.users);
    if (!w) return w.error();
    if (auto* e = std::get_if<wire::FieldError>(&*w)) return Action(std::move(*e));
    return Action(std::move(std::get<store::HazardOpWrite>(*w)));
  }
  auto w =
      prepare_round_op(store_, ctx_.who, op.type, *op.body, t, ctx_.received_ms, ctx_.round_policy);
  if (!w) return w.error();
  if (auto* e = std::get_if<wire::FieldError>(&*w)) return Action(std::move(*e));
  return Action(std::move(std::get<store::RoundOpWrite>(*w)));
}

}  // namespace patrol::domain
