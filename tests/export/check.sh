#!/usr/bin/env bash
# tests/export/check.sh CHECK LIGHTSHUTTLE: `lightshuttle export` validated by the real tools.
#
#   compose     docker-compose 1.29 `config -q` on the compose and swarm exports (with the
#               required values filled in), and its refusal while one is missing
#   kubernetes  every object of the kubernetes export against the OpenAPI schemas (npm
#               kubernetes-models), cross references, secret.example.yaml refused as written
#   helm        helm lint --strict; helm template == the kubernetes export (as parsed objects);
#               every rendered object valid; a missing secret value refused; with the values
#               set, the chart's own Secret valid
#   cli         the verb: files written and listed with the report, a non-empty directory
#               refused without --force, DROPPED fails (exit 1, nothing written) unless
#               --allow-lossy, a bad input fails naming it
#   push        `lightshuttle push` of a quickstart copy to the loopback registry: the digest printed
#               and recorded is the registry's (pull by digest works), `export kubernetes
#               --registry` pins it and drops nothing; then the images and the manifest go
#   swarm       `deploy swarm` of a quickstart copy on a private dockerd put in swarm mode here
#               (never the shared engine): converges, the page answers on the host-mode port and
#               reaches both; `undeploy swarm` leaves no service, container or network of the
#               stack; then the daemon, its bridges and what was pushed go
#   compose-up  docker-compose up -d of the exported quickstart (unique project, free ports):
#               healthy, the postgres password works over the network (a wrong one does not),
#               the page reaches both; then down -v
#
# Each runs on examples/quickstart, examples/basic and tests/unit/export/features.
# Exit 0 pass, 1 fail, 77 skipped (a validator is missing; under CI=true that fails instead).
set -Eeuo pipefail
CHECK=${1:?usage: check.sh CHECK LIGHTSHUTTLE}
CLI=${2:?usage: check.sh CHECK LIGHTSHUTTLE}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/export
HELM=${LS_HELM:-$HERE/node_modules/.lightshuttle/helm}
TMP=$(mktemp -d /tmp/ls-export-check.XXXXXX)
CLEANUP=()
cleanup() {
	local i
	for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[i]}" >/dev/null 2>&1 || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
# need WHAT TEST...: the validator must be there; outside CI a missing one skips.
need() {
	local what=$1
	shift
	if ! "$@" >/dev/null 2>&1; then
		if [[ ${CI:-} == true ]]; then
			fail "validator missing: $what (scripts/bootstrap installs it)"
		fi
		printf 'SKIP: validator missing: %s (run scripts/bootstrap)\n' "$what" >&2
		exit 77
	fi
}

CASES=(quickstart:examples/quickstart basic:examples/basic features:tests/unit/export/features)
export FEATURES_CACHE_PASSWORD=check-cache-secret FEATURES_REGION=eu-1

# export_case NAME DIR TARGET [ARGS...]: prints the output directory.
export_case() {
	local name=$1 dir=$2 target=$3
	shift 3
	local out=$TMP/$name/$target
	# --allow-lossy: the built images are not pushed here (the push check covers that).
	"$CLI" export "$target" -f "$ROOT/$dir/lightshuttle.yml" -o "$out" --registry 127.0.0.1:5000 --allow-lossy "$@" \
		>"$TMP/$name-$target.log" 2>&1 || { cat "$TMP/$name-$target.log" >&2; fail "export $target of $name"; }
	printf '%s\n' "$out"
}

# fill_env DIR: .env from .env.example, every empty value filled in.
fill_env() {
	[[ -f $1/.env.example ]] || return 0
	sed -E 's/^([A-Za-z_][A-Za-z0-9_]*)=$/\1=check-value-\1/' "$1/.env.example" >"$1/.env"
}

