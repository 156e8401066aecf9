# shellcheck shell=bash
# Podman as LightShuttle's second test engine, next to dockerd: sourced by scripts/bootstrap, which
# calls ensure_podman after dockerd and the test images are ready.
#
#   - installs nothing itself: `podman` is in bootstrap's package list;
#   - runs `podman system service --time=0` on $LS_PODMAN_SOCKET (Docker-compatible API), detached like
#     dockerd, log in $PODMAN_LOG, with the project's own configuration (tests/podman/*.conf through
#     CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF; /etc/containers is never
#     read or edited): storage under /var/lib/lightshuttle-podman (apart from dockerd's /var/lib/docker),
#     bridge networks in 10.88.0.0/16 and 10.89.0.0/16 (dockerd's default pools are 172.17-31.0.0/16 and
#     192.168.0.0/16), no rlimit changes in containers (this machine kind refuses them);
#   - restarts that service only when it is ours and its configuration changed;
#   - loads the test images from dockerd (`docker save | podman load`, named localhost/...) when their
#     recipe hash differs from the one podman holds; tags the loopback-registry name of busybox too.
#
# Environment: LS_BOOTSTRAP_PODMAN=0 skips all of it; LS_PODMAN_LOG (default /var/log/lightshuttle-podman.log);
# LS_PODMAN_TIMEOUT seconds to wait for the service (default 30).
# Needs from scripts/bootstrap: log, warn, die, alive, show_tail, sha256, STARTED, HASH_LABEL, ROOT.

PODMAN_LOG=${LS_PODMAN_LOG:-/var/log/lightshuttle-podman.log}
PODMAN_TIMEOUT=${LS_PODMAN_TIMEOUT:-30}
PODMAN_RUN=/run/lightshuttle-podman
PODMAN_STATE=/var/lib/lightshuttle-podman

# podman_cli ARGS...: the podman CLI on the same storage and configuration as the service.
podman_cli() { ls_podman_env podman "$@"; }

podman_config_hash() {
	{
		cat "$LS_PODMAN_CONF_DIR"/containers.conf "$LS_PODMAN_CONF_DIR"/storage.conf \
			"$LS_PODMAN_CONF_DIR"/registries.conf
		podman --version
	} | sha256
}

# stop_our_podman: stops the service this script started (its pid file), never another one.
stop_our_podman() {
	local pid=
	if [[ -f $PODMAN_RUN/service.pid ]]; then read -r pid <"$PODMAN_RUN/service.pid" || true; fi
	if [[ -n $pid ]] && alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == podman ]]; then
		log "podman: configuration changed; stopping our service (pid $pid)"
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 40); do alive "$pid" || break; sleep 0.25; done
	fi
	rm -f "$PODMAN_RUN/service.pid"
}

start_podman_service() {
	local sock=$LS_PODMAN_SOCKET want
	want=$(podman_config_hash)
	if ls_engine_ping "unix://$sock"; then
		if [[ $(cat "$PODMAN_RUN/config.sha256" 2>/dev/null) == "$want" ]]; then
			log "podman: unix://$sock answers"
			return
		fi
		stop_our_podman
		if ls_engine_ping "unix://$sock"; then
			warn "podman: unix://$sock answers but was not started by scripts/bootstrap; using it as it is"
			return
		fi
	fi
	need_root "to start the podman service"
	mkdir -p "$PODMAN_RUN" "$PODMAN_STATE/cni" "$(dirname "$PODMAN_LOG")"
	rm -f "$sock"
	if [[ -f $PODMAN_LOG ]] && (($(stat -c %s "$PODMAN_LOG") > 20 * 1024 * 1024)); then
		mv -f "$PODMAN_LOG" "$PODMAN_LOG.1"
	fi
	local offset
	offset=$(($(stat -c %s "$PODMAN_LOG" 2>/dev/null || echo 0) + 1))
	printf '=== %s scripts/bootstrap: podman system service --time=0 unix://%s\n' "$(date -Is)" "$sock" >>"$PODMAN_LOG"
	log "podman: starting podman system service on unix://$sock (log: $PODMAN_LOG)"
	# fd 9 holds bootstrap's lock: the service must not inherit it.
	ls_podman_env setsid nohup podman system service --time=0 "unix://$sock" </dev/null >>"$PODMAN_LOG" 2>&1 9>&- &
	local pid=$! deadline=$((SECONDS + PODMAN_TIMEOUT))
	while ((SECONDS < deadline)); do
		if ls_engine_ping "unix://$sock"; then
			printf '%s\n' "$pid" >"$PODMAN_RUN/service.pid"
			printf '%s\n' "$want" >"$PODMAN_RUN/config.sha256"
			STARTED+=("podman service (pid $pid)")
			log "podman: service (pid $pid) answers on unix://$sock"
			return
		fi
		alive "$pid" || break
		sleep 0.25
	done
	kill "$pid" 2>/dev/null || true
	tail -c "+$offset" "$PODMAN_LOG" | tail -n 30 | sed 's/^/bootstrap:   | /' >&2
	die "podman system service did not answer on unix://$sock (log above, from $PODMAN_LOG)" \
		"fix the cause (tests/podman/*.conf is its configuration), or set LS_BOOTSTRAP_PODMAN=0 to skip podman"
}

