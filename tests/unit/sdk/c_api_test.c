/* Drives the SDK through its C API alone, from C, against the shared library.
 * No server: it checks durability, errors and the transport callback. */
#include <patrol/patrol.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int failures = 0;
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static int transport_calls = 0;
static bool refusing_transport(void* user, const patrol_http_request* req,
                               patrol_http_response* resp, patrol_error* err) {
  (void)resp;
  ++*(int*)user;
  CHECK(req->struct_size == sizeof *req && req->method != NULL && req->target != NULL);
  err->code = PATROL_ERR_NETWORK;
  err->retryable = true;
  snprintf(err->message, sizeof err->message, "airplane mode (from the C transport)");
  return false;
}

static bool answering_transport(void* user, const patrol_http_request* req,
                                patrol_http_response* resp, patrol_error* err) {
  (void)err;
  ++*(int*)user;
  CHECK(strcmp(req->target, "/api/v1/auth/login") == 0);
  CHECK(req->body_len > 0 && memchr(req->body, '{', req->body_len) != NULL);
  static const char body[] = "{\"error\":{\"code\":\"bad_credentials\",\"message\":\"no\"}}";
  patrol_http_response_set_status(resp, 401);
  patrol_http_response_add_header(resp, "Content-Type", "application/json");
  patrol_http_response_set_body(resp, (const uint8_t*)body, sizeof body - 1);
  return true;
}

/* A server in a callback: login, then every pushed op "applied", an empty
 * pull page, photos taken in one PUT. */
static const char kServerTime[] = "2026-11-28T12:00:00.000Z";
static void answer(patrol_http_response* resp, uint32_t status, const char* body) {
  patrol_http_response_set_status(resp, status);
  patrol_http_response_add_header(resp, "Content-Type", "application/json");
  patrol_http_response_set_body(resp, (const uint8_t*)body, strlen(body));
}
static bool syncing_transport(void* user, const patrol_http_request* req,
                              patrol_http_response* resp, patrol_error* err) {
  (void)err;
  ++*(int*)user;
  if (strcmp(req->target, "/api/v1/auth/login") == 0) {
    answer(resp, 200,
           "{\"token\":\"t0k\",\"expires_at\":\"2099-01-01T00:00:00Z\",\"user\":{\"id\":\"u1\","
           "\"name\":\"Vol\",\"role\":\"volunteer\",\"org_unit_id\":\"1\"}}");
  } else if (strncmp(req->target, "/api/v1/sync/pull", 17) == 0) {
    answer(resp, 200, "{\"cursor\":0,\"has_more\":false,\"changes\":[]}");
  } else if (strncmp(req->target, "/api/v1/attachments/", 20) == 0) {
    answer(resp, strcmp(req->method, "HEAD") == 0 ? 404 : 201, "{}");
  } else if (strcmp(req->target, "/api/v1/sync/push") == 0) {
    /* The op ids at the top of each op: {"op_id":"<36>", ... */
    static char out[16384];
    size_t n = (size_t)snprintf(out, sizeof out, "{\"results\":[");
    const char* body = (const char*)req->body;
    const char* end = body + req->body_len;
    static const char key[] = "{\"op_id\":\"";
    for (const char* p = body; p + sizeof key - 1 + 36 <= end; ++p) {
      if (memcmp(p, key, sizeof key - 1) != 0) continue;
      if (n + 80 >= sizeof out) break;
      n += (size_t)snprintf(out + n, sizeof out - n,
                            "%s{\"op_id\":\"%.36s\",\"status\":\"applied\"}",
                            out[n - 1] == '[' ? "" : ",", p + sizeof key - 1);
    }
    snprintf(out + n, sizeof out - n, "],\"server_time\":\"%s\"}", kServerTime);
    answer(resp, 200, out);
  } else {
    answer(resp, 404, "{}");
  }
  return true;
}

static int callback_events = 0;
static void on_event(void* user, const patrol_event* ev) {
  (void)ev;
  ++*(int*)user;
}

