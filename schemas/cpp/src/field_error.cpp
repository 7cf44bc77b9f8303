#include "patrol/wire/field_error.hpp"

#include <boost/json/string.hpp>
#include <boost/throw_exception.hpp>
#include <stdexcept>

namespace patrol::wire {

boost::json::object to_json(const FieldError& e) {
  boost::json::object o;
  o["code"] = e.code;
  o["field"] = e.field;
  o["message"] = e.message;
  return o;
}

boost::json::object error_body(const FieldError& e) {
  boost::json::object o;
  o["error"] = to_json(e);
  return o;
}

FieldError field_error_from_json(const boost::json::value& v) {
  FieldError e;
  const auto* o = v.if_object();
  if (o == nullptr) return e;
  auto get = [o](const char* name) -> std::string {
    if (const auto* m = o->if_contains(name))
      if (const auto* s = m->if_string()) return std::string(*s);
    return {};
  };
  e.code = get("code");
  e.field = get("field");
  e.message = get("message");
  return e;
}

void throw_exception_from_error(const FieldError& e, const boost::source_location& loc) {
  std::string what = e.code;
  if (!e.field.empty()) what += " at " + e.field;
  if (!e.message.empty()) what += ": " + e.message;
  boost::throw_exception(std::invalid_argument(what), loc);
}

}  // namespace patrol::wire
