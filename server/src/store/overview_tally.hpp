#pragma once
// Counting helpers shared by the overview readers of both stores
// (sqlite_overview.cpp, pg_overview.cpp): the same rows are counted the same
// way whichever database they came from.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/overview_store.hpp"

namespace patrol::store {

// A found hazard's share of the counts (found, by item and category, open or
// closed with its time to close, rectified, overdue).
void count_hazard(OverviewCounts& c, std::string_view item, std::string_view category,
                  std::string_view state, bool overdue, Ms found, std::optional<Ms> closed);

// Looks strings up by string_view without making a std::string per row.
struct ViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view v) const noexcept {
    return std::hash<std::string_view>{}(v);
  }
};

// Maps org paths to the child they lie under; memoises the last path, since
// rows arrive grouped by path.
class ChildOf {
 public:
  explicit ChildOf(const std::vector<std::string>& children) : children_(children) {}
  // The index of the child `path` lies under, or -1 (the node itself, or none).
  int operator()(std::string_view path) {
    moved(path);
    return last_index_;
  }
  // True when `path` differs from the previous call's: a new run of rows
  // begins (index() is then its child's).
  bool moved(std::string_view path) {
    if (path == last_) return false;
    last_.assign(path);
    last_index_ = -1;
    for (std::size_t i = 0; i < children_.size(); ++i)
      if (path.substr(0, children_[i].size()) == children_[i]) {
        last_index_ = static_cast<int>(i);
        break;
      }
    return true;
  }
  int index() const { return last_index_; }

 private:
  const std::vector<std::string>& children_;
  std::string last_;
  int last_index_ = -1;
};

}  // namespace patrol::store