int main(int argc, char** argv) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s-%ld-%d", argc > 1 ? argv[1] : "/tmp/patrol-c-api", (long)time(NULL),
           rand());
  patrol_error err;
  memset(&err, 0, sizeof err);

  /* Bad arguments are errors, not crashes. */
  CHECK(patrol_client_open(NULL, &err) == NULL);
  CHECK(err.code == PATROL_ERR_INVALID_ARGUMENT);
  CHECK(!patrol_client_sync(NULL, NULL, &err));
  CHECK(err.code == PATROL_ERR_INVALID_ARGUMENT);
  CHECK(strcmp(patrol_error_code_name(PATROL_ERR_NETWORK), "network") == 0);

  patrol_options o;
  patrol_options_init(&o);
  CHECK(o.background_sync);
  o.data_dir = dir;
  o.server_url = "https://127.0.0.1:1";
  o.background_sync = false;
  patrol_client* c = patrol_client_open(&o, &err);
  CHECK(c != NULL);
  if (!c) {
    fprintf(stderr, "open failed: %s\n", err.message);
    return 1;
  }
  patrol_client_set_event_callback(c, on_event, &callback_events);

  patrol_status st;
  memset(&st, 0, sizeof st);
  CHECK(!patrol_client_status(c, &st, &err)); /* struct_size not set */
  st.struct_size = sizeof st;
  CHECK(patrol_client_status(c, &st, &err));
  CHECK(st.pending == 0 && st.in_flight == 0 && st.dead_letters == 0);
  CHECK(st.online); /* a new device database starts online */
  CHECK(!st.logged_in);
  CHECK(st.last_sync_at[0] == '\0');

  /* An inspection with an explicit template needs no cached data. */
  const char* photos[1];
  char sha[65] = {0};
  char photo_path[600];
  snprintf(photo_path, sizeof photo_path, "%s-photo.jpg", dir);
  FILE* f = fopen(photo_path, "wb");
  CHECK(f != NULL);
  if (f) {
    fputs("not really a jpeg", f);
    fclose(f);
  }
  CHECK(patrol_client_attach_photo(c, photo_path, sha, &err));
  CHECK(strlen(sha) == 64);
  remove(photo_path);
  photos[0] = sha;
  patrol_inspection_item items[2];
  memset(items, 0, sizeof items);
  items[0].struct_size = items[1].struct_size = sizeof items[0];
  items[0].code = "flying_wire_charging";
  items[0].result = PATROL_ITEM_HAZARD;
  items[0].note = "三楼窗口飞线";
  items[0].photos = photos;
  items[0].photo_count = 1;
  items[1].code = "corridor_clutter";
  items[1].result = PATROL_ITEM_OK;
  patrol_position pos = {sizeof(patrol_position), 28.8571, 121.1432, 8.0, false};
  patrol_inspection in;
  memset(&in, 0, sizeof in);
  CHECK(!patrol_client_enqueue_inspection(c, &in, NULL, &err)); /* struct_size not set */
  CHECK(err.code == PATROL_ERR_INVALID_ARGUMENT);
  in.struct_size = sizeof in;
  in.site_id = "site-1";
  in.template_id = "tpl-1";
  in.template_version = 1;
  in.position = &pos;
  in.items = items;
  in.item_count = 2;
  patrol_receipt rc;
  memset(&rc, 0, sizeof rc);
  CHECK(!patrol_client_enqueue_inspection(c, &in, &rc, &err)); /* receipt's struct_size unset */
  CHECK(err.code == PATROL_ERR_INVALID_ARGUMENT);
  rc.struct_size = sizeof rc;
  CHECK(patrol_client_enqueue_inspection(c, &in, &rc, &err));
  CHECK(rc.state == PATROL_RECEIPT_SAVED);
  CHECK(strlen(rc.report_id) == 36 && strlen(rc.op_id) == 36);
  CHECK(rc.saved_at[0] != '\0' && rc.received_at[0] == '\0');
  char report_id[40];
  strcpy(report_id, rc.report_id);

  /* Invalid input is refused before it reaches the outbox. */
  in.item_count = 0;
  CHECK(!patrol_client_enqueue_inspection(c, &in, NULL, &err));
  CHECK(err.code == PATROL_ERR_INVALID_ARGUMENT && err.message[0] != '\0');
  in.item_count = 2;
  items[1].result = 7;
  CHECK(!patrol_client_enqueue_inspection(c, &in, NULL, &err));
  CHECK(err.code == PATROL_ERR_INVALID_ARGUMENT);
  items[1].result = PATROL_ITEM_OK;
  in.template_id = NULL; /* needs the cached site, which we do not have */
  CHECK(!patrol_client_enqueue_inspection(c, &in, NULL, &err));
  CHECK(err.code == PATROL_ERR_NOT_FOUND);

  patrol_track_point pts[5];
  for (int i = 0; i < 5; ++i) {
    pts[i].struct_size = sizeof pts[i];
    pts[i].time_ms = 1764327900000LL + i * 1000;
    pts[i].lat = 28.85 + i * 0.0001;
    pts[i].lon = 121.14;
    pts[i].accuracy_m = i == 2 ? -1 : 6;
  }
  int64_t nops = 0;
  CHECK(patrol_client_enqueue_positions(c, pts, 5, false, &nops, &err));
  CHECK(nops == 2); /* the backlog op and the newest point, urgent */
  CHECK(patrol_client_raise_sos(c, &pos, "need help", &rc, &err));
  CHECK(rc.state == PATROL_RECEIPT_SAVED);

  CHECK(patrol_client_status(c, &st, &err));
  CHECK(st.pending == 4);
  CHECK(st.photos_pending == 1);

  /* An older app: element structs shorter than this header's (fields it did
   * not know yet: zero = default), in exactly-sized heap blocks so that ASan
   * catches any read past them; and out-structs it sized smaller, of which
   * not one byte more is written. */
  {
    struct old_item { /* patrol_inspection_item without note and photos */
      uint32_t struct_size;
      const char* code;
      patrol_item_result result;
    };
    struct old_item* old_items = malloc(2 * sizeof *old_items);
    CHECK(old_items != NULL);
    if (old_items) {
      memset(old_items, 0, 2 * sizeof *old_items);
      old_items[0].struct_size = old_items[1].struct_size = sizeof *old_items;
      old_items[0].code = "flying_wire_charging";
      old_items[0].result = PATROL_ITEM_HAZARD;
      old_items[1].code = "corridor_clutter";
      old_items[1].result = PATROL_ITEM_OK;
      patrol_inspection old_in = in;
      old_in.template_id = "tpl-1";
      old_in.items = (const patrol_inspection_item*)(const void*)old_items;
      const uint32_t receipt_size = (uint32_t)offsetof(patrol_receipt, state);
      unsigned char* rbuf = malloc(sizeof(patrol_receipt) + 8);
      CHECK(rbuf != NULL);
      if (rbuf) {
        memset(rbuf, 0xAB, sizeof(patrol_receipt) + 8);
        memcpy(rbuf, &receipt_size, sizeof receipt_size);
        CHECK(patrol_client_enqueue_inspection(c, &old_in, (patrol_receipt*)(void*)rbuf, &err));
        CHECK(strlen((const char*)rbuf + offsetof(patrol_receipt, report_id)) == 36);
        for (size_t i = receipt_size; i < sizeof(patrol_receipt) + 8; ++i) CHECK(rbuf[i] == 0xAB);
        free(rbuf);
      }
      /* Elements of different sizes in one array: refused, nothing queued. */
      old_items[1].struct_size = sizeof(patrol_inspection_item);
      CHECK(!patrol_client_enqueue_inspection(c, &old_in, NULL, &err));
      CHECK(err.code == PATROL_ERR_INVALID_ARGUMENT);
      free(old_items);
    }
    struct old_point { /* patrol_track_point without accuracy_m */
      uint32_t struct_size;
      int64_t time_ms;
      double lat;
      double lon;
    };
    struct old_point* old_pts = malloc(3 * sizeof *old_pts);
    CHECK(old_pts != NULL);
    if (old_pts) {
      for (int i = 0; i < 3; ++i) {
        old_pts[i].struct_size = sizeof *old_pts;
        old_pts[i].time_ms = 1764327990000LL + i * 1000;
        old_pts[i].lat = 28.86;
        old_pts[i].lon = 121.15 + i * 0.0001;
      }
      CHECK(patrol_client_enqueue_positions(c, (const patrol_track_point*)(const void*)old_pts, 3,
                                            false, &nops, &err));
      CHECK(nops == 2);
      free(old_pts);
    }
    struct old_position { /* patrol_position without gcj02 */
      uint32_t struct_size;
      double lat, lon, accuracy_m;
    };
    struct old_position* old_pos = malloc(sizeof *old_pos);
    CHECK(old_pos != NULL);
    if (old_pos) {
      old_pos->struct_size = sizeof *old_pos;
      old_pos->lat = 28.86;
      old_pos->lon = 121.15;
      old_pos->accuracy_m = 5;
      CHECK(patrol_client_raise_sos(c, (const patrol_position*)(const void*)old_pos, NULL, NULL,
                                    &err));
      free(old_pos);
    }
    CHECK(patrol_client_status(c, &st, &err));
    CHECK(st.pending == 8); /* + the inspection, two position ops, the SOS */
  }

  /* Not logged in: sync refuses and nothing is lost. */
  CHECK(!patrol_client_sync(c, NULL, &err));
  CHECK(err.code == PATROL_ERR_NOT_LOGGED_IN);
  /* Login against a closed port: a retryable network error. */
  CHECK(!patrol_client_login(c, "13900000002", "patrol-demo", &err));
  CHECK(err.code == PATROL_ERR_NETWORK && err.retryable);

  CHECK(patrol_client_set_online(c, false, &err));
  CHECK(patrol_client_status(c, &st, &err));
  CHECK(!st.online);

  CHECK(patrol_client_receipt(c, report_id, &rc, &err));
  CHECK(rc.state == PATROL_RECEIPT_SAVED);
  CHECK(!patrol_client_receipt(c, "no-such-report", &rc, &err));
  CHECK(err.code == PATROL_ERR_NOT_FOUND);

  /* An older app's shorter status struct: only its bytes are written. */
  {
    unsigned char buf[sizeof(patrol_status) + 16];
    const uint32_t old_size = (uint32_t)offsetof(patrol_status, dead_letters);
    memset(buf, 0xAB, sizeof buf);
    memcpy(buf, &old_size, sizeof old_size);
    CHECK(patrol_client_status(c, (patrol_status*)(void*)buf, &err));
    for (size_t i = old_size; i < sizeof buf; ++i) CHECK(buf[i] == 0xAB);
  }
  /* Dead letters: retry and dismiss of an unknown op id say so. */
  CHECK(!patrol_client_retry_dead_letter(c, "no-such-op", &err));
  CHECK(err.code == PATROL_ERR_NOT_FOUND);
  CHECK(!patrol_client_dismiss_dead_letter(c, "no-such-op", &err));
  CHECK(err.code == PATROL_ERR_NOT_FOUND);
  CHECK(strstr(err.message, "no-such-op") != NULL);
  /* A message longer than the buffer is cut between characters, not inside one. */
  {
    char id[700];
    size_t n = 0;
    while (n + 3 < sizeof id) { /* U+5DE1 巡, 3 bytes each */
      id[n++] = (char)0xE5;
      id[n++] = (char)0xB7;
      id[n++] = (char)0xA1;
    }
    id[n] = '\0';
    CHECK(!patrol_client_dismiss_dead_letter(c, id, &err));
    const size_t len = strlen(err.message);
    CHECK(len > 400 && len < sizeof err.message);
    const size_t tail = len - strlen("no dead letter with op id ");
    CHECK(tail % 3 == 0); /* whole characters only */
    CHECK((unsigned char)err.message[len - 1] == 0xA1);
  }

  char* js = NULL;
  CHECK(patrol_client_dead_letters_json(c, &js, &err));
  CHECK(js && strcmp(js, "[]") == 0);
  patrol_string_free(js);
  js = NULL;
  CHECK(patrol_client_sites_json(c, &js, &err));
  CHECK(js && strcmp(js, "[]") == 0);
  patrol_string_free(js);
  CHECK(patrol_client_cached_json(c, "hazard", &js, &err));
  CHECK(js && strcmp(js, "[]") == 0);
  patrol_string_free(js);
  CHECK(patrol_client_rounds_json(c, &js, &err));
  CHECK(js && strcmp(js, "[]") == 0);
  patrol_string_free(js);
  CHECK(patrol_client_receipts_json(c, &js, &err));
  CHECK(js && strstr(js, report_id) != NULL && strstr(js, "\"state\":\"saved\"") != NULL);
  patrol_string_free(js);
  CHECK(!patrol_client_template_for_site_json(c, "site-1", &js, &err));
  CHECK(err.code == PATROL_ERR_NOT_FOUND);
  CHECK(!patrol_client_tonights_round_json(c, &js, &err));
  CHECK(err.code == PATROL_ERR_NOT_FOUND);

  patrol_event ev;
  int polled = 0, failed_events = 0;
  memset(&ev, 0, sizeof ev);
  CHECK(!patrol_client_poll_event(c, &ev)); /* struct_size unset: nothing handed out */
  ev.struct_size = sizeof ev;
  while (patrol_client_poll_event(c, &ev)) {
    ++polled;
    if (ev.type == PATROL_EVENT_SYNC_FAILED) ++failed_events;
  }
  CHECK(failed_events >= 1);
  CHECK(callback_events == polled);
  patrol_client_close(c);

  /* Reopen: everything is still there, including the offline flag. */
  c = patrol_client_open(&o, &err);
  CHECK(c != NULL);
  if (!c) return 1;
  CHECK(patrol_client_status(c, &st, &err));
  CHECK(st.pending == 8 && !st.online && st.photos_pending == 1);
  patrol_client_close(c);

  /* A transport supplied from C: its errors and answers reach the caller. */
  patrol_transport t = {sizeof(patrol_transport), &transport_calls, refusing_transport};
  o.transport = &t;
  c = patrol_client_open(&o, &err);
  CHECK(c != NULL);
  if (!c) return 1;
  CHECK(!patrol_client_login(c, "13900000002", "patrol-demo", &err));
  CHECK(err.code == PATROL_ERR_NETWORK && err.retryable);
  CHECK(strstr(err.message, "airplane mode") != NULL);
  CHECK(transport_calls == 1);
  patrol_client_close(c);
  int answered = 0;
  patrol_transport t2 = {sizeof(patrol_transport), &answered, answering_transport};
  o.transport = &t2;
  c = patrol_client_open(&o, &err);
  CHECK(c != NULL);
  if (!c) return 1;
  CHECK(!patrol_client_login(c, "13900000002", "wrong", &err));
  CHECK(err.code == PATROL_ERR_AUTH_FAILED && !err.retryable);
  CHECK(answered == 1);
  patrol_client_close(c);

  /* The receipt answers the same before and after the server has the report
   * (a waiting receipt lives in its outbox row, an answered one elsewhere):
   * same op, seq and saved time, now received at the server's time. */
  int synced = 0;
  patrol_transport t3 = {sizeof(patrol_transport), &synced, syncing_transport};
  o.transport = &t3;
  c = patrol_client_open(&o, &err);
  CHECK(c != NULL);
  if (!c) return 1;
  patrol_receipt before, after;
  memset(&before, 0, sizeof before);
  memset(&after, 0, sizeof after);
  before.struct_size = after.struct_size = sizeof before;
  CHECK(patrol_client_receipt(c, report_id, &before, &err));
  CHECK(before.state == PATROL_RECEIPT_SAVED && before.received_at[0] == '\0');
  CHECK(patrol_client_login(c, "13900000002", "patrol-demo", &err));
  CHECK(patrol_client_set_online(c, true, &err));
  CHECK(patrol_client_sync(c, NULL, &err));
  CHECK(patrol_client_status(c, &st, &err));
  CHECK(st.pending == 0 && st.dead_letters == 0);
  CHECK(patrol_client_receipt(c, report_id, &after, &err));
  CHECK(after.state == PATROL_RECEIPT_RECEIVED);
  CHECK(strcmp(after.received_at, kServerTime) == 0);
  CHECK(strcmp(after.report_id, before.report_id) == 0);
  CHECK(strcmp(after.op_id, before.op_id) == 0);
  CHECK(strcmp(after.saved_at, before.saved_at) == 0);
  CHECK(after.local_seq == before.local_seq);
  js = NULL;
  CHECK(patrol_client_receipts_json(c, &js, &err));
  CHECK(js && strstr(js, report_id) != NULL && strstr(js, "\"state\":\"saved\"") == NULL);
  patrol_string_free(js);
  patrol_client_close(c);
  patrol_client_close(NULL);

  if (failures == 0) printf("C API: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
