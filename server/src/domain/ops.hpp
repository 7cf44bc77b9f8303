// Validation of sync/push ops beyond the wire decoders: references exist and
// are in the caller's scope, the template version exists and applies to the
// site, item codes belong to it; plus what the server derives (hazards from
// failing items, photo requirements, WGS84 positions, corrected times).
//
// Thread safety: TemplateCache is thread-safe; an OpValidator serves one push
// request on one thread.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "domain/hazard_workflow.hpp"
#include "domain/principal.hpp"
#include "domain/round_rules.hpp"
#include "patrol/wire/field_error.hpp"
#include "patrol/wire/op_view.hpp"
#include "store/auth_store.hpp"
#include "store/reference_store.hpp"
#include "store/sync_store.hpp"

namespace patrol::domain {

// Templates are immutable per (id, version): cached for the process lifetime.
class TemplateCache {
 public:
  // not_found when the (id, version) does not exist; unavailable etc. pass through.
  store::result<std::shared_ptr<const store::ChecklistTemplate>> get(store::ReferenceStore& s,
                                                                     const std::string& id,
                                                                     std::int64_t version);
  // The cached (id, version), or nullptr: never reads the store.
  std::shared_ptr<const store::ChecklistTemplate> peek(const std::string& id, std::int64_t version);

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::int64_t>, std::shared_ptr<const store::ChecklistTemplate>>
      cache_;
};

struct PushContext {
  Principal who;
  std::string device_id;
  std::optional<std::int64_t> clock_offset_ms;  // server − device
  store::Ms received_ms = 0;
  // Round and hazard ops (workflow_ops.hpp): their rules and the store the
  // hazard lookup reads; without a hazard store, hazard.transition is unknown.
  RoundPolicy round_policy{};
  HazardPolicy hazard_policy{};
  store::HazardWorkflowStore* hazards = nullptr;
  // Checks hazard assignees are users of the caller's subtree (when set).
  store::AuthStore* users = nullptr;
  // Validate without any store read (on an I/O thread): from the site and
  // template caches only. An op that needs a read (a site or template not
  // cached, a round or hazard lookup) makes prepare() fail and blocked()
  // true: the caller validates the whole push again where it may block.
  bool no_store_reads = false;
};

// An op that cannot even be recorded (no usable op_id): answered rejected,
// never stored.
struct Unrecordable {
  std::string op_id;  // whatever the client sent, possibly ""
  wire::FieldError error;
};

using Prepared = std::variant<store::PreparedOp, Unrecordable>;

class OpValidator {
 public:
  OpValidator(store::ReferenceStore& store, TemplateCache& templates, PushContext ctx)
      : store_(store), templates_(templates), ctx_(std::move(ctx)) {}

  // Decodes and validates one raw op of a push. A bad op yields a
  // PreparedOp whose action is the FieldError (recorded so a re-push returns
  // the same answer). Fails only when the store cannot be read (unavailable):
  // the caller answers the whole request 503.
  store::result<Prepared> prepare(const boost::json::value& raw);
  // With PushContext::no_store_reads: a prepare() failed because it needed
  // a store read (not a storage failure).
  bool blocked() const { return blocked_; }

 private:
  using Action = decltype(store::PreparedOp::action);
  store::result<Action> inspection(const boost::json::value& body);
  store::result<Action> positions(const boost::json::value& body);
  store::result<Action> sos(const boost::json::value& body);
  store::result<Action> workflow(const wire::OpView& op);
  // nullptr: no such site, or not in the caller's scope.
  store::result<std::shared_ptr<const store::Site>> visible_site(const std::string& id);
  store::result<std::shared_ptr<const store::ChecklistTemplate>> template_of(const std::string& id,
                                                                             std::int64_t version);
  boost::system::error_code block();

  store::ReferenceStore& store_;
  TemplateCache& templates_;
  PushContext ctx_;
  bool blocked_ = false;
  // The sites this push named (most name one): nullptr when not visible.
  std::vector<std::pair<std::string, std::shared_ptr<const store::Site>>> sites_;
};

}  // namespace patrol::domain
