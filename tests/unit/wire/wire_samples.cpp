// patrol_wire_samples DIR: writes what the wire encoders produce for
// representative messages, one JSON file per message, named
// "<schema>--<label>.json" where schemas/<schema>.schema.json must accept it.
//
// patrol_wire_samples --decode: reads lines "<schema>\t<json>" from stdin and
// answers one line each: "ok", or "<code>\t<field>" for the decoder's first
// problem. The node tests feed the same values to the JSON Schemas and to the
// C++ decoders and check that both accept and reject the same ones.
//
// tests/e2e/wire_samples.test.mjs runs both modes.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "patrol/wire/field_error.hpp"
#include "patrol/wire/messages.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"

namespace json = boost::json;
namespace wire = patrol::wire;

namespace {

int written = 0;
int failed = 0;

void write(const std::filesystem::path& dir, const std::string& schema, const std::string& label,
           const json::value& v) {
  const auto path = dir / (schema + "--" + label + ".json");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << json::serialize(v) << '\n';
  out.close();
  if (!out) {
    std::cerr << "cannot write " << path << '\n';
    ++failed;
    return;
  }
  ++written;
}

wire::InspectionCreate inspection(bool full) {
  wire::InspectionCreate b;
  b.id = wire::make_uuid_v7();
  b.site_id = "site-0001";
  b.template_id = "tmpl-nine-small";
  b.template_version = 1;
  b.observed_at = "2026-11-28T19:05:00+08:00";
  if (full) {
    b.round_id = "round-2026-11-28";
    b.position = wire::Position{28.8571, 121.1432, 8, "wgs84"};
    b.items = {
        {"flying_wire_charging", wire::ItemResult::hazard, "三楼窗口飞线", {std::string(64, 'a')}},
        {"corridor_clutter", wire::ItemResult::ok, "", {}},
        {"window_throwing", wire::ItemResult::not_applicable, "", {}}};
    b.note = "";
  } else {
    b.items = {{"corridor_clutter", wire::ItemResult::ok, "", {}}};
    b.note = "all fine";
  }
  return b;
}

template <class T>
std::optional<wire::FieldError> problem(const wire::Decoded<T>& r) {
  if (r) return std::nullopt;
  return r.error();
}

// Decodes `v` as the message `schema` names, the way the server and SDK do:
// a push also decodes each op and its body; a change also decodes the entity
// data for which a decoder exists.
std::optional<wire::FieldError> decode_as(const std::string& schema, const json::value& v) {
  if (schema == "login_request") return problem(wire::decode_login_request(v));
  if (schema == "login_response") return problem(wire::decode_login_response(v));
  if (schema == "me") return problem(wire::decode_user_info(v, ""));
  if (schema == "inspection_create") return problem(wire::decode_inspection_create(v));
  if (schema == "position_append") return problem(wire::decode_position_append(v));
  if (schema == "sos_raise") return problem(wire::decode_sos_raise(v));
  if (schema == "site") return problem(wire::decode_site(v));
  if (schema == "checklist_template") return problem(wire::decode_checklist_template(v));
  if (schema == "push_response") return problem(wire::decode_push_response(v));
  if (schema == "error") {
    const auto* o = v.if_object();
    if (o == nullptr || !o->contains("error")) return wire::FieldError{"required", "error", ""};
    return problem(wire::decode_op_result(
        json::object{{"op_id", ""}, {"status", "rejected"}, {"error", o->at("error")}}, ""));
  }
  if (schema == "op") {
    auto op = wire::decode_op(v);
    if (!op) return op.error();
    return problem(wire::decode_op_body(*op));
  }
  if (schema == "push_request") {
    auto req = wire::decode_push_request(v);
    if (!req) return req.error();
    for (std::size_t i = 0; i < req->ops.size(); ++i) {
      const auto prefix = "ops[" + std::to_string(i) + "]";
      auto op = wire::decode_op(req->ops[i], prefix);
      if (!op) return op.error();
      if (auto e = problem(wire::decode_op_body(*op, prefix + ".body"))) return e;
    }
    return std::nullopt;
  }
  auto change_data = [](const wire::Change& c,
                        const std::string& path) -> std::optional<wire::FieldError> {
    if (c.op != "upsert") return std::nullopt;
    if (c.entity == "site") return problem(wire::decode_site(c.data, path));
    if (c.entity == "checklist_template")
      return problem(wire::decode_checklist_template(c.data, path));
    return std::nullopt;
  };
  if (schema == "change") {
    auto c = wire::decode_change(v, "");
    if (!c) return c.error();
    return change_data(*c, "data");
  }
  if (schema == "pull_response") {
    auto p = wire::decode_pull_response(v);
    if (!p) return p.error();
    for (std::size_t i = 0; i < p->changes.size(); ++i)
      if (auto e = change_data(p->changes[i], "changes[" + std::to_string(i) + "].data")) return e;
    return std::nullopt;
  }
  return wire::FieldError{"no_decoder", "", "no decoder for " + schema};
}

int decode_mode() {
  std::string line;
  while (std::getline(std::cin, line)) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos) {
      std::cout << "bad_line\t\n";
      continue;
    }
    boost::system::error_code ec;
    const auto v = json::parse(line.substr(tab + 1), ec);
    if (ec) {
      std::cout << "bad_json\t\n";
      continue;
    }
    const auto e = decode_as(line.substr(0, tab), v);
    if (e)
      std::cout << e->code << '\t' << e->field << '\n';
    else
      std::cout << "ok\n";
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--decode") return decode_mode();
  if (argc != 2) {
    std::cerr << "usage: patrol_wire_samples OUT_DIR | --decode\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "cannot create " << dir << ": " << ec.message() << '\n';
    return 1;
  }

