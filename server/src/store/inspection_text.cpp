#include "store/inspection_text.hpp"

#include <boost/json/detail/format.hpp>
#include <boost/json/detail/sse2.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <chrono>
#include <cstring>

#include "store/sqlite_rows.hpp"

namespace patrol::store {
namespace json = boost::json;

namespace {

// The serializer's own number formatting (what serializer::write_number
// calls for a double), without a serializer per number.
void append_double(std::string& out, double d) {
  char buf[json::detail::max_number_chars + 1];
  out.append(buf, json::detail::format_double(buf, d));
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// format_ms(t) appended, without snprintf or a string of its own (it was a
// fifth of the tail's time): the same digits for years 0000-9999, format_ms()
// itself outside them.
void append_time(std::string& out, Ms t) {
  using namespace std::chrono;
  constexpr Ms kMin = -62'167'219'200'000;  // 0000-01-01T00:00:00.000Z
  constexpr Ms kMax = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z
  if (t < kMin || t > kMax) {
    append_json_string(out, format_ms(t));
    return;
  }
  const sys_time<milliseconds> at{milliseconds(t)};
  const auto day = floor<days>(at);
  const year_month_day ymd{day};
  const auto ms_of_day = (at - day).count();  // [0, 86'400'000)
  const auto two = [](char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  char b[26] = "\"0000-00-00T00:00:00.000Z";
  const auto y = static_cast<unsigned>(static_cast<int>(ymd.year()));
  two(b + 1, y / 100);
  two(b + 3, y % 100);
  two(b + 6, static_cast<unsigned>(ymd.month()));
  two(b + 9, static_cast<unsigned>(ymd.day()));
  const auto sec = static_cast<unsigned>(ms_of_day / 1000);
  two(b + 12, sec / 3600);
  two(b + 15, sec / 60 % 60);
  two(b + 18, sec % 60);
  const auto ms = static_cast<unsigned>(ms_of_day % 1000);
  b[21] = static_cast<char>('0' + ms / 100);
  two(b + 22, ms % 100);
  out.append(b, sizeof b - 1);
  out += '"';
}

// True when [p, p+n) is all ASCII (eight bytes at a time).
bool ascii(const char* p, std::size_t n) {
  std::uint64_t any = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, 8);
    any |= w;
  }
  for (; i < n; ++i) any |= static_cast<unsigned char>(p[i]);
  return (any & 0x8080'8080'8080'8080ULL) == 0;
}

// The length of the UTF-8 sequence at s[i] (RFC 3629: no overlong form, no
// surrogate, nothing above U+10FFFF), 0 when it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](std::size_t k) { return (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size() || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (!cont(k)) return 0;
  return n;
}

// The stored items column, walked once. Each step checks that what follows
// is exactly what boost::json::serialize writes (no space, the serializer's
// escapes), so copying it gives the bytes re-serialising it would.
struct Splicer {
  std::string_view s;
  std::size_t i = 0;

  bool lit(std::string_view t) {
    if (s.substr(i, t.size()) != t) return false;
    i += t.size();
    return true;
  }

  // A string at i in the serializer's form; its text (quotes included).
  bool str(std::string_view& text) {
    const std::size_t start = i;
    if (i >= s.size() || s[i] != '"') return false;
    std::size_t j = i + 1;
    for (;;) {
      if (j >= s.size()) return false;
      // A run the serializer copies as it is (its own scan: 16 bytes at a
      // time): nothing to check when ASCII, else each UTF-8 sequence.
      if (const std::size_t k = json::detail::count_unescaped(s.data() + j, s.size() - j); k != 0) {
        if (ascii(s.data() + j, k)) {
          j += k;
          continue;
        }
        for (const std::size_t end = j + k; j < end;) {
          if (static_cast<unsigned char>(s[j]) < 0x80) {
            ++j;
            continue;
          }
          const std::size_t n = utf8_length(s, j);  // may end past the run
          if (n == 0) return false;
          j += n;
        }
        continue;
      }
      const auto c = static_cast<unsigned char>(s[j]);
      if (c == '"') break;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (j + 1 >= s.size()) return false;
        switch (s[j + 1]) {
          case '"':
          case '\\':
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
            j += 2;
            continue;
          case 'u': {
            // \u00XY, lower-case hex, only for a control character without
            // a short escape (the serializer's table).
            if (j + 6 > s.size() || s[j + 2] != '0' || s[j + 3] != '0') return false;
            const char x = s[j + 4], y = s[j + 5];
            int v = 0;
            if (y >= '0' && y <= '9') {
              v = y - '0';
            } else if (y >= 'a' && y <= 'f') {
              v = y - 'a' + 10;
            } else {
              return false;
            }
            if (x == '1') {
              v += 16;
            } else if (x != '0') {
              return false;
            }
            if (v == 8 || v == 9 || v == 10 || v == 12 || v == 13) return false;
            j += 6;
            continue;
          }
          default:
            return false;
        }
      }
      if (c < 0x80) {
        ++j;
        continue;
      }
      const std::size_t n = utf8_length(s, j);
      if (n == 0) return false;
      j += n;
    }
    i = j + 1;
    text = s.substr(start, i - start);
    return true;
  }

