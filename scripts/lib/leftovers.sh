# shellcheck shell=bash
# What a test run leaves behind on an engine, sourced by scripts/test. Tests remove what they
# create; this checks it: the engine's containers, unused volumes and networks, and its swarm
# state, listed before the run and again after it. Anything new afterwards (a container, an
# anonymous volume a `docker rm` without -v left, a network) fails the run, named.
#
#   ls_leftovers_snapshot DIR ENDPOINT      # before: DIR/<what> for the engine at ENDPOINT
#   ls_leftovers_check DIR ENDPOINT NAME    # after: prints what is new; status 1 when anything is

ls_leftovers_list() { # ENDPOINT -> "kind id" lines, sorted
	local ep=$1
	{
		DOCKER_HOST=$ep docker ps -a -q --no-trunc 2>/dev/null | sed 's/^/container /'
		DOCKER_HOST=$ep docker volume ls -q -f dangling=true 2>/dev/null | sed 's/^/volume /'
		DOCKER_HOST=$ep docker network ls -q --no-trunc 2>/dev/null | sed 's/^/network /'
		local swarm
		swarm=$(DOCKER_HOST=$ep docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null) || swarm=
		echo "swarm ${swarm:-unknown}"
	} | sort
}

ls_leftovers_snapshot() {
	local dir=$1 ep=$2
	mkdir -p "$dir"
	ls_leftovers_list "$ep" >"$dir/before"
}

ls_leftovers_check() {
	local dir=$1 ep=$2 name=$3 new line kind id what
	ls_leftovers_list "$ep" >"$dir/after"
	new=$(comm -13 "$dir/before" "$dir/after")
	[ -z "$new" ] && return 0
	echo "test: the run left this on $name ($ep): tests must remove what they create" >&2
	while IFS= read -r line; do
		kind=${line%% *} id=${line#* }
		case $kind in
		container) what=$(DOCKER_HOST=$ep docker inspect -f '{{.Name}} ({{.Config.Image}}, {{.State.Status}})' "$id" 2>/dev/null) ;;
		network) what=$(DOCKER_HOST=$ep docker network inspect -f '{{.Name}}' "$id" 2>/dev/null) ;;
		volume) what="unused; created $(DOCKER_HOST=$ep docker volume inspect -f '{{.CreatedAt}}' "$id" 2>/dev/null)" ;;
		*) what="(was: $(grep "^$kind " "$dir/before" | cut -d' ' -f2-))" ;;
		esac
		echo "  $kind ${id:0:24} $what" >&2
	done <<<"$new"
	return 1
}
