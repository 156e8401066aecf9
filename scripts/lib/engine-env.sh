# shellcheck shell=bash
# Shared facts about the local test engine, sourced by scripts/bootstrap and usable by CI/test scripts:
#
#   . scripts/lib/engine-env.sh
#   endpoint=$(ls_engine_endpoint) || { echo "no engine; run scripts/bootstrap" >&2; exit 1; }
#   export DOCKER_HOST=$endpoint
#
# Only definitions here: sourcing this file has no side effects.
# shellcheck disable=SC2034 # the variables are for the scripts that source this file

LS_ENGINE_SOCKET=${LS_ENGINE_SOCKET:-/var/run/docker.sock}
LS_REGISTRY_ADDR=${LS_REGISTRY_ADDR:-127.0.0.1:5000}

# The second test engine: podman's Docker-compatible API (scripts/lib/podman.sh starts it), with the
# project's own configuration in tests/podman/.
LS_PODMAN_SOCKET=${LS_PODMAN_SOCKET:-/run/lightshuttle-podman/podman.sock}
LS_PODMAN_CONF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/podman" 2>/dev/null && pwd)

# ls_podman_env CMD ARGS...: runs CMD with podman pointed at that configuration (storage, registries).
ls_podman_env() {
	CONTAINERS_CONF=$LS_PODMAN_CONF_DIR/containers.conf \
		CONTAINERS_STORAGE_CONF=$LS_PODMAN_CONF_DIR/storage.conf \
		CONTAINERS_REGISTRIES_CONF=$LS_PODMAN_CONF_DIR/registries.conf "$@"
}

# Test images built by scripts/bootstrap (recipes in tests/images/<name>/).
LS_TEST_IMAGE_BUSYBOX=lightshuttle-test/busybox:latest
LS_TEST_IMAGE_POSTGRES=lightshuttle-test/postgres:15
LS_TEST_IMAGE_REDIS=lightshuttle-test/redis:7
LS_TEST_IMAGE_BUSYBOX_REMOTE=$LS_REGISTRY_ADDR/lightshuttle-test/busybox:latest

# ls_engine_ping ENDPOINT: succeeds when the Docker Engine at ENDPOINT (unix://PATH, tcp://HOST:PORT, or a
# socket path) answers GET /_ping with OK within 3 s. tcp:// uses TLS when DOCKER_TLS_VERIFY is set
# (certificates from DOCKER_CERT_PATH, default ~/.docker).
ls_engine_ping() {
	local ep=$1 out
	local -a curl_args=(-sS --max-time 3)
	case $ep in
		unix://*) curl_args+=(--unix-socket "${ep#unix://}" http://localhost/_ping) ;;
		/*) curl_args+=(--unix-socket "$ep" http://localhost/_ping) ;;
		tcp://*)
			if [[ -n ${DOCKER_TLS_VERIFY:-} ]]; then
				local certs=${DOCKER_CERT_PATH:-$HOME/.docker}
				curl_args+=(--cacert "$certs/ca.pem" --cert "$certs/cert.pem" --key "$certs/key.pem"
					"https://${ep#tcp://}/_ping")
			else
				curl_args+=("http://${ep#tcp://}/_ping")
			fi
			;;
		*) return 1 ;;
	esac
	out=$(curl "${curl_args[@]}" 2>/dev/null) || return 1
	[[ $out == OK ]]
}

# ls_engine_endpoint: prints the endpoint to use ($DOCKER_HOST if it answers, else the default socket if it
# answers); fails when neither answers.
ls_engine_endpoint() {
	if [[ -n ${DOCKER_HOST:-} ]] && ls_engine_ping "$DOCKER_HOST"; then
		printf '%s\n' "$DOCKER_HOST"
	elif ls_engine_ping "unix://$LS_ENGINE_SOCKET"; then
		printf 'unix://%s\n' "$LS_ENGINE_SOCKET"
	else
		return 1
	fi
}
