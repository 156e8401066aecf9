#!/usr/bin/env bash
# packaging.deb BUILD_DIR SOURCE_DIR: cpack's two Debian packages from the build tree; their
# fields and contents; lintian on lightshuttle_*.deb (every tag it reports must be listed, with its reason, in
# tests/packaging/lintian-expected, which the README's Install section explains); then
# lightshuttle_*.deb installed with dpkg into a container of a Debian 12 test image with no network,
# together with the Debian runtime libraries it depends on (fetched with `apt-get download` through
# this machine's apt configuration, cached under /var/cache/lightshuttle-bootstrap/debs), where
# `lightshuttle --version`, `completion bash` and `validate` of the quickstart run.
set -Eeuo pipefail
TEST=packaging.deb
build=$1 src=$2
# shellcheck source=tests/packaging/lib.sh
. "$src/tests/packaging/lib.sh"
# shellcheck source=scripts/lib/engine-env.sh
. "$src/scripts/lib/engine-env.sh"
cache=${LS_BOOTSTRAP_CACHE:-/var/cache/lightshuttle-bootstrap}/debs
image=${LS_PACKAGING_IMAGE:-$LS_TEST_IMAGE_POSTGRES}
out=$build/packages
set_libdir "$build"
container=
cleanup() { if [[ -n $container ]]; then docker rm -f -v "$container" >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

for tool in cpack dpkg-deb dpkg-shlibdeps apt-get apt-cache; do
	command -v "$tool" >/dev/null || missing "$tool is not installed"
done
command -v lintian >/dev/null || missing "lintian is not installed"

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
arch=$(dpkg --print-architecture)
rm -rf "$out"
say "cpack (DEB) in $build"
# gzip instead of the packages' xz: the same contents, minutes faster on a debug tree.
(cd "$build" && cpack --config CPackConfig.cmake -B "$out" -D CPACK_DEBIAN_COMPRESSION_TYPE=gzip) >"$build/cpack.log" 2>&1 ||
	{ tail -n 40 "$build/cpack.log" >&2; fail "cpack"; }
deb=$out/lightshuttle_${version}_${arch}.deb
dev=$out/lightshuttle-dev_${version}_${arch}.deb
[[ -s $deb ]] || fail "cpack made no $(basename "$deb") (made: $(ls "$out"))"
[[ -s $dev ]] || fail "cpack made no $(basename "$dev") (made: $(ls "$out"))"
say "$(basename "$deb"): $(du -k "$deb" | cut -f1) KiB; $(basename "$dev"): $(du -k "$dev" | cut -f1) KiB"

# Fields.
depends=$(dpkg-deb -f "$deb" Depends)
say "Depends: $depends"
for lib in libfmt9 libyaml-cpp0.7 libc6 libstdc++6; do
	tr ',' '\n' <<<"$depends" | sed -e 's/(.*)//' -e 's/[[:space:]]//g' | grep -qxF "$lib" ||
		fail "Depends lacks $lib: $depends"
done
[[ $(dpkg-deb -f "$deb" Recommends) == "docker.io | podman" ]] ||
	fail "Recommends is '$(dpkg-deb -f "$deb" Recommends)', not 'docker.io | podman'"
grep -q 'libfmt-dev' <<<"$(dpkg-deb -f "$dev" Depends)" || fail "lightshuttle-dev does not depend on libfmt-dev"

# Contents: the runtime package has the tool and its docs, the -dev package the library.
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./usr/||')
for f in "${RUNTIME_FILES[@]}"; do
	grep -qxF "$f" <<<"$contents" || fail "$(basename "$deb") has no /usr/$f"
done
if grep -E '^(include|lib)/' <<<"$contents"; then fail "$(basename "$deb") has library files (above)"; fi
devcontents=$(dpkg-deb -c "$dev" | awk '{print $6}' | sed 's|^\./usr/||')
for f in "${DEV_FILES[@]}"; do
	grep -qxF "$f" <<<"$devcontents" || fail "$(basename "$dev") has no /usr/$f"
done
for l in "${LIBS[@]}"; do
	grep -qxF "$LIBDIR/liblightshuttle_$l.a" <<<"$devcontents" || fail "$(basename "$dev") has no liblightshuttle_$l.a"
done

# lintian: every tag must be an expected one (tests/packaging/lintian-expected says why each is).
# lightshuttle-dev is checked as a copy whose static archives keep only their smallest member each:
# before any check runs, lintian indexes the package with `readelf --all` of every archive member,
# parsed in Perl, whatever -X/--tags select, and the members' template-heavy symbol tables make that
# take many minutes here (see the README). Everything else in it is checked as built, and the
# archive checks see one real member of each archive. LS_LINTIAN_DEV=full checks it as built.
checked=("$deb")
if [[ ${LS_LINTIAN_DEV:-} == full ]]; then
	checked+=("$dev")
else
	lite=$build/lintian-dev
	rm -rf "$lite" && mkdir -p "$lite/member"
	dpkg-deb -R "$dev" "$lite/root"
	for a in "$lite/root/usr/$LIBDIR"/liblightshuttle_*.a; do
		m=$(ar tv "$a" | sort -k3,3n | awk 'NR == 1 {print $NF}')
		[[ -n $m ]] || fail "ar tv $a lists no member"
		rm -f "$lite/member"/*
		if ! (cd "$lite/member" && ar x "$a" "$m" && rm "$a" && ar rcD "$a" "$m"); then
			fail "cutting $a down to $m"
		fi
	done
	(cd "$lite/root" && find usr -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
	dpkg-deb --root-owner-group -Zgzip -b "$lite/root" "$lite/${dev##*/}" >/dev/null ||
		fail "repacking $(basename "$dev") with cut-down archives"
	checked+=("$lite/${dev##*/}")
