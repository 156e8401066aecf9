# `cmake --install`: the tool, the library as a CMake package and a pkg-config file, the man page
# and the shell completions. Components; the first two are also the two Debian packages
# (cmake/Package.cmake), which are built from static builds only:
#   runtime    bin/lightshuttle, share/man/man1/lightshuttle.1.gz, the bash/zsh/fish completions,
#              share/doc/lightshuttle/
#   dev        include/lightshuttle/, <libdir>/liblightshuttle_*.a (static) or the .so links
#              (shared), <libdir>/cmake/LightShuttle/, <libdir>/pkgconfig/lightshuttle.pc,
#              share/doc/lightshuttle-dev/
#   libraries  with -DBUILD_SHARED_LIBS=ON: <libdir>/liblightshuttle_*.so.<version> (the tool needs
#              them too); empty in a static build
# <libdir> is lib/x86_64-linux-gnu on Debian (below).
# Consumers: find_package(LightShuttle REQUIRED) then link LightShuttle::<module> (see README).
# `cmake --build <dir> --target ls_libraries` builds what the dev and libraries components install.

# The libraries, the CMake package and the .pc file go to Debian's multiarch directory
# (lib/x86_64-linux-gnu) under any prefix, /usr/local included: where Debian's dynamic linker
# (ld.so.conf.d), pkg-config and CMake's find_package look, and where lintian wants an
# architecture-dependent .pc file. GNUInstallDirs alone does so only for the prefix /usr, which the
# .debs use but the build tree is not configured with. -DCMAKE_INSTALL_LIBDIR=... overrides it.
if(CMAKE_LIBRARY_ARCHITECTURE AND EXISTS "/etc/debian_version")
  set(CMAKE_INSTALL_LIBDIR "lib/${CMAKE_LIBRARY_ARCHITECTURE}" CACHE PATH "Object code libraries (LIBDIR)")
endif()
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Target -> exported name. The first ones are the public modules (include/lightshuttle/<module>);
# beast, engine_codec and dashboard_assets are internal pieces the others link privately, exported
# so that a consumer's link line (static) or the shared objects' own dependencies (shared) are
# complete.
set(LS_EXPORTED
  ls_core=core ls_runtime_api=runtime ls_runtime_memory=runtime_memory ls_runtime_docker=runtime_docker
  ls_engine=engine ls_manifest=manifest ls_spec=spec ls_lifecycle=lifecycle ls_control=control
  ls_export=export ls_watch=watch ls_beast=beast ls_engine_codec=engine_codec ls_archive=archive
  ls_dashboard_assets=dashboard_assets)
set(LS_EXPORTED_TARGETS "")
# Shared objects: liblightshuttle_<name>.so.0.1.0, SONAME liblightshuttle_<name>.so.0.1: while the
# version is 0.x a minor release may break the ABI (as the API: SameMinorVersion below). Installed,
# they find each other through RPATH $ORIGIN (all in one directory), and the tool finds them through
# $ORIGIN/../<libdir>, so an install anywhere (a staging prefix, /usr/local before ldconfig) runs.
file(RELATIVE_PATH LS_BIN_TO_LIB "/prefix/${CMAKE_INSTALL_BINDIR}" "/prefix/${CMAKE_INSTALL_LIBDIR}")
foreach(pair IN LISTS LS_EXPORTED)
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 target)
  list(GET pair 1 name)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME lightshuttle_${name}
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
    INSTALL_RPATH "$ORIGIN")
  list(APPEND LS_EXPORTED_TARGETS ${target})
endforeach()
if(BUILD_SHARED_LIBS)
  set_target_properties(lightshuttle PROPERTIES INSTALL_RPATH "$ORIGIN/${LS_BIN_TO_LIB}")
endif()

set(LS_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/LightShuttle")
install(TARGETS ${LS_EXPORTED_TARGETS} EXPORT LightShuttleTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT dev
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT libraries NAMELINK_COMPONENT dev
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT runtime
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
add_custom_target(ls_libraries)
add_dependencies(ls_libraries ${LS_EXPORTED_TARGETS} ls_changelog)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/lightshuttle"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT dev)
install(EXPORT LightShuttleTargets NAMESPACE LightShuttle:: DESTINATION "${LS_CMAKE_DIR}" COMPONENT dev)
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/LightShuttleConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/LightShuttleConfig.cmake" INSTALL_DESTINATION "${LS_CMAKE_DIR}")
# 0.x: a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/LightShuttleConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/LightShuttleConfig.cmake"
              "${PROJECT_BINARY_DIR}/LightShuttleConfigVersion.cmake"
  DESTINATION "${LS_CMAKE_DIR}" COMPONENT dev)

# The static archives carry -g (the release preset is RelWithDebInfo); `--strip` (and CPack, which
# strips) drops it from them too, which CMake's own strip rule leaves alone.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    file(GLOB archives \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/liblightshuttle_*.a\")
    foreach(a IN LISTS archives)
      execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug --enable-deterministic-archives \"\${a}\"
                      RESULT_VARIABLE rc)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR \"strip --strip-debug \${a} failed\")
      endif()
    endforeach()
  endif()" COMPONENT dev)

