#include "store/sync_store.hpp"

#include <future>

namespace patrol::store {

result<std::vector<OpOutcome>> SyncStore::apply_ops(std::vector<PreparedOp> ops) {
  std::promise<result<std::vector<OpOutcome>>> answered;
  auto outcome = answered.get_future();
  // The ops come back with the outcome and are freed here after the wait,
  // not on the single writer thread.
  std::vector<PreparedOp> returned;
  apply_ops_async(std::move(ops), [&answered, &returned](result<std::vector<OpOutcome>> out,
                                                         std::vector<PreparedOp> back) {
    returned = std::move(back);
    answered.set_value(std::move(out));
  });
  return outcome.get();
}

}  // namespace patrol::store
