#include "store/op_receipt.hpp"

#include <boost/json/parse.hpp>

#include "patrol/wire/field_error.hpp"

namespace patrol::store {

void outcome_from_receipt(OpOutcome& out, const std::string& stored_user,
                          const std::string& stored_status,
                          const std::optional<std::string>& stored_error,
                          const std::string& op_user, Ms now) {
  out.error.reset();
  if (stored_user != op_user) {
    out.status = wire::OpStatus::rejected;
    out.error = wire::FieldError{"conflict", "op_id", "op id already used"};
    out.received_at = now;
  } else if (stored_status == "applied") {
    out.status = wire::OpStatus::duplicate;
  } else {
    out.status = wire::OpStatus::rejected;
    out.error = stored_error ? wire::field_error_from_json(boost::json::parse(*stored_error))
                             : wire::FieldError{"rejected", "", ""};
  }
}

}  // namespace patrol::store
