/* patrol.h — the C API of the Patrol client SDK, for JNI and Swift wrappers.
 *
 * Conventions (every function):
 *  - never throws, never aborts on bad input (NULL included); returns bool
 *    (true = success) or a handle (NULL = failure);
 *  - takes an optional `patrol_error* err` last (NULL: not reported), filled
 *    only on failure with a code (PATROL_ERR_*), a message (UTF-8, cut between
 *    characters) and whether retrying later may help (`retryable`);
 *  - strings are NUL-terminated UTF-8; inputs (strings, structs, arrays) are
 *    read during the call only and copied: the caller keeps ownership and may
 *    free them when the call returns; strings the SDK hands out (char**) are
 *    owned by the caller and freed with patrol_string_free; structs the SDK
 *    fills live in the caller's memory;
 *  - enums are fixed-width integers (int32_t) so the ABI is stable.
 *
 * Binary compatibility: every struct the app fills, or passes in to be
 * filled, starts with `uint32_t struct_size`, which the app sets to
 * sizeof(the struct) as its header declares it (the patrol_*_init helpers do
 * so). A newer library reads, and writes, only that many bytes: fields an
 * older app does not know are taken as zero (their documented defaults) and
 * never written. Arrays of such structs are walked with the app's element
 * size (every element carries the same struct_size). New fields are only
 * ever appended. patrol_error alone is frozen (it never grows), so that an
 * app need not prepare it before every call.
 *
 * Thread safety: a patrol_client may be used from any thread concurrently
 * (calls are serialised inside where they must be). Blocking calls (login,
 * logout, sync) perform network exchanges: not on a UI thread. The event
 * callback and a custom transport run on SDK threads (the sync thread, or the
 * thread calling login/sync); the callback must return quickly and must not
 * call patrol_client_close or patrol_client_sync on the same client.
 */
#ifndef PATROL_PATROL_H
#define PATROL_PATROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#if defined(PATROL_BUILDING_LIBRARY)
#define PATROL_API __declspec(dllexport)
#else
#define PATROL_API
#endif
#else
#define PATROL_API __attribute__((visibility("default")))
#endif

/* Seen from C++, every function is noexcept: no exception ever crosses. */
#ifdef __cplusplus
#define PATROL_NOEXCEPT noexcept
#else
#define PATROL_NOEXCEPT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---- */

typedef int32_t patrol_error_code;
enum {
  PATROL_OK = 0,
  PATROL_ERR_INVALID_ARGUMENT = 1,
  PATROL_ERR_NOT_FOUND = 2,
  PATROL_ERR_NOT_LOGGED_IN = 3, /* log in (again); the outbox is kept */
  PATROL_ERR_AUTH_FAILED = 4,   /* wrong phone or password */
  PATROL_ERR_NETWORK = 5,
  PATROL_ERR_SERVER = 6,
  PATROL_ERR_PROTOCOL = 7, /* the server's answer was unusable */
  PATROL_ERR_STORAGE = 8,
  PATROL_ERR_OFFLINE = 9,
  PATROL_ERR_REJECTED = 10,
  PATROL_ERR_INTERNAL = 11
};

typedef struct patrol_error {
  patrol_error_code code;
  bool retryable;
  char message[512]; /* UTF-8, NUL-terminated, truncated if longer */
} patrol_error;

/* ---- values ---- */

typedef int32_t patrol_item_result;
enum { PATROL_ITEM_OK = 0, PATROL_ITEM_HAZARD = 1, PATROL_ITEM_NOT_APPLICABLE = 2 };

typedef int32_t patrol_receipt_state;
enum { PATROL_RECEIPT_SAVED = 0, PATROL_RECEIPT_RECEIVED = 1, PATROL_RECEIPT_REJECTED = 2 };

typedef int32_t patrol_event_type;
enum {
  PATROL_EVENT_SYNC_STARTED = 1,
  PATROL_EVENT_SYNC_FINISHED = 2,
  PATROL_EVENT_SYNC_FAILED = 3,
  PATROL_EVENT_OP_REJECTED = 4,
  PATROL_EVENT_REFERENCE_DATA_CHANGED = 5,
  PATROL_EVENT_LOGIN_REQUIRED = 6,
  PATROL_EVENT_PHOTO_UPLOADED = 7,
  PATROL_EVENT_REPORT_RECEIVED = 8
};

