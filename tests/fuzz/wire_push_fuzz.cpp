// libFuzzer target: the sync/push body as it arrives from the network, through
// every wire decoder a push touches. Decoders must answer every input with a
// value or a FieldError — never crash, hang or read out of bounds.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "patrol/wire/messages.hpp"
#include "patrol/wire/time.hpp"
#include "patrol/wire/uuid.hpp"

namespace wire = patrol::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)wire::parse_rfc3339(text);
  (void)wire::is_uuid(text);

  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec) return 0;
  (void)wire::decode_login_request(v);
  (void)wire::decode_push_response(v);
  (void)wire::decode_pull_response(v);
  // Each op body decoder on its own, not only behind a valid envelope.
  (void)wire::decode_inspection_create(v);
  (void)wire::decode_position_append(v);
  (void)wire::decode_sos_raise(v);
  (void)wire::decode_op(v);
  auto req = wire::decode_push_request(v);
  if (!req) return 0;
  for (const auto& raw : req->ops) {
    auto op = wire::decode_op(raw);
    if (!op) continue;
    if (op->type == wire::kOpInspectionCreate) {
      if (auto b = wire::decode_inspection_create(op->body)) (void)wire::to_json(*b);
    } else if (op->type == wire::kOpPositionAppend) {
      if (auto b = wire::decode_position_append(op->body)) (void)wire::to_json(*b);
    } else if (op->type == wire::kOpSosRaise) {
      if (auto b = wire::decode_sos_raise(op->body)) (void)wire::to_json(*b);
    }
  }
  return 0;
}
