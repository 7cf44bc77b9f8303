// Our own request/response types: what the net layer hands to the API and
// gets back. Handlers see only these, never Beast types, so they compile in
// well under a second and are tested as plain functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace patrol::api {

struct AuthCache;  // api.hpp

struct Request {
  std::string method;  // upper case: GET, POST, PUT, HEAD, DELETE
  std::string target;  // as received, e.g. "/api/v1/sites?limit=10"
  std::string path;    // percent-decoded path without the query
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string body;
  std::string remote;      // "127.0.0.1:53412"
  std::string request_id;  // set by the net layer, echoed in logs
  // The connection's memory of its last token check (api.hpp AuthCache), or
  // null. Owned by the net layer's connection, which serves one request at a
  // time, so only the API call serving this request touches it.
  AuthCache* auth_cache = nullptr;

  // First header with this lower-case name, if any.
  std::optional<std::string_view> header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return std::string_view(v);
    return std::nullopt;
  }
  std::optional<std::string_view> query_param(std::string_view name) const {
    for (const auto& [k, v] : query)
      if (k == name) return std::string_view(v);
    return std::nullopt;
  }
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // Filled by the API for the access log: the authenticated user, if any.
  std::string user_id;
  // The route pattern for metrics labels, e.g. "/api/v1/sites/{id}".
  std::string route;
};

}  // namespace patrol::api
