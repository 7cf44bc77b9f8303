// Decoding of what a live feed client sends (DESIGN.md "Wire contract v1,
// part 2"; schemas/live_subscribe.schema.json): outside bytes, so its own
// pure function, fuzzed by tests/fuzz/live_message_fuzz.cpp. `ping` is
// answered by the transport (net/ws_session.cpp) before this is reached.
//
// Thread safety: pure, call from any thread.
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

#include "patrol/wire/field_error.hpp"

namespace patrol::live {

// {"type":"subscribe","org_unit_id":"21","since":SEQ?}
struct Subscribe {
  std::int64_t org_unit_id = 0;       // > 0; given as a decimal string or an integer
  std::optional<std::int64_t> since;  // >= 0; a larger unsigned value is clamped to INT64_MAX
};

// The subscribe request in `text`, or the error to send back: malformed_json
// (not a JSON object), unknown_type (field "type"), invalid_format (field
// "org_unit_id" or "since"). Never throws.
boost::system::result<Subscribe, wire::FieldError> decode_client_message(std::string_view text);

}  // namespace patrol::live
