#!/usr/bin/env bash
# Builds the test control plane (kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok) from
# their Go modules into a per-version cache outside the repo, and prints that directory on stdout.
# Idempotent: a binary that is already there is not rebuilt, so only the first run on a machine pays
# the cold build (see docs/adr/0021-kubernetes-test-cluster.md for the measured time).
# `build-binaries.sh node` also builds the kubelet for the real test node (scripts/infra/node.sh, ADR 0181).
#
# Env: KLI8NT_K8S_BIN_DIR (default ~/.cache/kli8nt/k8s/<version>), KLI8NT_BUILD_NICE (default 10),
#      KLI8NT_BUILD_JOBS (go build -p, default 2).
set -euo pipefail

K8S_VERSION=v1.36.3
K8S_MINOR=36
KWOK_VERSION=v0.8.0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${KLI8NT_K8S_BIN_DIR:-$HOME/.cache/kli8nt/k8s/$K8S_VERSION}
NICE=(nice -n "${KLI8NT_BUILD_NICE:-10}")
JOBS=${KLI8NT_BUILD_JOBS:-2}
START=$SECONDS

say() { printf '[k8s-build] %s\n' "$*" >&2; }

missing() {
  local b
  for b in "$@"; do [[ -x $OUT/$b ]] || echo "$b"; done
}

# kube-* binaries report v0.0.0-master without these stamps (as kubernetes' hack/lib/version.sh sets them).
version_ldflags() {
  local p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    printf -- '-X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
      "$p" "$K8S_VERSION" "$p" "$p" "$K8S_MINOR" "$p"
  done
}

build_kube() {
  local names=("$@") pkgs=() n
  for n in "${names[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$n"); done
  say "building ${names[*]} $K8S_VERSION"
  # Build into a scratch dir and move into place, so an interrupted build never leaves a half binary.
  local tmp; tmp=$(mktemp -d "$OUT/.build.XXXXXX")
  (cd "$HERE/bins" && CGO_ENABLED=0 "${NICE[@]}" go build -p "$JOBS" -trimpath \
    -ldflags "-s -w $(version_ldflags)" -o "$tmp/" "${pkgs[@]}")
  for n in "${names[@]}"; do mv "$tmp/$n" "$OUT/$n"; done
  rmdir "$tmp"
}

build_etcd() {
  say "building etcd (go.etcd.io/etcd/server/v3 as pinned by k8s.io/kubernetes $K8S_VERSION)"
  (cd "$HERE/bins" && CGO_ENABLED=0 "${NICE[@]}" go build -p "$JOBS" -trimpath -ldflags "-s -w" \
    -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$OUT/etcd.tmp" "$OUT/etcd"
}

build_kwok() {
  say "building kwok $KWOK_VERSION"
  # Outside any module: kwok has no replace directives, so `go install pkg@version` uses its own go.mod.
  local tmp; tmp=$(mktemp -d "$OUT/.build.XXXXXX")
  (cd / && CGO_ENABLED=0 GOBIN="$tmp" "${NICE[@]}" go install -p "$JOBS" -trimpath -ldflags "-s -w" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION")
  mv "$tmp/kwok" "$OUT/kwok"
  rmdir "$tmp"
}

main() {
  command -v go >/dev/null || { say "Go 1.26 is required on PATH (see docs/adr/0021-kubernetes-test-cluster.md)"; exit 1; }
  mkdir -p "$OUT"
  # Two test runs on one machine must not build twice at once: the second waits, then finds it all there.
  exec 9>"$OUT/.lock"
  flock 9
  # Smallest first, so a module the proxy refuses shows up within minutes, not after the long build.
  [[ -x $OUT/etcd ]] || build_etcd
  [[ -x $OUT/kwok ]] || build_kwok
  local kube=()
  local want=(kube-apiserver kube-controller-manager kube-scheduler)
  if [[ ${1:-} == node ]]; then want+=(kubelet); fi
  mapfile -t kube < <(missing "${want[@]}")
  if ((${#kube[@]})); then build_kube "${kube[@]}"; fi
  say "binaries ready in $OUT after $((SECONDS - START)) s"
  echo "$OUT"
}

main "$@"