fi
say "lintian ${checked[*]##*/}"
# Exit 2 is "tags at or above --fail-on" (judged below, tag by tag); 1 is lintian failing to run.
rc=0
lintian --tag-display-limit 0 "${checked[@]}" >"$build/lintian.log" 2>&1 || rc=$?
if ((rc != 0 && rc != 2)); then
	cat "$build/lintian.log" >&2
	fail "lintian did not run (exit $rc)"
fi
expected=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$src/tests/packaging/lintian-expected" | awk '{print $1}')
unexpected=$(awk '$1 ~ /^[EWIXP]:/ {print $3}' "$build/lintian.log" | sort -u | grep -vxF -f <(printf '%s\n' "$expected") || true)
if [[ -n $unexpected ]]; then
	cat "$build/lintian.log" >&2
	fail "lintian reports tags not in tests/packaging/lintian-expected: $(echo "$unexpected" | tr '\n' ' ')"
fi
if grep -q '^E:' "$build/lintian.log"; then
	say "lintian errors (all expected):"
fi
sed 's/^/  /' "$build/lintian.log" >&2

# A clean install on a Debian 12 rootfs that has only Debian's packages.
ls_engine_endpoint >/dev/null || missing "no docker engine answers (to run the Debian 12 container)"
docker image inspect "$image" >/dev/null 2>&1 || missing "the test image $image is missing"
present=$(docker run --rm --network none --user 0 --entrypoint dpkg-query "$image" -W -f '${Package}\n' 2>&1) ||
	fail "dpkg-query in $image: $present"
# The Depends (first alternative, no versions), then their dependencies, minus what the image has.
wanted=$(tr ',' '\n' <<<"$depends" | sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' -e '/^$/d')
# shellcheck disable=SC2086
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
	--no-replaces --no-enhances $wanted 2>/dev/null | grep -E '^[a-z0-9]' | sort -u) ||
	fail "apt-cache depends $wanted (run apt-get update?)"
need=$(comm -23 <(printf '%s\n' "$closure") <(printf '%s\n' "$present" | sort -u))
mkdir -p "$cache"
debs=()
for p in $need; do
	v=$(apt-cache policy "$p" | sed -n 's/^ *Candidate: //p')
	[[ -n $v && $v != "(none)" ]] || fail "no installable candidate for $p (apt-cache policy $p)"
	f=$(compgen -G "$cache/${p}_${v//:/%3a}_*.deb" || true)
	if [[ -z $f ]]; then
		say "apt-get download $p=$v (cached in $cache)"
		(cd "$cache" && apt-get download -q "$p=$v" >/dev/null 2>"$build/apt-download.log") ||
			{ cat "$build/apt-download.log" >&2; fail "apt-get download $p=$v"; }
		f=$(compgen -G "$cache/${p}_${v//:/%3a}_*.deb") || fail "apt-get download left no .deb for $p"
	fi
	debs+=("$f")
done
say "installing $(basename "$deb") + ${#debs[@]} Debian packages (${need//$'\n'/ }) into $image, no network"
work=$build/deb-install
rm -rf "$work" && mkdir -p "$work/debs"
for f in "${debs[@]}" "$deb"; do cp "$f" "$work/debs/"; done
container=lspkg-$$-$RANDOM
log=$(docker run --name "$container" --network none --user 0 --entrypoint sh \
	-v "$work/debs:/debs:ro" -v "$src/examples/quickstart:/quickstart:ro" "$image" -ec '
		dpkg -i /debs/*.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
		dpkg -s lightshuttle | grep -q "^Status: install ok installed"
		echo "version: $(lightshuttle --version)"
		lightshuttle completion bash | grep -q "complete -F _lightshuttle lightshuttle"
		test -s /usr/share/man/man1/lightshuttle.1.gz
		test -s /usr/share/bash-completion/completions/lightshuttle
		cd /quickstart && lightshuttle validate && echo "validate: ok"
	' 2>&1) || { printf '%s\n' "$log" >&2; fail "installing or running lightshuttle in $image"; }
printf '%s\n' "$log" | sed 's/^/  /' >&2
grep -qE "^version: $version \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)" <<<"$log" ||
	fail "lightshuttle --version in the container did not name $version and a commit"
say "passed"