typedef struct patrol_position {
  uint32_t struct_size; /* sizeof(patrol_position) */
  double lat;           /* WGS84 degrees unless gcj02 */
  double lon;
  double accuracy_m; /* < 0: unknown (0 = exact) */
  bool gcj02;        /* coordinates are GCJ-02 (Chinese map SDKs); the server converts */
} patrol_position;

/* An element of the array passed to patrol_client_enqueue_positions; every
 * element's struct_size is sizeof(patrol_track_point). */
typedef struct patrol_track_point {
  uint32_t struct_size; /* sizeof(patrol_track_point) */
  int64_t time_ms;      /* Unix epoch milliseconds (device clock) */
  double lat;
  double lon;
  double accuracy_m; /* < 0: unknown */
} patrol_track_point;

/* An element of patrol_inspection.items; every element's struct_size is
 * sizeof(patrol_inspection_item). */
typedef struct patrol_inspection_item {
  uint32_t struct_size; /* sizeof(patrol_inspection_item) */
  const char* code;     /* template item code */
  patrol_item_result result;
  const char* note;          /* may be NULL */
  const char* const* photos; /* sha256 hex strings from patrol_client_attach_photo */
  size_t photo_count;
} patrol_inspection_item;

typedef struct patrol_inspection {
  uint32_t struct_size; /* sizeof(patrol_inspection) */
  const char* site_id;
  const char* template_id;         /* NULL: the site's cached template */
  int64_t template_version;        /* <= 0: the cached template's version */
  const char* round_id;            /* may be NULL */
  int64_t observed_at_ms;          /* <= 0: now */
  const patrol_position* position; /* may be NULL */
  const patrol_inspection_item* items;
  size_t item_count;
  const char* note; /* may be NULL */
} patrol_inspection;

/* A receipt: "saved on phone" -> "received by server" (server time). Filled
 * by the SDK in the app's memory: set struct_size first (the SDK writes that
 * many bytes at most). */
typedef struct patrol_receipt {
  uint32_t struct_size; /* sizeof(patrol_receipt), set by the app */
  char report_id[40];
  char op_id[40];
  patrol_receipt_state state;
  int64_t local_seq;
  char saved_at[40];    /* RFC 3339, device time */
  char received_at[40]; /* RFC 3339, server time; "" until received */
} patrol_receipt;

typedef struct patrol_status {
  uint32_t struct_size; /* set by the app to sizeof(patrol_status) before the call */
  int64_t pending;
  int64_t in_flight;
  int64_t dead_letters;
  int64_t photos_pending;
  bool online;
  bool logged_in;
  bool login_required;
  bool has_clock_offset;
  int64_t clock_offset_ms; /* server minus device */
  char last_sync_at[40];   /* RFC 3339 or "" if never */
} patrol_status;

/* Passed to the callback (SDK memory, struct_size = the library's size: read
 * only fields below it) or filled by patrol_client_poll_event (the app's
 * memory: set struct_size first). */
typedef struct patrol_event {
  uint32_t struct_size;
  patrol_event_type type;
  bool retryable;
  int64_t count;
  char op_id[72];    /* op/report id, or a photo's sha256 */
  char code[64];     /* machine-readable reason */
  char message[512]; /* human readable */
} patrol_event;

typedef void (*patrol_event_fn)(void* user, const patrol_event* ev);

/* A custom transport (the platform's HTTP stack). `send` performs one HTTPS
 * exchange, blocking until the answer or req->timeout_ms: fill the response
 * with patrol_http_response_set_* and return true (any HTTP status), or
 * return false with err filled (code PATROL_ERR_NETWORK, retryable; false
 * retryable for a certificate that does not verify) when no answer came.
 * Called from one SDK thread at a time (the sync thread, or the thread in
 * login/logout/sync), never concurrently; `req` and its strings are valid
 * during the call only. `user` is passed back untouched. */
