#!/usr/bin/env bash
# packaging.consumer BUILD_DIR SOURCE_DIR: install the (static) build tree into BUILD_DIR/stage,
# build the downstream project tests/consumer against it with find_package only, run it (memory
# stack + real engine), compile a program with pkg-config's flags, and check the installed files.
# packaging.shared (shared.sh) does the same for a -DBUILD_SHARED_LIBS=ON build of the libraries.
set -Eeuo pipefail
TEST=packaging.consumer
build=$1 src=$2
# shellcheck source=tests/packaging/lib.sh
. "$src/tests/packaging/lib.sh"
stage=$build/stage
set_libdir "$build"
rm -rf "$stage"

say "cmake --install $build --prefix $stage"
cmake --install "$build" --prefix "$stage" >"$build/stage.log" || { cat "$build/stage.log" >&2; fail "cmake --install"; }
for f in "${RUNTIME_FILES[@]}" "${DEV_FILES[@]}"; do
	[[ -s $stage/$f ]] || fail "the install has no $f"
done
for l in "${LIBS[@]}"; do
	[[ -s $stage/$LIBDIR/liblightshuttle_$l.a ]] || fail "the install has no $LIBDIR/liblightshuttle_$l.a"
done
if compgen -G "$stage/$LIBDIR/liblightshuttle_*.so*"; then fail "a static build installed the shared objects above"; fi
[[ -x $stage/bin/lightshuttle ]] || fail "bin/lightshuttle is not executable"
no_tree_paths "$stage" "$build" "$src"
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

build_consumer "$stage" "$build/consumer-build"
run_consumer "$build/consumer-build"
pkgconfig_smoke "$stage" "$build/pkgconfig-smoke"
if ldd "$build/pkgconfig-smoke/smoke" | grep liblightshuttle; then
	fail "the pkg-config program of a static install loads the shared objects above"
fi
say "passed"
