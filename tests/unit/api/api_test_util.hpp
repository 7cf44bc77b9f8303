// Test helpers: a real Api on a real SQLite file in a temp dir, seeded with
// the demo, driven through Api::handle with hand-built Requests.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "api/api.hpp"
#include "metrics/metrics.hpp"

namespace patrol::api::test {

namespace json = boost::json;

inline std::filesystem::path make_temp_dir(const std::string& tag) {
  std::random_device rd;
  auto p = std::filesystem::temp_directory_path() /
           ("patrol-" + tag + "-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(p);
  return p;
}

inline std::string pct_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

inline Request make_request(std::string method, std::string target, std::string body = {},
                            std::string token = {}) {
  Request r;
  r.method = std::move(method);
  r.target = target;
  auto q = target.find('?');
  r.path = pct_decode(target.substr(0, q));
  if (q != std::string::npos) {
    std::string_view qs(target);
    qs.remove_prefix(q + 1);
    while (!qs.empty()) {
      auto amp = qs.find('&');
      auto kv = qs.substr(0, amp);
      auto eq = kv.find('=');
      r.query.emplace_back(pct_decode(kv.substr(0, eq)),
                           eq == std::string_view::npos ? "" : pct_decode(kv.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      qs.remove_prefix(amp + 1);
    }
  }
  if (!body.empty()) r.headers.emplace_back("content-type", "application/json");
  if (!token.empty()) r.headers.emplace_back("authorization", "Bearer " + token);
  r.body = std::move(body);
  r.remote = "127.0.0.1:1";
  return r;
}

// Cheap scrypt (N=2^10) for the seeded demo users: every test logs in several
// times and the default cost (2^15, tens of ms, slower under ASan) would make
// the suite slow without testing anything more.
class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override { open_api(); }
  void TearDown() override {
    if (api_) api_->shutdown();
    api_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void open_api() {
    if (dir_.empty()) dir_ = make_temp_dir("api");
    ApiConfig cfg;
    cfg.data_dir = dir_;
    cfg.web_root = dir_ / "web";
    cfg.demo = true;
    cfg.scrypt_log2_n = 10;
    cfg.max_batch_ops = 500;
    cfg.max_failed_logins_per_minute = 5;
    customize(cfg);
    auto a = Api::open(cfg, metrics_);
    ASSERT_TRUE(a) << a.error().message();
    api_ = std::move(*a);
  }
  virtual void customize(ApiConfig&) {}

  Response call(const std::string& method, const std::string& target, const std::string& body = {},
                const std::string& token = {}) {
    return api_->handle(make_request(method, target, body, token));
  }
  json::value call_json(const std::string& method, const std::string& target,
                        const std::string& body, const std::string& token, unsigned want) {
    auto r = call(method, target, body, token);
    EXPECT_EQ(r.status, want) << method << " " << target << " -> " << r.body;
    if (r.body.empty()) return nullptr;
    return json::parse(r.body);
  }
  json::value get(const std::string& target, const std::string& token, unsigned want = 200) {
    return call_json("GET", target, "", token, want);
  }

  std::string login(const std::string& phone, const std::string& password = "patrol-demo") {
    auto it = tokens_.find(phone);
    if (it != tokens_.end() && password == "patrol-demo") return it->second;
    json::object body{{"phone", phone}, {"password", password}, {"device_id", "dev-" + phone}};
    auto r = call("POST", "/api/v1/auth/login", json::serialize(body));
    EXPECT_EQ(r.status, 200u) << r.body;
    if (r.status != 200) return {};
    auto v = json::parse(r.body);
    std::string t(v.at("token").as_string());
    tokens_[phone] = t;
    return t;
  }

  std::filesystem::path dir_;
  metrics::Metrics metrics_;
  std::unique_ptr<Api> api_;
  std::map<std::string, std::string> tokens_;
};

}  // namespace patrol::api::test
