# shellcheck shell=bash
# Shared by the packaging tests: messages, skip-or-fail, the expected install tree, and the checks
# run against an installed prefix (static: consumer.sh; shared: shared.sh). The sourcing script sets
# TEST and src (the source tree).
# shellcheck disable=SC2034,SC2154 # the lists are for those scripts; src comes from them

say() { printf '%s: %s\n' "$TEST" "$*" >&2; }
fail() {
	printf '%s: FAILED: %s\n' "$TEST" "$*" >&2
	exit 1
}
# missing WHAT: a test prerequisite is absent: a failure under CI=true, a skip (77) elsewhere.
missing() {
	if [[ ${CI:-} == true ]]; then fail "$1 (CI=true: a missing prerequisite is a failure; run scripts/bootstrap)"; fi
	say "SKIPPED: $1 (scripts/bootstrap installs it)"
	exit 77
}

# Files every install must have (relative to the prefix), by component.
RUNTIME_FILES=(
	bin/lightshuttle
	share/man/man1/lightshuttle.1.gz
	share/bash-completion/completions/lightshuttle
	share/zsh/vendor-completions/_lightshuttle
	share/fish/vendor_completions.d/lightshuttle.fish
	share/doc/lightshuttle/copyright
	share/doc/lightshuttle/changelog.gz
	share/doc/lightshuttle/README.md
)
# set_libdir TREE: LIBDIR, the CMAKE_INSTALL_LIBDIR that build tree installs into (lib/<multiarch>
# on Debian; lib in a tree configured before cmake/Install.cmake said so), and DEV_FILES with it.
set_libdir() {
	LIBDIR=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$1/CMakeCache.txt")
	[[ -n $LIBDIR ]] || fail "no CMAKE_INSTALL_LIBDIR in $1/CMakeCache.txt"
	DEV_FILES=(
		include/lightshuttle/runtime/runtime.hpp
		include/lightshuttle/lifecycle/manager.hpp
		"$LIBDIR/cmake/LightShuttle/LightShuttleConfig.cmake"
		"$LIBDIR/cmake/LightShuttle/LightShuttleConfigVersion.cmake"
		"$LIBDIR/cmake/LightShuttle/LightShuttleTargets.cmake"
		"$LIBDIR/pkgconfig/lightshuttle.pc"
		share/doc/lightshuttle-dev/copyright
	)
}
LIBS=(core runtime runtime_memory runtime_docker engine manifest spec lifecycle control export watch
	archive beast engine_codec dashboard_assets)

# no_tree_paths PREFIX BUILD SRC: nothing of the build or source tree leaks into the installed
# CMake package or pkg-config file (under PREFIX/LIBDIR).
no_tree_paths() {
	if grep -rlF -e "$3/" -e "$2/" "$1/$LIBDIR/cmake" "$1/$LIBDIR/pkgconfig"; then
		fail "the installed package files above name the source or build tree"
	fi
}

# build_consumer PREFIX DIR: tests/consumer configured (find_package only, CMAKE_PREFIX_PATH=PREFIX)
# and built in DIR; its include paths must come from the package, none from the source tree.
build_consumer() {
	local prefix=$1 dir=$2
	say "tests/consumer: configure + build against $prefix"
	rm -rf "$dir"
	# Through ccache as the project's own build is (keys relative to the source tree, which holds
	# the build trees and so the staged headers): a rerun against unchanged headers is a cache hit.
	local -a launcher=()
	if command -v ccache >/dev/null; then
		launcher=("-DCMAKE_CXX_COMPILER_LAUNCHER=env;CCACHE_BASEDIR=$src;CCACHE_NOHASHDIR=true;ccache")
	fi
	cmake -S "$src/tests/consumer" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=g++ "${launcher[@]}" \
		-DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH="$prefix" >"$dir.log" 2>&1 ||
		{ cat "$dir.log" >&2; fail "configuring tests/consumer"; }
	cmake --build "$dir" >>"$dir.log" 2>&1 || { tail -n 60 "$dir.log" >&2; fail "building tests/consumer"; }
	if grep -F -e "-I$src/include" -e "-I$src/src" -e "-isystem $src/include" "$dir/build.ninja"; then
		fail "tests/consumer compiled with an include path into the source tree"
	fi
}

# run_consumer DIR: runs the consumer built in DIR; its DockerRuntime half needs a docker engine
# (a failure under CI, a skip elsewhere).
run_consumer() {
	# shellcheck source=scripts/lib/engine-env.sh
	. "$src/scripts/lib/engine-env.sh"
	local endpoint
	if ! endpoint=$(ls_engine_endpoint); then
		missing "no docker engine answers (for the DockerRuntime half of tests/consumer)"
	fi
	DOCKER_HOST=$endpoint "$1/consumer" || fail "tests/consumer failed (see its checks above)"
}

# pkgconfig_smoke PREFIX DIR [LDFLAGS...]: compiles and runs, in DIR, a program built with
# $(pkg-config --cflags --libs lightshuttle) from PREFIX/LIBDIR's lightshuttle.pc (LDFLAGS after).
pkgconfig_smoke() {
	local prefix=$1 dir=$2 flags out
	shift 2
	say "pkg-config: compile and run a program with \$(pkg-config --cflags --libs lightshuttle)"
	command -v pkg-config >/dev/null || missing "pkg-config is not installed"
	rm -rf "$dir" && mkdir -p "$dir"
	cat >"$dir/main.cpp" <<'CPP'
#include <lightshuttle/core/sha256.hpp>
#include <lightshuttle/manifest/loader.hpp>
#include <cstdio>
int main() {
  auto report = ls::manifest::parseManifest(
      "lightshuttle: v0\nproject:\n  name: pc\nresources:\n  box:\n    container:\n      image: busybox\n",
      "inline.yml");
  std::printf("%s %s\n", report.ok() ? "ok" : report.render().c_str(), ls::sha256Hex("abc").c_str());
  return report.ok() ? 0 : 1;
}
CPP
	flags=$(PKG_CONFIG_PATH=$prefix/$LIBDIR/pkgconfig pkg-config --cflags --libs lightshuttle) ||
		fail "pkg-config --cflags --libs lightshuttle"
	say "pkg-config: $flags"
	# shellcheck disable=SC2086 # word splitting of pkg-config's output is the point
	g++ -std=c++20 -o "$dir/smoke" "$dir/main.cpp" $flags "$@" || fail "compiling with pkg-config's flags"
	out=$("$dir/smoke") || fail "the pkg-config program failed: $out"
	[[ $out == "ok ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" ]] ||
		fail "the pkg-config program printed '$out'"
}
