# A one-machine ACME server for the custom domains suite (issue 25, ADR 0222): its own Pebble (built and
# cached by certs.sh's certs_build_pebble; the Kubernetes `certs` service is not needed) whose HTTP-01
# validations go to 127.0.0.1:KLI8NT_TEST_LOCAL_ACME_HTTP_PORT, where the suite's router listens, and
# pebble-challtestsrv as its DNS, answering 127.0.0.1 for every name (a suite points one name elsewhere
# through its management API to make a challenge fail). Certificates live KLI8NT_TEST_LOCAL_ACME_VALIDITY
# seconds (default 60) so renewal can be watched. Exports KLI8NT_TEST_LOCAL_ACME_DIRECTORY (directory
# URL), _CA_FILE (the CA of Pebble's own HTTPS), _MANAGEMENT (Pebble's management URL: /roots/0 is the
# issuing root), _HTTP_PORT, _DNS_MANAGEMENT (challtestsrv's management URL).
# shellcheck source=certs.sh
source "$(dirname "${BASH_SOURCE[0]}")/certs.sh"

ACME_PIDS=()

acme_run() {
  local name=$1; shift
  "$@" >"$ACME_DIR/$name.log" 2>&1 &
  ACME_PIDS+=("$!")
}

# acme_tls DIR: a throwaway CA and Pebble's HTTPS certificate from it.
acme_tls() {
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=kli8nt test ACME CA" -days 2 \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=pebble" -keyout "$d/pebble.key" -out "$d/pebble.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/pebble.ext"
  openssl x509 -req -in "$d/pebble.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/pebble.ext" -out "$d/pebble.crt" 2>/dev/null
}

# acme_ports N: N distinct free ports (free_port may hand out the same port twice in a row).
acme_ports() {
  local -a ports=()
  local p
  while ((${#ports[@]} < $1)); do
    p=$(free_port)
    [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
  done
  echo "${ports[@]}"
}

start_acme() {
  certs_build_pebble || { log "building Pebble failed"; return 1; }
  ACME_DIR=$(mktemp -d /tmp/kli8nt-acme.XXXXXX)
  ACME_PIDS=()
  local dns dnsmgmt acme acmemgmt http tls validity=${KLI8NT_TEST_LOCAL_ACME_VALIDITY:-60}
  read -r dns dnsmgmt acme acmemgmt http tls < <(acme_ports 6)
  acme_run challtestsrv "$PEBBLE_CACHE/pebble-challtestsrv" -dnsserver "127.0.0.1:$dns" \
    -management "127.0.0.1:$dnsmgmt" -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
    -http01 "" -https01 "" -doh "" -tlsalpn01 ""
  acme_tls "$ACME_DIR"
  cat >"$ACME_DIR/pebble.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:$acme", "managementListenAddress": "127.0.0.1:$acmemgmt",
  "certificate": "$ACME_DIR/pebble.crt", "privateKey": "$ACME_DIR/pebble.key",
  "httpPort": $http, "tlsPort": $tls, "ocspResponderURL": "", "externalAccountBindingRequired": false,
  "keyAlgorithm": "ecdsa", "profiles": {"default": {"description": "short-lived", "validityPeriod": $validity}}}}
EOF
  # No random sleep before validation, no rejected nonces, no reused authorizations: each order is
  # validated for real.
  acme_run pebble env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 "$PEBBLE_CACHE/pebble" \
    -config "$ACME_DIR/pebble.json" -dnsserver "127.0.0.1:$dns"
  wait_for "pebble" 30 curl -fsS --cacert "$ACME_DIR/ca.crt" "https://127.0.0.1:$acme/dir" || {
    log "pebble did not come up; last lines of $ACME_DIR/pebble.log:"
    tail -n 30 "$ACME_DIR/pebble.log" >&2 || true
    stop_acme
    return 1
  }
  wait_for "pebble-challtestsrv" 30 curl -sS -o /dev/null "http://127.0.0.1:$dnsmgmt/" ||
    { stop_acme; return 1; }
  export KLI8NT_TEST_LOCAL_ACME_DIRECTORY=https://127.0.0.1:$acme/dir
  export KLI8NT_TEST_LOCAL_ACME_CA_FILE=$ACME_DIR/ca.crt
  export KLI8NT_TEST_LOCAL_ACME_MANAGEMENT=https://127.0.0.1:$acmemgmt
  export KLI8NT_TEST_LOCAL_ACME_HTTP_PORT=$http
  export KLI8NT_TEST_LOCAL_ACME_DNS_MANAGEMENT=http://127.0.0.1:$dnsmgmt
  log "pebble $PEBBLE_VERSION on 127.0.0.1:$acme for the one-machine ACME suite (HTTP-01 to port $http," \
    "certificates valid ${validity} s)"
}

stop_acme() {
  local i pid
  for ((i = ${#ACME_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${ACME_PIDS[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  ACME_PIDS=()
  if [[ -n ${ACME_DIR:-} ]]; then rm -rf "$ACME_DIR"; ACME_DIR=; fi
  unset KLI8NT_TEST_LOCAL_ACME_DIRECTORY KLI8NT_TEST_LOCAL_ACME_CA_FILE KLI8NT_TEST_LOCAL_ACME_MANAGEMENT \
    KLI8NT_TEST_LOCAL_ACME_HTTP_PORT KLI8NT_TEST_LOCAL_ACME_DNS_MANAGEMENT
}
