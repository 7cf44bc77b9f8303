# 64-bit ARM Linux (Android's arm64-v8a ABI shape: LP64), Debian cross g++ + qemu-aarch64.
# Used by the sdk-aarch64 preset; see cross-debian.cmake.
set(PATROL_CROSS_TRIPLET aarch64-linux-gnu)
set(PATROL_CROSS_PROCESSOR aarch64)
set(PATROL_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-debian.cmake)
