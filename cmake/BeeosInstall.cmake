# Installs the headers, the library and a CMake package, so a consumer writes
#   find_package(beeos CONFIG REQUIRED)  and  target_link_libraries(app PRIVATE beeos::beeos)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/beeos DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS beeos EXPORT beeosTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT beeosTargets NAMESPACE beeos:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/beeos)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/beeosConfig.cmake.in
    ${PROJECT_BINARY_DIR}/beeosConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/beeos)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/beeosConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/beeosConfig.cmake
    ${PROJECT_BINARY_DIR}/beeosConfigVersion.cmake
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/beeos)

# pkg-config, for build systems other than CMake. Boost ships no .pc files, so its libraries are
# named directly. A shared libbeeos hides OpenSSL, zlib and Boost.URL behind its soname (they are
# only needed for `pkg-config --static`); a static one needs them on every link line.
file(RELATIVE_PATH BEEOS_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" BEEOS_PC_TO_PREFIX "${BEEOS_PC_TO_PREFIX}")
if(BUILD_SHARED_LIBS)
    set(BEEOS_PC_PRIVATE ".private")
else()
    set(BEEOS_PC_PRIVATE "")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/beeos.pc.in ${PROJECT_BINARY_DIR}/beeos.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/beeos.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# `cpack -G DEB` in the build tree makes one development package of whatever was installed
# (headers, library, CMake package, beeos.pc and the beeos tool when it is built). Its
# dependencies are Debian 12's names for what find_package(beeos) looks for.
set(CPACK_PACKAGE_NAME "libbeeos-dev")
set(CPACK_PACKAGE_VENDOR "The beeos authors")
set(CPACK_PACKAGE_CONTACT "The beeos authors")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "libdevel")
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libboost1.81-dev, libboost-json1.81-dev, libboost-url1.81-dev, libssl-dev (>= 3), zlib1g-dev")
if(BEEOS_BUILD_CLI)
    string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libboost-program-options1.81.0")
endif()
set(CPACK_GENERATOR "DEB")
include(CPack)
