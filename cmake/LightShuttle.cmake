# Helpers shared by every target of the project.

# Warnings as errors for our own code only (third-party headers are included as SYSTEM).
function(ls_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
    # Designated initializers that name only some fields are the intended style (STYLE.md 7).
    -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports false positives inside libstdc++ and Boost under -O2/-O3 (GCC PR 105329, 106199);
    # -Wmismatched-new-delete fires on Asio's coroutine frames (aligned_alloc'd, freed by their own
    # operator delete) once inlined at -O2.
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-maybe-uninitialized -Wno-array-bounds
                                             -Wno-stringop-overflow -Wno-mismatched-new-delete)
  endif()
endfunction()

# ls_shared_checks(<target>): a shared library must name every library it uses (the static archives
# leave that to the final link), so an unresolved symbol fails its own link, not a consumer's.
function(ls_shared_checks target)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "SHARED_LIBRARY")
    target_link_options(${target} PRIVATE LINKER:--no-undefined)
  endif()
endfunction()

# ls_private_headers(<target> <dir>...): the private headers under src/<dir> become visible to
# <target> and to what links it (through the link graph's PUBLIC edges), and to nothing else: a
# layer can include only the private headers of what it links. Each target gets its own include
# root in the build tree holding a link per owned directory, so `#include "engine/x.hpp"` resolves
# only where ls_engine (or ls_engine_codec) is linked.
function(ls_private_headers target)
  set(root "${PROJECT_BINARY_DIR}/private/${target}")
  foreach(dir IN LISTS ARGN)
    get_filename_component(parent "${root}/${dir}" DIRECTORY)
    file(MAKE_DIRECTORY "${parent}")
    if(NOT IS_SYMLINK "${root}/${dir}")
      file(CREATE_LINK "${PROJECT_SOURCE_DIR}/src/${dir}" "${root}/${dir}" SYMBOLIC)
    endif()
  endforeach()
  file(MAKE_DIRECTORY "${root}")
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    target_include_directories(${target} PRIVATE "${root}")
  else()
    target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${root}>)
  endif()
endfunction()

# ls_library(NAME <name> [OWNS <dir under src>...] SOURCES ... DEPS ... [PRIVATE_DEPS ...])
# Static, or shared with -DBUILD_SHARED_LIBS=ON (cmake/Install.cmake gives the shared objects their
# SOVERSION and install RPATH).
function(ls_library)
  cmake_parse_arguments(ARG "" "NAME" "OWNS;SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${ARG_NAME} ${ARG_SOURCES})
  ls_shared_checks(${ARG_NAME})
  # The installed package (cmake/Install.cmake) points consumers at <prefix>/include instead.
  target_include_directories(${ARG_NAME} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
  ls_private_headers(${ARG_NAME} ${ARG_OWNS})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  ls_warnings(${ARG_NAME})
endfunction()
