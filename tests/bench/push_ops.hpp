// The sync/push batches the push benchmark sends and the SQLite baseline
// writes: one definition, so both measure the same inspections (real demo
// sites and template items, one item in 20 a hazard).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "patrol/wire/messages.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"

namespace patrol::bench {

struct SiteRef {
  std::string site_id;
  std::string template_id;
  std::int64_t template_version = 1;
  std::vector<std::string> item_codes;
};

// A push request body {"device_id":"bench","ops":[…]} with `n` fresh
// inspection.create ops (new op ids and inspection ids: every op is applied).
inline boost::json::object make_push_body(const std::vector<SiteRef>& sites, int n,
                                          std::mt19937& rng) {
  boost::json::array ops;
  ops.reserve(static_cast<std::size_t>(n));
  const auto now = wire::format_rfc3339(wire::now_millis(), 8 * 60);
  for (int i = 0; i < n; ++i) {
    const auto& site = sites[rng() % sites.size()];
    wire::InspectionCreate ins;
    ins.id = wire::make_uuid_v7();
    ins.site_id = site.site_id;
    ins.template_id = site.template_id;
    ins.template_version = site.template_version;
    ins.observed_at = now;
    ins.position =
        wire::Position{28.85 + (rng() % 1000) * 1e-5, 121.14 + (rng() % 1000) * 1e-5, 8.0, "wgs84"};
    for (std::size_t k = 0; k < site.item_codes.size() && k < 6; ++k) {
      wire::ItemReport item;
      item.code = site.item_codes[k];
      item.result = (rng() % 20 == 0) ? wire::ItemResult::hazard : wire::ItemResult::ok;
      ins.items.push_back(std::move(item));
    }
    wire::Op op;
    op.op_id = wire::make_uuid_v7();
    op.type = std::string(wire::kOpInspectionCreate);
    op.device_time = now;
    op.body = wire::to_json(ins);
    ops.push_back(wire::to_json(op));
  }
  return {{"device_id", "bench"}, {"ops", std::move(ops)}};
}

}  // namespace patrol::bench
