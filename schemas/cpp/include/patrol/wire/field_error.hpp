// FieldError: the machine-readable error both sides put on the wire:
//   {"error":{"code":"…","field":"items[1].result","message":"…"}}
// and, inside a push result, {"op_id":…,"status":"rejected","error":{…}}.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace patrol::wire {

struct FieldError {
  std::string code;     // snake_case, stable: "required", "invalid_type", "out_of_range", …
  std::string field;    // JSON path of the offending field ("" when not about one field)
  std::string message;  // human readable, English
};

// The strings are made valid UTF-8 (see valid_utf8): messages may quote what a
// client sent (a header, a path) and JSON must stay valid.
boost::json::object to_json(const FieldError& e);
// Wraps as {"error":{…}}.
boost::json::object error_body(const FieldError& e);
// Parses {"code","field","message"}; missing members become empty strings.
FieldError field_error_from_json(const boost::json::value& v);

// `s` with every byte that is not part of a well-formed UTF-8 sequence
// (RFC 3629: no overlongs, surrogates or code points above U+10FFFF) replaced
// by U+FFFD. Valid input comes back unchanged.
std::string valid_utf8(std::string_view s);

// Found by ADL so boost::system::result<T, FieldError>::value() can throw.
[[noreturn]] void throw_exception_from_error(const FieldError& e,
                                             const boost::source_location& loc);

}  // namespace patrol::wire