  const auto now = wire::format_rfc3339(wire::now_millis());
  const wire::UserInfo user{"user-0002", "刘志强", "volunteer", "org-37"};

  write(dir, "login_request", "demo",
        wire::to_json(wire::LoginRequest{"13900000002", "patrol-demo", "device-a"}));
  write(dir, "login_response", "demo",
        wire::to_json(wire::LoginResponse{"6f1c0e3a9b", "2026-12-28T11:05:03.000Z", user}));
  write(dir, "me", "volunteer", wire::to_json(user));

  const auto full = inspection(true);
  const auto minimal = inspection(false);
  write(dir, "inspection_create", "full", wire::to_json(full));
  write(dir, "inspection_create", "minimal", wire::to_json(minimal));

  wire::PositionAppend pa;
  pa.points = {{"2026-11-28T19:05:00+08:00", 28.8571, 121.1432, 6},
               {"2026-11-28T19:05:10.250+08:00", 28.8572, 121.1434, std::nullopt}};
  write(dir, "position_append", "two_points", wire::to_json(pa));
  pa.crs = "gcj02";
  write(dir, "position_append", "gcj02", wire::to_json(pa));

  const wire::SosRaise sos{wire::make_uuid_v7(), "2026-11-28T19:07:00+08:00",
                           wire::Position{28.8571, 121.1432, std::nullopt, "wgs84"}, "有人落水"};
  const wire::SosRaise sos_min{wire::make_uuid_v7(), now, std::nullopt, ""};
  write(dir, "sos_raise", "full", wire::to_json(sos));
  write(dir, "sos_raise", "minimal", wire::to_json(sos_min));

  const wire::Op op_insp{wire::make_uuid_v7(), std::string(wire::kOpInspectionCreate),
                         "2026-11-28T19:05:03+08:00", wire::to_json(full)};
  const wire::Op op_pos{wire::make_uuid_v7(), std::string(wire::kOpPositionAppend), std::nullopt,
                        wire::to_json(pa)};
  const wire::Op op_sos{wire::make_uuid_v7(), std::string(wire::kOpSosRaise), now,
                        wire::to_json(sos)};
  write(dir, "op", "inspection_create", wire::to_json(op_insp));
  write(dir, "op", "position_append", wire::to_json(op_pos));
  write(dir, "op", "sos_raise", wire::to_json(op_sos));

  write(dir, "push_request", "three_ops",
        wire::to_json(wire::PushRequest{
            "device-a",
            1500,
            {wire::to_json(op_insp), wire::to_json(op_pos), wire::to_json(op_sos)}}));
  write(dir, "push_request", "no_offset",
        wire::to_json(wire::PushRequest{"device-a", std::nullopt, {wire::to_json(op_pos)}}));

  wire::PushResponse pr;
  pr.server_time = now;
  pr.results = {
      {op_insp.op_id, wire::OpStatus::applied, std::nullopt, now},
      {op_pos.op_id, wire::OpStatus::duplicate, std::nullopt, "2026-11-28T11:05:03.000Z"},
      {op_sos.op_id, wire::OpStatus::rejected,
       wire::FieldError{"out_of_range", "body.position.lat", "must be between -90 and 90"},
       std::nullopt}};
  write(dir, "push_response", "mixed", wire::to_json(pr));

  const wire::Site site{"site-0001",   "org-37", "刘村小卖部", "shop",
                        "大田刘村1号", 28.8571,  121.1432,     "tmpl-nine-small"};
  wire::ChecklistTemplate tmpl{
      "tmpl-nine-small", 1, "九小场所通用检查", {"shop", "eatery", "inn"}, {}};
  tmpl.items = {
      {"window_throwing", "窗外抛物", "Throwing objects from windows", "high", false},
      {"flying_wire_charging", "飞线充电", "Flying-wire e-bike charging", "critical", true},
      {"corridor_clutter", "楼道杂物", "Clutter in corridors", "medium", false}};
  write(dir, "site", "shop", wire::to_json(site));
  write(dir, "checklist_template", "nine_small", wire::to_json(tmpl));

  const wire::Change c_site{5, "site", "upsert", site.id, wire::to_json(site)};
  const wire::Change c_tmpl{6, "checklist_template", "upsert", tmpl.id, wire::to_json(tmpl)};
  const wire::Change c_del{7, "hazard", "delete", "hazard-9", nullptr};
  write(dir, "change", "site_upsert", wire::to_json(c_site));
  write(dir, "change", "hazard_delete", wire::to_json(c_del));
  write(dir, "pull_response", "three_changes",
        wire::to_json(wire::PullResponse{7, false, {c_site, c_tmpl, c_del}}));
  write(dir, "pull_response", "empty", wire::to_json(wire::PullResponse{7, false, {}}));

  write(dir, "error", "field",
        wire::error_body(
            wire::FieldError{"unknown_value", "items[1].result", "must be one of: ok, hazard"}));
  write(dir, "error", "no_field", wire::error_body(wire::FieldError{"unauthorized", "", "login"}));

  std::cout << "wrote " << written << " samples to " << dir.string() << '\n';
  return failed == 0 ? 0 : 1;
}
