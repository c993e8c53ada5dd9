#!/usr/bin/env bash
# Installs what the project needs to build and run: pnpm and the node_modules.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

command -v node >/dev/null || die "Node.js 20 or newer is required: install it from https://nodejs.org or your OS packages"
major=$(node -p 'process.versions.node.split(".")[0]')
((major >= 20)) || die "Node.js 20 or newer is required (found $(node -v))"

# pnpm warns on every run that it cannot switch to the exact version package.json pins
# (the registry lacks some platform binaries); that is harmless, and it is not ours to print.
if ! command -v pnpm >/dev/null || [[ $(pnpm -v 2>/dev/null | cut -d. -f1) -lt 12 ]]; then
  say "installing pnpm 12"
  npm install -g pnpm@12 >/dev/null 2>&1 || die "could not install pnpm: run 'npm install -g pnpm@12' and retry"
fi

stamp=node_modules/.flywheel-installed
if [[ ! -f $stamp || pnpm-lock.yaml -nt $stamp || package.json -nt $stamp ]]; then
  say "installing dependencies"
  # Not --frozen-lockfile: pnpm 12 wants to record its own binary in the lockfile, which
  # the registry does not publish for every platform, so a frozen install always fails.
  # When the lockfile needs resolving, pnpm 12 also looks up its own platform binaries and
  # that lookup fails now and then (ERR_PNPM_BAD_CONFIG_DEP); a retry goes through.
  log=$(mktemp)
  for attempt in 1 2 3; do
    pnpm install --reporter=append-only >"$log" 2>&1 && break
    if [[ $attempt -eq 3 ]]; then
      cat "$log" >&2
      die "pnpm install failed (output above)"
    fi
    sleep 2
  done
  rm -f "$log"
  touch $stamp
fi
