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
  for (const auto& r : routes_) {
    std::vector<std::pair<std::string, std::string>> params;
    if (!match_path(r.pattern, path, params)) continue;
    if (r.method == method) {
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
    if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end())
      m.allowed.push_back(r.method);
  }
  return m;
}

}  // namespace patrol::api
