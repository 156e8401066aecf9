# The web dashboard, built by node (web/build.mjs: esbuild + gzip) and embedded into the binary.
#
#   include(EmbedAssets)            # cmake/ is on CMAKE_MODULE_PATH
#   ls_dashboard_assets_target()    # defines the library ls_dashboard_assets (static, or shared
#                                   # with BUILD_SHARED_LIBS)
#
# ls_dashboard_assets implements src/control/dashboard_assets.hpp (`ls::control::dashboardAssets()`)
# from a C++ source generated into the build tree. The web build reruns when anything under web/src,
# web/build.mjs or web/package-lock.json changes; its output goes to <build>/dashboard/dist (not to
# web/dist, so several build trees never write the same folder). Needs node and web/node_modules
# (`npm ci` in web/, which scripts/bootstrap runs). Without either it warns and defines nothing,
# so the caller's fallback (a build without the dashboard) applies; LS_DASHBOARD_REQUIRED=ON
# (what CI wants) makes that an error instead.

function(ls_dashboard_assets_target)
  if(TARGET ls_dashboard_assets)
    return()
  endif()
  set(web "${PROJECT_SOURCE_DIR}/web")
  set(out "${CMAKE_BINARY_DIR}/dashboard")
  set(cpp "${out}/dashboard_assets.cpp")
  find_program(LS_NODE_EXECUTABLE NAMES node nodejs
               DOC "Node.js, to build the web dashboard (scripts/bootstrap installs it)")
  set(missing "")
  if(NOT LS_NODE_EXECUTABLE)
    set(missing "node is not installed")
  elseif(NOT EXISTS "${web}/node_modules/esbuild")
    set(missing "web/node_modules is missing (run 'npm ci' in web/)")
  endif()
  if(missing)
    if(LS_DASHBOARD_REQUIRED)
      message(FATAL_ERROR "dashboard: ${missing}; scripts/bootstrap installs what it needs")
    endif()
    message(WARNING "dashboard: ${missing}: building without the web dashboard "
                    "(scripts/bootstrap installs what it needs)")
    return()
  endif()
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${web}/src/*")
  add_custom_command(
    OUTPUT "${cpp}" "${out}/dist/assets.json"
    COMMAND "${LS_NODE_EXECUTABLE}" "${web}/build.mjs" --outdir "${out}/dist" --cpp "${cpp}"
    DEPENDS ${sources} "${web}/build.mjs" "${web}/package.json" "${web}/package-lock.json"
    WORKING_DIRECTORY "${web}"
    COMMENT "Building the web dashboard (web/build.mjs)"
    VERBATIM)
  add_library(ls_dashboard_assets "${cpp}")
  target_include_directories(ls_dashboard_assets PUBLIC "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>")
  target_compile_features(ls_dashboard_assets PUBLIC cxx_std_20)
  if(COMMAND ls_warnings)
    ls_warnings(ls_dashboard_assets)
    ls_shared_checks(ls_dashboard_assets)
  endif()
  # The bodies are long string literals (ISO C++ only promises 65,536 characters).
  target_compile_options(ls_dashboard_assets PRIVATE -Wno-overlength-strings)
  set_property(GLOBAL PROPERTY LS_DASHBOARD_DIST "${out}/dist")
endfunction()
