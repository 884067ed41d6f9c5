# Starts a throwaway Kubernetes control plane on 127.0.0.1 (sourced by test.sh): etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok (fake nodes whose pods go Running), in a temp dir.
# Exports KLI8NT_TEST_KUBECONFIG (path of an admin kubeconfig). Binaries come from
# test/k8s/build-binaries.sh (built once per machine, cached in ~/.cache/kli8nt/k8s/<version>).
# Design and measured times: docs/adr/0021-kubernetes-test-cluster.md.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
K8S_FAKE_NODES=${KLI8NT_TEST_K8S_NODES:-2}
K8S_PIDS=()

# k8s_pki DIR: a CA, the API server's serving cert (also used by kwok's kubelet endpoint) and the
# service-account signing key pair.
k8s_pki() {
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kli8nt-test-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth,clientAuth\n' >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

# k8s_kubeconfig DIR PORT TOKEN: an admin kubeconfig (token of a system:masters user from the token file).
k8s_kubeconfig() {
  local d=$1 port=$2 token=$3
  cat >"$d/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kli8nt-test
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(base64 -w0 <"$d/ca.crt")
users:
- name: admin
  user:
    token: $token
contexts:
- name: kli8nt-test
  context: {cluster: kli8nt-test, user: admin}
current-context: kli8nt-test
EOF
}

# k8s_kwok_config DIR: kwok's configuration plus the stages of test/k8s/kwok/stages.yaml (nodes become
# Ready, pods Running/Ready, Job pods Succeeded, deleted pods go away, images named *never-ready* stay
# unready) and one log file served for every container.
k8s_kwok_config() {
  local d=$1
  # CRI log format (timestamp stream tag message), the only one kwok parses.
  printf '%s stdout F fake container log line %s\n' 2026-01-01T00:00:00.000000001Z 1 \
    2026-01-01T00:00:01.000000001Z 2 >"$d/fake-container.log"
  {
    # The binary does not apply its documented defaults to a file's options (v0.8.0 exits with
    # "playStageParallelism must be greater than 0", and pod logs answer 405 without the debugging
    # handlers), so they are spelled out.
    printf 'kind: KwokConfiguration\napiVersion: config.kwok.x-k8s.io/v1alpha1\noptions:\n'
    printf '  podPlayStageParallelism: 4\n  nodePlayStageParallelism: 4\n  nodeLeaseParallelism: 4\n'
    printf '  nodeLeaseDurationSeconds: 40\n  podsOnNodeSyncParallelism: 1\n  enablePodsOnNodeSyncListPager: true\n'
    printf '  enableDebuggingHandlers: true\n  enableProfilingHandler: false\n  cidr: 10.0.0.0/16\n'
    cat "$K8S_ROOT/test/k8s/kwok/stages.yaml"
    printf -- '---\nkind: ClusterLogs\napiVersion: kwok.x-k8s.io/v1alpha1\nmetadata:\n  name: all-pods\n'
    printf 'spec:\n  logs:\n  - logsFile: %s\n    follow: false\n' "$d/fake-container.log"
  } >"$d/kwok.yaml"
}

# k8s_api METHOD PATH [BODY]: one authenticated call to the test API server.
k8s_api() {
  local args=(-fsS --cacert "$K8S_DIR/ca.crt" -H "Authorization: Bearer $K8S_TOKEN" -X "$1")
  if [[ $# -gt 2 ]]; then args+=(-H 'Content-Type: application/json' --data "$3"); fi
  curl "${args[@]}" "https://127.0.0.1:$K8S_API_PORT$2"
}

k8s_fake_node_json() {
  cat <<EOF
{"apiVersion":"v1","kind":"Node","metadata":{"name":"$1","annotations":{"node.alpha.kubernetes.io/ttl":"0",
"kwok.x-k8s.io/node":"fake"},"labels":{"kubernetes.io/hostname":"$1","kubernetes.io/os":"linux",
"kubernetes.io/arch":"amd64","type":"kwok"}},"status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110"},
"capacity":{"cpu":"32","memory":"256Gi","pods":"110"}}}
EOF
}

k8s_nodes_ready() {
  local ready
  # The API server pretty-prints for curl, so squeeze the JSON before matching.
  ready=$(k8s_api GET /api/v1/nodes | tr -d ' \n' | grep -o '"type":"Ready","status":"True"' | wc -l)
  ((ready >= K8S_FAKE_NODES))
}

# k8s_run NAME CMD...: start one component in the background, logging to the run dir.
k8s_run() {
  local name=$1; shift
  "$@" >"$K8S_DIR/$name.log" 2>&1 &
  K8S_PIDS+=("$!")
}

k8s_start_etcd() {
  local bin=$1 client peer
  client=$(free_port); peer=$(free_port)
  K8S_ETCD_URL="http://127.0.0.1:$client"
  k8s_run etcd "$bin/etcd" --data-dir "$K8S_DIR/etcd" --name kli8nt-test \
    --listen-client-urls "$K8S_ETCD_URL" --advertise-client-urls "$K8S_ETCD_URL" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "kli8nt-test=http://127.0.0.1:$peer" --unsafe-no-fsync --quota-backend-bytes 2147483648 \
    --log-level warn
  wait_for "etcd" 30 curl -fsS "$K8S_ETCD_URL/health"
}

k8s_start_apiserver() {
  local bin=$1 d=$K8S_DIR
  k8s_run kube-apiserver "$bin/kube-apiserver" --etcd-servers "$K8S_ETCD_URL" \
    --bind-address 127.0.0.1 --secure-port "$K8S_API_PORT" --advertise-address 127.0.0.1 \
    --endpoint-reconciler-type none --service-cluster-ip-range 10.96.0.0/16 \
    --tls-cert-file "$d/server.crt" --tls-private-key-file "$d/server.key" --client-ca-file "$d/ca.crt" \
    --token-auth-file "$d/tokens.csv" --authorization-mode RBAC \
    --service-account-key-file "$d/sa.pub" --service-account-signing-key-file "$d/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --kubelet-preferred-address-types InternalIP --kubelet-certificate-authority "$d/ca.crt" \
    --kubelet-client-certificate "$d/server.crt" --kubelet-client-key "$d/server.key" \
    --enable-priority-and-fairness=false --cert-dir "$d/apiserver-certs"
  wait_for "kube-apiserver /readyz" 120 k8s_api GET /readyz
}

k8s_start_controllers() {
  local bin=$1 d=$K8S_DIR
  k8s_run kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$d/kubeconfig" \
    --leader-elect=false --secure-port 0 --root-ca-file "$d/ca.crt" \
    --service-account-private-key-file "$d/sa.key" --kube-api-qps 200 --kube-api-burst 400
  k8s_run kube-scheduler "$bin/kube-scheduler" --kubeconfig "$d/kubeconfig" --leader-elect=false \
    --secure-port 0 --kube-api-qps 200 --kube-api-burst 400
  local kwok_port; kwok_port=$(free_port)
  k8s_run kwok "$bin/kwok" --kubeconfig "$d/kubeconfig" --config "$d/kwok.yaml" \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-ip 127.0.0.1 --node-port "$kwok_port" --server-address "127.0.0.1:$kwok_port" \
    --tls-cert-file "$d/server.crt" --tls-private-key-file "$d/server.key"
}

start_kubernetes() {
  apt_ensure openssl openssl
  apt_ensure curl curl
  local t0=$SECONDS bin
  bin=$(bash "$K8S_ROOT/test/k8s/build-binaries.sh") || { log "building the Kubernetes binaries failed"; return 1; }
  K8S_DIR=$(mktemp -d /tmp/kli8nt-k8s.XXXXXX)
  K8S_PIDS=()
  K8S_API_PORT=$(free_port)
  K8S_TOKEN=$(openssl rand -hex 24)
  printf '%s,kli8nt-admin,kli8nt-admin,system:masters\n' "$K8S_TOKEN" >"$K8S_DIR/tokens.csv"
  k8s_pki "$K8S_DIR"
  k8s_kubeconfig "$K8S_DIR" "$K8S_API_PORT" "$K8S_TOKEN"
  k8s_kwok_config "$K8S_DIR"
  local t1=$SECONDS
  k8s_start_etcd "$bin" || { k8s_fail etcd; return 1; }
  k8s_start_apiserver "$bin" || { k8s_fail kube-apiserver; return 1; }
  k8s_start_controllers "$bin"
  local i
  for ((i = 0; i < K8S_FAKE_NODES; i++)); do
    k8s_api POST /api/v1/nodes "$(k8s_fake_node_json "kwok-node-$i")" >/dev/null ||
      { k8s_fail kube-apiserver; return 1; }
  done
  # Ready nodes prove kwok works; the default ServiceAccount proves the controller-manager does
  # (pods cannot be created in a namespace before it exists).
  wait_for "kwok nodes Ready" 60 k8s_nodes_ready || { k8s_fail kwok; return 1; }
  wait_for "default ServiceAccount" 60 k8s_api GET /api/v1/namespaces/default/serviceaccounts/default ||
    { k8s_fail kube-controller-manager; return 1; }
  export KLI8NT_TEST_KUBECONFIG="$K8S_DIR/kubeconfig"
  log "Kubernetes $("$bin/kube-apiserver" --version | awk '{print $2}') on https://127.0.0.1:$K8S_API_PORT" \
    "($K8S_FAKE_NODES kwok nodes; binaries $((t1 - t0)) s, start $((SECONDS - t1)) s)"
}

# k8s_fail COMPONENT: show the end of the component's log so a CI failure says why.
k8s_fail() {
  log "$1 did not come up; last lines of $K8S_DIR/$1.log:"
  tail -n 30 "$K8S_DIR/$1.log" >&2 || true
  stop_kubernetes
}

stop_kubernetes() {
  local i pid
  # Reverse order (kwok and the controllers before the API server, etcd last). A component that has
  # not exited after a few seconds is killed: the API server can hang in graceful shutdown once etcd
  # is gone, and nothing here needs a clean shutdown (the data dir is deleted anyway).
  for ((i = ${#K8S_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${K8S_PIDS[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  K8S_PIDS=()
  if [[ -n ${K8S_DIR:-} ]]; then rm -rf "$K8S_DIR"; K8S_DIR=; fi
  unset KLI8NT_TEST_KUBECONFIG
}
