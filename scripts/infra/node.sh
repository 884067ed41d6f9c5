# Joins one real node to the test cluster of kubernetes.sh (sourced by test.sh, after registry and
# kubernetes): a kubelet built from the control plane's module, Debian's containerd (runc, cgroupfs) and
# the CNI bridge plugins, in a temp dir. Pods land on it only if they tolerate its taint; the kwok nodes
# stay. containerd pulls from the local test registry over HTTP. Facts and traps:
# ../shared/notes/real-node.md; decisions and measured times: docs/adr/0181-real-test-node.md.
# Exports KLI8NT_TEST_NODE_NAME, KLI8NT_TEST_NODE_TAINT (key=value:effect), KLI8NT_TEST_NODE_IP and
# KLI8NT_TEST_NODE_WEB_IMAGE (a small HTTP app pushed to the registry, by digest; test/k8s/node/web) and
# KLI8NT_TEST_NODE_UNREADY_IMAGE (the same app with READY=false: it never passes a probe).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NODE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NODE_CACHE=${KLI8NT_CACHE_DIR:-$HOME/.cache/kli8nt}/node
NODE_TAINT_KEY=kli8nt.io/real-node
# The kubelet (protectKernelDefaults: false) sets these on the machine: put back at stop.
NODE_SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops)
NODE_PIDS=()

