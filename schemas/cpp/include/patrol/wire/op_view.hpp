// Decoding a push without copying it, for the server's ingest path: the same
// checks as decode_push_request and decode_op (messages.hpp), but the ops and
// each op's body are pointed at where they were parsed instead of copied.
//
// Ownership: a view points into the json::value it was decoded from, which
// must outlive it (the push handler keeps its parsed request until it answers).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "patrol/wire/messages.hpp"

namespace patrol::wire {

// An Op whose body is not copied.
struct OpView {
  std::string op_id;                         // UUID
  std::string type;                          // one of kOp*
  std::optional<std::string> device_time;    // RFC 3339
  const boost::json::value* body = nullptr;  // an object, inside the decoded value
};
// decode_op's checks and errors, without the body's copy.
Decoded<OpView> decode_op_view(const boost::json::value& v, std::string_view path = "");

// A PushRequest whose ops are not copied.
struct PushRequestView {
  std::string device_id;
  std::optional<std::int64_t> clock_offset_ms;
  const boost::json::array* ops = nullptr;  // raw; 1..kMaxOpsPerPush, inside the decoded value
};
// decode_push_request's checks and errors, without copying the ops.
Decoded<PushRequestView> decode_push_request_view(const boost::json::value& v);

}  // namespace patrol::wire
