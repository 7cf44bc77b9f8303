// patrol::store::AttachmentStore — recording a complete photo (the bytes are
// files under the data directory, see api/) and linking it to the hazards
// that were waiting for it.
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/errors.hpp"

namespace patrol::store {

// Result of storing a complete attachment.
struct AttachmentLinked {
  std::vector<std::string> hazard_ids;  // hazards whose photo_missing was cleared
};

class AttachmentStore {
 public:
  virtual ~AttachmentStore() = default;

  // Records a complete, verified attachment (idempotent) and links it: hazards
  // whose inspections named this photo for their item get photo_missing
  // cleared (domain::photo_arrived), with change-log entries.
  [[nodiscard]] virtual result<AttachmentLinked> attachment_stored(std::string_view sha256,
                                                                   std::int64_t size) = 0;
};

}  // namespace patrol::store
