// patrol::store::Page — one page of a keyset-paginated list, shared by every
// use-case interface of the store.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace patrol::store {

template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next;  // pass as `after` for the following page
};

}  // namespace patrol::store
