# Runs a real ingress controller for the test cluster (sourced by test.sh, after kubernetes and node):
# Traefik v3 built from its Go module (cached per version in ~/.cache/kli8nt/traefik/<version>), as a
# process on this machine. Its Ingress NGINX provider serves the IngressClass `nginx` (controller
# k8s.io/ingress-nginx, the chart's default class) with ingress-nginx's annotations, and routes to the
# pod IPs of the Services' EndpointSlices (no kube-proxy needed). Why Traefik and what differs from the nginx class the
# chart defaults to: docs/adr/0180-traefik-test-ingress.md.
# It listens on ports 80 and 443 of a loopback address of its own (127.<n>.<n>.<n>, so two runs and any
# other server on this machine do not collide): ACME HTTP-01 validation and cert-manager's self check
# always use port 80. Exports KLI8NT_TEST_INGRESS_CLASS, KLI8NT_TEST_INGRESS_IP,
# KLI8NT_TEST_INGRESS_HTTP_PORT (80) and KLI8NT_TEST_INGRESS_HTTPS_PORT (443); tests use
# `curl --resolve <host>:443:$KLI8NT_TEST_INGRESS_IP`.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INGRESS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TRAEFIK_VERSION=v3.7.11
TRAEFIK_CACHE=${KLI8NT_CACHE_DIR:-$HOME/.cache/kli8nt}/traefik/$TRAEFIK_VERSION
INGRESS_PIDS=()

# ingress_build_traefik: a static traefik binary in $TRAEFIK_CACHE; a second run costs nothing.
ingress_build_traefik() {
  local bin=$TRAEFIK_CACHE/traefik
  [[ -x $bin ]] && return 0
  command -v go >/dev/null || { log "the ingress needs Go (go build of github.com/traefik/traefik/v3)"; return 1; }
  mkdir -p "$TRAEFIK_CACHE"
  exec 8>"$TRAEFIK_CACHE/.lock"
  flock 8
  [[ -x $bin ]] && return 0
  local started=$SECONDS buildlog=$TRAEFIK_CACHE/build.log
  log "building traefik $TRAEFIK_VERSION (cold: ~10 min on a busy 2-core machine, log $buildlog)"
  (cd "$INGRESS_ROOT/test/k8s/traefik" && CGO_ENABLED=0 nice -n "${KLI8NT_BUILD_NICE:-10}" go build -p 2 -trimpath \
    -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
    -o "$bin.tmp" github.com/traefik/traefik/v3/cmd/traefik) >"$buildlog" 2>&1 || {
    tail -20 "$buildlog" >&2
    rm -f "$bin.tmp"
    log "traefik build failed (log $buildlog)"
    return 1
  }
  mv "$bin.tmp" "$bin"
  printf '%s\n' "$((SECONDS - started))" >"$TRAEFIK_CACHE/build-seconds"
  log "traefik built in $((SECONDS - started)) s"
}

