// sync/push and sync/pull.
#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <future>
#include <memory>

#include "api/audit.hpp"
#include "api/handlers.hpp"
#include "api/hazard_transition.hpp"
#include "domain/scope.hpp"
#include "patrol/wire/messages.hpp"
#include "patrol/wire/op_view.hpp"

namespace patrol::api::handlers {
namespace json = boost::json;

namespace {

// The first block of a push's arena: reused by every push this worker thread
// serves, so a small push parses, decodes and answers without touching the
// heap (a 50-op push grows the arena from the heap once or twice).
constexpr std::size_t kArenaBytes = std::size_t{64} * 1024;
unsigned char* arena_buffer() {
  thread_local const std::unique_ptr<unsigned char[]> buf(new unsigned char[kArenaBytes]);
  return buf.get();
}

// format_ms of the results' times: the ops of one push were mostly received in
// the same millisecond, so the text is made once per distinct value.
class TimeText {
 public:
  const std::string& operator()(store::Ms t) {
    if (text_.empty() || t != last_) {
      last_ = t;
      text_ = store::format_ms(t);
    }
    return text_;
  }

 private:
  store::Ms last_ = 0;
  std::string text_;
};

// The answer of a push once its ops are committed (or failed): built where
// the response is sent, in an arena of that thread.
class PushAnswer {
 public:
  PushAnswer(std::vector<wire::OpResult> results, std::vector<std::size_t> index,
             store::Ms received)
      : results_(std::move(results)), index_(std::move(index)), received_(received) {}

  Response operator()(store::result<std::vector<store::OpOutcome>>& outcomes) {
    if (!outcomes) throw_store(outcomes.error());
    TimeText time_text;
    for (std::size_t k = 0; k < outcomes->size() && k < index_.size(); ++k) {
      auto& o = (*outcomes)[k];
      results_[index_[k]] = {std::move(o.op_id), o.status, std::move(o.error),
                             time_text(o.received_at)};
    }
    for (auto& r : results_)  // the rejections answered without the store
      if (!r.received_at) r.received_at = time_text(received_);
    wire::PushResponse out;
    out.results = std::move(results_);
    out.server_time = store::format_ms(now_ms());
    Response r;
    r.body = wire::to_json_text(out);  // no JSON tree per result
    return r;
  }

