// The demo organisation `patrold --demo` seeds into an empty database:
// 临海市 with its 19 towns and streets, villages (大田刘村, 东溪单村, …) and
// grids, the demo logins of DESIGN.md (password "patrol-demo"), the team
// 奋进平安巡防队, 20+ sites of every category around 28.85 N 121.14 E,
// versioned checklist templates and a Mon/Wed/Fri 19:00 schedule with its
// next rounds planned.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "store/lifecycle_store.hpp"

namespace patrol::domain {

inline constexpr std::string_view kDemoPassword = "patrol-demo";

// `hash` turns a password into its stored form (auth::hash_password); `now`
// decides which rounds are "next". Pure apart from calling `hash`.
store::SeedData demo_seed(store::Ms now, const std::function<std::string(std::string_view)>& hash);

// The built-in checklist templates (also part of demo_seed).
std::vector<store::ChecklistTemplate> builtin_templates();

// Org unit ids of the seed, for tests and docs.
inline constexpr std::int64_t kLinhaiId = 1;
inline constexpr std::int64_t kDatianStreetId = 2;
inline constexpr std::int64_t kDongchengTownId = 3;
inline constexpr std::int64_t kDatianLiuVillageId = 21;
inline constexpr std::int64_t kDongxiShanVillageId = 22;

}  // namespace patrol::domain
