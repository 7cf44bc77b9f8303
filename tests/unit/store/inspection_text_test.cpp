// The live feed's inspection text (store/inspection_text.hpp) against the
// serialisation the feed used before: boost::json::serialize(to_json(i)) of
// the Inspection read back from the same row. Equal byte for byte for any
// text (Chinese, escapes, control characters, empty items, numbers), and for
// an items column in a form items_json() does not write (the parsing path).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <random>
#include <stdexcept>

#include "store/entities.hpp"
#include "store/inspection_text.hpp"
#include "store/sqlite_rows.hpp"

namespace patrol::store {
namespace {

// What the feed sent before: the row read into an Inspection (items parsed
// by read_items) and serialised whole.
std::string old_text(Inspection i, std::string_view stored_items) {
  i.items = detail::read_items(stored_items);
  return boost::json::serialize(to_json(i));
}

std::string new_text(const Inspection& i, std::string_view stored_items) {
  InspectionColumns c;
  c.id = i.id;
  c.op_id = i.op_id;
  c.site_id = i.site_id;
  c.org_unit_id = i.org_unit_id;
  c.user_id = i.user_id;
  c.device_id = i.device_id;
  c.template_id = i.template_id;
  c.template_version = i.template_version;
  if (i.round_id) c.round_id = *i.round_id;
  c.observed_at = i.observed_at;
  c.observed_ms = i.observed_ms;
  c.received_ms = i.received_ms;
  c.position = i.position;
  c.note = i.note;
  c.items = stored_items;
  std::string out = "prefix:";  // appends, leaves what was there
  append_inspection_json(out, c);
  EXPECT_EQ(out.substr(0, 7), "prefix:");
  return out.substr(7);
}

Inspection sample() {
  Inspection i;
  i.seq = 7;
  i.id = "0190f3c1-7a2b-7c3d-8e4f-5a6b7c8d9e0f";
  i.op_id = "0190f3c1-7a2b-7c3d-8e4f-000000000001";
  i.site_id = "site-1";
  i.org_unit_id = 37;
  i.org_path = "/1/4/37/";
  i.user_id = "u-2";
  i.device_id = "dev";
  i.template_id = "tpl";
  i.template_version = 3;
  i.observed_at = "2026-11-28T19:05:00+08:00";
  i.observed_ms = 1'764'327'900'123;
  i.received_ms = 1'764'327'901'456;
  i.position = GeoPoint{28.851234, 121.14, 8.0};
  return i;
}

void expect_same(const Inspection& i) {
  const std::string stored = items_json(i.items);
  EXPECT_EQ(new_text(i, stored), old_text(i, stored)) << "stored items: " << stored;
  // What items_json() wrote is spliced, never parsed.
  std::string items;
  EXPECT_TRUE(append_wire_items(items, stored)) << stored;
}

const std::string kTricky =
    "电线私拉乱接 \"充电\" \\ 路径\n第二行\t\r\b\f\x01\x0b\x1f\x7f 😀 / </script> \xe2\x80\xa8";

TEST(InspectionText, SameBytesAsTheSerialisedInspection) {
  auto i = sample();
  expect_same(i);  // no items
  i.note = "楼道堆物，已劝离。";
  i.items = {{"corridor_clutter", "ok", "", {}}};
  expect_same(i);
  i.note = kTricky;
  i.round_id = "round-\"1\"";
  i.position = std::nullopt;
  i.items = {{"corridor_clutter", "ok", "", {}},
             {"flying_wire_charging", "hazard", kTricky, {std::string(64, 'a'), "b"}},
             {"fire_exit_blocked", "not_applicable", "", {std::string(64, 'c')}},
             {"extinguisher_missing", "ok", "备注", {}},
             {kTricky, kTricky, "", {kTricky}}};
  expect_same(i);
  i.id = kTricky;
  i.op_id = std::string("\0nul", 4);
  i.user_id = "\x1f";
  i.observed_at = "\\";
  i.template_version = -9'007'199'254'740'993;
  i.org_unit_id = 9'007'199'254'740'993;
  i.observed_ms = -1;
  i.received_ms = 0;
  expect_same(i);
  for (double d : {0.0, -0.0, 1e-7, -0.5, 1.5e300, 28.85 + 17 * 1e-5, 121.14, 0.1 + 0.2, 8.0}) {
    i.position = GeoPoint{d, -d, d};
    expect_same(i);
    i.position = GeoPoint{d, d, std::nullopt};
    expect_same(i);
  }
}

// items_json() writes its text directly; it must be byte for byte what
// Boost.JSON serialises for the same items (what it wrote before, and the
// form inspection_text splices without parsing).
std::string items_as_boost_json(const std::vector<InspectionItem>& items) {
  boost::json::array a;
  for (const auto& it : items) {
    boost::json::object o{{"code", it.code}, {"result", it.result}};
    if (!it.note.empty()) o["note"] = it.note;
    if (!it.photos.empty()) {
      boost::json::array p;
      for (const auto& h : it.photos) p.emplace_back(h);
      o["photos"] = std::move(p);
    }
    a.push_back(std::move(o));
  }
  return boost::json::serialize(a);
}

TEST(InspectionText, ItemsJsonIsWhatBoostJsonSerialises) {
  std::vector<std::vector<InspectionItem>> cases = {
      {},
      {{"corridor_clutter", "ok", "", {}}},
      {{"corridor_clutter", "ok", "", {}},
       {"flying_wire_charging", "hazard", kTricky, {std::string(64, 'a'), "b"}},
       {"fire_exit_blocked", "not_applicable", "", {std::string(64, 'c')}},
       {"extinguisher_missing", "ok", "备注", {}},
       {kTricky, kTricky, "", {kTricky, ""}}},
  };
  std::string every_byte;
  for (int ch = 0; ch < 256; ++ch) every_byte += static_cast<char>(ch);
  // Not valid UTF-8 (the decoder never lets that through); the escaping must still match.
  cases.push_back({{"x", "ok", every_byte, {every_byte}}});
  for (int ch = 0; ch < 128; ++ch)
    cases.push_back({{std::string(1, static_cast<char>(ch)),
                      "ok",
                      "a" + std::string(1, static_cast<char>(ch)) + "b",
                      {}}});
  for (const auto& items : cases) EXPECT_EQ(items_json(items), items_as_boost_json(items));
}

// The reserved room holds the text and a live event's envelope (~72 bytes),
// so neither reallocates, for a typical report (six items, a note).
TEST(InspectionText, ReservedRoomHoldsTextAndEnvelope) {
  auto i = sample();
  i.round_id = "0190f3c1-7a2b-7c3d-8e4f-5a6b7c8d9e11";
  i.note = "楼道堆物，已劝离。";
  i.position = GeoPoint{-28.851234567891, -121.14123456789, 12.345678901};
  i.org_unit_id = 9'007'199'254'740'993;
  for (const char* code : {"a", "corridor_clutter", "flying_wire_charging", "b", "c", "d"})
    i.items.push_back({code, "ok", "", {}});
  const std::string stored = items_json(i.items);
  InspectionColumns c;
  c.id = i.id;
  c.op_id = i.op_id;
  c.site_id = i.site_id;
  c.org_unit_id = i.org_unit_id;
  c.user_id = i.user_id;
  c.device_id = i.device_id;
  c.template_id = i.template_id;
  c.template_version = i.template_version;
  c.round_id = *i.round_id;
  c.observed_at = i.observed_at;
  c.position = i.position;
  c.note = i.note;
  c.items = stored;
  std::string out;
  append_inspection_json(out, c);
  EXPECT_LE(out.size() + 72, inspection_json_size(c)) << out;
}

// The two times (format_ms() before) over the years 0000-9999 and beyond.
TEST(InspectionText, TimesAreFormattedAsBefore) {
  auto i = sample();
  std::mt19937_64 rng(9);
  std::vector<Ms> times = {0,
                           -1,
                           1,
                           999,
                           1000,
                           86'399'999,
                           86'400'000,
                           951'782'400'000,    // 2000-02-29
                           1'709'164'800'123,  // 2024-02-29
                           -62'167'219'200'000,
                           -62'167'219'200'001,
                           253'402'300'799'999,
                           253'402'300'800'000,
                           -86'400'000'000'000'000};
  for (int k = 0; k < 10000; ++k)
    times.push_back(static_cast<Ms>(rng() % 400'000'000'000'000) - 100'000'000'000'000);
  for (std::size_t k = 0; k + 1 < times.size(); ++k) {
    i.observed_ms = times[k];
    i.received_ms = times[k + 1];
    expect_same(i);
    if (HasFailure()) break;
  }
}

// Random text: every character class the serializer treats differently.
TEST(InspectionText, RandomTextIsTheSame) {
  std::mt19937 rng(9);
  const std::vector<std::string> pieces = {
      "a",  "Z",    " ",    "\"",   "\\",   "/",       "\n",       "\t", "\r",           "\b",
      "\f", "\x01", "\x0b", "\x1f", "\x7f", "é",       "电",       "😀",  "\xe2\x80\xa8", "{",
      "}",  "[",    "]",    ",",    ":",    "\\u0041", "\"note\":"};
  auto text = [&] {
    std::string s;
    const int len = static_cast<int>(rng() % (rng() % 4 == 0 ? 60 : 12));
    for (int n = len; n > 0; --n) s += pieces[rng() % pieces.size()];
    return s;
  };
  for (int round = 0; round < 3000; ++round) {
    auto i = sample();
    i.note = text();
    i.id = text();
    if (rng() % 2) i.round_id = text();
    for (int n = static_cast<int>(rng() % 5); n > 0; --n) {
      InspectionItem it{text(), text(), rng() % 2 ? text() : "", {}};
      for (int p = static_cast<int>(rng() % 3); p > 0; --p) it.photos.push_back(text());
      i.items.push_back(std::move(it));
    }
    expect_same(i);
    if (HasFailure()) break;
  }
}

// A column items_json() did not write (spaces, other escapes, other member
// order, empty members present): the same text as parsing it gives.
TEST(InspectionText, ItemsInAnotherFormAreParsed) {
  const auto i = sample();
  const struct {
    const char* stored;
    bool spliced;  // already in the serializer's own form
  } cases[] = {
      {R"([])", true},
      {R"( [ ] )", false},
      {R"([{"code": "a", "result": "ok"}])", false},
      {R"([{"result":"ok","code":"a"}])", false},
      {R"([{"code":"a","result":"ok","note":"","photos":[]}])", true},
      {R"([{"code":"a","result":"ok","photos":["x"],"note":"n"}])", false},
      {R"([{"code":"\u00e9\u0041","result":"\/ok"}])", false},
      {R"([{"code":"\u001F","result":"\u000a"}])", false},
      {R"([{"code":"\u001f","result":"\u000b\n"}])", true},
      {R"([{"code":"\ud83d\ude00","result":"ok"}])", false},
      {R"([{"code":"a","result":"ok","extra":1}])", false},
      {R"([{"code":"a","result":"ok"},{"code":"b","result":"hazard","note":"x","photos":["p","q"]}])",
       true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(new_text(i, c.stored), old_text(i, c.stored)) << c.stored;
    std::string items;
    EXPECT_EQ(append_wire_items(items, c.stored), c.spliced) << c.stored;
  }
}

TEST(InspectionText, ItemsThatAreNotJsonThrowAsBefore) {
  const auto i = sample();
  // Not UTF-8 (a cut sequence, an overlong form, a surrogate), also inside
  // runs long enough for the 16-byte scans and across their boundary.
  for (const char* stored :
       {"[{\"code\":\"aaaaaaaaaaaaaaaaaaaa\xe7\x94\",\"result\":\"ok\"}]",
        "[{\"code\":\"aaaaaaaaaaaaaaa\xc0\xaf"
        "aaaaaaaaaaaaaaaaaaaa\",\"result\":\"ok\"}]",
        "[{\"code\":\"a\",\"result\":\"ok\",\"note\":\"电线私拉乱接电线私拉乱接\xed\xa0\x80\"}]",
        "[{\"code\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xf4\x90\x80\x80\",\"result\":\"ok\"}]"}) {
    EXPECT_ANY_THROW(old_text(i, stored)) << stored;
    EXPECT_ANY_THROW(new_text(i, stored)) << stored;
  }
  for (const char* stored : {"", "[", R"([{"code":"a","result":"ok"})", "[{\"code\":\"\xff\"}]",
                             R"([{"code":1,"result":"ok"}])", R"({"code":"a"})"}) {
    EXPECT_ANY_THROW(old_text(i, stored)) << stored;
    EXPECT_ANY_THROW(new_text(i, stored)) << stored;
  }
}

TEST(InspectionText, StringsAreEscapedAsTheSerializer) {
  for (int c = 0; c < 256; ++c) {
    const std::string s = "x" + std::string(1, static_cast<char>(c)) + "y";
    if (c >= 0x80) continue;  // a lone byte above 0x7f is not UTF-8 (never stored)
    std::string out;
    append_json_string(out, s);
    EXPECT_EQ(out, boost::json::serialize(boost::json::string_view(s))) << c;
  }
}

}  // namespace
}  // namespace patrol::store
