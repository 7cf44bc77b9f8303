// Attachments, the dashboard's static files, health and metrics.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <fstream>
#include <sstream>

#include "api/handlers.hpp"
#include "metrics/metrics.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string sha_param(Ctx& c) {
  std::string sha(c.param("sha256"));
  if (!is_sha256_hex(sha))
    throw ApiError(400, "invalid_format", "sha256", "expected 64 lower-case hex characters");
  return sha;
}

json::object status_json(std::string_view sha, const AttachmentFiles::Status& s) {
  json::object o{{"sha256", sha}, {"received", s.received}, {"complete", s.complete}};
  if (s.complete) o["size"] = s.received;
  return o;
}

struct Range {
  std::int64_t start = 0, end = 0, total = 0;  // end inclusive
};

// "bytes START-END/TOTAL"
std::optional<Range> parse_content_range(std::string_view v) {
  constexpr std::string_view kPrefix = "bytes ";
  if (v.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  v.remove_prefix(kPrefix.size());
  Range r;
  auto num = [&](std::int64_t& out, char stop) {
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc()) return false;
    std::size_t used = static_cast<std::size_t>(p - v.data());
    if (stop) {
      if (used >= v.size() || v[used] != stop) return false;
      ++used;
    } else if (used != v.size()) {
      return false;
    }
    v.remove_prefix(used);
    return true;
  };
  if (!num(r.start, '-') || !num(r.end, '/') || !num(r.total, 0)) return std::nullopt;
  if (r.start < 0 || r.end < r.start || r.total <= r.end) return std::nullopt;
  return r;
}

std::string_view content_type_for(const fs::path& p) {
  auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".webmanifest") return "application/manifest+json";
  return "application/octet-stream";
}

// A complete file counts as uploaded only when its attachments row is known
// to be committed (see AttachmentFiles::recorded). Otherwise the file is
// re-verified and the row written now (idempotent; it also clears
// photo_missing on the hazards naming it). Returns the status to report:
// nullopt when the file was corrupt and is gone. A store failure throws 503,
// so the device retries instead of concluding the upload is done.
std::optional<AttachmentFiles::Status> ensure_recorded(Ctx& c, const std::string& sha,
                                                       AttachmentFiles::Status st) {
  if (!st.complete || c.svc.files->recorded(sha)) return st;
  switch (c.svc.files->verify_final(sha)) {
    case AttachmentFiles::Verify::ok:
      break;
    case AttachmentFiles::Verify::removed:
      return std::nullopt;
    case AttachmentFiles::Verify::io:
      c.svc.metrics.count_storage_error();
      throw ApiError(503, "unavailable", "", "could not read the stored upload, retry later",
                     {{"Retry-After", "1"}});
  }
  must(c.svc.store().attachment_stored(sha, st.received));
  c.svc.files->mark_recorded(sha);
  return st;
}

// What the caller may learn about this hash: their own partial upload, or the
// stored photo when they uploaded it themselves or an inspection in their
// subtree names it. Everything else reads as "nothing here" (404), so no
// one can probe whether a photo exists in another village.
std::optional<AttachmentFiles::Status> visible_status(Ctx& c, const std::string& sha) {
  const auto& me = c.me();
  if (auto part = c.svc.files->partial_status(me.user_id, sha)) return part;
  auto done = c.svc.files->complete_status(sha);
  if (!done) return std::nullopt;
  if (!c.svc.files->uploaded_by(me.user_id, sha) &&
      !must(c.svc.photo_named_in_scope(sha, me.org_path)))
    return std::nullopt;
  return ensure_recorded(c, sha, *done);
}

// Content type from the first bytes (photos arrive as opaque bytes).
std::string_view sniff_image_type(std::string_view b) {
  if (b.substr(0, 3) == "\xff\xd8\xff") return "image/jpeg";
  if (b.substr(0, 8) == "\x89PNG\r\n\x1a\n") return "image/png";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  if (b.size() >= 12 && b.substr(4, 4) == "ftyp") return "image/heic";
  return "application/octet-stream";
}

}  // namespace

Response head_attachment(Ctx& c) {
  auto sha = sha_param(c);
  auto st = visible_status(c, sha);
  Response r;
  r.content_type.clear();
  if (!st) {
    r.status = 404;
    return r;
  }
  r.status = 200;
  r.headers.emplace_back("Upload-Offset", std::to_string(st->received));
  r.headers.emplace_back("Upload-Complete", st->complete ? "?1" : "?0");
  return r;
}

Response get_attachment(Ctx& c) {
  auto sha = sha_param(c);
  auto st = visible_status(c, sha);
  if (!st || !st->complete) throw ApiError(404, "not_found", "sha256", "no such photo");
  std::ifstream in(c.svc.files->final_path(sha), std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) {
    c.svc.metrics.count_storage_error();
    throw ApiError(503, "unavailable", "", "could not read the photo, retry later",
                   {{"Retry-After", "1"}});
  }
  Response r;
  r.body = ss.str();
  r.content_type = std::string(sniff_image_type(r.body));
  // Content-addressed: the bytes never change, but they are personal data.
  r.headers.emplace_back("Cache-Control", "private, max-age=86400, immutable");
  return r;
}

