#!/usr/bin/env bash
# Makes sure NATS (with JetStream) and PostgreSQL answer at NATS_URL and DATABASE_URL.
# Uses running servers when there are any; otherwise starts local ones with data under
# ./data, installing nats-server and postgresql from the OS packages when missing.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p "$DATA_DIR"

read -r nats_host nats_port < <(host_port "$NATS_URL" 4222)
if ! reachable "$nats_host" "$nats_port"; then
  is_local "$nats_host" || die "NATS is not reachable at $nats_host:$nats_port (NATS_URL): start it or fix NATS_URL"
  if ! command -v nats-server >/dev/null; then
    can_apt || die "nats-server is not installed: install it (apt-get install nats-server, or https://nats.io/download) and retry"
    apt_install nats-server
  fi
  say "starting nats-server on $nats_host:$nats_port (data in $DATA_DIR/nats)"
  mkdir -p "$DATA_DIR/nats"
  nohup nats-server -c "$ROOT/nats.conf" -a "$nats_host" -p "$nats_port" -sd "$DATA_DIR/nats" \
    >"$DATA_DIR/nats-server.log" 2>&1 &
  echo $! >"$DATA_DIR/nats-server.pid"
  wait_for "$nats_host" "$nats_port" nats-server 15
fi

read -r pg_host pg_port < <(host_port "$DATABASE_URL" 5432)
if ! reachable "$pg_host" "$pg_port"; then
  is_local "$pg_host" || die "PostgreSQL is not reachable at $pg_host:$pg_port (DATABASE_URL): start it or fix DATABASE_URL"
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z $pgbin ]]; then
    can_apt || die "PostgreSQL is not installed: install it (apt-get install postgresql) and retry"
    apt_install postgresql
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  pgdata="$DATA_DIR/postgres"
  # PostgreSQL refuses to run as root: run it as the postgres user the package created.
  as_pg=()
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$pgdata" postgres
    as_pg=(runuser -u postgres --)
  fi
  if [[ ! -f $pgdata/PG_VERSION ]]; then
    say "initialising PostgreSQL in $pgdata"
    mkdir -p "$pgdata"
    [[ ${#as_pg[@]} -gt 0 ]] && chown postgres "$pgdata"
    chmod 700 "$pgdata"
    "${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust >"$DATA_DIR/initdb.log" 2>&1 ||
      die "initdb failed: see $DATA_DIR/initdb.log"
  fi
  say "starting PostgreSQL on $pg_host:$pg_port (data in $pgdata)"
  touch "$DATA_DIR/postgres.log" && [[ ${#as_pg[@]} -gt 0 ]] && chown postgres "$DATA_DIR/postgres.log"
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$DATA_DIR/postgres.log" -w \
    -o "-p $pg_port -c listen_addresses=$pg_host -k /tmp" start >/dev/null ||
    die "PostgreSQL did not start: see $DATA_DIR/postgres.log"
  wait_for "$pg_host" "$pg_port" PostgreSQL 30
fi
