#!/bin/sh
# Writes a page saying whether the database and the cache answer, refreshes it every second,
# and serves it on :8080. LSH_* variables are injected by LightShuttle for each dependency.
set -u
render() {
  # PostgreSQL answers an SSLRequest packet with a single byte ('N' or 'S').
  answer=$(printf '\000\000\000\010\004\322\026\057' | nc -w 1 "$LSH_DB_HOST" "$LSH_DB_PORT" 2>/dev/null | head -c 1)
  if [ "$answer" = "N" ] || [ "$answer" = "S" ]; then db=reachable; else db=unreachable; fi
  reply=$(printf 'AUTH %s\r\nPING\r\n' "$REDIS_PASSWORD" | nc -w 1 "$LSH_CACHE_HOST" "$LSH_CACHE_PORT" 2>/dev/null | tr -d '\r' | tail -n 1)
  [ "$reply" = "+PONG" ] && cache=PONG || cache="no answer"
  printf '<!doctype html><title>quickstart</title>\n<p>db: %s (%s:%s)</p>\n<p>cache: %s (%s:%s)</p>\n' \
    "$db" "$LSH_DB_HOST" "$LSH_DB_PORT" "$cache" "$LSH_CACHE_HOST" "$LSH_CACHE_PORT" > /www/index.html.tmp
  mv /www/index.html.tmp /www/index.html
}
render
( while true; do sleep 1; render; done ) &
refresher=$!
httpd -f -p 8080 -h /www &
server=$!
trap 'kill "$refresher" "$server" 2>/dev/null; exit 0' TERM INT
wait "$server"