Response put_attachment(Ctx& c) {
  const auto& me = c.me();
  auto sha = sha_param(c);
  Range range;
  auto body_size = static_cast<std::int64_t>(c.req.body.size());
  if (auto cr = c.req.header("content-range")) {
    auto parsed = parse_content_range(*cr);
    if (!parsed)
      throw ApiError(400, "invalid_format", "content-range", "expected bytes START-END/TOTAL");
    range = *parsed;
    if (range.end - range.start + 1 != body_size)
      throw ApiError(400, "length_mismatch", "content-range",
                     "the body length does not match the range");
  } else {
    if (body_size == 0) throw ApiError(400, "required", "body", "empty upload");
    range = {0, body_size - 1, body_size};
  }
  auto res = c.svc.files->put(me.user_id, sha, range.start, range.total, c.req.body,
                              c.svc.cfg.upload_quota_bytes);
  using E = AttachmentFiles::PutError;
  switch (res.error) {
    case E::none:
      break;
    case E::offset_mismatch:
      throw ApiError(409, "offset_mismatch", "content-range",
                     "resume at byte " + std::to_string(res.status.received),
                     {{"Upload-Offset", std::to_string(res.status.received)}});
    case E::hash_mismatch:
      throw ApiError(422, "hash_mismatch", "sha256",
                     "the uploaded bytes do not hash to this name; upload again from 0");
    case E::too_large:
      throw ApiError(413, "too_large", "content-range",
                     "at most " + std::to_string(AttachmentFiles::kMaxSize) + " bytes");
    case E::quota:
      throw ApiError(413, "upload_quota", "content-range",
                     "your unfinished uploads would exceed " +
                         std::to_string(c.svc.cfg.upload_quota_bytes) +
                         " bytes; finish or abandon one first (abandoned ones are removed after " +
                         std::to_string(c.svc.cfg.partial_upload_ttl.count()) + " s)");
    case E::io:
      c.svc.metrics.count_storage_error();
      throw ApiError(503, "unavailable", "", "could not store the upload, retry later",
                     {{"Retry-After", "1"}});
  }
  if (!res.status.complete) {
    Response r = json_response(202, status_json(sha, res.status));
    r.headers.emplace_back("Upload-Offset", std::to_string(res.status.received));
    return r;
  }
  // Idempotent: a retried final chunk links again if the first link failed.
  // A file found complete already (a crash between rename and row commit) is
  // re-verified before its row is written.
  if (!c.svc.files->recorded(sha)) {
    auto v = res.verified ? AttachmentFiles::Verify::ok : c.svc.files->verify_final(sha);
    if (v == AttachmentFiles::Verify::removed)
      throw ApiError(409, "offset_mismatch", "content-range",
                     "the stored file was corrupt and is gone; upload again from byte 0",
                     {{"Upload-Offset", "0"}});
    if (v == AttachmentFiles::Verify::io) {
      c.svc.metrics.count_storage_error();
      throw ApiError(503, "unavailable", "", "could not verify the stored upload, retry later",
                     {{"Retry-After", "1"}});
    }
    must(c.svc.store().attachment_stored(sha, res.status.received));
    c.svc.files->mark_recorded(sha);
  }
  Response r = json_response(200, status_json(sha, res.status));
  r.headers.emplace_back("Upload-Offset", std::to_string(res.status.received));
  return r;
}

Response live(Ctx& c) {
  c.me();
  throw ApiError(426, "upgrade_required", "", "the live feed is a WebSocket: send Upgrade",
                 {{"Upgrade", "websocket"}});
}

// Public (the login page may draw the map behind it): nothing here is secret,
// a tile service's browser key is visible in every tile request anyway.
Response dashboard_config(Ctx& c) {
  const auto& cfg = c.svc.cfg;
  json::value tiles = nullptr;
  if (!cfg.tile_url.empty()) {
    tiles = json::object{
        {"url", cfg.tile_url}, {"crs", cfg.tile_crs}, {"attribution", cfg.tile_attribution}};
  }
  auto r = json_response(200, json::object{{"tiles", tiles}});
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

Response healthz(Ctx& c) {
  auto ok = c.svc.store().ping();
  if (!ok) throw ApiError(503, "unavailable", "", "database not available");
  return json_response(200, json::object{{"status", "ok"}});
}

Response metrics(Ctx& c) {
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = c.svc.metrics.render_prometheus();
  return r;
}

Response static_file(Ctx& c) {
  std::string_view path = c.req.path;
  if (path.empty() || path.front() != '/') throw ApiError(404, "not_found", "", "not found");
  std::string rel(path.substr(1));
  if (rel.empty() || rel.back() == '/') rel += "index.html";
  // No traversal: every segment must be a plain name.
  fs::path p(rel);
  for (const auto& seg : p) {
    auto s = seg.string();
    if (s.empty() || s == "." || s == ".." || s.find('\\') != std::string::npos ||
        s.find('\0') != std::string::npos || s.front() == '.')
      throw ApiError(404, "not_found", "", "not found");
  }
  fs::path full = c.svc.cfg.web_root / p;
  std::error_code ec;
  if (!fs::is_regular_file(full, ec)) throw ApiError(404, "not_found", "", "not found");
  auto root = fs::canonical(c.svc.cfg.web_root, ec);
  auto real = fs::canonical(full, ec);
  if (ec || real.string().compare(0, root.string().size(), root.string()) != 0)
    throw ApiError(404, "not_found", "", "not found");
  std::ifstream in(real, std::ios::binary);
  if (!in) throw ApiError(404, "not_found", "", "not found");
  std::ostringstream ss;
  ss << in.rdbuf();
  Response r;
  r.content_type = std::string(content_type_for(real));
  r.headers.emplace_back("Cache-Control", "no-cache");
  // X-Content-Type-Options: nosniff is on every response (net layer): not again here.
  // HEAD keeps the body too: the net layer sends only its length.
  r.body = ss.str();
  return r;
}

}  // namespace patrol::api::handlers
