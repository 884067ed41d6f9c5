# Starts a throwaway image registry (Debian docker-registry, distribution 2.8) on 127.0.0.1 with its storage
# in a temp dir, and exports KLI8NT_TEST_REGISTRY=127.0.0.1:<port> (sourced by test.sh). Plain HTTP, no
# auth: clients use --tls-verify=false (podman, skopeo) or --insecure-registry (Kaniko).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_registry() {
  apt_ensure docker-registry docker-registry
  local dir; dir=$(mktemp -d /tmp/kli8nt-registry.XXXXXX)
  local port; port=$(free_port)
  # delete.enabled lets tests remove what they pushed; no auth section: the registry is loopback-only.
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  REGISTRY_PID=$!
  REGISTRY_DIR=$dir
  wait_for "registry on 127.0.0.1:$port" 30 curl -fsS "http://127.0.0.1:$port/v2/" || {
    tail -20 "$dir/log" >&2
    return 1
  }
  export KLI8NT_TEST_REGISTRY=127.0.0.1:$port
  log "registry $(docker-registry --version | awk '{print $3}') on 127.0.0.1:$port"
}

stop_registry() {
  if [[ -n ${REGISTRY_PID:-} ]]; then
    kill "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
  fi
  if [[ -n ${REGISTRY_DIR:-} ]]; then rm -rf "$REGISTRY_DIR"; fi
}
