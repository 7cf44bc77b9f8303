#include "patrol/wire/field_error.hpp"

#include <boost/json/string.hpp>
#include <boost/throw_exception.hpp>
#include <stdexcept>

namespace patrol::wire {

namespace {

// Length of the well-formed UTF-8 sequence starting at s[i], 0 if none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

boost::json::object to_json(const FieldError& e) {
  boost::json::object o;
  o["code"] = valid_utf8(e.code);
  o["field"] = valid_utf8(e.field);
  o["message"] = valid_utf8(e.message);
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
