# nginx and wrk for packages/router/bench/router.bench.ts (not an npm test service): only installs the binaries. The bench starts its
# own nginx with a temp config on a free port, as an ordinary process (no root daemon, no systemd).
# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_nginx() {
  if [[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null 2>&1; then return 0; fi
  # Debian's postinst would start a daemon on port 80; policy-rc.d (exit 101) stops that where present.
  apt_ensure nginx nginx
}

# wrk drives both proxies in the bench: one C thread, so the load tool takes little of the CPU it measures.
ensure_wrk() {
  apt_ensure wrk wrk
}
