// A tiny router: patterns like "/api/v1/users/{id}/track" matched segment by
// segment. Tells "no such path" (404) from "path exists, wrong method" (405).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/context.hpp"

namespace patrol::api {

using Handler = Response (*)(Ctx&);

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  bool needs_auth = true;
};

struct Match {
  const Route* route = nullptr;  // null when no route matched
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> allowed;  // methods of routes whose path matched (for 405)
};

class Router {
 public:
  void add(Route r) { routes_.push_back(std::move(r)); }
  Match match(std::string_view method, std::string_view path) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace patrol::api
