// The route handlers: plain functions from a request context to a response.
// They throw ApiError for every expected failure; handle() catches it.
#pragma once

#include "api/context.hpp"

namespace patrol::api::handlers {

Response login(Ctx& c);   // POST /api/v1/auth/login
Response logout(Ctx& c);  // POST /api/v1/auth/logout
Response me(Ctx& c);      // GET  /api/v1/me
Response push(Ctx& c);    // POST /api/v1/sync/push
// push without waiting for the commit: parses, validates and queues the ops
// on the store's writer, then returns. `then` gets the answer once, from the
// writer thread after the commit (or at once when nothing needs writing);
// the Answer may throw ApiError (e.g. 503 when the commit failed). Throws
// ApiError itself only before anything is queued (then is not called).
void push_async(Ctx& c, const std::function<void(Answer)>& then);
// push_async on an I/O thread: validates from the site and template caches
// only (never a store read, never a blocking wait). Returns false, having
// done nothing, when an op needs a store read (a cache miss, a round or
// hazard op): the caller runs push_async on the worker pool instead.
// Otherwise calls admit() (the rate limit: it may throw ApiError 429) before
// answering or queueing, then throws ApiError or queues as push_async.
bool push_async_nonblocking(Ctx& c, const std::function<void()>& admit,
                            const std::function<void(Answer)>& then);
Response pull(Ctx& c);                    // GET  /api/v1/sync/pull
Response list_sites(Ctx& c);              // GET  /api/v1/sites
Response get_site(Ctx& c);                // GET  /api/v1/sites/{id}
Response create_site(Ctx& c);             // POST   /api/v1/sites
Response put_site(Ctx& c);                // PUT    /api/v1/sites/{id}
Response delete_site(Ctx& c);             // DELETE /api/v1/sites/{id}
Response list_teams(Ctx& c);              // GET    /api/v1/teams
Response create_team(Ctx& c);             // POST   /api/v1/teams
Response get_team(Ctx& c);                // GET    /api/v1/teams/{id}
Response put_team(Ctx& c);                // PUT    /api/v1/teams/{id}
Response delete_team(Ctx& c);             // DELETE /api/v1/teams/{id}
Response list_inspections(Ctx& c);        // GET  /api/v1/inspections
Response list_hazards(Ctx& c);            // GET  /api/v1/hazards
Response latest_positions(Ctx& c);        // GET  /api/v1/positions/latest
Response user_track(Ctx& c);              // GET  /api/v1/users/{id}/track
Response list_alerts(Ctx& c);             // GET  /api/v1/alerts
Response acknowledge_sos(Ctx& c);         // POST /api/v1/sos/{id}/ack
Response head_attachment(Ctx& c);         // HEAD /api/v1/attachments/{sha256}
Response put_attachment(Ctx& c);          // PUT  /api/v1/attachments/{sha256}
Response get_attachment(Ctx& c);          // GET  /api/v1/attachments/{sha256}
Response live(Ctx& c);                    // GET  /api/v1/live without an upgrade
Response list_schedules(Ctx& c);          // GET    /api/v1/schedules
Response create_schedule(Ctx& c);         // POST   /api/v1/schedules
Response get_schedule(Ctx& c);            // GET    /api/v1/schedules/{id}
Response put_schedule(Ctx& c);            // PUT    /api/v1/schedules/{id}
Response delete_schedule(Ctx& c);         // DELETE /api/v1/schedules/{id}
Response list_rounds(Ctx& c);             // GET    /api/v1/rounds
Response get_round(Ctx& c);               // GET    /api/v1/rounds/{id}
Response get_hazard(Ctx& c);              // GET    /api/v1/hazards/{id}
Response transition_hazard(Ctx& c);       // POST   /api/v1/hazards/{id}/transitions
Response list_users(Ctx& c);              // GET    /api/v1/users
Response create_user(Ctx& c);             // POST   /api/v1/users
Response get_user(Ctx& c);                // GET    /api/v1/users/{id}
Response put_user(Ctx& c);                // PUT    /api/v1/users/{id}
Response delete_user(Ctx& c);             // DELETE /api/v1/users/{id}
Response overview(Ctx& c);                // GET    /api/v1/overview
Response export_inspections_csv(Ctx& c);  // GET /api/v1/exports/inspections.csv
Response export_hazards_csv(Ctx& c);      // GET /api/v1/exports/hazards.csv
Response export_sites_geojson(Ctx& c);    // GET /api/v1/exports/sites.geojson
Response export_hazards_geojson(Ctx& c);  // GET /api/v1/exports/hazards.geojson
Response export_round_gpx(Ctx& c);        // GET /api/v1/rounds/{id}/track.gpx
Response list_audit(Ctx& c);              // GET    /api/v1/audit
Response export_user(Ctx& c);             // GET    /api/v1/users/{id}/export
Response erase_user(Ctx& c);              // POST   /api/v1/users/{id}/erase
Response register_tracker(Ctx& c);        // POST /api/v1/trackers
Response osmand(Ctx& c);                  // GET|POST /osmand (Traccar Client / OsmAnd protocol)
Response dashboard_config(Ctx& c);        // GET  /config.json (the dashboard's base map)
Response healthz(Ctx& c);                 // GET  /healthz
Response metrics(Ctx& c);                 // GET  /metrics
Response static_file(Ctx& c);             // GET/HEAD everything outside /api/

}  // namespace patrol::api::handlers
