#!/usr/bin/env bash
# packaging.shared BUILD_DIR SOURCE_DIR: the libraries built shared (-DBUILD_SHARED_LIBS=ON) in a
# separate tree, BUILD_DIR/shared-build (only the libraries: target ls_libraries, no tests, no
# CLI), installed (components libraries + dev) into BUILD_DIR/shared-stage; then the installed
# files (versioned shared objects with their SONAME and RUNPATH, no static archive named anywhere),
# tests/consumer built against it with find_package only and run, and a pkg-config program.
# The tree is configured afresh each run; with a warm ccache that costs the links and the
# dashboard's web build, not the compiles. LS_PACKAGING_JOBS: its build jobs (default nproc).
set -Eeuo pipefail
TEST=packaging.shared
build=$1 src=$2
# shellcheck source=tests/packaging/lib.sh
. "$src/tests/packaging/lib.sh"
tree=$build/shared-build
stage=$build/shared-stage
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[[ $version =~ ^([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || fail "no project version in $build/CMakeCache.txt"
soversion=${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")

# The embedded dashboard is one of the shared objects: build the real one, not the fallback.
command -v node >/dev/null || missing "node is not installed (for the dashboard assets library)"
[[ -d $src/web/node_modules/esbuild ]] || missing "web/node_modules is missing (npm ci in web/)"

rm -rf "$tree" "$stage"
say "configure $tree (BUILD_SHARED_LIBS=ON, Debug without -g, no tests)"
# No -g: debug info makes the cold compile of the Asio-heavy sources slower and is not what is tested.
cmake -S "$src" -B "$tree" -G Ninja -DCMAKE_CXX_COMPILER="${compiler:-g++}" -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_CXX_FLAGS_DEBUG=-O0 -DBUILD_SHARED_LIBS=ON -DLS_BUILD_TESTS=OFF -DLS_BUILD_BENCH=OFF \
	-DLS_DASHBOARD_REQUIRED=ON \
	>"$tree.log" 2>&1 || { cat "$tree.log" >&2; fail "configuring the shared build"; }
jobs=${LS_PACKAGING_JOBS:-$(nproc)}
say "build ls_libraries (-j $jobs)"
cmake --build "$tree" --target ls_libraries -j "$jobs" >>"$tree.log" 2>&1 ||
	{ tail -n 60 "$tree.log" >&2; fail "building the shared libraries"; }
grep -q -- '-fPIC' "$tree/compile_commands.json" || fail "the shared build compiled without -fPIC"
set_libdir "$tree"
for c in libraries dev; do
	cmake --install "$tree" --prefix "$stage" --component "$c" >>"$tree.log" ||
		{ tail -n 20 "$tree.log" >&2; fail "cmake --install --component $c"; }
done

for f in "${DEV_FILES[@]}"; do
	[[ -s $stage/$f ]] || fail "the install has no $f"
done
for l in "${LIBS[@]}"; do
	so=$stage/$LIBDIR/liblightshuttle_$l.so
	[[ -f $so.$version && ! -L $so.$version ]] || fail "the install has no $LIBDIR/liblightshuttle_$l.so.$version"
	[[ $(readlink "$so.$soversion") == "liblightshuttle_$l.so.$version" ]] ||
		fail "$LIBDIR/liblightshuttle_$l.so.$soversion does not link to liblightshuttle_$l.so.$version"
	[[ $(readlink "$so") == "liblightshuttle_$l.so.$soversion" ]] ||
		fail "$LIBDIR/liblightshuttle_$l.so does not link to liblightshuttle_$l.so.$soversion"
	dyn=$(objdump -p "$so.$version")
	grep -qE "^ +SONAME +liblightshuttle_$l\.so\.$soversion\$" <<<"$dyn" ||
		fail "liblightshuttle_$l.so.$version: SONAME is not liblightshuttle_$l.so.$soversion"
	# shellcheck disable=SC2016 # a literal $ORIGIN
	grep -qE '^ +(RUNPATH|RPATH) +\$ORIGIN$' <<<"$dyn" ||
		fail "liblightshuttle_$l.so.$version: the install RUNPATH is not \$ORIGIN: $(grep PATH <<<"$dyn")"
done
if compgen -G "$stage/$LIBDIR/*.a"; then fail "a shared build installed the static archives above"; fi
if grep -rn '\.a\b' "$stage/$LIBDIR/cmake" "$stage/$LIBDIR/pkgconfig"; then
	fail "the shared install's package files name a static archive (above)"
fi
[[ ! -e $stage/bin ]] || fail "components libraries + dev installed a bin/ ($(ls "$stage/bin"))"
no_tree_paths "$stage" "$tree" "$src"
say "installed $(find "$stage" -type f | wc -l) files, $(du -sh "$stage" | cut -f1)"

build_consumer "$stage" "$build/consumer-shared-build"
# Every LightShuttle library the consumer loads is a shared object of the staged install.
libs=$(ldd "$build/consumer-shared-build/consumer") || fail "ldd consumer"
if grep 'not found' <<<"$libs"; then fail "the consumer has unresolved libraries (above)"; fi
grep -q "liblightshuttle_lifecycle.so.$soversion => $stage/$LIBDIR/" <<<"$libs" ||
	fail "the consumer does not load liblightshuttle_lifecycle.so.$soversion from $stage/$LIBDIR: $libs"
if grep 'liblightshuttle' <<<"$libs" | grep -v "=> $stage/$LIBDIR/"; then
	fail "the consumer loads the LightShuttle libraries above from elsewhere"
fi
run_consumer "$build/consumer-shared-build"

pkgconfig_smoke "$stage" "$build/pkgconfig-shared-smoke" "-Wl,-rpath,$stage/$LIBDIR"
# (ldd's output captured first: `ldd | grep -q` fails under pipefail when grep stops reading early.)
libs=$(ldd "$build/pkgconfig-shared-smoke/smoke") || fail "ldd smoke"
grep -q "liblightshuttle_manifest.so.$soversion => $stage/$LIBDIR/" <<<"$libs" ||
	fail "the pkg-config program does not load liblightshuttle_manifest.so.$soversion from $stage/$LIBDIR"
say "passed"
