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
  // Methods of routes whose path matched (for 405); HEAD wherever GET is.
  std::vector<std::string> allowed;
};

class Router {
 public:
  void add(Route r) { routes_.push_back(std::move(r)); }
  // The route for method + path; a HEAD request without a HEAD route gets the
  // path's GET route (the caller must send no body for HEAD).
  Match match(std::string_view method, std::string_view path) const;
  // Every route in the order added (route_table() in api.hpp).
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace patrol::api
