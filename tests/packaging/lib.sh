# shellcheck shell=bash
# Shared by the packaging tests: messages, skip-or-fail, the expected install tree.

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
DEV_FILES=(
	include/lightshuttle/runtime/runtime.hpp
	include/lightshuttle/lifecycle/manager.hpp
	lib/cmake/LightShuttle/LightShuttleConfig.cmake
	lib/cmake/LightShuttle/LightShuttleConfigVersion.cmake
	lib/cmake/LightShuttle/LightShuttleTargets.cmake
	lib/pkgconfig/lightshuttle.pc
	share/doc/lightshuttle-dev/copyright
)
LIBS=(core runtime runtime_memory runtime_docker engine manifest spec lifecycle control export beast
	engine_codec dashboard_assets)
