# One place for compiler flags every Patrol target gets.
add_library(patrol_warnings INTERFACE)
target_compile_options(patrol_warnings INTERFACE -Wall -Wextra -Wpedantic)
# g++ 12 reports Asio's awaitable frame operator delete as mismatched at -O2
# (a known false positive for coroutine frames, GCC PR 109224).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(patrol_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Wno-mismatched-new-delete>)
endif()
if(PATROL_WERROR)
  target_compile_options(patrol_warnings INTERFACE -Werror)
endif()

if(PATROL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# -g1 keeps line tables for backtraces at a fraction of full -g's cost (TOOLCHAIN.md).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" OR CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  string(REPLACE "-g " "-g1 " CMAKE_CXX_FLAGS_RELWITHDEBINFO "${CMAKE_CXX_FLAGS_RELWITHDEBINFO} ")
endif()
