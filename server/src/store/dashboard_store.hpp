// patrol::store::DashboardStore — what the dashboard lists: inspections,
// hazards, latest positions, tracks, SOS alerts; all limited to the filter's
// scope (org path prefix) and keyset-paginated.
//
// Errors, durability and thread safety: as stated in store.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "store/entities.hpp"
#include "store/errors.hpp"
#include "store/page.hpp"

namespace patrol::store {

struct InspectionFilter {
  std::string scope_path;
  std::optional<std::string> site_id;
  std::optional<std::string> user_id;
  std::optional<Ms> since;            // observed time, inclusive
  std::optional<Ms> until;            // observed time, exclusive
  std::optional<std::int64_t> after;  // seq of the last item of the previous page (newest first)
  int limit = 100;
};

struct HazardFilter {
  std::string scope_path;
  std::optional<std::string> state;
  std::optional<std::string> site_id;
  std::optional<std::string> after;  // hazard id
  int limit = 100;
};

struct TrackFilter {
  std::string user_id;
  std::optional<Ms> from;
  std::optional<Ms> to;
  // The last point of the previous page (points are ordered by time, then arrival).
  std::optional<std::pair<Ms, std::int64_t>> after;  // {t, seq}
  int limit = 100;
};

struct AlertFilter {
  std::string scope_path;
  std::optional<std::string> user_id;  // only this user's alerts (volunteers)
  std::optional<std::int64_t> after;   // seq
  int limit = 100;
};

class DashboardStore {
 public:
  virtual ~DashboardStore() = default;

  // Newest first (by arrival seq).
  [[nodiscard]] virtual result<Page<Inspection>> inspections(const InspectionFilter& f) = 0;
  // By id.
  [[nodiscard]] virtual result<Page<Hazard>> hazards(const HazardFilter& f) = 0;
  // By user id; each user's newest observed position.
  [[nodiscard]] virtual result<Page<LatestPosition>> latest_positions(
      std::string_view scope_path, std::optional<std::string> after_user, int limit) = 0;
  // By observed time, then arrival.
  [[nodiscard]] virtual result<Page<TrackPoint>> track(const TrackFilter& f) = 0;
  // Newest first (by arrival seq).
  [[nodiscard]] virtual result<Page<SosAlert>> alerts(const AlertFilter& f) = 0;
};

}  // namespace patrol::store
