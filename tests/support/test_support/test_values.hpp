// Small values the integration tests build and read again and again: times,
// strings out of JSON, hashes. Pure functions, thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace patrol::test {

// Unix time now, in milliseconds.
std::int64_t now_ms();
// `ms` as RFC 3339 UTC with milliseconds, e.g. "2026-11-30T09:38:04.123Z".
std::string rfc3339(std::int64_t ms);
// The string `v` holds, or "" when it is not a string.
std::string str(const boost::json::value& v);
// `text` parsed, or null when it is not JSON.
boost::json::value parse_json(std::string_view text);
// Lower-case hex SHA-256 (a photo's content address).
std::string sha256_hex(std::string_view data);

}  // namespace patrol::test