typedef struct patrol_http_response patrol_http_response;
typedef struct patrol_http_request {
  uint32_t struct_size; /* set by the SDK: read only fields below it */
  const char* method;
  const char* target; /* origin-relative path and query */
  const char* const* header_names;
  const char* const* header_values;
  size_t header_count;
  const uint8_t* body;
  size_t body_len;
  int64_t timeout_ms;
} patrol_http_request;
typedef struct patrol_transport {
  uint32_t struct_size; /* sizeof(patrol_transport) */
  void* user;
  bool (*send)(void* user, const patrol_http_request* req, patrol_http_response* resp,
               patrol_error* err);
} patrol_transport;

/* For a custom transport's `send`, during that call only (on its thread):
 * the answer's status, headers (any number, copied) and body (copied; NULL
 * data = empty). A NULL response or name is ignored; no errors. */
PATROL_API void patrol_http_response_set_status(patrol_http_response* r,
                                                uint32_t status) PATROL_NOEXCEPT;
PATROL_API void patrol_http_response_add_header(patrol_http_response* r, const char* name,
                                                const char* value) PATROL_NOEXCEPT;
PATROL_API void patrol_http_response_set_body(patrol_http_response* r, const uint8_t* data,
                                              size_t len) PATROL_NOEXCEPT;

typedef struct patrol_options {
  uint32_t struct_size;              /* set by patrol_options_init */
  const char* data_dir;              /* required */
  const char* server_url;            /* "https://host:port" */
  bool insecure;                     /* accept a self-signed certificate (demo only) */
  const char* spki_sha256_pin;       /* may be NULL: base64 or hex SHA-256 of the server key */
  bool background_sync;              /* run the sync engine thread */
  const patrol_transport* transport; /* NULL: the built-in Beast/OpenSSL transport */
  int64_t backoff_initial_ms;        /* <= 0: default 500 */
  int64_t backoff_max_ms;            /* <= 0: default 60000 */
} patrol_options;

typedef struct patrol_client patrol_client;

/* Fills `o` with defaults (background_sync = true) and its struct_size, the
 * size the app was compiled with: call patrol_options_init, which passes it.
 * A NULL `o` or a size below 4 is ignored. Any thread. */
PATROL_API void patrol_options_init_sized(patrol_options* o, uint32_t struct_size) PATROL_NOEXCEPT;
static inline void patrol_options_init(patrol_options* o) {
  patrol_options_init_sized(o, (uint32_t)sizeof *o);
}

/* Opens the device database in o->data_dir (created if needed; the app's
 * private files dir) and, with background_sync, starts the sync thread.
 * Returns a handle the caller owns and frees with patrol_client_close, or
 * NULL: INVALID_ARGUMENT (struct_size unset, no data_dir, bad server_url,
 * transport without send), STORAGE (the directory or database cannot be
 * opened, or was written by a newer SDK). Any thread; `o` is read during the
 * call only. */
PATROL_API patrol_client* patrol_client_open(const patrol_options* o,
                                             patrol_error* err) PATROL_NOEXCEPT;
/* Stops the sync thread (cancelling an exchange in progress, ~100 ms) and
 * closes the database; `c` is invalid afterwards. NULL is ignored. Call it
 * once, from any thread but the event callback, after every other call on `c`
 * has returned. */
PATROL_API void patrol_client_close(patrol_client* c) PATROL_NOEXCEPT;

/* Logs in (a blocking network exchange: not on a UI thread) and stores the
 * session; the outbox is kept and sent with it. Errors: AUTH_FAILED (wrong
 * phone or password), NETWORK/SERVER/PROTOCOL (retryable as flagged),
 * INVALID_ARGUMENT (empty phone or password). `password` is not kept. */
PATROL_API bool patrol_client_login(patrol_client* c, const char* phone, const char* password,
                                    patrol_error* err) PATROL_NOEXCEPT;
/* Forgets the session (and tells the server, best effort, when online);
 * queued reports are kept for the next login. Errors: STORAGE. */
PATROL_API bool patrol_client_logout(patrol_client* c, patrol_error* err) PATROL_NOEXCEPT;

/* Writes (enqueue, SOS, positions, photos): local only, no network, a few
 * milliseconds (one fsync); safe from any thread, but better off the UI
 * thread. Errors: INVALID_ARGUMENT (the report could never be accepted: fix
 * it), NOT_FOUND (site/template not cached: pull first), STORAGE. */

