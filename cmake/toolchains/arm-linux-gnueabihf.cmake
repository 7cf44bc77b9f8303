# 32-bit ARM Linux, hard float (Android's armeabi-v7a shape: ILP32, 32-bit size_t,
# 8-byte aligned int64), Debian cross g++ + qemu-arm. Used by the sdk-armhf
# preset; see cross-debian.cmake.
set(PATROL_CROSS_TRIPLET arm-linux-gnueabihf)
set(PATROL_CROSS_PROCESSOR armv7l)
set(PATROL_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/cross-debian.cmake)
# g++ notes that the ARM ABI for passing some aggregates changed in GCC 7.1:
# informational (everything here is built by one compiler), and very noisy.
string(APPEND CMAKE_CXX_FLAGS_INIT " -Wno-psabi")
