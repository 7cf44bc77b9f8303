# Shared part of the Debian cross toolchain files (aarch64.cmake, armhf.cmake).
# The including file sets PATROL_CROSS_TRIPLET, PATROL_CROSS_PROCESSOR and
# PATROL_CROSS_QEMU before including this one.
#
# Compiler: Debian's cross g++ (g++-aarch64-linux-gnu / g++-arm-linux-gnueabihf),
# whose C library lives in /usr/<triplet>.
# Libraries the SDK links (OpenSSL, SQLite, Boost.JSON/URL, GoogleTest): Debian's
# multiarch -dev packages for the target architecture, unpacked (dpkg -x) into
# a sysroot by `scripts/dev.sh deps` instead of installed with apt, because
# multiarch packages must carry exactly the host's version and a Debian
# snapshot mirror often lags one architecture behind another (installing them
# would then move the host's own headers under everyone's feet).
# Tests run through qemu-user as CMAKE_CROSSCOMPILING_EMULATOR (no binfmt needed).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${PATROL_CROSS_PROCESSOR})

set(CMAKE_C_COMPILER ${PATROL_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${PATROL_CROSS_TRIPLET}-g++)

# Where the target's -dev packages were unpacked; PATROL_SYSROOTS overrides the default.
if(DEFINED ENV{PATROL_SYSROOTS})
  set(_patrol_sysroots "$ENV{PATROL_SYSROOTS}")
else()
  set(_patrol_sysroots "/opt/patrol/sysroots")
endif()
set(PATROL_CROSS_LIBROOT "${_patrol_sysroots}/${PATROL_CROSS_TRIPLET}" CACHE PATH
    "Unpacked multiarch -dev packages for ${PATROL_CROSS_TRIPLET} (scripts/dev.sh deps)")
if(NOT EXISTS "${PATROL_CROSS_LIBROOT}/usr/lib/${PATROL_CROSS_TRIPLET}")
  message(FATAL_ERROR "No target libraries in ${PATROL_CROSS_LIBROOT}: run scripts/dev.sh deps")
endif()
set(_libdir "${PATROL_CROSS_LIBROOT}/usr/lib/${PATROL_CROSS_TRIPLET}")

# find_* look in the unpacked packages (and the cross C library), never in the host's /usr.
set(CMAKE_FIND_ROOT_PATH "${PATROL_CROSS_LIBROOT}" "/usr/${PATROL_CROSS_TRIPLET}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_LIBRARY_ARCHITECTURE ${PATROL_CROSS_TRIPLET})

# The target's multiarch headers (openssl/configuration.h) before anything else;
# -rpath-link lets ld follow the libraries' own dependencies (libboost_json →
# libboost_container, libssl → libcrypto).
set(CMAKE_C_FLAGS_INIT "-isystem ${PATROL_CROSS_LIBROOT}/usr/include/${PATROL_CROSS_TRIPLET}")
set(CMAKE_CXX_FLAGS_INIT "-isystem ${PATROL_CROSS_LIBROOT}/usr/include/${PATROL_CROSS_TRIPLET}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_libdir}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_libdir}")

# qemu-user runs the tests: -L gives it the target's loader and C library, the
# guest-only LD_LIBRARY_PATH the unpacked libraries.
set(CMAKE_CROSSCOMPILING_EMULATOR
    ${PATROL_CROSS_QEMU} -L /usr/${PATROL_CROSS_TRIPLET} -E LD_LIBRARY_PATH=${_libdir})