# ingress_rbac: Traefik's own ServiceAccount with only what its Kubernetes Ingress provider reads, the
# IngressClass it serves, and a token for it.
ingress_rbac() {
  local rbac=/apis/rbac.authorization.k8s.io/v1 sa=kli8nt-test-traefik
  k8s_api POST /api/v1/namespaces/kube-system/serviceaccounts \
    "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"$sa\"}}" >/dev/null
  k8s_api POST "$rbac/clusterroles" "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\",
\"metadata\":{\"name\":\"$sa\"},\"rules\":[
{\"apiGroups\":[\"\"],\"resources\":[\"services\",\"secrets\",\"configmaps\",\"namespaces\",\"nodes\"],\"verbs\":[\"get\",\"list\",\"watch\"]},
{\"apiGroups\":[\"discovery.k8s.io\"],\"resources\":[\"endpointslices\"],\"verbs\":[\"list\",\"watch\"]},
{\"apiGroups\":[\"networking.k8s.io\"],\"resources\":[\"ingresses\",\"ingressclasses\"],\"verbs\":[\"get\",\"list\",\"watch\"]},
{\"apiGroups\":[\"networking.k8s.io\"],\"resources\":[\"ingresses/status\"],\"verbs\":[\"update\"]}]}" >/dev/null
  k8s_api POST "$rbac/clusterrolebindings" "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",
\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"$sa\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",
\"kind\":\"ClusterRole\",\"name\":\"$sa\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"$sa\",
\"namespace\":\"kube-system\"}]}" >/dev/null
  k8s_api POST /apis/networking.k8s.io/v1/ingressclasses '{"apiVersion":"networking.k8s.io/v1",
"kind":"IngressClass","metadata":{"name":"nginx"},"spec":{"controller":"k8s.io/ingress-nginx"}}' >/dev/null
  k8s_api POST "/api/v1/namespaces/kube-system/serviceaccounts/$sa/token" \
    '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":172800}}' |
    tr -d ' \n' | grep -o '"token":"[^"]*"' | cut -d'"' -f4
}

start_ingress() {
  if [[ -z ${K8S_DIR:-} ]]; then log "the ingress needs the kubernetes service started first"; return 1; fi
  local t0=$SECONDS
  ingress_build_traefik || return 1
  local t1=$SECONDS token
  INGRESS_DIR=$(mktemp -d /tmp/kli8nt-ingress.XXXXXX)
  INGRESS_PIDS=()
  token=$(ingress_rbac) && [[ -n $token ]] || { log "could not create Traefik's ServiceAccount and token"; stop_ingress; return 1; }
  local ip=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)) admin
  admin=$(free_port)
  # A static config file, so the token is in no command line. No version check, no usage reporting:
  # nothing leaves the machine.
  cat >"$INGRESS_DIR/traefik.yaml" <<EOF
global: {checkNewVersion: false, sendAnonymousUsage: false}
log: {level: INFO}
entryPoints:
  web: {address: "$ip:80"}
  websecure: {address: "$ip:443"}
  traefik: {address: "127.0.0.1:$admin"}
ping: {entryPoint: traefik}
providers:
  kubernetesIngressNGINX:
    endpoint: "https://127.0.0.1:$K8S_API_PORT"
    token: "$token"
    certAuthFilePath: "$K8S_DIR/ca.crt"
    httpEntryPoint: web
    httpsEntryPoint: websecure
EOF
  chmod 600 "$INGRESS_DIR/traefik.yaml"
  "$TRAEFIK_CACHE/traefik" --configFile="$INGRESS_DIR/traefik.yaml" >"$INGRESS_DIR/traefik.log" 2>&1 &
  INGRESS_PIDS+=("$!")
  wait_for "traefik /ping" 30 curl -fsS "http://127.0.0.1:$admin/ping" || {
    log "traefik did not come up; last lines of $INGRESS_DIR/traefik.log:"
    tail -n 30 "$INGRESS_DIR/traefik.log" >&2
    stop_ingress
    return 1
  }
  export KLI8NT_TEST_INGRESS_CLASS=nginx
  export KLI8NT_TEST_INGRESS_IP=$ip
  export KLI8NT_TEST_INGRESS_HTTP_PORT=80
  export KLI8NT_TEST_INGRESS_HTTPS_PORT=443
  log "traefik $TRAEFIK_VERSION on $ip:80 and :443, class nginx" \
    "(Ingress NGINX provider; binary $((t1 - t0)) s, start $((SECONDS - t1)) s)"
}

stop_ingress() {
  local i pid
  for ((i = ${#INGRESS_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${INGRESS_PIDS[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  INGRESS_PIDS=()
  if [[ -n ${INGRESS_DIR:-} ]]; then rm -rf "$INGRESS_DIR"; INGRESS_DIR=; fi
  unset KLI8NT_TEST_INGRESS_CLASS KLI8NT_TEST_INGRESS_IP KLI8NT_TEST_INGRESS_HTTP_PORT KLI8NT_TEST_INGRESS_HTTPS_PORT
}