  // The whole column, appended in the wire form; false (out unchanged in
  // length) when it is not in the serializer's form.
  bool splice(std::string& out) {
    const std::size_t mark = out.size();
    auto fail = [&] {
      out.resize(mark);
      return false;
    };
    if (!lit("[")) return fail();
    out += '[';
    if (!lit("]")) {
      for (;;) {
        std::string_view code, result, note = R"("")";
        if (!lit(R"({"code":)") || !str(code) || !lit(R"(,"result":)") || !str(result))
          return fail();
        if (lit(R"(,"note":)") && !str(note)) return fail();
        out += R"({"code":)";
        out += code;
        out += R"(,"result":)";
        out += result;
        out += R"(,"note":)";
        out += note;
        out += R"(,"photos":[)";
        if (lit(R"(,"photos":[)") && !lit("]")) {
          for (;;) {
            std::string_view photo;
            if (!str(photo)) return fail();
            out += photo;
            if (lit("]")) break;
            if (!lit(",")) return fail();
            out += ',';
          }
        }
        out += "]}";
        if (!lit("}")) return fail();
        if (lit("]")) break;
        if (!lit(",")) return fail();
        out += ',';
      }
    }
    out += ']';
    if (i != s.size()) return fail();
    return true;
  }
};

}  // namespace

bool append_wire_items(std::string& out, std::string_view stored) {
  if (Splicer{stored}.splice(out)) return true;
  // Not in items_json()'s form: as the Inspection reader and to_json() make it.
  Inspection i;
  i.items = detail::read_items(stored);
  out += json::serialize(to_json(i).at("items"));
  return false;
}

void append_inspection_json(std::string& out, const InspectionColumns& r) {
  out += R"({"id":)";
  append_json_string(out, r.id);
  out += R"(,"op_id":)";
  append_json_string(out, r.op_id);
  out += R"(,"site_id":)";
  append_json_string(out, r.site_id);
  out += R"(,"org_unit_id":")";
  append_int(out, r.org_unit_id);  // id_string(): digits, nothing to escape
  out += R"(","user_id":)";
  append_json_string(out, r.user_id);
  out += R"(,"device_id":)";
  append_json_string(out, r.device_id);
  out += R"(,"template_id":)";
  append_json_string(out, r.template_id);
  out += R"(,"template_version":)";
  append_int(out, r.template_version);
  out += R"(,"round_id":)";
  if (r.round_id) {
    append_json_string(out, *r.round_id);
  } else {
    out += "null";
  }
  out += R"(,"observed_at":)";
  append_json_string(out, r.observed_at);
  out += R"(,"observed_at_corrected":)";
  append_time(out, r.observed_ms);
  out += R"(,"received_at":)";
  append_time(out, r.received_ms);
  out += R"(,"position":)";
  if (r.position) {
    out += R"({"lat":)";
    append_double(out, r.position->lat);
    out += R"(,"lon":)";
    append_double(out, r.position->lon);
    out += R"(,"accuracy_m":)";
    if (r.position->accuracy_m) {
      append_double(out, *r.position->accuracy_m);
    } else {
      out += "null";
    }
    out += '}';
  } else {
    out += "null";
  }
  out += R"(,"note":)";
  append_json_string(out, r.note);
  out += R"(,"items":)";
  (void)append_wire_items(out, r.items);
  out += '}';
}

}  // namespace patrol::store