check_compose() {
	need docker-compose docker-compose version
	local c name dir out file
	for c in "${CASES[@]}"; do
		name=${c%%:*} dir=${c#*:}
		for target in compose swarm; do
			out=$(export_case "$name" "$dir" "$target" --publish-mode host)
			file=docker-compose.yml
			[[ $target == swarm ]] && file=docker-stack.yml
			if [[ -f $out/.env.example ]] && grep -qE '^[A-Za-z_][A-Za-z0-9_]*=$' "$out/.env.example"; then
				if (cd "$out" && docker-compose -f "$file" config -q) 2>/dev/null; then
					fail "$name/$target: docker-compose accepts the file with the required values missing"
				fi
			fi
			fill_env "$out"
			(cd "$out" && docker-compose -f "$file" config -q) || fail "$name/$target: docker-compose config -q"
			echo "ok: $name/$target: docker-compose config -q"
		done
	done
}

check_kubernetes() {
	need node node --version
	need kubernetes-models test -d "$HERE/node_modules/kubernetes-models"
	local c name dir out
	for c in "${CASES[@]}"; do
		name=${c%%:*} dir=${c#*:}
		out=$(export_case "$name" "$dir" kubernetes)
		node "$HERE/validate.mjs" kubernetes "$out" || fail "$name: kubernetes export"
		if [[ -f $out/secret.example.yaml ]]; then
			node "$HERE/validate.mjs" refused "$out/secret.example.yaml" || fail "$name: secret.example.yaml"
		fi
		echo "ok: $name: kubernetes objects valid, references resolve"
	done
}

check_helm() {
	need node node --version
	need kubernetes-models test -d "$HERE/node_modules/kubernetes-models"
	need "helm ($HELM)" "$HELM" version
	local c name dir kube chart ns release secret sets=() v
	for c in "${CASES[@]}"; do
		name=${c%%:*} dir=${c#*:}
		kube=$(export_case "$name" "$dir" kubernetes)
		chart=$(export_case "$name" "$dir" helm)
		"$HELM" lint --strict "$chart" || fail "$name: helm lint --strict"
		ns=$(awk '/^  name:/ { print $2; exit }' "$kube/namespace.yaml")
		release=$(awk '/app.kubernetes.io\/instance:/ { print $2; exit }' "$kube/namespace.yaml")
		secret=
		if [[ -f $kube/secret.example.yaml ]]; then
			secret=$(awk '/^  name:/ { print $2; exit }' "$kube/secret.example.yaml")
		fi
		"$HELM" template "$release" "$chart" -n "$ns" ${secret:+--set "secrets.existingSecret=$secret"} \
			>"$TMP/$name-rendered.yaml" || fail "$name: helm template"
		node "$HERE/validate.mjs" helm "$TMP/$name-rendered.yaml" "$kube" || fail "$name: helm template differs from the kubernetes export"
		if [[ -n $secret ]]; then
			if "$HELM" template "$release" "$chart" -n "$ns" >/dev/null 2>"$TMP/$name-required.log"; then
				fail "$name: the chart renders with its secret values missing"
			fi
			grep -q 'set secrets.values.' "$TMP/$name-required.log" || fail "$name: the refusal does not name the value"
			sets=()
			for v in $(awk '/^    [a-zA-Z0-9]+: ""$/ { sub(":", "", $1); print $1 }' "$chart/values.yaml"); do
				sets+=(--set-string "secrets.values.$v=check-$v")
			done
			"$HELM" template "$release" "$chart" -n "$ns" "${sets[@]}" >"$TMP/$name-own-secret.yaml" ||
				fail "$name: helm template with every secret value set"
			grep -q '^kind: Secret' "$TMP/$name-own-secret.yaml" || fail "$name: no Secret rendered with the values set"
			node "$HERE/validate.mjs" helm "$TMP/$name-own-secret.yaml" "$kube" || fail "$name: rendered with its own Secret"
		fi
		echo "ok: $name: helm lint --strict, template equals the kubernetes export"
	done
}

check_cli() {
	local m=$ROOT/examples/quickstart/lightshuttle.yml out=$TMP/cli rc
	"$CLI" export compose -f "$m" -o "$out" >"$TMP/cli.log" 2>&1 || fail "export compose"
	grep -q "^wrote $out/docker-compose.yml$" "$TMP/cli.log" || fail "the written files are not listed"
	grep -qE '^web +depends_on +translated' "$TMP/cli.log" || fail "no conversion report"
	grep -q 'docker-compose -p quickstart up -d' "$TMP/cli.log" || fail "no next steps"
	rc=0
	"$CLI" export compose -f "$m" -o "$out" >"$TMP/cli2.log" 2>&1 || rc=$?
	((rc == 1)) && grep -q 'is not empty; pass --force' "$TMP/cli2.log" || fail "a non-empty directory is not refused (rc $rc)"
	touch "$out/stale.yaml"
	"$CLI" export compose -f "$m" -o "$out" --force >/dev/null 2>&1 || fail "--force"
	[[ ! -e $out/stale.yaml ]] || fail "--force left a file of a previous export"
	rc=0
	"$CLI" export kubernetes -f "$m" -o "$TMP/lossy" >"$TMP/cli3.log" 2>&1 || rc=$?
	((rc == 1)) && grep -qE '^web +build +DROPPED' "$TMP/cli3.log" || fail "a DROPPED build does not fail (rc $rc)"
	[[ ! -e $TMP/lossy ]] || fail "files written although something was dropped"
	"$CLI" export kubernetes -f "$m" -o "$TMP/lossy" --allow-lossy >/dev/null 2>&1 || fail "--allow-lossy"
	[[ -f $TMP/lossy/web.yaml ]] || fail "--allow-lossy wrote nothing"
	mkdir -p "$TMP/bind"
	printf 'project: {name: bind}\nresources:\n  app:\n    container:\n      image: "x:1"\n      volumes: ["./data:/data"]\n' >"$TMP/bind/lightshuttle.yml"
	mkdir -p "$TMP/bind/data"
	rc=0
	"$CLI" export kubernetes -f "$TMP/bind/lightshuttle.yml" -o "$TMP/bind/out" >"$TMP/cli4.log" 2>&1 || rc=$?
	((rc == 1)) && grep -q 'bind-mounted directory' "$TMP/cli4.log" || fail "a bind-mounted directory is not refused (rc $rc)"
	echo "ok: export verb: listing, report, --force, DROPPED, --allow-lossy, bad input"
}

check_push() {
	need "a Docker engine" docker version
	need "the loopback registry (127.0.0.1:5000)" curl -fsS --max-time 3 http://127.0.0.1:5000/v2/
	need "test image lightshuttle-test/busybox" docker image inspect lightshuttle-test/busybox:latest
	local project="lspush$$" src=$TMP/push
	cp -r "$ROOT/examples/quickstart" "$src"
	rm -rf "$src/.lightshuttle"
	sed -i "s/^  name: quickstart$/  name: $project/" "$src/lightshuttle.yml"
	local repo=lightshuttle/${project}_web ref=127.0.0.1:5000/lightshuttle/${project}_web:dev
	CLEANUP+=("docker image rm '$ref' 'lightshuttle/${project}_web:dev'")
	"$CLI" push --registry 127.0.0.1:5000 -f "$src/lightshuttle.yml" >"$TMP/push.out" 2>"$TMP/push.err" ||
		{ tail -n 20 "$TMP/push.err" >&2; fail "lightshuttle push"; }
	local digest
	digest=$(sed -n "s|^$ref@\(sha256:[0-9a-f]\{64\}\)\$|\1|p" "$TMP/push.out")
	[[ -n $digest ]] || fail "push printed no digest: $(cat "$TMP/push.out")"
	CLEANUP+=("curl -fsS -X DELETE 'http://127.0.0.1:5000/v2/$repo/manifests/$digest'"
		"docker image rm '127.0.0.1:5000/$repo@$digest'")
	grep -q "\"digest\":\"$digest\"" "$src/.lightshuttle/pushed.json" || fail "the digest is not recorded"
	[[ $(curl -fsS -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://127.0.0.1:5000/v2/$repo/manifests/$digest") == 200 ]] || fail "the registry has no manifest $digest"
	docker image rm "$ref" >/dev/null
	docker pull -q "127.0.0.1:5000/$repo@$digest" >/dev/null || fail "pull by the recorded digest"
	"$CLI" export kubernetes -f "$src/lightshuttle.yml" --registry 127.0.0.1:5000 -o "$TMP/push-k8s" >"$TMP/push-export.log" 2>&1 ||
		{ cat "$TMP/push-export.log" >&2; fail "export kubernetes after push drops something"; }
	grep -qF "image: \"$ref@$digest\"" "$TMP/push-k8s/web.yaml" || fail "the export does not pin the pushed digest"
	echo "ok: push: digest recorded, pullable, pinned by export --registry"
}

check_swarm() {
	need "a Docker engine" docker version
	need dockerd command -v dockerd
	need "ip (iproute2)" command -v ip
	need "the loopback registry (127.0.0.1:5000)" curl -fsS --max-time 3 http://127.0.0.1:5000/v2/
	need "test image lightshuttle-test/postgres:15" docker image inspect lightshuttle-test/postgres:15
	need "test image lightshuttle-test/redis:7" docker image inspect lightshuttle-test/redis:7
	need "test image lightshuttle-test/busybox" docker image inspect lightshuttle-test/busybox:latest
	# A swarm must not be initialised on the shared engine: a private dockerd of our own, with a
	# bridge of its own (never --bridge=none, which deletes the host's docker0).
	local d=$TMP/dockerd bridge="lsbrx$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')" pid
	local gw_before=0
	ip link show docker_gwbridge >/dev/null 2>&1 && gw_before=1
	mkdir -p "$d"
	ip link add "$bridge" type bridge && ip addr add 169.254.215.1/24 dev "$bridge" && ip link set "$bridge" up ||
		fail "cannot create the bridge $bridge for the private dockerd"
	CLEANUP+=("ip link del '$bridge'")
	((gw_before)) || CLEANUP+=("ip link del docker_gwbridge")
	CLEANUP+=("grep ' $d' /proc/mounts | awk '{print \$2}' | sort -r | xargs -r -n1 umount -l")
	setsid dockerd --host "unix://$d/docker.sock" --data-root "$d/data" --exec-root "$d/exec" \
		--pidfile "$d/docker.pid" --bridge="$bridge" --iptables=false --ip-masq=false \
		--insecure-registry=127.0.0.0/8 >"$d/dockerd.log" 2>&1 </dev/null &
	pid=$!
	CLEANUP+=("kill $pid; for i in \$(seq 1 150); do kill -0 $pid || break; sleep 0.2; done; kill -9 $pid")
	local priv=unix://$d/docker.sock i
	for i in $(seq 1 120); do DOCKER_HOST=$priv docker version >/dev/null 2>&1 && break; sleep 0.5; done
	DOCKER_HOST=$priv docker version >/dev/null 2>&1 || { tail -n 20 "$d/dockerd.log" >&2; fail "the private dockerd does not answer"; }
	DOCKER_HOST=$priv docker swarm init --advertise-addr 127.0.0.1 >/dev/null || fail "docker swarm init on the private dockerd"
	CLEANUP+=("DOCKER_HOST='$priv' docker network rm docker_gwbridge" "DOCKER_HOST='$priv' docker swarm leave --force")
	docker save lightshuttle-test/postgres:15 lightshuttle-test/redis:7 lightshuttle-test/busybox:latest |
		DOCKER_HOST=$priv docker load -q >/dev/null || fail "loading the test images into the private dockerd"

	local project="lsswarm$$" src=$TMP/swarm web
	web=$(free_port)
	cp -r "$ROOT/examples/quickstart" "$src"
	rm -rf "$src/.lightshuttle"
	sed -i -e "s/^  name: quickstart$/  name: $project/" -e "s/port: 15432/port: $(free_port)/" \
		-e "s/port: 16379/port: $(free_port)/" -e "s/\"18080:8080\"/\"$web:8080\"/" "$src/lightshuttle.yml"
	printf 'DB_PASSWORD=swarm-db-%s\nCACHE_PASSWORD=swarm-cache-%s\n' "$$" "$$" >"$src/.env"
	CLEANUP+=("d=\$(sed -n 's/.*\"digest\":\"\\(sha256:[0-9a-f]*\\)\".*/\\1/p' '$src/.lightshuttle/pushed.json'); [ -n \"\$d\" ] && curl -fsS -X DELETE \"http://127.0.0.1:5000/v2/lightshuttle/${project}_web/manifests/\$d\"")
	CLEANUP+=("DOCKER_HOST='$priv' '$CLI' undeploy swarm -f '$src/lightshuttle.yml' --timeout 60s")
	DOCKER_HOST=$priv "$CLI" deploy swarm -f "$src/lightshuttle.yml" --registry 127.0.0.1:5000 \
		--publish-mode host --timeout 4m >"$TMP/deploy.out" 2>"$TMP/deploy.err" ||
		{ tail -n 30 "$TMP/deploy.err" >&2; fail "deploy swarm"; }
	grep -q "deployed stack '$project'" "$TMP/deploy.out" || fail "deploy did not say it converged"
	if grep -qF "swarm-db-$$" "$TMP/deploy.err" "$TMP/deploy.out" "$src/.lightshuttle/deploy/swarm/docker-stack.yml"; then
		fail "a secret value reached the output or the stack file"
	fi
	local page=
	for i in $(seq 1 30); do
		page=$(curl -fsS --max-time 3 "http://127.0.0.1:$web/" 2>/dev/null) && [[ $page == *"cache: PONG"* ]] && break
		sleep 1
	done
	[[ $page == *"db: reachable"* && $page == *"cache: PONG"* ]] || fail "the page on the published port does not reach both: $page"
	DOCKER_HOST=$priv "$CLI" undeploy swarm -f "$src/lightshuttle.yml" --timeout 90s >"$TMP/undeploy.out" 2>&1 ||
		{ cat "$TMP/undeploy.out" >&2; fail "undeploy swarm"; }
	local label="label=com.docker.stack.namespace=$project"
	[[ -z $(DOCKER_HOST=$priv docker service ls -q --filter "$label") ]] || fail "services left after undeploy"
	[[ -z $(DOCKER_HOST=$priv docker network ls -q --filter "$label") ]] || fail "networks left after undeploy"
	[[ -z $(DOCKER_HOST=$priv docker ps -aq --filter "$label") ]] || fail "containers left after undeploy"
	# A service that cannot converge fails the deploy, naming it and its task error.
	local bad=$TMP/bad
	mkdir -p "$bad"
	printf 'project: {name: lsswarmbad%s}\nresources:\n  app:\n    container:\n      image: "lightshuttle-test/busybox:latest"\n      command: ["sh", "-c", "exit 3"]\n' "$$" >"$bad/lightshuttle.yml"
	CLEANUP+=("DOCKER_HOST='$priv' '$CLI' undeploy swarm -f '$bad/lightshuttle.yml' --timeout 60s")
	local rc=0
	DOCKER_HOST=$priv "$CLI" deploy swarm -f "$bad/lightshuttle.yml" --publish-mode host --timeout 90s \
		>"$TMP/bad.out" 2>"$TMP/bad.err" || rc=$?
	((rc == 1)) || fail "a stack that cannot converge deployed with rc $rc"
	grep -q "error: service 'lsswarmbad$$_app' did not converge: .*exit" "$TMP/bad.err" ||
		{ cat "$TMP/bad.err" >&2; fail "the failure does not name the service and its task error"; }
	DOCKER_HOST=$priv "$CLI" undeploy swarm -f "$bad/lightshuttle.yml" --timeout 60s >/dev/null 2>&1 || fail "undeploy of the failed stack"
	echo "ok: deploy swarm converged (private dockerd), the page reaches both, undeploy left nothing; a failing service is named"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

check_compose_up() {
	need docker-compose docker-compose version
	need "a Docker engine" docker version
	need "test image lightshuttle-test/postgres:15" docker image inspect lightshuttle-test/postgres:15
	need "test image lightshuttle-test/redis:7" docker image inspect lightshuttle-test/redis:7
	need "test image lightshuttle-test/busybox" docker image inspect lightshuttle-test/busybox:latest
	local project="lsexport$$" src=$TMP/quickstart pg redis web
	pg=$(free_port) redis=$(free_port) web=$(free_port)
	cp -r "$ROOT/examples/quickstart" "$src"
	sed -i -e "s/^  name: quickstart$/  name: $project/" -e "s/port: 15432/port: $pg/" \
		-e "s/port: 16379/port: $redis/" -e "s/\"18080:8080\"/\"$web:8080\"/" "$src/lightshuttle.yml"
	local out=$TMP/up
	"$CLI" export compose -f "$src/lightshuttle.yml" -o "$out" >"$TMP/up-export.log" 2>&1 ||
		{ cat "$TMP/up-export.log" >&2; fail "export compose of the quickstart copy"; }
	local dbpw cachepw
	dbpw="db-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
	cachepw="cache-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
	printf 'DB_PASSWORD=%s\nCACHE_PASSWORD=%s\n' "$dbpw" "$cachepw" >"$out/.env"
	CLEANUP+=("cd '$out' && docker-compose -p '$project' down -v --remove-orphans -t 2"
		"docker image rm 'lightshuttle/${project}_web:dev'")
	(cd "$out" && docker-compose -p "$project" up -d --build) >"$TMP/up.log" 2>&1 ||
		{ tail -n 40 "$TMP/up.log" >&2; fail "docker-compose up -d"; }
	local id state deadline=$((SECONDS + 180))
	id=$(cd "$out" && docker-compose -p "$project" ps -q web)
	[[ -n $id ]] || fail "no web container"
	while :; do
		state=$(docker inspect -f '{{.State.Health.Status}}' "$id")
		[[ $state == healthy ]] && break
		((SECONDS < deadline)) || { (cd "$out" && docker-compose -p "$project" logs --tail 20) >&2; fail "web is $state after 180 s"; }
		sleep 1
	done
	local page
	page=$(curl -fsS --max-time 5 "http://127.0.0.1:$web/") || fail "the page does not answer on 127.0.0.1:$web"
	[[ $page == *"db: reachable"* && $page == *"cache: PONG"* ]] || fail "the page does not reach both: $page"
	local net psql
	net=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$id")
	psql="psql -h db -U app -d app -tAc 'select 40+2'"
	[[ $(docker run --rm --network "$net" -e "PGPASSWORD=$dbpw" lightshuttle-test/postgres:15 sh -c "$psql") == 42 ]] ||
		fail "the postgres password from .env does not work over the network"
	if docker run --rm --network "$net" -e PGPASSWORD=wrong-password lightshuttle-test/postgres:15 sh -c "$psql" >/dev/null 2>&1; then
		fail "postgres accepts a wrong password"
	fi
	[[ $(docker run --rm --network "$net" -e "REDISCLI_AUTH=$cachepw" lightshuttle-test/redis:7 redis-cli -h cache ping) == PONG ]] ||
		fail "redis does not accept the password from .env"
	[[ $(docker run --rm --network "$net" lightshuttle-test/redis:7 redis-cli -h cache ping 2>&1) != PONG ]] ||
		fail "redis answers without a password"
	local cid
	cid=$(cd "$out" && docker-compose -p "$project" ps -q cache)
	if docker inspect -f '{{json .Args}} {{json .Config.Cmd}}' "$cid" | grep -qF "$cachepw"; then
		fail "the redis password is in the server's argv"
	fi
	(cd "$out" && docker-compose -p "$project" down -v --remove-orphans -t 2) >"$TMP/down.log" 2>&1 || fail "docker-compose down -v"
	[[ -z $(docker ps -aq --filter "label=com.docker.compose.project=$project") ]] || fail "containers left after down -v"
	[[ -z $(docker volume ls -q --filter "label=com.docker.compose.project=$project") ]] || fail "volumes left after down -v"
	echo "ok: quickstart export up with docker-compose: healthy, password works, page reaches both, down -v clean"
}

case $CHECK in
	compose) check_compose ;;
	kubernetes) check_kubernetes ;;
	helm) check_helm ;;
	compose-up) check_compose_up ;;
	cli) check_cli ;;
	push) check_push ;;
	swarm) check_swarm ;;
	*) fail "unknown check '$CHECK'" ;;
esac
