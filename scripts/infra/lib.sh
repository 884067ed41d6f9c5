# Shared helpers for the test infrastructure scripts (sourced, not run).
set -euo pipefail

log() { printf '[infra] %s\n' "$*" >&2; }

# free_port: ask the kernel for an unused TCP port on 127.0.0.1.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# apt_ensure CMD PKG...: install Debian packages when CMD is missing.
apt_ensure() {
  local cmd=$1; shift
  if command -v "$cmd" >/dev/null 2>&1; then return 0; fi
  log "installing $* (missing $cmd)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 || {
    apt-get update >/dev/null 2>&1
    apt-get install -y --no-install-recommends "$@" >/dev/null
  }
}

# wait_for DESC SECONDS CMD...: retry CMD until it succeeds or the time runs out.
wait_for() {
  local desc=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then log "timed out waiting for $desc"; return 1; fi
    sleep 0.3
  done
}
