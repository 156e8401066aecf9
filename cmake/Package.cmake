# CPack: two Debian packages from the install components of cmake/Install.cmake, from a static
# build only (a shared build's libraries component would need a third, versioned library package).
#   cpack --config build/release/CPackConfig.cmake -B build/release/packages
#   -> lightshuttle_<version>_amd64.deb       the tool, man page, completions, docs
#      lightshuttle-dev_<version>_amd64.deb   headers, static libraries, CMake package, pkg-config
# The tool's Depends come from dpkg-shlibdeps (the Debian runtime libraries it links: fmt,
# yaml-cpp, Boost.JSON/URL, libstdc++); the -dev package depends on the -dev packages that its
# CMake package finds with find_dependency.

if(BUILD_SHARED_LIBS)
  message(STATUS "BUILD_SHARED_LIBS: no Debian packages (cpack) from a shared build; "
                 "they are built from a static one")
  return()
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lightshuttle)
set(CPACK_PACKAGE_VENDOR "LightShuttle")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_LS_STRIP "${CMAKE_STRIP}")
set(CPACK_PRE_BUILD_SCRIPTS "${PROJECT_SOURCE_DIR}/cmake/StripArchives.cmake")
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/packages")
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(LS_PACKAGE_MAINTAINER "LightShuttle developers <maintainers@lightshuttle.invalid>" CACHE STRING
    "Maintainer field of the Debian packages")
set(CPACK_PACKAGE_CONTACT "${LS_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${LS_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME lightshuttle)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS "docker.io | podman")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
"developer-time container orchestrator
Declare a stack (databases, caches, services built from a Dockerfile) once
in lightshuttle.yml; `lightshuttle up` boots it against a real container
engine (Docker Engine API, or podman's compatible socket) in dependency
order, gated on readiness, supervises it, serves a local control API and
web dashboard, and tears everything down on Ctrl+C. It also exports the
stack to docker compose, Kubernetes manifests and a Helm chart.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME lightshuttle-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libboost1.81-dev, libboost-json1.81-dev, libboost-url1.81-dev, libfmt-dev, libyaml-cpp-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION
"container runtime and lifecycle library (development files)
The LightShuttle library: a Runtime interface with a Docker Engine API backend
and a scriptable in-memory backend for tests, the manifest loader, and the
lifecycle manager that boots, supervises and tears down a stack.

This package has the headers, the static libraries, the CMake package
(find_package(LightShuttle)) and the pkg-config file (lightshuttle.pc).")

include(CPack)