# podman_smoke_test: a container runs under podman with a port published on 127.0.0.1 that answers.
podman_smoke_test() {
	local name=lightshuttle-bootstrap-podman-smoke-$$ port out=
	if ! out=$(podman_cli run -d --rm --name "$name" -p 127.0.0.1::8080 "$LS_TEST_IMAGE_BUSYBOX" \
		sh -c 'mkdir -p /tmp/www && echo lightshuttle-smoke >/tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www' 2>&1); then
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/bootstrap:   | /' >&2
		die "podman cannot run a container ($LS_TEST_IMAGE_BUSYBOX)" "see $PODMAN_LOG and the output above"
	fi
	port=$(podman_cli port "$name" 8080/tcp | sed -n '1s/.*://p')
	for _ in $(seq 1 50); do
		out=$(curl -s --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null) && [[ $out == lightshuttle-smoke ]] && break
		sleep 0.1
	done
	podman_cli rm -f "$name" >/dev/null 2>&1 || true
	[[ $out == lightshuttle-smoke ]] ||
		die "a port published by podman on 127.0.0.1:${port:-?} does not answer from the host" "see $PODMAN_LOG"
	log "podman: container run + port publishing on 127.0.0.1 OK"
}

# podman_load_images: each test image dockerd holds, loaded into podman when the recipe hash differs.
podman_load_images() {
	local ref have want stale=()
	for ref in "$LS_TEST_IMAGE_BUSYBOX" "$LS_TEST_IMAGE_POSTGRES" "$LS_TEST_IMAGE_REDIS"; do
		want=$(docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$ref" 2>/dev/null) || continue
		have=$(podman_cli image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "localhost/$ref" 2>/dev/null || true)
		if [[ $have == "$want" ]]; then
			log "podman: images: localhost/$ref up to date"
		else
			stale+=("$ref")
		fi
	done
	if ((${#stale[@]})); then
		local llog=$CACHE/logs/podman-load.log
		log "podman: images: loading ${stale[*]} from dockerd (log: $llog)"
		if ! docker save "${stale[@]}" | podman_cli load >"$llog" 2>&1; then
			show_tail "$llog"
			die "docker save ${stale[*]} | podman load failed" "see $llog and $PODMAN_LOG"
		fi
		podman_cli image prune -f --filter "label=$IMAGE_LABEL" >/dev/null 2>&1 || true
		BUILT+=("${stale[@]/#/podman:}")
	fi
	# The loopback registry's name of busybox, as dockerd has it (tests list images by that name).
	podman_cli tag "localhost/$LS_TEST_IMAGE_BUSYBOX" "$LS_TEST_IMAGE_BUSYBOX_REMOTE" 2>/dev/null || true
}

ensure_podman() {
	if [[ ${LS_BOOTSTRAP_PODMAN:-1} == 0 ]]; then
		log "podman: skipped (LS_BOOTSTRAP_PODMAN=0)"
		return
	fi
	command -v podman >/dev/null || die "podman not found although it is in the package list" \
		"apt-get install podman, or set LS_BOOTSTRAP_PODMAN=0 to skip podman"
	start_podman_service
	if [[ $SKIP_IMAGES != 1 ]]; then
		podman_load_images
		podman_smoke_test
	fi
}

podman_summary() {
	[[ ${LS_BOOTSTRAP_PODMAN:-1} != 0 ]] || return 0
	local v
	v=$(curl -s --max-time 3 --unix-socket "$LS_PODMAN_SOCKET" http://localhost/version |
		sed -n 's/.*"Version":"\([^"]*\)","ApiVersion":"\([^"]*\)".*/\1 (API \2)/p')
	echo "  second engine   : Podman ${v:-?} at unix://$LS_PODMAN_SOCKET (log $PODMAN_LOG)"
}
