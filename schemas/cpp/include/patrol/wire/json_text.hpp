// JSON written as text where building a Boost.JSON value only to serialise it
// would cost more than the text (a push's answer, an inspection's items, the
// live feed's events): the pieces are byte for byte what
// boost::json::serialize writes, so readers cannot tell the two apart.
#pragma once

#include <string>
#include <string_view>

namespace patrol::wire {

// Appends `s` as a JSON string, escaped exactly as boost::json::serialize
// does: copied between quotes unless it holds a quote, a backslash or a
// control character (then through Boost.JSON's serializer).
void append_json_string(std::string& out, std::string_view s);

}  // namespace patrol::wire
