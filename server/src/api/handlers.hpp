// The route handlers: plain functions from a request context to a response.
// They throw ApiError for every expected failure; handle() catches it.
#pragma once

#include "api/context.hpp"

namespace patrol::api::handlers {

Response login(Ctx& c);             // POST /api/v1/auth/login
Response logout(Ctx& c);            // POST /api/v1/auth/logout
Response me(Ctx& c);                // GET  /api/v1/me
Response push(Ctx& c);              // POST /api/v1/sync/push
Response pull(Ctx& c);              // GET  /api/v1/sync/pull
Response list_sites(Ctx& c);        // GET  /api/v1/sites
Response get_site(Ctx& c);          // GET  /api/v1/sites/{id}
Response list_inspections(Ctx& c);  // GET  /api/v1/inspections
Response list_hazards(Ctx& c);      // GET  /api/v1/hazards
Response latest_positions(Ctx& c);  // GET  /api/v1/positions/latest
Response user_track(Ctx& c);        // GET  /api/v1/users/{id}/track
Response list_alerts(Ctx& c);       // GET  /api/v1/alerts
Response head_attachment(Ctx& c);   // HEAD /api/v1/attachments/{sha256}
Response put_attachment(Ctx& c);    // PUT  /api/v1/attachments/{sha256}
Response get_attachment(Ctx& c);    // GET  /api/v1/attachments/{sha256}
Response live(Ctx& c);              // GET  /api/v1/live without an upgrade
Response register_tracker(Ctx& c);  // POST /api/v1/trackers
Response osmand(Ctx& c);            // GET|POST /osmand (Traccar Client / OsmAnd protocol)
Response dashboard_config(Ctx& c);  // GET  /config.json (the dashboard's base map)
Response healthz(Ctx& c);           // GET  /healthz
Response metrics(Ctx& c);           // GET  /metrics
Response static_file(Ctx& c);       // GET/HEAD everything outside /api/

}  // namespace patrol::api::handlers
