// FieldError: the machine-readable error both sides put on the wire:
//   {"error":{"code":"…","field":"items[1].result","message":"…"}}
// and, inside a push result, {"op_id":…,"status":"rejected","error":{…}}.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>

namespace patrol::wire {

struct FieldError {
  std::string code;     // snake_case, stable: "required", "invalid_type", "out_of_range", …
  std::string field;    // JSON path of the offending field ("" when not about one field)
  std::string message;  // human readable, English
};

boost::json::object to_json(const FieldError& e);
// Wraps as {"error":{…}}.
boost::json::object error_body(const FieldError& e);
// Parses {"code","field","message"}; missing members become empty strings.
FieldError field_error_from_json(const boost::json::value& v);

// Found by ADL so boost::system::result<T, FieldError>::value() can throw.
[[noreturn]] void throw_exception_from_error(const FieldError& e,
                                             const boost::source_location& loc);

}  // namespace patrol::wire
