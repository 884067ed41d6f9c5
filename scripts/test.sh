#!/usr/bin/env bash
# `npm test`: lint, typecheck, then every suite against real servers that this script installs and starts.
# Each service is scripts/infra/<name>.sh defining start_<name> and stop_<name>; start_<name> exports
# the KLI8NT_TEST_* variables its suites read. Under CI=true a suite whose variable is missing fails.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICES=(postgres rabbitmq containers pgimage registry kaniko kafka kubernetes node ingress certs acme chromium)

for s in "${SERVICES[@]}"; do source "scripts/infra/$s.sh"; done
STARTED=()
cleanup() {
  local i
  # Reverse order: a service stops before those it depends on (the real node drains through the API server).
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do "stop_${STARTED[i]}" || true; done
}
trap cleanup EXIT

npx biome ci .
npx tsc -p tsconfig.json
for s in "${SERVICES[@]}"; do "start_$s"; STARTED+=("$s"); done
npx vitest run "$@"
