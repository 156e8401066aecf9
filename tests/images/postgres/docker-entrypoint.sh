#!/bin/bash
# Entrypoint of lightshuttle-test/postgres:15.
#
# Conventions (same as the official postgres image):
#   POSTGRES_PASSWORD          superuser password; required on first start unless
#                              POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER              superuser name (default: postgres)
#   POSTGRES_DB                database created on first start (default: $POSTGRES_USER)
#   POSTGRES_HOST_AUTH_METHOD  auth method for TCP connections from other addresses (default: scram-sha-256)
#   POSTGRES_INITDB_ARGS       extra arguments for initdb
#   PGDATA                     data directory (default: /var/lib/postgresql/data); initialised on first start
#                              only, so data persists in a volume
#   <VAR>_FILE                 read <VAR> from a file (docker secrets style)
#   /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz   run once, after the database is created
#
# Local connections (unix socket, 127.0.0.1, ::1 inside the container) are trusted; connections from other
# addresses must authenticate. The server ends up as PID 1 (exec), so the stop signal reaches it directly.
# While the database is being initialised, the temporary server listens on a private socket only, so
# `pg_isready` answers "ok" only once the real server accepts connections.
set -Eeuo pipefail

log() { printf 'docker-entrypoint: %s\n' "$*" >&2; }

# file_env VAR [DEFAULT]: VAR from the environment or from the file named by VAR_FILE.
file_env() {
	local var=$1 def=${2:-} fvar="${1}_FILE"
	local val=${!var:-} fval=${!fvar:-}
	if [[ -n $val && -n $fval ]]; then
		log "error: both $var and $fvar are set (they are exclusive)"
		exit 1
	fi
	if [[ -n $fval ]]; then
		val=$(<"$fval")
	elif [[ -z $val ]]; then
		val=$def
	fi
	export "$var=$val"
	unset "$fvar"
}

export PGDATA=${PGDATA:-/var/lib/postgresql/data}

# `docker run IMAGE -c foo=bar` means `postgres -c foo=bar`.
if [[ ${1:-} == -* ]]; then
	set -- postgres "$@"
fi

# Anything else than the server (psql, pg_isready, bash, ...) runs as given.
if [[ ${1:-} != postgres ]]; then
	exec "$@"
fi

if [[ $(id -u) == 0 ]]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
	chmod 0700 "$PGDATA"
	chown postgres:postgres /var/run/postgresql
	chmod 2777 /var/run/postgresql
	# Drop privileges without forking (setpriv execs), so the server stays PID 1.
	exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [[ ! -s $PGDATA/PG_VERSION ]]; then
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}

	if [[ -z $POSTGRES_PASSWORD && $auth != trust ]]; then
		cat >&2 <<-'EOM'
			docker-entrypoint: error: the database is not initialised and no superuser password is set.
			docker-entrypoint:   Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value, e.g.
			docker-entrypoint:     docker run -e POSTGRES_PASSWORD=secret lightshuttle-test/postgres:15
			docker-entrypoint:   or, for throw-away test databases only, allow passwordless connections with
			docker-entrypoint:   POSTGRES_HOST_AUTH_METHOD=trust.
		EOM
		exit 1
	fi
	if [[ $auth == trust ]]; then
		log "warning: POSTGRES_HOST_AUTH_METHOD=trust: connections from any address need no password"
	fi

	log "initialising database cluster in $PGDATA (user \"$POSTGRES_USER\", database \"$POSTGRES_DB\")"
	initdb_args=(--username="$POSTGRES_USER" --encoding=UTF8 --locale=C.UTF-8
		--auth-local=trust --auth-host=trust)
	pwfile=
	if [[ -n $POSTGRES_PASSWORD ]]; then
		pwfile=$(mktemp)
		printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
		initdb_args+=(--pwfile="$pwfile")
	fi
	# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a word list by convention
	initdb "${initdb_args[@]}" $POSTGRES_INITDB_ARGS >/dev/null
	[[ -z $pwfile ]] || rm -f "$pwfile"

	# initdb trusts local and loopback connections; everything else authenticates.
	printf '\n# added by docker-entrypoint.sh\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
	printf "\n# added by docker-entrypoint.sh\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

	# Temporary server on a private socket only: invisible to pg_isready and to other containers.
	initsock=$(mktemp -d)
	pg_ctl -D "$PGDATA" -w -s -o "-c listen_addresses='' -c unix_socket_directories='$initsock'" start
	psql=(psql -X -q -v ON_ERROR_STOP=1 -h "$initsock" --username "$POSTGRES_USER" --no-password)

	if [[ $POSTGRES_DB != postgres ]]; then
		exists=$("${psql[@]}" -d postgres -tA -v db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
		if [[ -z $exists ]]; then
			"${psql[@]}" -d postgres -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
		fi
	fi

	for f in /docker-entrypoint-initdb.d/*; do
		[[ -e $f ]] || continue
		case $f in
			*.sh)
				log "running $f"
				# shellcheck disable=SC1090
				if [[ -x $f ]]; then "$f"; else . "$f"; fi
				;;
			*.sql)
				log "running $f"
				"${psql[@]}" -d "$POSTGRES_DB" -f "$f"
				;;
			*.sql.gz)
				log "running $f"
				gzip -dc "$f" | "${psql[@]}" -d "$POSTGRES_DB"
				;;
			*) log "ignoring $f" ;;
		esac
	done

	pg_ctl -D "$PGDATA" -w -s -m fast stop
	rmdir "$initsock" 2>/dev/null || true
	log "initialisation complete"
fi

exec "$@"
