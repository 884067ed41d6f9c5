#!/usr/bin/env bash
# `npm test`: lint, typecheck, then every suite against real servers that this script installs and starts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/infra/postgres.sh

cleanup() { stop_postgres; }
trap cleanup EXIT

export CI=${CI:-}
npx biome ci .
npx tsc -p tsconfig.json
start_postgres
npx vitest run "$@"
