// UUIDs as devices create them (op ids, inspection ids): canonical lower/upper
// case hex 8-4-4-4-12. New ids are UUIDv7 (RFC 9562): time-ordered, so an
// outbox sorted by id is sorted by creation time.
#pragma once

#include <string>
#include <string_view>

namespace patrol::wire {

bool is_uuid(std::string_view s) noexcept;
// A new UUIDv7 from the current time and OpenSSL's CSPRNG; lower case.
std::string make_uuid_v7();

}  // namespace patrol::wire