# node_images: the pause image (sandbox) and the web app, static Go programs in FROM scratch images,
# built once per source version into podman's store.
node_images() {
  local tag; tag=$(cat "$NODE_ROOT"/test/k8s/node/go.mod "$NODE_ROOT"/test/k8s/node/*/main.go | sha256sum | cut -c1-12)
  NODE_PAUSE_IMAGE=localhost/kli8nt/pause:$tag
  NODE_WEB_IMAGE=localhost/kli8nt/test-web:$tag
  NODE_UNREADY_IMAGE=localhost/kli8nt/test-web-unready:$tag
  podman image exists "$NODE_PAUSE_IMAGE" && podman image exists "$NODE_WEB_IMAGE" &&
    podman image exists "$NODE_UNREADY_IMAGE" && return 0
  local ctx; ctx=$(mktemp -d /tmp/kli8nt-node-img.XXXXXX)
  (cd "$NODE_ROOT/test/k8s/node" && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "-s -w" -o "$ctx/" ./pause ./web)
  local name
  for name in pause web; do
    printf 'FROM scratch\nCOPY %s /%s\nUSER 65534\nENTRYPOINT ["/%s"]\n' "$name" "$name" "$name" >"$ctx/Dockerfile.$name"
  done
  buildah bud --isolation chroot -q -f "$ctx/Dockerfile.pause" -t "$NODE_PAUSE_IMAGE" "$ctx" >/dev/null
  buildah bud --isolation chroot -q -f "$ctx/Dockerfile.web" -t "$NODE_WEB_IMAGE" "$ctx" >/dev/null
  # The same app that never gets ready: a release whose probe fails.
  printf 'FROM scratch\nCOPY web /web\nUSER 65534\nENV READY=false\nENTRYPOINT ["/web"]\n' >"$ctx/Dockerfile.unready"
  buildah bud --isolation chroot -q -f "$ctx/Dockerfile.unready" -t "$NODE_UNREADY_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
}

# node_pki DIR NAME IP: the kubelet's client certificate (group system:nodes) and its serving certificate
# for IP, both signed by the test cluster's CA, so the API server can verify it for pods/log and exec.
node_pki() {
  local d=$1 name=$2 ip=$3 ca=$K8S_DIR
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:nodes/CN=system:node:$name" \
    -keyout "$d/client.key" -out "$d/client.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
  openssl x509 -req -in "$d/client.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/client.ext" -out "$d/client.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$d/serving.key" -out "$d/serving.csr" 2>/dev/null
  printf 'subjectAltName=IP:%s,DNS:%s\nextendedKeyUsage=serverAuth\n' "$ip" "$name" >"$d/serving.ext"
  openssl x509 -req -in "$d/serving.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/serving.ext" -out "$d/serving.crt" 2>/dev/null
  cat >"$d/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kli8nt-test
  cluster: {server: "https://127.0.0.1:$K8S_API_PORT", certificate-authority: "$ca/ca.crt"}
users:
- name: kubelet
  user: {client-certificate: "$d/client.crt", client-key: "$d/client.key"}
contexts:
- name: kubelet
  context: {cluster: kli8nt-test, user: kubelet}
current-context: kubelet
EOF
}

# node_containerd_config DIR: containerd 1.6 (config version 2) with its root, state and sockets in DIR.
node_containerd_config() {
  local d=$1
  mkdir -p "$d/cni" "$d/certs.d/$KLI8NT_TEST_REGISTRY"
  cat >"$d/containerd.toml" <<EOF
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
[grpc]
  address = "$d/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$NODE_PAUSE_IMAGE"
  # Nothing here may write a negative oom_score_adj (no CAP_SYS_RESOURCE): without this every sandbox fails.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$d/certs.d"
EOF
  # The test registry speaks plain HTTP on loopback (registry.sh).
  cat >"$d/certs.d/$KLI8NT_TEST_REGISTRY/hosts.toml" <<EOF
server = "http://$KLI8NT_TEST_REGISTRY"
[host."http://$KLI8NT_TEST_REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
  cat >"$d/cni/10-kli8nt.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "$NODE_BRIDGE", "plugins": [
  {"type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$NODE_POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$d/cni-ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "loopback"}
]}
EOF
}

# node_kubelet_config DIR PORT: the KubeletConfiguration this sandbox needs (hybrid cgroups, no
# CAP_SYS_RESOURCE, shared disk) and the pieces the test cluster needs (serving cert, taint).
node_kubelet_config() {
  local d=$1 port=$2
  cp /etc/resolv.conf "$d/resolv.conf"
  cat >"$d/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $port
readOnlyPort: 0
healthzPort: 0
tlsCertFile: $d/serving.crt
tlsPrivateKeyFile: $d/serving.key
# Only clients with a certificate of the test CA (the API server) reach logs and exec.
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $K8S_DIR/ca.crt}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$d/containerd.sock
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
protectKernelDefaults: false
resolvConf: $d/resolv.conf
podLogsDir: $d/pod-logs
podCIDR: $NODE_POD_CIDR
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
registerWithTaints:
- {key: $NODE_TAINT_KEY, value: "true", effect: NoSchedule}
serializeImagePulls: false
EOF
}

node_ready() {
  k8s_api GET "/api/v1/nodes/$NODE_NAME" | tr -d ' \n' | grep -q '"type":"Ready","status":"True"'
}

# node_rbac: the kubelet's group gets the built-in system:node role (the cluster runs RBAC only, no Node
# authorizer, and the role has no binding by default).
node_rbac() {
  k8s_api POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings '{"apiVersion":"rbac.authorization.k8s.io/v1",
"kind":"ClusterRoleBinding","metadata":{"name":"kli8nt-test-nodes"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io",
"kind":"ClusterRole","name":"system:node"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group",
"name":"system:nodes"}]}' >/dev/null 2>&1 || k8s_api GET /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kli8nt-test-nodes >/dev/null
}

start_node() {
  if [[ -z ${K8S_DIR:-} || -z ${KLI8NT_TEST_REGISTRY:-} || -z ${KLI8NT_TEST_CONTAINERS:-} ]]; then
    log "the real node needs the containers, registry and kubernetes services started first"
    return 1
  fi
  apt_ensure containerd containerd
  apt_ensure /usr/lib/cni/bridge containernetworking-plugins
  # The bridge plugin's masquerading and the kubelet's own chains.
  apt_ensure iptables iptables
  local t0=$SECONDS bin
  bin=$(bash "$NODE_ROOT/test/k8s/build-binaries.sh" node) || { log "building the kubelet failed"; return 1; }
  node_images
  local t1=$SECONDS
  NODE_DIR=$(mktemp -d /tmp/kli8nt-node.XXXXXX)
  NODE_PIDS=()
  NODE_NAME=kli8nt-node-$(openssl rand -hex 3)
  NODE_IP=$(ip -4 route get 192.0.2.255 2>/dev/null | grep -o 'src [0-9.]*' | cut -d' ' -f2 || true)
  [[ -n $NODE_IP ]] || NODE_IP=$(hostname -I | awk '{print $1}')
  # A bridge and subnet of this run: two test runs on one machine must not share them.
  local n=$((RANDOM % 200 + 20))
  NODE_BRIDGE=kli8nt$n
  NODE_NET=$NODE_BRIDGE
  NODE_POD_CIDR=10.244.$n.0/24
  NODE_SYSCTL_SAVED=$(sysctl -n "${NODE_SYSCTLS[@]}" | paste -sd' ')
  node_pki "$NODE_DIR" "$NODE_NAME" "$NODE_IP"
  node_containerd_config "$NODE_DIR"
  node_kubelet_config "$NODE_DIR" "$(free_port)"
  node_rbac || { log "could not bind system:node for the kubelet"; stop_node; return 1; }

  containerd --config "$NODE_DIR/containerd.toml" >"$NODE_DIR/containerd.log" 2>&1 &
  NODE_PIDS+=("$!")
  wait_for containerd 30 ctr --address "$NODE_DIR/containerd.sock" version || { node_fail containerd; return 1; }
  # A wrong sandbox image fails every pod without a clear message: import it and check it is there.
  podman save --format docker-archive "$NODE_PAUSE_IMAGE" |
    ctr --address "$NODE_DIR/containerd.sock" -n k8s.io images import - >/dev/null
  ctr --address "$NODE_DIR/containerd.sock" -n k8s.io images check "name==$NODE_PAUSE_IMAGE" | grep -q complete ||
    { node_fail containerd "pause image $NODE_PAUSE_IMAGE missing in containerd"; return 1; }

  "$bin/kubelet" --config "$NODE_DIR/kubelet.yaml" --kubeconfig "$NODE_DIR/kubeconfig" \
    --root-dir "$NODE_DIR/kubelet" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --node-labels "$NODE_TAINT_KEY=true" >"$NODE_DIR/kubelet.log" 2>&1 &
  NODE_PIDS+=("$!")
  wait_for "node $NODE_NAME Ready" 90 node_ready || { node_fail kubelet; return 1; }

  local web unready
  web=$(node_push "$NODE_WEB_IMAGE" web) && unready=$(node_push "$NODE_UNREADY_IMAGE" web-unready) ||
    { node_fail kubelet "pushing the web images to $KLI8NT_TEST_REGISTRY failed"; return 1; }
  export KLI8NT_TEST_NODE_NAME=$NODE_NAME
  export KLI8NT_TEST_NODE_TAINT=$NODE_TAINT_KEY=true:NoSchedule
  export KLI8NT_TEST_NODE_IP=$NODE_IP
  export KLI8NT_TEST_NODE_WEB_IMAGE=$web
  export KLI8NT_TEST_NODE_UNREADY_IMAGE=$unready
  log "real node $NODE_NAME on $NODE_IP (pods $NODE_POD_CIDR; binaries and images $((t1 - t0)) s, start $((SECONDS - t1)) s)"
}

# node_push IMAGE NAME: push a local image to the test registry; prints its reference by digest, as the
# deploy controller names images (packages/manifests refuses a moving tag).
node_push() {
  local remote=$KLI8NT_TEST_REGISTRY/kli8nt-test/$2
  podman push -q --tls-verify=false --digestfile "$NODE_DIR/$2.digest" "$1" "docker://$remote:${1##*:}" >/dev/null
  printf '%s@%s\n' "$remote" "$(cat "$NODE_DIR/$2.digest")"
}

# node_fail COMPONENT [MESSAGE]: say why (end of the component's log) and clean up.
node_fail() {
  log "${2:-$1 did not come up}; last lines of $NODE_DIR/$1.log:"
  tail -n 30 "$NODE_DIR/$1.log" >&2 || true
  stop_node
}

stop_node() {
  local i pid
  # Pods first, through the kubelet, so each sandbox's network (veth, iptables rules) is torn down by CNI.
  if [[ -n ${NODE_NAME:-} && -n ${K8S_DIR:-} && ${#NODE_PIDS[@]} -gt 1 ]]; then node_drain || true; fi
  # Then the kubelet, whatever is left through containerd, and containerd.
  for ((i = ${#NODE_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${NODE_PIDS[i]}
    if ((i == 0)) && [[ -S $NODE_DIR/containerd.sock ]]; then node_remove_pods; fi
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  NODE_PIDS=()
  if [[ -n ${NODE_DIR:-} ]]; then
    # The kubelet bind-mounts its root dir onto itself; pods leave their volume mounts below it.
    grep -o " $NODE_DIR/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$NODE_DIR"
    NODE_DIR=
  fi
  if [[ -n ${NODE_BRIDGE:-} ]]; then ip link delete "$NODE_BRIDGE" 2>/dev/null || true; NODE_BRIDGE=; fi
  if [[ -n ${NODE_POD_CIDR:-} ]]; then node_sweep_masquerade; NODE_POD_CIDR=; fi
  # libcni's result cache of this run's network (the network is named after the bridge).
  if [[ -n ${NODE_NET:-} ]]; then rm -f /var/lib/cni/results/"$NODE_NET"-*; NODE_NET=; fi
  if [[ -n ${NODE_SYSCTL_SAVED:-} ]]; then
    local values=() k=0
    read -r -a values <<<"$NODE_SYSCTL_SAVED"
    for k in "${!NODE_SYSCTLS[@]}"; do sysctl -qw "${NODE_SYSCTLS[k]}=${values[k]}" || true; done
    NODE_SYSCTL_SAVED=
  fi
  # The kubelet's own iptables chains, unless another kubelet on this machine still uses them.
  if [[ -n ${NODE_NAME:-} ]] && ! pgrep -x kubelet >/dev/null; then
    node_remove_iptables
    # The device manager's socket ignores --root-dir.
    rm -f /var/lib/kubelet/device-plugins/kubelet.sock
  fi
  NODE_NAME=
  unset KLI8NT_TEST_NODE_NAME KLI8NT_TEST_NODE_TAINT KLI8NT_TEST_NODE_IP KLI8NT_TEST_NODE_WEB_IMAGE \
    KLI8NT_TEST_NODE_UNREADY_IMAGE
}

# node_drain: cordon the node, delete its pods at once and wait (20 s at most) until the kubelet has
# stopped their sandboxes; then remove the Node.
node_drain() {
  k8s_api GET /healthz >/dev/null 2>&1 || return 1
  curl -fsS --cacert "$K8S_DIR/ca.crt" -H "Authorization: Bearer $K8S_TOKEN" -X PATCH \
    -H 'Content-Type: application/merge-patch+json' --data '{"spec":{"unschedulable":true}}' \
    "https://127.0.0.1:$K8S_API_PORT/api/v1/nodes/$NODE_NAME" >/dev/null || true
  local pods ns name
  pods=$(k8s_api GET "/api/v1/pods?fieldSelector=spec.nodeName%3D$NODE_NAME" | tr -d ' \n' |
    grep -o '"metadata":{"name":"[^"]*","[^}]*"namespace":"[^"]*"' |
    sed -E 's/.*"name":"([^"]*)".*"namespace":"([^"]*)"/\2 \1/' || true)
  while read -r ns name; do
    [[ -n $name ]] || continue
    k8s_api DELETE "/api/v1/namespaces/$ns/pods/$name?gracePeriodSeconds=0" >/dev/null 2>&1 || true
  done <<<"$pods"
  local deadline=$((SECONDS + 20))
  while ((SECONDS < deadline)); do
    [[ -z $(ctr --address "$NODE_DIR/containerd.sock" -n k8s.io tasks list -q 2>/dev/null) ]] && break
    sleep 0.5
  done
  k8s_api DELETE "/api/v1/nodes/$NODE_NAME" >/dev/null 2>&1 || true
}

# node_remove_pods: kill and delete what the kubelet left (its shims and runc processes), and the
# network namespaces of those sandboxes (their veths go with them).
node_remove_pods() {
  local crt=(ctr --address "$NODE_DIR/containerd.sock" -n k8s.io) id netns=()
  for id in $("${crt[@]}" containers list -q 2>/dev/null); do
    mapfile -t -O "${#netns[@]}" netns < <("${crt[@]}" containers info "$id" 2>/dev/null |
      grep -o '"/var/run/netns/cni-[^"]*"' | tr -d '"' || true)
  done
  for id in $("${crt[@]}" tasks list -q 2>/dev/null); do "${crt[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
  sleep 1
  for id in $("${crt[@]}" tasks list -q 2>/dev/null); do "${crt[@]}" tasks delete -f "$id" >/dev/null 2>&1 || true; done
  for id in $(printf '%s\n' "${netns[@]}" | sort -u); do ip netns delete "${id##*/}" 2>/dev/null || true; done
}

