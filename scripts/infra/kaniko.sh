# Builds the Kaniko executor from its Go module (cached per version in ~/.cache/kli8nt/kaniko/<version>),
# packs it into a local image shaped like Kaniko's own (/kaniko/executor, CA bundle, DOCKER_CONFIG) and
# exports KLI8NT_TEST_KANIKO_IMAGE (sourced by test.sh; needs the containers service for buildah/podman).
# Which module and why: docs/adr/0114-kaniko-executor-from-the-chainguard-fork.md.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The Go module proxy serves exact versions of this fork (osscontainertools is refused with 403 here).
KANIKO_MODULE=${KLI8NT_KANIKO_MODULE:-github.com/chainguard-dev/kaniko}
KANIKO_VERSION=${KLI8NT_KANIKO_VERSION:-v1.25.0}
KANIKO_CACHE=${KLI8NT_CACHE_DIR:-$HOME/.cache/kli8nt}/kaniko/$KANIKO_VERSION
KANIKO_IMAGE=localhost/kli8nt/kaniko-executor:$KANIKO_VERSION

# kaniko_build_executor: a static executor binary in $KANIKO_CACHE/executor; a second run costs nothing.
kaniko_build_executor() {
  local bin=$KANIKO_CACHE/executor
  [[ -x $bin ]] && return 0
  command -v go >/dev/null || { log "kaniko needs Go (go build of $KANIKO_MODULE)"; return 1; }
  mkdir -p "$KANIKO_CACHE"
  local mod; mod=$(mktemp -d /tmp/kli8nt-kaniko-mod.XXXXXX)
  local started=$SECONDS buildlog=$KANIKO_CACHE/build.log
  log "building $KANIKO_MODULE/cmd/executor@$KANIKO_VERSION (cold: ~15 min on a busy 2-core machine, log $buildlog)"
  (
    cd "$mod"
    export GOFLAGS=-mod=mod CGO_ENABLED=0
    go mod init kli8nt.local/kaniko-build
    go get "$KANIKO_MODULE/cmd/executor@$KANIKO_VERSION"
    nice -n 10 go build -trimpath \
      -ldflags "-s -w -X $KANIKO_MODULE/pkg/version.version=$KANIKO_VERSION" \
      -o "$bin.tmp" "$KANIKO_MODULE/cmd/executor"
  ) >"$buildlog" 2>&1 || {
    tail -20 "$buildlog" >&2
    rm -rf "$mod" "$bin.tmp"
    log "kaniko executor build failed (log $buildlog)"
    return 1
  }
  mv "$bin.tmp" "$bin"
  rm -rf "$mod"
  printf '%s\n' "$((SECONDS - started))" >"$KANIKO_CACHE/build-seconds"
  log "kaniko executor built in $((SECONDS - started)) s"
}

# kaniko_image: the executor image, shaped like Kaniko's deploy/Dockerfile (from scratch; Kaniko skips
# /kaniko when snapshotting, so everything it needs lives there).
kaniko_image() {
  podman image exists "$KANIKO_IMAGE" 2>/dev/null && return 0
  local ctx; ctx=$(mktemp -d /tmp/kli8nt-kaniko-img.XXXXXX)
  mkdir -p "$ctx/kaniko/ssl/certs" "$ctx/kaniko/.docker" "$ctx/etc"
  chmod 777 "$ctx/kaniko"
  cp "$KANIKO_CACHE/executor" "$ctx/kaniko/executor"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/kaniko/ssl/certs/ca-certificates.crt"
  printf '{}\n' >"$ctx/kaniko/.docker/config.json"
  printf 'hosts: files dns\n' >"$ctx/etc/nsswitch.conf"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY kaniko /kaniko
COPY etc/nsswitch.conf /etc/nsswitch.conf
ENV HOME=/root USER=root PATH=/usr/local/bin:/kaniko SSL_CERT_DIR=/kaniko/ssl/certs DOCKER_CONFIG=/kaniko/.docker/
WORKDIR /workspace
ENTRYPOINT ["/kaniko/executor"]
EOF
  buildah bud --isolation chroot -q -t "$KANIKO_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
}

start_kaniko() {
  kaniko_build_executor
  kaniko_image
  # The Job demands a digest-pinned reference (ADR 0111): hand the tests the local image's own digest.
  local digest; digest=$(podman image inspect --format '{{.Digest}}' "$KANIKO_IMAGE")
  export KLI8NT_TEST_KANIKO_IMAGE=$KANIKO_IMAGE
  export KLI8NT_TEST_KANIKO_DIGEST=$digest
  log "kaniko executor image ready: $KANIKO_IMAGE ($digest)"
}

# The binary and image are a cache (like the base images): kept for the next run.
stop_kaniko() { :; }
