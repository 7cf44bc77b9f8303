// libFuzzer target: one sync/push op (or a whole push body) through the
// server's OpValidator (domain/ops.cpp, workflow_ops.cpp) exactly as the push
// handler calls it, then the round and hazard deciders it returns run on a
// current row, as the store runs them inside its write transaction. Every
// input must end in a PreparedOp (possibly carrying a FieldError), an
// Unrecordable, or a store error passed through — never a crash, an exception,
// a hang or a bad read.
//
// The references the validator looks up come from a fixed in-memory table
// (the demo's shape: a site in the caller's village and one outside it, a
// template, rounds, a hazard, users): the code under test is the validator,
// not the stores (their behaviour is shown by tests/conformance on SQLite and
// PostgreSQL). Each input runs twice: with the table answering, and with every
// lookup failing `unavailable` (the push's 503 path).
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "domain/ops.hpp"
#include "store/hazard_workflow_store.hpp"

namespace {
namespace json = boost::json;
namespace store = patrol::store;
namespace domain = patrol::domain;
using store::errc;

constexpr store::Ms kNow = 1'764'327'900'000;  // 2025-11-28T19:05Z-ish: rounds around it

template <class T>
store::result<T> fail(errc e) {
  return {boost::system::in_place_error, make_error_code(e)};
}

// The lookups the validator makes; everything else is unavailable.
struct Fixture final : store::ReferenceStore, store::HazardWorkflowStore, store::AuthStore {
  bool down = false;

  store::result<store::OrgUnit> org_unit(std::int64_t id) override {
    if (down) return fail<store::OrgUnit>(errc::unavailable);
    if (id == 3) return store::OrgUnit{3, 2, "village", "A", "/1/2/3/"};
    return fail<store::OrgUnit>(errc::not_found);
  }
  store::result<store::Site> site(std::string_view id) override {
    if (down) return fail<store::Site>(errc::unavailable);
    store::Site s;
    s.id = std::string(id);
    s.category = "shop";
    s.template_id = "t1";
    if (id == "s1") {
      s.org_unit_id = 3;
      s.org_path = "/1/2/3/";
    } else if (id == "s2") {  // another village
      s.org_unit_id = 9;
      s.org_path = "/1/8/9/";
    } else if (id == "s3") {  // deleted, reports still land
      s.org_unit_id = 3;
      s.org_path = "/1/2/3/";
      s.deleted = true;
    } else {
      return fail<store::Site>(errc::not_found);
    }
    return s;
  }
  store::result<store::Page<store::Site>> sites(const store::SiteFilter&) override {
    return fail<store::Page<store::Site>>(errc::unavailable);
  }
  store::result<store::ChecklistTemplate> checklist_template(std::string_view id,
                                                             std::int64_t version) override {
    if (down) return fail<store::ChecklistTemplate>(errc::unavailable);
    if (id != "t1" || version != 1) return fail<store::ChecklistTemplate>(errc::not_found);
    store::ChecklistTemplate t;
    t.id = "t1";
    t.version = 1;
    t.name = "fire";
    t.categories = {"shop", "eatery"};
    t.items = {{"flying_wire_charging", "飞线充电", "flying wire", "high", true},
               {"corridor_clutter", "堆物", "clutter", "medium", false},
               {"extinguisher", "灭火器", "extinguisher", "low", false}};
    return t;
  }
  store::result<store::Round> round(std::string_view id) override {
    if (down) return fail<store::Round>(errc::unavailable);
    if (id != "r1" && id != "r2" && id != "r9") return fail<store::Round>(errc::not_found);
    return current_round(id);
  }
  static store::Round current_round(std::string_view id) {
    store::Round r;
    r.id = std::string(id);
    r.org_unit_id = id == "r9" ? 9 : 3;
    r.org_path = id == "r9" ? "/1/8/9/" : "/1/2/3/";
    r.date = "2025-11-28";
    r.starts_at = kNow - 3'600'000;
    r.ends_at = kNow + 3'600'000;
    r.state = id == "r2" ? "in_progress" : "planned";
    if (id == "r2") r.started_at = kNow - 600'000;
    r.route = {"s1", "s3"};
    return r;
  }

