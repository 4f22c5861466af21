# The dependencies of beeos, found once for the library, its tests and tools.
# Boost >= 1.81 (Debian 12: libboost1.81-dev, libboost-json1.81-dev, libboost-url1.81-dev),
# OpenSSL 3 (libssl-dev), zlib (zlib1g-dev) for gzip response bodies.
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json url)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