# node_remove_iptables: what the kubelet adds to both families (kubelet_network_linux.go): a hint chain,
# canary chains, and the KUBE-FIREWALL martian-packet rule on INPUT and OUTPUT.
node_remove_iptables() {
  local ipt t
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    "$ipt" -w -D INPUT -j KUBE-FIREWALL 2>/dev/null || true
    "$ipt" -w -D OUTPUT -j KUBE-FIREWALL 2>/dev/null || true
    "$ipt" -w -F KUBE-FIREWALL 2>/dev/null && "$ipt" -w -X KUBE-FIREWALL 2>/dev/null || true
    for t in mangle nat filter; do
      "$ipt" -w -t "$t" -F KUBE-KUBELET-CANARY 2>/dev/null && "$ipt" -w -t "$t" -X KUBE-KUBELET-CANARY 2>/dev/null || true
    done
    "$ipt" -w -t mangle -X KUBE-IPTABLES-HINT 2>/dev/null || true
  done
}

# node_sweep_masquerade: the bridge plugin's per-pod NAT chains (CNI-<hash>, matching our pod subnet) that
# a sandbox killed without CNI DEL leaves, and the POSTROUTING rules that jump to them.
node_sweep_masquerade() {
  local chain rule
  for chain in $(iptables-save -t nat | grep -F -- "-d $NODE_POD_CIDR " | grep -o '^-A CNI-[0-9a-f]*' | cut -d' ' -f2 | sort -u); do
    while read -r rule; do
      [[ -n $rule ]] && eval "iptables -w -t nat ${rule/#-A/-D}" 2>/dev/null || true
    done < <(iptables-save -t nat | grep -- "-j $chain\$" || true)
    iptables -w -t nat -F "$chain" 2>/dev/null && iptables -w -t nat -X "$chain" 2>/dev/null || true
  done
}
