# CPACK_PRE_BUILD_SCRIPTS hook (cmake/Package.cmake): drop the debug info from our static archives
# in CPack's staging tree (CPACK_STRIP_FILES strips executables only; the release preset is
# RelWithDebInfo, so the archives carry -g).
file(GLOB_RECURSE archives "${CPACK_TEMPORARY_DIRECTORY}/*/liblightshuttle_*.a")
foreach(a IN LISTS archives)
  execute_process(COMMAND "${CPACK_LS_STRIP}" --strip-debug --enable-deterministic-archives "${a}"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "strip --strip-debug ${a} failed (${rc})")
  endif()
endforeach()
