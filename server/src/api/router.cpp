#include "api/router.hpp"

#include <algorithm>

namespace patrol::api {
namespace {

std::vector<std::string_view> segments(std::string_view p) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < p.size()) {
    if (p[i] == '/') {
      ++i;
      continue;
    }
    auto j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    out.push_back(p.substr(i, j - i));
    i = j;
  }
  return out;
}

bool match_path(std::string_view pattern, std::string_view path,
                std::vector<std::pair<std::string, std::string>>& params) {
  auto ps = segments(pattern);
  auto xs = segments(path);
  if (ps.size() != xs.size()) return false;
  if (!path.empty() && path.back() == '/' && path.size() > 1) return false;
  std::vector<std::pair<std::string, std::string>> found;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (ps[i].size() > 2 && ps[i].front() == '{' && ps[i].back() == '}') {
      if (xs[i].empty()) return false;
      found.emplace_back(std::string(ps[i].substr(1, ps[i].size() - 2)), std::string(xs[i]));
    } else if (ps[i] != xs[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

}  // namespace

Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  // HEAD is answered wherever GET is (RFC 9110 §9.3.2): a GET route serves it
  // unless the path has a HEAD route of its own; the net layer sends no body.
  const Route* get_for_head = nullptr;
  std::vector<std::pair<std::string, std::string>> get_params;
  auto allow = [&m](std::string_view x) {
    if (std::find(m.allowed.begin(), m.allowed.end(), x) == m.allowed.end())
      m.allowed.emplace_back(x);
  };
  for (const auto& r : routes_) {
    std::vector<std::pair<std::string, std::string>> params;
    if (!match_path(r.pattern, path, params)) continue;
    if (r.method == method) {
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
    if (method == "HEAD" && r.method == "GET" && get_for_head == nullptr) {
      get_for_head = &r;
      get_params = std::move(params);
    }
    allow(r.method);
    if (r.method == "GET") allow("HEAD");
  }
  if (get_for_head != nullptr) {
    m.route = get_for_head;
    m.params = std::move(get_params);
  }
  return m;
}

}  // namespace patrol::api
