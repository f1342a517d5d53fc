# What `cmake --install` puts under the prefix (GNUInstallDirs), included from the top
# CMakeLists.txt when XIPC_INSTALL is on:
#   include/xipc.h, include/xipc/*.h    every public header, the generated version.h included
#   lib/  libxipc.a (MSVC: xipc_static.lib), libxipc.so.MAJOR.MINOR.PATCH and its links
#         (Windows: the DLL's import library, libxipc.dll.a or xipc.lib)
#   bin/  the DLL on Windows, beside the programs that need it; the xipc command
#   lib/cmake/xipc/  the CMake package: find_package(xipc CONFIG) gives xipc::xipc (shared) and
#         xipc::xipc_static, with a version file
#   lib/pkgconfig/   xipc.pc (the shared library) and xipc-static.pc (the static one)
# A new family's header lands in include/xipc/ and is installed with no change here.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ ${XIPC_GENERATED_INCLUDE}/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(TARGETS xipc_shared xipc_static EXPORT xipcTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(XIPC_BUILD_TOOLS)
  install(TARGETS xipc_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# The CMake package. Before 1.0 a minor version may break the API, so a request for 0.2 accepts
# 0.2.x only; from 1.0 on, any later version of the same major.
set(XIPC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/xipc)
install(EXPORT xipcTargets NAMESPACE xipc:: DESTINATION ${XIPC_CMAKE_DIR})
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(XIPC_COMPATIBILITY SameMinorVersion)
else()
  set(XIPC_COMPATIBILITY SameMajorVersion)
endif()
# The static library's users link what it calls: the package finds the same dependencies.
set(XIPC_CONFIG_DEPENDENCIES "")
if(Threads::Threads IN_LIST XIPC_PLATFORM_LIBS)
  set(XIPC_CONFIG_DEPENDENCIES "find_dependency(Threads)")
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/xipcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/xipcConfig.cmake INSTALL_DESTINATION ${XIPC_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/xipcConfigVersion.cmake
  COMPATIBILITY ${XIPC_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/xipcConfig.cmake ${PROJECT_BINARY_DIR}/xipcConfigVersion.cmake
  DESTINATION ${XIPC_CMAKE_DIR})

# pkg-config. The platform libraries as link flags: a target (Threads::Threads) by the flag it
# stands for, which is empty where the C library holds the threads (glibc 2.34+).
set(XIPC_PC_PRIVATE_LIBS "")
foreach(lib ${XIPC_PLATFORM_LIBS})
  if(lib STREQUAL "Threads::Threads")
    string(APPEND XIPC_PC_PRIVATE_LIBS " ${CMAKE_THREAD_LIBS_INIT}")
  else()
    string(APPEND XIPC_PC_PRIVATE_LIBS " -l${lib}")
  endif()
endforeach()
string(STRIP "${XIPC_PC_PRIVATE_LIBS}" XIPC_PC_PRIVATE_LIBS)
# A program calling the DLL sees each function declared dllimport (xipc/export.h).
if(WIN32)
  set(XIPC_PC_SHARED_CFLAGS "-DXIPC_SHARED")
else()
  set(XIPC_PC_SHARED_CFLAGS "")
endif()
# xipc-static.pc names the archive by its path: with -lxipc the linker would take the shared
# library (or the DLL's import library) wherever both are installed.
get_target_property(XIPC_STATIC_NAME xipc_static OUTPUT_NAME)
set(XIPC_STATIC_FILE
  ${CMAKE_STATIC_LIBRARY_PREFIX}${XIPC_STATIC_NAME}${CMAKE_STATIC_LIBRARY_SUFFIX})
# The files find the prefix from where they lie (${pcfiledir}), so an installed tree can move, and
# `cmake --install --prefix DIR` gives files that name DIR.
set(XIPC_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE ${XIPC_PC_DIR})
  set(XIPC_PC_PREFIX ${CMAKE_INSTALL_PREFIX})
else()
  file(RELATIVE_PATH XIPC_PC_UP /${XIPC_PC_DIR} /)
  string(REGEX REPLACE "/$" "" XIPC_PC_UP "${XIPC_PC_UP}")
  set(XIPC_PC_PREFIX "\${pcfiledir}/${XIPC_PC_UP}")
endif()
foreach(pc xipc xipc-static)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${XIPC_PC_DIR})
endforeach()
