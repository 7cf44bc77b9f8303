// libFuzzer target: what a live feed client sends on /api/v1/live
// (live/client_message.cpp, the decoder patrold's publisher calls for every
// WebSocket text message after the transport's ping check). Every input must
// end in a Subscribe with org_unit_id > 0 and since >= 0, or a FieldError
// with a code — never a crash, an exception or a bad read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "live/client_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = patrol::live::decode_client_message(text);
  if (m) {
    if (m->org_unit_id <= 0 || (m->since && *m->since < 0)) std::abort();
  } else if (m.error().code.empty()) {
    std::abort();
  }
  return 0;
}
