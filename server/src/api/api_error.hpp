// The one exception API handlers throw. handle() turns it into the JSON error
// body {"error":{"code","field","message"}} with `status` at a single
// boundary; nothing else crosses that boundary.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace patrol::api {

struct ApiError : std::runtime_error {
  ApiError(unsigned status, std::string code, std::string field, std::string message,
           std::vector<std::pair<std::string, std::string>> headers = {})
      : std::runtime_error(message),
        status(status),
        code(std::move(code)),
        field(std::move(field)),
        message(std::move(message)),
        headers(std::move(headers)) {}
  unsigned status;
  std::string code;
  std::string field;
  std::string message;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Retry-After
};

}  // namespace patrol::api
