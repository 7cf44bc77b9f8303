#include "gpx.hpp"

#include <charconv>
#include <optional>

#include "patrol/wire/time.hpp"

namespace patrol::cli {
namespace {

std::optional<double> attr(std::string_view tag, std::string_view name) {
  for (std::size_t pos = 0;;) {
    pos = tag.find(name, pos);
    if (pos == std::string_view::npos) return std::nullopt;
    const bool word_start = pos > 0 && (tag[pos - 1] == ' ' || tag[pos - 1] == '\t' ||
                                        tag[pos - 1] == '\n' || tag[pos - 1] == '\r');
    std::size_t p = pos + name.size();
    while (p < tag.size() && tag[p] == ' ') ++p;
    if (!word_start || p >= tag.size() || tag[p] != '=') {
      pos += name.size();
      continue;
    }
    ++p;
    while (p < tag.size() && tag[p] == ' ') ++p;
    if (p >= tag.size() || (tag[p] != '"' && tag[p] != '\'')) return std::nullopt;
    const char q = tag[p++];
    const auto end = tag.find(q, p);
    if (end == std::string_view::npos) return std::nullopt;
    double v = 0;
    auto s = tag.substr(p, end - p);
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
  }
}

std::optional<std::string> element_text(std::string_view body, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  auto a = body.find(open);
  if (a == std::string_view::npos) return std::nullopt;
  a += open.size();
  auto b = body.find(close, a);
  if (b == std::string_view::npos) return std::nullopt;
  auto s = body.substr(a, b - a);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

Result<std::vector<TrackPoint>> parse_gpx(const std::string& text) {
  std::vector<TrackPoint> out;
  std::vector<bool> has_time;
  std::string_view t(text);
  for (std::size_t pos = 0; pos < t.size();) {
    auto lt = t.find('<', pos);
    if (lt == std::string_view::npos) break;
    auto gt = t.find('>', lt);
    if (gt == std::string_view::npos) break;
    std::string_view tag = t.substr(lt + 1, gt - lt - 1);
    pos = gt + 1;
    std::string_view name = tag.substr(0, tag.find_first_of(" \t\r\n/"));
    if (auto colon = name.find(':'); colon != std::string_view::npos) name.remove_prefix(colon + 1);
    if (name != "trkpt" && name != "rtept" && name != "wpt") continue;
    auto lat = attr(tag, "lat");
    auto lon = attr(tag, "lon");
    if (!lat || !lon || *lat < -90 || *lat > 90 || *lon < -180 || *lon > 180)
      return make_error(ErrorCode::invalid_argument,
                        "GPX point " + std::to_string(out.size() + 1) + " has a bad lat/lon");
    TrackPoint p;
    p.lat = *lat;
    p.lon = *lon;
    bool timed = false;
    if (!tag.empty() && tag.back() != '/') {
      const std::string close =
          "</" + std::string(tag.substr(0, tag.find_first_of(" \t\r\n"))) + ">";
      auto end = t.find(close, pos);
      if (end != std::string_view::npos) {
        auto body = t.substr(pos, end - pos);
        if (auto ts = element_text(body, "time")) {
          auto parsed = wire::parse_rfc3339(*ts);
          if (!parsed)
            return make_error(
                ErrorCode::invalid_argument,
                "GPX point " + std::to_string(out.size() + 1) + " has a bad time '" + *ts + "'");
          p.t = std::chrono::system_clock::time_point(parsed->instant.time_since_epoch());
          timed = true;
        }
        pos = end + close.size();
      }
    }
    out.push_back(p);
    has_time.push_back(timed);
  }
  if (out.empty())
    return make_error(ErrorCode::invalid_argument, "no track points in the GPX file");
  const auto now = std::chrono::system_clock::now();
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!has_time[i]) out[i].t = now - std::chrono::seconds(static_cast<long>(out.size() - 1 - i));
  return out;
}

}  // namespace patrol::cli