# pkg-config: relocatable (paths from the .pc file's own place). Static: the whole link line in
# Libs (dependency order), since `pkg-config --libs` leaves out the .private fields. Shared: Libs
# names the public modules only; the internal pieces and the third-party libraries they link are
# in Libs.private / Requires.private (for `pkg-config --static`). Boost ships no .pc files, so its
# libraries are named directly.
set(LS_PC_LIBS "")
set(LS_PC_LIBS_PRIVATE "")
foreach(name watch export control dashboard_assets lifecycle runtime_docker runtime_memory engine
             engine_codec beast spec manifest runtime archive core)
  if(BUILD_SHARED_LIBS AND name MATCHES "^(dashboard_assets|engine_codec|beast)$")
    string(APPEND LS_PC_LIBS_PRIVATE " -llightshuttle_${name}")
  else()
    string(APPEND LS_PC_LIBS " -llightshuttle_${name}")
  endif()
endforeach()
if(BUILD_SHARED_LIBS)
  set(LS_PC_REQUIRES "")
  set(LS_PC_REQUIRES_PRIVATE "fmt yaml-cpp")
  string(APPEND LS_PC_LIBS_PRIVATE " -lboost_json -lboost_url")
else()
  set(LS_PC_REQUIRES "fmt yaml-cpp")
  set(LS_PC_REQUIRES_PRIVATE "")
  string(APPEND LS_PC_LIBS " -lboost_json -lboost_url")
endif()
file(RELATIVE_PATH LS_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file("${PROJECT_SOURCE_DIR}/cmake/lightshuttle.pc.in" "${PROJECT_BINARY_DIR}/lightshuttle.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/lightshuttle.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig" COMPONENT dev)

# The tool, its man page and completion scripts, written by the built binary from its command table.
install(TARGETS lightshuttle RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT runtime)
set(gen "${PROJECT_BINARY_DIR}/generated")
set(run -P "${PROJECT_SOURCE_DIR}/cmake/RunToFile.cmake" -- $<TARGET_FILE:lightshuttle>)
add_custom_command(OUTPUT "${gen}/lightshuttle.1.gz"
  COMMAND "${CMAKE_COMMAND}" -DOUT=${gen}/lightshuttle.1.gz -DGZIP=ON ${run} __man
  DEPENDS lightshuttle "${PROJECT_SOURCE_DIR}/cmake/RunToFile.cmake" VERBATIM)
set(generated "${gen}/lightshuttle.1.gz")
foreach(shell bash zsh fish)
  add_custom_command(OUTPUT "${gen}/completion.${shell}"
    COMMAND "${CMAKE_COMMAND}" -DOUT=${gen}/completion.${shell} ${run} completion ${shell}
    DEPENDS lightshuttle "${PROJECT_SOURCE_DIR}/cmake/RunToFile.cmake" VERBATIM)
  list(APPEND generated "${gen}/completion.${shell}")
endforeach()
add_custom_target(ls_generated_docs ALL DEPENDS ${generated})
install(FILES "${gen}/lightshuttle.1.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1" COMPONENT runtime)
install(FILES "${gen}/completion.bash" DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
  RENAME lightshuttle COMPONENT runtime)
install(FILES "${gen}/completion.zsh" DESTINATION "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions"
  RENAME _lightshuttle COMPONENT runtime)
install(FILES "${gen}/completion.fish" DESTINATION "${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d"
  RENAME lightshuttle.fish COMPONENT runtime)

# Docs: the README, and Debian's copyright + changelog for each package.
set(deb "${PROJECT_SOURCE_DIR}/packaging/debian")
file(STRINGS "${deb}/changelog" top LIMIT_COUNT 1)
if(NOT top MATCHES "^lightshuttle \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "packaging/debian/changelog: the first entry is '${top}', not version ${PROJECT_VERSION}; "
                      "add an entry for ${PROJECT_VERSION} at the top")
endif()
add_custom_command(OUTPUT "${gen}/changelog.gz"
  COMMAND gzip -9nc "${deb}/changelog" > "${gen}/changelog.gz"
  DEPENDS "${deb}/changelog")
add_custom_target(ls_changelog ALL DEPENDS "${gen}/changelog.gz")
install(FILES "${PROJECT_SOURCE_DIR}/README.md" "${deb}/copyright" "${gen}/changelog.gz"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/lightshuttle" COMPONENT runtime)
install(FILES "${deb}/copyright" "${gen}/changelog.gz"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/lightshuttle-dev" COMPONENT dev)
