#include "api/audit.hpp"

#include <boost/json/serialize.hpp>
#include <chrono>

namespace patrol::api {

std::string address_of(std::string_view remote) {
  if (!remote.empty() && remote.front() == '[') {
    auto close = remote.find(']');
    if (close != std::string_view::npos) return std::string(remote.substr(1, close - 1));
  }
  auto colon = remote.rfind(':');
  // One colon: IPv4 with a port. More than one without brackets: a bare IPv6.
  if (colon != std::string_view::npos && remote.find(':') == colon)
    return std::string(remote.substr(0, colon));
  return std::string(remote);
}

store::AuditEntry audit_entry(const domain::Principal& who, const Request& req, std::string action,
                              std::string object_type, std::string object_id, std::string org_path,
                              const boost::json::object& details, std::string_view device) {
  store::AuditEntry e;
  e.at = std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count();
  e.actor_id = who.user_id;
  e.actor_role = who.role;
  e.action = std::move(action);
  e.object_type = std::move(object_type);
  e.object_id = std::move(object_id);
  e.org_path = std::move(org_path);
  e.device_id = device.empty() ? who.device_id : std::string(device);
  e.address = address_of(req.remote);
  e.details = boost::json::serialize(details);
  return e;
}

}  // namespace patrol::api
