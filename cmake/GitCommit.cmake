# The commit a build comes from, for `lightshuttle --version`.
#
#   include(GitCommit)
#   ls_git_commit(<target> <source>...)
#
# Defines LS_GIT_COMMIT (a string literal: 12 hex digits, "-dirty" when tracked files differ from
# it, "unknown" outside a git checkout, e.g. a source tarball) for the listed sources only, through
# a header force-included into them. The header is rewritten on every build but only when its text
# changes, so a new commit recompiles those sources and nothing else, and nothing reconfigures.
# -DLS_GIT_COMMIT=<text> (e.g. a distribution's build) fixes the value instead of asking git.

set(LS_GIT_COMMIT "" CACHE STRING "Commit named by --version (empty: ask git at build time)")

function(ls_git_commit target)
  set(header "${CMAKE_CURRENT_BINARY_DIR}/ls_git_commit.h")
  find_program(LS_GIT_EXECUTABLE git)
  add_custom_target(${target}_git_commit
    COMMAND "${CMAKE_COMMAND}" -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DOUT=${header}
            -DGIT=${LS_GIT_EXECUTABLE} -DFIXED=${LS_GIT_COMMIT}
            -P "${PROJECT_SOURCE_DIR}/cmake/WriteGitCommit.cmake"
    BYPRODUCTS "${header}"
    COMMENT ""
    VERBATIM)
  add_dependencies(${target} ${target}_git_commit)
  set_source_files_properties(${ARGN} TARGET_DIRECTORY ${target} PROPERTIES
    COMPILE_OPTIONS "-include;${header}"
    OBJECT_DEPENDS "${header}")
endfunction()