  store::result<store::Hazard> hazard(std::string_view id) override {
    if (down) return fail<store::Hazard>(errc::unavailable);
    if (id != "h1" && id != "h2" && id != "h9") return fail<store::Hazard>(errc::not_found);
    return current_hazard(id);
  }
  static store::Hazard current_hazard(std::string_view id) {
    store::Hazard h;
    h.id = std::string(id);
    h.site_id = id == "h9" ? "s2" : "s1";
    h.org_unit_id = id == "h9" ? 9 : 3;
    h.org_path = id == "h9" ? "/1/8/9/" : "/1/2/3/";
    h.item_code = "flying_wire_charging";
    h.severity = "high";
    h.state = id == "h2" ? "assigned" : "open";
    if (id == "h2") h.assignee_id = "u1";
    h.first_found_at = h.last_found_at = kNow - 86'400'000;
    h.occurrences = 1;
    return h;
  }
  store::result<std::vector<store::HazardHistoryEntry>> hazard_history(std::string_view) override {
    return fail<std::vector<store::HazardHistoryEntry>>(errc::unavailable);
  }
  store::result<std::optional<store::Hazard>> change_hazard(std::string_view,
                                                            store::HazardDecider) override {
    return fail<std::optional<store::Hazard>>(errc::unavailable);
  }
  store::result<std::vector<store::Hazard>> hazards_due(store::Ms, int) override {
    return fail<std::vector<store::Hazard>>(errc::unavailable);
  }
  store::result<std::optional<store::Ms>> earliest_hazard_deadline() override {
    return fail<std::optional<store::Ms>>(errc::unavailable);
  }
  store::result<std::vector<store::Hazard>> change_hazards(const std::vector<std::string>&,
                                                           store::HazardDecider) override {
    return fail<std::vector<store::Hazard>>(errc::unavailable);
  }

  store::result<store::Credentials> credentials_by_phone(std::string_view) override {
    return fail<store::Credentials>(errc::unavailable);
  }
  store::result<store::User> user(std::string_view id) override {
    if (down) return fail<store::User>(errc::unavailable);
    if (id != "u1" && id != "u2" && id != "u9") return fail<store::User>(errc::not_found);
    store::User u;
    u.id = std::string(id);
    u.name = "someone";
    u.role = id == "u2" ? "team_leader" : "volunteer";
    u.org_unit_id = id == "u9" ? 9 : 3;
    u.org_path = id == "u9" ? "/1/8/9/" : "/1/2/3/";
    return u;
  }
  store::result<void> create_session(const store::NewSession&) override {
    return fail<void>(errc::unavailable);
  }
  store::result<store::SessionInfo> session(std::string_view, store::Ms) override {
    return fail<store::SessionInfo>(errc::unavailable);
  }
  store::result<void> delete_session(std::string_view) override {
    return fail<void>(errc::unavailable);
  }
};

constexpr const char* kRoles[] = {"volunteer", "team_leader", "village_admin", "town_staff",
                                  "city_admin"};

void prepare_all(Fixture& f, domain::TemplateCache& cache, const json::value& v, std::size_t role) {
  domain::PushContext ctx;
  ctx.who.user_id = "u1";
  ctx.who.name = "someone";
  ctx.who.role = kRoles[role % 5];
  ctx.who.org_unit_id = "3";
  ctx.who.org_path = "/1/2/3/";
  ctx.device_id = "dev-1";
  ctx.clock_offset_ms = static_cast<std::int64_t>(role % 7) * 1000 - 3000;
  ctx.received_ms = kNow;
  ctx.hazards = &f;
  ctx.users = &f;
  domain::OpValidator validator(f, cache, ctx);

  auto one = [&](const json::value& raw) {
    auto p = validator.prepare(raw);
    if (!p) return;  // a store error: the push answers 503
    auto* op = std::get_if<store::PreparedOp>(&*p);
    if (!op) return;
    if (auto* r = std::get_if<store::RoundOpWrite>(&op->action)) {
      if (r->decide) {
        (void)r->decide(Fixture::current_round("r1"));
        (void)r->decide(Fixture::current_round("r2"));
      }
    } else if (auto* h = std::get_if<store::HazardOpWrite>(&op->action)) {
      if (h->decide) {
        (void)h->decide(Fixture::current_hazard("h1"));
        (void)h->decide(Fixture::current_hazard("h2"));
      }
    }
  };
  // A push body: each of its ops, as the handler walks them; else one op.
  if (const auto* o = v.if_object()) {
    if (const auto* ops = o->if_contains("ops"); ops && ops->is_array()) {
      for (const auto& raw : ops->get_array()) one(raw);
      return;
    }
  }
  one(v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return 0;
  // A fresh template cache per input: a cached template would hide the
  // lookup's failure path from the second run.
  Fixture f;
  {
    domain::TemplateCache cache;
    prepare_all(f, cache, v, size);
  }
  f.down = true;
  {
    domain::TemplateCache cache;
    prepare_all(f, cache, v, size);
  }
  return 0;
}
