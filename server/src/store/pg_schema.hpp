// The PostgreSQL schema as numbered migrations (version N = migrations()[N-1]),
// recorded in the table patrol_schema(version); applied in order under an
// advisory lock so nodes starting together migrate once.
#pragma once

#include <span>
#include <string_view>

namespace patrol::store::pg_schema {

std::span<const std::string_view> migrations();

}  // namespace patrol::store::pg_schema