/* Durable when it returns true; `out` (may be NULL) gets the receipt. A report
 * saved while online wakes the sync thread at once, even during backoff. */
PATROL_API bool patrol_client_enqueue_inspection(patrol_client* c, const patrol_inspection* in,
                                                 patrol_receipt* out,
                                                 patrol_error* err) PATROL_NOEXCEPT;
/* Durable when it returns true. `pts` is an array of `count` points, each with
 * struct_size set (the SDK steps through it by that size); their order does
 * not matter (sorted by time). `gcj02` says the points are GCJ-02. `out_ops`
 * (may be NULL) = ops enqueued (the newest point rides the urgent lane).
 * Errors: INVALID_ARGUMENT (NULL points, struct_size unset or differing,
 * coordinates out of range), STORAGE. */
PATROL_API bool patrol_client_enqueue_positions(patrol_client* c, const patrol_track_point* pts,
                                                size_t count, bool gcj02, int64_t* out_ops,
                                                patrol_error* err) PATROL_NOEXCEPT;
/* Durable when it returns true; goes first (urgent lane) and is sent at once;
 * while it waits, a failed sync is retried every 250 ms. `position` and `note`
 * may be NULL. `out` (may be NULL) gets the receipt. */
PATROL_API bool patrol_client_raise_sos(patrol_client* c, const patrol_position* position,
                                        const char* note, patrol_receipt* out,
                                        patrol_error* err) PATROL_NOEXCEPT;
/* Copies the file into the SDK store (the app may delete its own file then);
 * `sha256_out` gets 64 hex chars + NUL. The copy is uploaded after the report
 * naming it is sent, and removed from the device once the server has it.
 * Errors: NOT_FOUND/STORAGE (unreadable file, full disk). */
PATROL_API bool patrol_client_attach_photo(patrol_client* c, const char* path, char sha256_out[65],
                                           patrol_error* err) PATROL_NOEXCEPT;

/* Remembered in the device database. true (the OS reports a network): the
 * sync thread starts at once, whatever its backoff; false: nothing is sent
 * until set_online(true) (reports still save). Non-blocking. Errors: STORAGE. */
PATROL_API bool patrol_client_set_online(patrol_client* c, bool online,
                                         patrol_error* err) PATROL_NOEXCEPT;
/* Non-blocking, any thread: asks the sync thread to sync now (push, photos,
 * pull), whatever its backoff. Errors: INVALID_ARGUMENT (NULL client). */
PATROL_API bool patrol_client_sync_now(patrol_client* c, patrol_error* err) PATROL_NOEXCEPT;
/* Blocking full sync in the calling thread (push, photos, pull), serialised
 * with the sync thread; not from the event callback. `pushed` (may be NULL) =
 * ops acknowledged. Errors: OFFLINE, NOT_LOGGED_IN (log in again: nothing is
 * lost), NETWORK/SERVER/PROTOCOL with `retryable` saying whether trying later
 * may help (false: a certificate that does not verify, a server refusing
 * every push — the sync thread then waits for the app's next action). */
PATROL_API bool patrol_client_sync(patrol_client* c, int64_t* pushed,
                                   patrol_error* err) PATROL_NOEXCEPT;

/* Queries read the device database only (never the network), any thread. */
/* The queue, session and sync state, written into `out` (the caller's
 * memory; set out->struct_size first: at most that many bytes are written).
 * Errors: INVALID_ARGUMENT (out NULL or struct_size unset), STORAGE. */
PATROL_API bool patrol_client_status(patrol_client* c, patrol_status* out,
                                     patrol_error* err) PATROL_NOEXCEPT;
/* The receipt of one report (inspection or SOS id) into `out` (struct_size
 * set first). Errors: NOT_FOUND (unknown id), INVALID_ARGUMENT, STORAGE. */
PATROL_API bool patrol_client_receipt(patrol_client* c, const char* report_id, patrol_receipt* out,
                                      patrol_error* err) PATROL_NOEXCEPT;

