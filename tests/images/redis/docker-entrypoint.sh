#!/bin/bash
# Entrypoint of lightshuttle-test/redis:7 (conventions of the official redis image).
#
#   docker run IMAGE                          redis-server on 0.0.0.0:6379, protected mode off, dir /data
#   docker run IMAGE --requirepass x          arguments starting with "-" go to redis-server
#   docker run IMAGE redis-server /c.conf -x  with a config file, the file decides (no defaults added)
#   REDIS_PASSWORD=x                          same as --requirepass x
#   docker run IMAGE redis-cli ...            anything else runs as given
#
# The server runs as the redis user and ends up as PID 1 (exec), so SIGTERM shuts it down cleanly.
set -Eeuo pipefail

if [[ ${1:-} == -* || ${1:-} == *.conf ]]; then
	set -- redis-server "$@"
fi

if [[ ${1:-} != redis-server ]]; then
	exec "$@"
fi
shift

args=()
if [[ $# -gt 0 && ${1} != -* ]]; then
	# A config file comes first; it owns bind/protected-mode/dir.
	args+=("$1")
	shift
else
	args+=(--bind 0.0.0.0 --protected-mode no --dir /data)
fi
if [[ -n ${REDIS_PASSWORD:-} ]]; then
	args+=(--requirepass "$REDIS_PASSWORD")
fi

if [[ $(id -u) == 0 ]]; then
	find . \! -user redis -exec chown redis '{}' + 2>/dev/null || true
	umask 0077
	# setpriv execs (no fork), so redis-server stays PID 1.
	exec setpriv --reuid=redis --regid=redis --init-groups redis-server "${args[@]}" "$@"
fi
exec redis-server "${args[@]}" "$@"
