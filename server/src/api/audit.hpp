// Building audit log entries (store/audit_store.hpp) from a request: who
// (the caller's id and role), from which device and address, when. Handlers
// fill in what and which object; the entry goes into the action's own write
// where the store allows it (UserWrite::audit, HazardChange::audit,
// UserErasure::audit), else through AuditStore::append_audit after it.
//
// Thread safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "api/http_types.hpp"
#include "domain/principal.hpp"
#include "store/audit_store.hpp"

namespace patrol::api {

// "127.0.0.1:53412" → "127.0.0.1"; "[::1]:443" → "::1"; anything else as is.
std::string address_of(std::string_view remote);

// An entry for `who` acting through `req` now; `device` overrides the
// session's device (a push names its own).
store::AuditEntry audit_entry(const domain::Principal& who, const Request& req, std::string action,
                              std::string object_type, std::string object_id, std::string org_path,
                              const boost::json::object& details = {},
                              std::string_view device = {});

}  // namespace patrol::api
