#!/usr/bin/env bash
# Usage: scripts/with-services.sh <service>... -- <command>...
# Starts the named scripts/infra services (as `npm test` does), runs the command, stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
services=()
while (($#)) && [[ $1 != -- ]]; do services+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
for s in "${services[@]}"; do source "scripts/infra/$s.sh"; done
STARTED=()
cleanup() {
  local i
  # Reverse order: a service stops before those it depends on (the real node drains through the API server).
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do "stop_${STARTED[i]}" || true; done
}
trap cleanup EXIT
for s in "${services[@]}"; do "start_$s"; STARTED+=("$s"); done
"$@"
