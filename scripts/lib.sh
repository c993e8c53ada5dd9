# Shared helpers for the operator scripts. Sourced, not executed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${DATA_DIR:-$ROOT/data}"
NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}"
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/flywheel}"

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# host_port URL DEFAULT_PORT -> "host port"
host_port() {
  local rest="${1#*://}"
  rest="${rest#*@}"
  rest="${rest%%/*}"
  rest="${rest%%\?*}"
  local host="${rest%%:*}" port="$2"
  [[ "$rest" == *:* ]] && port="${rest##*:}"
  echo "$host $port"
}

reachable() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

wait_for() { # host port what seconds
  local i
  for ((i = 0; i < $4 * 10; i++)); do
    reachable "$1" "$2" && return 0
    sleep 0.1
  done
  die "$3 did not come up on $1:$2 within $4 s"
}

is_local() { [[ "$1" == 127.* || "$1" == localhost || "$1" == "::1" ]]; }

can_apt() { [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; }

apt_install() {
  say "installing $* from the OS packages"
  if [[ ! -f "$DATA_DIR/.apt-updated" ]]; then
    apt-get update -qq >/dev/null
    mkdir -p "$DATA_DIR" && touch "$DATA_DIR/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
