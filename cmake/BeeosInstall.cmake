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