 private:
  std::vector<wire::OpResult> results_;
  std::vector<std::size_t> index_;  // outcome k answers results_[index_[k]]
  store::Ms received_;
};

}  // namespace

namespace {

// A push parsed and validated, not queued yet.
struct PreparedPush {
  bool blocked = false;  // (no_store_reads) an op needs a store read
  std::shared_ptr<PushAnswer> answer;
  std::vector<store::PreparedOp> to_store;
};

// Parses and validates the push. Throws ApiError for a bad request or a
// failed store read. With no_store_reads, reads nothing from the store
// (OpValidator: site and template caches only): `blocked` when it had to.
PreparedPush prepare_push(Ctx& c, bool no_store_reads) {
  const auto& who = c.me();
  PreparedPush out;
  // Everything parsed from this request lives in one arena, in this scope
  // only: what outlives it (the prepared ops, the rejections) owns its
  // strings.
  json::monotonic_resource arena(arena_buffer(), kArenaBytes);
  auto body = parse_json_body(c.req, &arena);
  if (const auto* o = body.if_object()) {
    if (const auto* ops = o->if_contains("ops");
        ops && ops->is_array() && ops->as_array().size() > c.svc.cfg.max_batch_ops)
      throw ApiError(413, "too_many_ops", "ops",
                     "at most " + std::to_string(c.svc.cfg.max_batch_ops) + " ops per push");
    if (const auto* ops = o->if_contains("ops"); ops && ops->is_array()) {
      // Track points weigh on the single writer: bounded per push too.
      std::size_t points = 0;
      for (const auto& op : ops->as_array()) {
        const auto* b = op.is_object() ? op.as_object().if_contains("body") : nullptr;
        const auto* p = b && b->is_object() ? b->as_object().if_contains("points") : nullptr;
        if (p && p->is_array()) points += p->as_array().size();
      }
      if (points > c.svc.cfg.max_push_points)
        throw ApiError(413, "too_many_points", "ops",
                       "at most " + std::to_string(c.svc.cfg.max_push_points) +
                           " track points per push; send fewer ops per push");
    }
  }
  // The ops are validated where they were parsed (in the arena), not copied.
  auto req = wire::decode_push_request_view(body);
  if (!req) throw ApiError(422, req.error().code, req.error().field, req.error().message);

  store::Ms received = now_ms();
  domain::PushContext ctx{who,
                          req->device_id,
                          req->clock_offset_ms,
                          received,
                          c.svc.round_policy,
                          c.svc.hazard_policy,
                          &c.svc.store(),
                          &c.svc.store()};
  ctx.no_store_reads = no_store_reads;
  domain::OpValidator validator(c.svc.store(), c.svc.templates, std::move(ctx));

  // Each op stands alone: a bad one is answered rejected, the others go on.
  // A rejection's received_at is filled in by the answer.
  const json::array& ops = *req->ops;
  std::vector<wire::OpResult> results(ops.size());
  std::vector<std::size_t> index;  // to_store[k] answers results[index[k]]
  out.to_store.reserve(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto p = validator.prepare(ops[i]);
    if (!p) {
      if (validator.blocked()) {
        out.blocked = true;
        return out;
      }
      throw_store(p.error());
    }
    if (auto* u = std::get_if<domain::Unrecordable>(&*p)) {
      results[i] = {u->op_id, wire::OpStatus::rejected, u->error, {}};
    } else {
      index.push_back(i);
      auto& prepared = std::get<store::PreparedOp>(*p);
      if (auto* hw = std::get_if<store::HazardOpWrite>(&prepared.action)) {
        // Audited like the REST route, in the push's own transaction.
        auto entry = audit_entry(who, c.req, "hazard.transition", "hazard", hw->hazard_id, "", {},
                                 req->device_id);
        hw->decide = [inner = std::move(hw->decide), entry](const store::Hazard& cur)
            -> boost::system::result<store::HazardChange, wire::FieldError> {
          auto r = inner(cur);
          if (r) add_transition_audit(*r, cur, entry);
          return r;
        };
      }
      out.to_store.push_back(std::move(prepared));
    }
  }
  out.answer = std::make_shared<PushAnswer>(std::move(results), std::move(index), received);
  return out;
}

// Queues the prepared ops on the writer (never blocks: apply_ops_async).
void queue_push(Ctx& c, PreparedPush p, const std::function<void(Answer)>& then) {
  auto answer = std::move(p.answer);
  if (p.to_store.empty()) {
    then([answer] {
      store::result<std::vector<store::OpOutcome>> none{std::vector<store::OpOutcome>{}};
      return (*answer)(none);
    });
    return;
  }
  // Answered only after the commit holding the ops returned; the ops come
  // back with the outcomes and are freed where the answer is built.
  c.svc.store().apply_ops_async(
      std::move(p.to_store), [answer, then](store::result<std::vector<store::OpOutcome>> outcomes,
                                            std::vector<store::PreparedOp> ops) {
        then([answer, outcomes = std::make_shared<decltype(outcomes)>(std::move(outcomes)),
              ops = std::make_shared<std::vector<store::PreparedOp>>(std::move(ops))] {
          return (*answer)(*outcomes);
        });
      });
}

}  // namespace

void push_async(Ctx& c, const std::function<void(Answer)>& then) {
  queue_push(c, prepare_push(c, false), then);
}

bool push_async_nonblocking(Ctx& c, const std::function<void()>& admit,
                            const std::function<void(Answer)>& then) {
  PreparedPush p;
  std::exception_ptr refused;
  try {
    p = prepare_push(c, true);
  } catch (const ApiError&) {
    refused = std::current_exception();  // answered after admit(), as on the workers
  }
  if (!refused && p.blocked) return false;
  admit();
  if (refused) std::rethrow_exception(refused);
  queue_push(c, std::move(p), then);
  return true;
}

Response push(Ctx& c) {
  std::promise<Answer> answered;
  auto f = answered.get_future();
  push_async(c, [&answered](Answer a) { answered.set_value(std::move(a)); });
  return f.get()();
}

Response pull(Ctx& c) {
  const auto& who = c.me();
  auto cursor = int_param(c.req, "cursor", 0, std::numeric_limits<std::int64_t>::max()).value_or(0);
  int limit = limit_param(c.req);
  auto page = must(c.svc.store().changes(who.org_path, cursor, limit));
  // Past the log's end (the database was restored from an older backup): the
  // device must start over from 0, or it would never receive anything again.
  if (page.cursor < cursor)
    throw ApiError(409, "cursor_reset", "cursor",
                   "cursor " + std::to_string(cursor) + " is beyond the change log (at " +
                       std::to_string(page.cursor) + "); pull again from cursor 0");
  json::array changes;
  changes.reserve(page.changes.size());
  const bool all_sos = domain::sees_all_alerts(who);
  for (auto& ch : page.changes) {
    auto data = json::parse(ch.data);
    // As on /alerts: a volunteer gets only their own SOS alerts (domain/scope.hpp).
    if (!all_sos && ch.entity == "sos") {
      const auto* o = data.if_object();
      const auto* uid = o ? o->if_contains("user_id") : nullptr;
      if (!uid || !uid->is_string() || uid->as_string() != who.user_id) continue;
    }
    changes.push_back(json::object{{"seq", ch.seq},
                                   {"entity", ch.entity},
                                   {"op", ch.op},
                                   {"id", ch.id},
                                   {"data", std::move(data)}});
  }
  return json_response(200, json::object{{"cursor", page.cursor},
                                         {"has_more", page.has_more},
                                         {"changes", std::move(changes)}});
}

}  // namespace patrol::api::handlers
