# Starts a throwaway PostgreSQL on 127.0.0.1 and exports KLI8NT_TEST_DATABASE_URL (sourced by test.sh).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [[ -x $d/initdb ]] && { echo "$d"; return; }; done
  return 1
}

start_postgres() {
  if ! pg_bin >/dev/null; then apt_ensure /usr/lib/postgresql/15/bin/initdb postgresql; fi
  local bin; bin=$(pg_bin)
  local dir; dir=$(mktemp -d /tmp/kli8nt-pg.XXXXXX)
  local port; port=$(free_port)
  chown postgres "$dir" 2>/dev/null || true
  local as=(); if [[ $(id -u) == 0 ]]; then as=(runuser -u postgres --); fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U kli8nt --auth=trust -E UTF8 >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  export KLI8NT_TEST_DATABASE_URL="postgres://kli8nt@127.0.0.1:$port/postgres"
  PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop)
  PG_DIR=$dir
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

stop_postgres() {
  if [[ -n ${PG_DIR:-} ]]; then "${PG_STOP[@]}" >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; fi
}