/* Puts the dead letter with this op id back in the outbox (same op id, end
 * of its lane; its receipt is "saved" again) and wakes the engine. An op the
 * server itself rejected gets the same answer again (the server records
 * outcomes by op id): retry is for ops set aside after repeated failures.
 * Fails with PATROL_ERR_NOT_FOUND when there is none. Any thread. */
PATROL_API bool patrol_client_retry_dead_letter(patrol_client* c, const char* op_id,
                                                patrol_error* err) PATROL_NOEXCEPT;
/* Forgets the dead letter with this op id (its receipt stays "rejected").
 * PATROL_ERR_NOT_FOUND when there is none. Any thread. */
PATROL_API bool patrol_client_dismiss_dead_letter(patrol_client* c, const char* op_id,
                                                  patrol_error* err) PATROL_NOEXCEPT;

/* JSON queries of the cached data (never the network, any thread). On
 * success *out_json is a new NUL-terminated UTF-8 string the caller owns and
 * frees with patrol_string_free; on failure *out_json is left untouched.
 * Errors: INVALID_ARGUMENT (out_json or an id NULL), NOT_FOUND where said,
 * STORAGE. */
/* [{"op_id","type","code","field","message","rejected_at","op":{…}},…] */
PATROL_API bool patrol_client_dead_letters_json(patrol_client* c, char** out_json,
                                                patrol_error* err) PATROL_NOEXCEPT;
/* [site,…] as the server sent them */
PATROL_API bool patrol_client_sites_json(patrol_client* c, char** out_json,
                                         patrol_error* err) PATROL_NOEXCEPT;
/* [round,…] with "site_ids" (route order) added */
PATROL_API bool patrol_client_rounds_json(patrol_client* c, char** out_json,
                                          patrol_error* err) PATROL_NOEXCEPT;
/* the newest receipts first: [{"report_id","op_id","kind","site_id","state":"saved|received|
 * rejected","saved_at","received_at","reason"},…] */
PATROL_API bool patrol_client_receipts_json(patrol_client* c, char** out_json,
                                            patrol_error* err) PATROL_NOEXCEPT;
/* every cached record of one entity kind ("hazard", "team", "org_unit",
 * "schedule", "site", "round", "checklist_template"), as the server sent them */
PATROL_API bool patrol_client_cached_json(patrol_client* c, const char* entity, char** out_json,
                                          patrol_error* err) PATROL_NOEXCEPT;
/* tonight's round, or PATROL_ERR_NOT_FOUND */
PATROL_API bool patrol_client_tonights_round_json(patrol_client* c, char** out_json,
                                                  patrol_error* err) PATROL_NOEXCEPT;
/* the round's sites in route order */
PATROL_API bool patrol_client_round_sites_json(patrol_client* c, const char* round_id,
                                               char** out_json, patrol_error* err) PATROL_NOEXCEPT;
/* the site's checklist template (newest cached version); NOT_FOUND if not cached */
PATROL_API bool patrol_client_template_for_site_json(patrol_client* c, const char* site_id,
                                                     char** out_json,
                                                     patrol_error* err) PATROL_NOEXCEPT;
/* Frees a string the SDK returned (*out_json). NULL is ignored. */
PATROL_API void patrol_string_free(char* s) PATROL_NOEXCEPT;

/* Events: a callback (NULL to remove) and/or polling. The callback runs on
 * the sync thread (or the thread in patrol_client_sync), with `ev` (SDK
 * memory) valid only during the call; it may call queries and poll, not close
 * or sync; `user` is passed back untouched. The newest 1000 events are also
 * queued: poll fills `out` (struct_size set first) and returns false when
 * none is waiting or out is NULL/unsized (no error to report). Both from any
 * thread. */
PATROL_API void patrol_client_set_event_callback(patrol_client* c, patrol_event_fn fn,
                                                 void* user) PATROL_NOEXCEPT;
PATROL_API bool patrol_client_poll_event(patrol_client* c, patrol_event* out) PATROL_NOEXCEPT;

/* Short stable name of an error code, e.g. "network"; "unknown" outside the
 * enum. Static storage (never freed), any thread. */
PATROL_API const char* patrol_error_code_name(patrol_error_code code) PATROL_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* PATROL_PATROL_H */
