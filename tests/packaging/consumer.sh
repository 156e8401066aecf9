#!/usr/bin/env bash
# packaging.consumer BUILD_DIR SOURCE_DIR: install the build tree into BUILD_DIR/stage, build the
# downstream project tests/consumer against it with find_package only, run it (memory stack +
# real engine), compile a program with pkg-config's flags, and check the installed files.
set -Eeuo pipefail
TEST=packaging.consumer
build=$1 src=$2
# shellcheck source=tests/packaging/lib.sh
. "$src/tests/packaging/lib.sh"
stage=$build/stage
rm -rf "$stage" "$build/consumer-build" "$build/pkgconfig-smoke"

say "cmake --install $build --prefix $stage"
cmake --install "$build" --prefix "$stage" >"$build/stage.log" || { cat "$build/stage.log" >&2; fail "cmake --install"; }
for f in "${RUNTIME_FILES[@]}" "${DEV_FILES[@]}"; do
	[[ -s $stage/$f ]] || fail "the install has no $f"
done
for l in "${LIBS[@]}"; do
	[[ -s $stage/lib/liblightshuttle_$l.a ]] || fail "the install has no lib/liblightshuttle_$l.a"
done
[[ -x $stage/bin/lightshuttle ]] || fail "bin/lightshuttle is not executable"
# Nothing of the build or source tree may leak into the installed CMake package.
if grep -rlF -e "$src/" -e "$build/" "$stage/lib/cmake" "$stage/lib/pkgconfig"; then
	fail "the installed package files above name the source or build tree"
fi
# The man page and completions name every verb the binary has.
man=$(gzip -dc "$stage/share/man/man1/lightshuttle.1.gz")
grep -q '^\.TH LIGHTSHUTTLE 1' <<<"$man" || fail "lightshuttle.1 has no .TH header"
for verb in up down ps logs exec restart doctor validate export completion; do
	grep -q "^\.SS \"\\\\fBlightshuttle $verb" <<<"$man" || fail "lightshuttle.1 does not describe '$verb'"
	grep -q "'$verb'" "$stage/share/bash-completion/completions/lightshuttle" ||
		fail "the bash completion does not know '$verb'"
done
if command -v groff >/dev/null; then
	warnings=$(gzip -dc "$stage/share/man/man1/lightshuttle.1.gz" | groff -man -Tutf8 -ww -z 2>&1 || true)
	[[ -z $warnings ]] || fail "groff warns about lightshuttle.1: $warnings"
fi
say "installed $(find "$stage" -type f | wc -l) files, $(du -sh "$stage" | cut -f1)"

export CI=${CI:-}
say "tests/consumer: configure + build against the staged package"
cmake -S "$src/tests/consumer" -B "$build/consumer-build" -G Ninja -DCMAKE_CXX_COMPILER=g++ \
	-DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH="$stage" >"$build/consumer-build.log" 2>&1 ||
	{ cat "$build/consumer-build.log" >&2; fail "configuring tests/consumer"; }
cmake --build "$build/consumer-build" >>"$build/consumer-build.log" 2>&1 ||
	{ tail -n 60 "$build/consumer-build.log" >&2; fail "building tests/consumer"; }
# The consumer's include paths come from the package only.
if grep -F -e "-I$src/include" -e "-I$src/src" -e "-isystem $src/include" "$build/consumer-build/build.ninja"; then
	fail "tests/consumer compiled with an include path into the source tree"
fi

# The engine half needs a docker engine: a failure under CI, a skip elsewhere.
. "$src/scripts/lib/engine-env.sh"
if ! endpoint=$(ls_engine_endpoint); then
	missing "no docker engine answers (for the DockerRuntime half of tests/consumer)"
fi
export DOCKER_HOST=$endpoint
"$build/consumer-build/consumer" || fail "tests/consumer failed (see its checks above)"

say "pkg-config: compile and run a program with \$(pkg-config --cflags --libs lightshuttle)"
command -v pkg-config >/dev/null || missing "pkg-config is not installed"
mkdir -p "$build/pkgconfig-smoke"
cat >"$build/pkgconfig-smoke/main.cpp" <<'CPP'
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
# shellcheck disable=SC2046 # word splitting of pkg-config's output is the point
g++ -std=c++20 -o "$build/pkgconfig-smoke/smoke" "$build/pkgconfig-smoke/main.cpp" \
	$(PKG_CONFIG_PATH=$stage/lib/pkgconfig pkg-config --cflags --libs lightshuttle) ||
	fail "compiling with pkg-config's flags"
out=$("$build/pkgconfig-smoke/smoke") || fail "the pkg-config program failed: $out"
[[ $out == "ok ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" ]] ||
	fail "the pkg-config program printed '$out'"
say "passed"
