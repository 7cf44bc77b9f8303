#include "live/messages.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstring>

#include "store/inspection_text.hpp"

namespace patrol::live {
namespace json = boost::json;

namespace {
Text make_text(std::string text, std::string key = {},
               std::chrono::steady_clock::time_point committed = {}) {
  return std::make_shared<const net::LiveMessage>(
      net::LiveMessage{std::move(text), std::move(key), committed});
}
}  // namespace

Text event_text(std::int64_t seq, std::string_view kind, std::string_view data_json,
                std::string coalesce_key, std::chrono::steady_clock::time_point committed) {
  std::string data;
  data.reserve(64 + kind.size() + data_json.size());
  data = data_json;
  return event_text(seq, kind, std::move(data), std::move(coalesce_key), committed);
}

Text event_text(std::int64_t seq, std::string_view kind, std::string&& data_json,
                std::string coalesce_key, std::chrono::steady_clock::time_point committed) {
  // {"type":"event","seq":SEQ,"kind":KIND,"data":DATA}
  constexpr std::string_view a = R"({"type":"event","seq":)", b = R"(,"kind":)", c = R"(,"data":)";
  char num[24];
  const auto n = static_cast<std::size_t>(std::to_chars(num, num + sizeof num, seq).ptr - num);
  std::string k;  // a kind is a short identifier: no allocation
  store::append_json_string(k, kind);
  const std::size_t head = a.size() + n + b.size() + k.size() + c.size();
  std::string s = std::move(data_json);
  s.reserve(head + s.size() + 1);
  s.insert(0, head, ' ');  // one move of the data, in its own buffer
  char* p = s.data();
  for (std::string_view part : {a, std::string_view(num, n), b, std::string_view(k), c}) {
    std::memcpy(p, part.data(), part.size());
    p += part.size();
  }
  s += '}';
  return make_text(std::move(s), std::move(coalesce_key), committed);
}

Text error_text(std::string_view code, std::string_view field, std::string_view message) {
  json::object o{{"type", "error"},
                 {"error", json::object{{"code", code}, {"field", field}, {"message", message}}}};
  return make_text(json::serialize(o));
}

Text subscribed_text(std::string_view org_unit_id, std::int64_t seq) {
  json::object o{{"type", "subscribed"}, {"org_unit_id", org_unit_id}, {"seq", seq}};
  return make_text(json::serialize(o));
}

std::string snapshot_members(const SnapshotBody& b) {
  std::string s;
  auto add = [&](std::string_view name, const json::array& a) {
    if (!s.empty()) s += ',';
    s += '"';
    s += name;
    s += "\":";
    s += json::serialize(a);
  };
  add("sites", b.sites);
  add("positions", b.positions);
  add("hazards", b.hazards);
  add("rounds", b.rounds);
  add("alerts", b.alerts);
  add("presence", b.presence);
  return s;
}

Text snapshot_text(std::string_view org_unit_id, std::int64_t seq, bool reset,
                   const std::string& body_members) {
  std::string s;
  s.reserve(96 + body_members.size());
  s += R"({"type":"snapshot","org_unit_id":)";
  s += json::serialize(json::string_view(org_unit_id));
  s += R"(,"seq":)";
  s += std::to_string(seq);
  if (reset) s += R"(,"reset":true)";
  s += ',';
  s += body_members;
  s += '}';
  return make_text(std::move(s));
}

}  // namespace patrol::live
