#include "patrol/wire/json_text.hpp"

#include <boost/json/detail/sse2.hpp>
#include <boost/json/serializer.hpp>

namespace patrol::wire {
namespace json = boost::json;

void append_json_string(std::string& out, std::string_view s) {
  // The serializer escapes '"', '\\' and control characters only; its own
  // scan skips 16 bytes at a time where it can, the rest is looked at here.
  bool plain = true;
  for (std::size_t k = json::detail::count_unescaped(s.data(), s.size()); k < s.size(); ++k) {
    const auto c = static_cast<unsigned char>(s[k]);
    if (c < 0x20 || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out += '"';
    out += s;
    out += '"';
    return;
  }
  json::serializer sr;
  sr.reset(json::string_view(s.data(), s.size()));
  char buf[256];
  while (!sr.done()) out.append(sr.read(buf, sizeof buf));
}

}  // namespace patrol::wire
