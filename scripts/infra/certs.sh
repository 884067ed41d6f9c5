# Real certificates for the test cluster (sourced by test.sh, after node and ingress): Pebble (Let's
# Encrypt's ACME test server) with pebble-challtestsrv as its DNS (every name resolves to the ingress's
# address), cert-manager's CRDs, and cert-manager's controller and HTTP-01 solver image, all built from
# their Go modules and cached under ~/.cache/kli8nt/. A suite runs the controller itself, for its own
# namespace only (`--namespace`), so no other suite's Ingress gets certificates or solver objects.
# Design: docs/adr/0182-test-acme.md. Exports KLI8NT_TEST_ACME_SERVER (directory URL),
# KLI8NT_TEST_ACME_CA_BUNDLE (CA file of Pebble's HTTPS, for an issuer's caBundle), KLI8NT_TEST_ACME_ROOT
# (PEM of Pebble's root for this run: the trust anchor of issued certificates), KLI8NT_TEST_ACME_DNS
# (host:port of the test DNS), KLI8NT_TEST_ACME_DNS_MANAGEMENT (its management API: a test points one
# name elsewhere), KLI8NT_TEST_CERT_MANAGER (controller binary) and
# KLI8NT_TEST_ACME_SOLVER_IMAGE (by digest in the test registry).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CERTS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEBBLE_VERSION=v2.10.3
CERT_MANAGER_VERSION=v1.21.2
PEBBLE_CACHE=${KLI8NT_CACHE_DIR:-$HOME/.cache/kli8nt}/pebble/$PEBBLE_VERSION
# Our own mains: keyed by their sources too, so an edit rebuilds them.
CERT_MANAGER_CACHE=${KLI8NT_CACHE_DIR:-$HOME/.cache/kli8nt}/cert-manager/$CERT_MANAGER_VERSION-$(
  cat "$CERTS_ROOT"/test/k8s/certmanager/go.* "$CERTS_ROOT"/test/k8s/certmanager/*/main.go | sha256sum | cut -c1-12)
CERTS_PIDS=()

# certs_build_pebble: pebble and pebble-challtestsrv (go install, Pebble has no replace lines), cached;
# also used by acme.sh (the one-machine ACME suite's own Pebble).
certs_build_pebble() {
  command -v go >/dev/null || { log "Pebble needs Go (it builds from its module)"; return 1; }
  mkdir -p "$PEBBLE_CACHE"
  local tmp
  if [[ ! -x $PEBBLE_CACHE/pebble || ! -x $PEBBLE_CACHE/pebble-challtestsrv ]]; then
    log "building pebble $PEBBLE_VERSION"
    tmp=$(mktemp -d "$PEBBLE_CACHE/.build.XXXXXX")
    (cd / && CGO_ENABLED=0 GOBIN="$tmp" nice -n "${KLI8NT_BUILD_NICE:-10}" go install -trimpath -ldflags "-s -w" \
      "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION" \
      "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@$PEBBLE_VERSION") >"$PEBBLE_CACHE/build.log" 2>&1 ||
      { tail -20 "$PEBBLE_CACHE/build.log" >&2; rm -rf "$tmp"; return 1; }
    mv "$tmp/pebble" "$tmp/pebble-challtestsrv" "$PEBBLE_CACHE/" && rmdir "$tmp"
  fi
}

# certs_build: Pebble (above) and our two cert-manager mains (test/k8s/certmanager); nothing is rebuilt
# once there.
certs_build() {
  command -v go >/dev/null || { log "certificates need Go (Pebble and cert-manager build from their modules)"; return 1; }
  mkdir -p "$CERT_MANAGER_CACHE"
  local started=$SECONDS tmp
  certs_build_pebble || return 1
  if [[ ! -x $CERT_MANAGER_CACHE/controller || ! -x $CERT_MANAGER_CACHE/acmesolver ]]; then
    log "building cert-manager $CERT_MANAGER_VERSION controller and acmesolver (log $CERT_MANAGER_CACHE/build.log)"
    tmp=$(mktemp -d "$CERT_MANAGER_CACHE/.build.XXXXXX")
    (cd "$CERTS_ROOT/test/k8s/certmanager" && CGO_ENABLED=0 nice -n "${KLI8NT_BUILD_NICE:-10}" go build -p 2 -trimpath \
      -ldflags "-s -w -X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$CERT_MANAGER_VERSION" \
      -o "$tmp/" ./controller ./acmesolver) >"$CERT_MANAGER_CACHE/build.log" 2>&1 ||
      { tail -20 "$CERT_MANAGER_CACHE/build.log" >&2; rm -rf "$tmp"; return 1; }
    mv "$tmp/controller" "$tmp/acmesolver" "$CERT_MANAGER_CACHE/" && rmdir "$tmp"
  fi
  if ((SECONDS - started > 1)); then log "certificate tools built in $((SECONDS - started)) s"; fi
}

# certs_solver_image: the HTTP-01 solver in a FROM scratch image, pushed to the test registry; prints
# its reference by digest.
certs_solver_image() {
  local local_image=localhost/kli8nt/acmesolver:$CERT_MANAGER_VERSION ctx
  if ! podman image exists "$local_image"; then
    ctx=$(mktemp -d /tmp/kli8nt-acmesolver.XXXXXX)
    cp "$CERT_MANAGER_CACHE/acmesolver" "$ctx/"
    printf 'FROM scratch\nCOPY acmesolver /acmesolver\nUSER 65534\nENTRYPOINT ["/acmesolver"]\n' >"$ctx/Dockerfile"
    buildah bud --isolation chroot -q -t "$local_image" "$ctx" >/dev/null
    rm -rf "$ctx"
  fi
  local remote=$KLI8NT_TEST_REGISTRY/kli8nt-test/acmesolver
  podman push -q --tls-verify=false --digestfile "$CERTS_DIR/solver.digest" "$local_image" \
    "docker://$remote:$CERT_MANAGER_VERSION" >/dev/null
  printf '%s@%s\n' "$remote" "$(cat "$CERTS_DIR/solver.digest")"
}

# certs_pebble_tls DIR: Pebble's own HTTPS certificate, from the cluster CA (cert-manager trusts it
# through the issuer's caBundle).
certs_pebble_tls() {
  local d=$1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=pebble" -keyout "$d/pebble.key" -out "$d/pebble.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/pebble.ext"
  openssl x509 -req -in "$d/pebble.csr" -CA "$K8S_DIR/ca.crt" -CAkey "$K8S_DIR/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/pebble.ext" -out "$d/pebble.crt" 2>/dev/null
}

# certs_apply_crds FILE...: create each CRD of the YAML files through the API server (one JSON file
# per object: the largest are over 300 kB, too long for one command-line argument).
certs_apply_crds() {
  local f
  node -e '
    const yaml = require("js-yaml");
    const fs = require("node:fs");
    const [dir, ...files] = process.argv.slice(1);
    let i = 0;
    for (const f of files)
      for (const o of yaml.loadAll(fs.readFileSync(f, "utf8")))
        if (o) fs.writeFileSync(`${dir}/crd-${i++}.json`, JSON.stringify(o));
  ' "$CERTS_DIR" "$@"
  for f in "$CERTS_DIR"/crd-*.json; do
    curl -fsS --cacert "$K8S_DIR/ca.crt" -H "Authorization: Bearer $K8S_TOKEN" -H 'Content-Type: application/json' \
      --data-binary "@$f" "https://127.0.0.1:$K8S_API_PORT/apis/apiextensions.k8s.io/v1/customresourcedefinitions" >/dev/null
  done
}

certs_crds_established() {
  local n
  n=$(k8s_api GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions | tr -d ' \n' |
    grep -o '"type":"Established","status":"True"' | wc -l)
  ((n >= 6))
}

# certs_run NAME CMD...: one background process of this service, logging to the run dir.
certs_run() {
  local name=$1; shift
  "$@" >"$CERTS_DIR/$name.log" 2>&1 &
  CERTS_PIDS+=("$!")
}

start_certs() {
  if [[ -z ${KLI8NT_TEST_INGRESS_IP:-} || -z ${KLI8NT_TEST_NODE_NAME:-} ]]; then
    log "certificates need the node and ingress services started first (the solver image goes to the registry)"
    return 1
  fi
  local t0=$SECONDS
  certs_build || { log "building Pebble or cert-manager failed"; return 1; }
  local t1=$SECONDS
  CERTS_DIR=$(mktemp -d /tmp/kli8nt-certs.XXXXXX)
  CERTS_PIDS=()
  local solver dns dnsmgmt acme acmemgmt
  solver=$(certs_solver_image) || { log "pushing the acmesolver image failed"; stop_certs; return 1; }
  dns=$(free_port); dnsmgmt=$(free_port); acme=$(free_port); acmemgmt=$(free_port)
  # Every A query answers the ingress's address; no other challenge server of challtestsrv is started.
  certs_run challtestsrv "$PEBBLE_CACHE/pebble-challtestsrv" -dnsserver "127.0.0.1:$dns" \
    -management "127.0.0.1:$dnsmgmt" -defaultIPv4 "$KLI8NT_TEST_INGRESS_IP" -defaultIPv6 "" \
    -http01 "" -https01 "" -doh "" -tlsalpn01 ""
  certs_pebble_tls "$CERTS_DIR"
  cat >"$CERTS_DIR/pebble.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:$acme", "managementListenAddress": "127.0.0.1:$acmemgmt",
  "certificate": "$CERTS_DIR/pebble.crt", "privateKey": "$CERTS_DIR/pebble.key",
  "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": false,
  "keyAlgorithm": "ecdsa", "profiles": {"default": {"description": "test", "validityPeriod": 7776000}}}}
EOF
  # No random sleep before validation and no rejected nonces: the real flow, without Pebble's chaos.
  certs_run pebble env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 "$PEBBLE_CACHE/pebble" \
    -config "$CERTS_DIR/pebble.json" -dnsserver "127.0.0.1:$dns"
  wait_for "pebble" 30 curl -fsS --cacert "$K8S_DIR/ca.crt" "https://127.0.0.1:$acme/dir" ||
    { certs_fail pebble; return 1; }
  curl -fsS --cacert "$K8S_DIR/ca.crt" "https://127.0.0.1:$acmemgmt/roots/0" >"$CERTS_DIR/acme-root.pem"

  # The CRDs ship in the module; download it again if only the binaries are cached.
  local crds
  crds=$(cd "$CERTS_ROOT/test/k8s/certmanager" && go mod download github.com/cert-manager/cert-manager &&
    go list -m -f '{{.Dir}}' github.com/cert-manager/cert-manager)/deploy/crds
  certs_apply_crds "$crds"/*.yaml || { log "applying cert-manager's CRDs failed"; stop_certs; return 1; }
  wait_for "cert-manager CRDs Established" 60 certs_crds_established || { stop_certs; return 1; }
  export KLI8NT_TEST_ACME_SERVER=https://127.0.0.1:$acme/dir
  export KLI8NT_TEST_ACME_CA_BUNDLE=$K8S_DIR/ca.crt
  export KLI8NT_TEST_ACME_ROOT=$CERTS_DIR/acme-root.pem
  export KLI8NT_TEST_ACME_DNS=127.0.0.1:$dns
  export KLI8NT_TEST_ACME_DNS_MANAGEMENT=http://127.0.0.1:$dnsmgmt
  export KLI8NT_TEST_CERT_MANAGER=$CERT_MANAGER_CACHE/controller
  export KLI8NT_TEST_ACME_SOLVER_IMAGE=$solver
  log "pebble $PEBBLE_VERSION on 127.0.0.1:$acme, cert-manager $CERT_MANAGER_VERSION CRDs and controller ready" \
    "(binaries $((t1 - t0)) s, start $((SECONDS - t1)) s)"
}

certs_fail() {
  log "$1 did not come up; last lines of $CERTS_DIR/$1.log:"
  tail -n 30 "$CERTS_DIR/$1.log" >&2 || true
  stop_certs
}

stop_certs() {
  local i pid
  for ((i = ${#CERTS_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${CERTS_PIDS[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  CERTS_PIDS=()
  if [[ -n ${CERTS_DIR:-} ]]; then rm -rf "$CERTS_DIR"; CERTS_DIR=; fi
  unset KLI8NT_TEST_ACME_SERVER KLI8NT_TEST_ACME_CA_BUNDLE KLI8NT_TEST_ACME_ROOT KLI8NT_TEST_ACME_DNS \
    KLI8NT_TEST_ACME_DNS_MANAGEMENT KLI8NT_TEST_CERT_MANAGER KLI8NT_TEST_ACME_SOLVER_IMAGE
}
