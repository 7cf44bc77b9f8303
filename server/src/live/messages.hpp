// The live feed's messages (DESIGN.md "Wire contract v1, part 2"), built as
// text once and shared by every receiver. Pure functions, thread-safe.
#pragma once

#include <boost/json/array.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/live.hpp"

namespace patrol::live {

using Text = net::LiveMessagePtr;

// {"type":"event","seq":SEQ,"kind":KIND,"data":DATA} where data_json is
// already serialised JSON (e.g. a change log entry's data), spliced as is.
// `coalesce_key` and `committed` go to the transport (net/live.hpp).
Text event_text(std::int64_t seq, std::string_view kind, std::string_view data_json,
                std::string coalesce_key = {},
                std::chrono::steady_clock::time_point committed = {});
// The same bytes, made in `data_json`'s own buffer (the envelope inserted in
// front of it: no copy of the data into a new string).
Text event_text(std::int64_t seq, std::string_view kind, std::string&& data_json,
                std::string coalesce_key = {},
                std::chrono::steady_clock::time_point committed = {});

// {"type":"error","error":{"code","field","message"}}
Text error_text(std::string_view code, std::string_view field, std::string_view message);

// {"type":"subscribed","org_unit_id","seq"}: a `since` subscription was
// accepted; the missed events follow (additive to the contract).
Text subscribed_text(std::string_view org_unit_id, std::int64_t seq);

// The snapshot's members without the envelope: sites (each with
// open_hazards), positions, hazards, rounds, alerts, presence.
struct SnapshotBody {
  boost::json::array sites, positions, hazards, rounds, alerts, presence;
};
// {"type":"snapshot","org_unit_id","seq","reset"?: true, …body}
Text snapshot_text(std::string_view org_unit_id, std::int64_t seq, bool reset,
                   const std::string& body_members);
// The body's members as `"sites":[…],"positions":[…],…` (no braces), serialised once.
std::string snapshot_members(const SnapshotBody& b);

}  // namespace patrol::live
