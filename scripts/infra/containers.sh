# Installs buildah/podman/runc, builds local base images (no public registry is reachable here) and exports
# KLI8NT_TEST_CONTAINERS=1, KLI8NT_TEST_BASE_IMAGES (JSON base-image map for @kli8nt/buildplan's render),
# KLI8NT_TEST_NPM_REGISTRY and KLI8NT_TEST_CA_FILE (sourced by test.sh).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONTAINERS_CACHE=${KLI8NT_CACHE_DIR:-$HOME/.cache/kli8nt}/images
CONTAINERS_PREFIX=localhost/kli8nt

# The sandbox lacks CAP_SYS_RESOURCE and has hybrid cgroups: crun and default rlimits fail (infrastructure.md).
containers_conf() {
  cat <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
}

containers_install() {
  apt_ensure buildah buildah
  apt_ensure podman podman
  apt_ensure runc runc
  # Builds run with --isolation oci and a private network (ADR 0136): the CNI bridge plugins give it.
  apt_ensure /usr/lib/cni/bridge containernetworking-plugins
  apt_ensure debootstrap debootstrap
  local want; want=$(containers_conf)
  if [[ ! -f /etc/containers/containers.conf || $(cat /etc/containers/containers.conf) != "$want" ]]; then
    log "writing /etc/containers/containers.conf"
    mkdir -p /etc/containers
    printf '%s\n' "$want" >/etc/containers/containers.conf
  fi
}

image_present() { podman image exists "$1" 2>/dev/null; }

# The debootstrap rootfs is cached as a tarball, so a new podman store costs an import, not a debootstrap.
containers_debian() {
  local ref=$CONTAINERS_PREFIX/debian:bookworm tarball=$CONTAINERS_CACHE/debian-bookworm-minbase.tar
  image_present "$ref" && return 0
  mkdir -p "$CONTAINERS_CACHE"
  if [[ ! -s $tarball ]]; then
    log "debootstrap bookworm (cold, ~1 min)"
    local root; root=$(mktemp -d /tmp/kli8nt-rootfs.XXXXXX)
    nice -n 10 debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  podman import -q "$tarball" "$ref" >/dev/null
}

# containers_current NAME DOCKERFILE: whether $CONTAINERS_PREFIX/NAME was built from this recipe.
containers_current() {
  local recipe; recipe=$(printf '%s' "$2" | sha256sum | cut -c1-16)
  [[ $(podman image inspect --format '{{index .Labels "kli8nt.recipe"}}' "$CONTAINERS_PREFIX/$1" 2>/dev/null) == "$recipe" ]]
}

# Bun and Deno from their npm packages (the registry serves the @oven/bun-linux-x64 and @deno/linux-x64-glibc
# binaries; no GitHub download), installed on the host and copied in, as the official images place them.
containers_js_runtimes() {
  local d=$CONTAINERS_PREFIX/debian:bookworm rt
  local bun_recipe="FROM $d
COPY bun /usr/local/bin/bun
RUN ln -s bun /usr/local/bin/bunx"
  local deno_recipe="FROM $d
COPY deno /usr/local/bin/deno"
  if ! containers_current bun:1 "$bun_recipe"; then
    rt=$(mktemp -d /tmp/kli8nt-bunctx.XXXXXX)
    npm install --prefix "$rt/npm" --no-save --no-audit --no-fund bun@1 >/dev/null
    cp "$(readlink -f "$rt/npm/node_modules/.bin/bun")" "$rt/bun"
    rm -rf "$rt/npm" && containers_derive bun:1 "$bun_recipe" "$rt" && rm -rf "$rt"
  fi
  if ! containers_current deno:2 "$deno_recipe"; then
    rt=$(mktemp -d /tmp/kli8nt-denoctx.XXXXXX)
    npm install --prefix "$rt/npm" --no-save --no-audit --no-fund deno@2 >/dev/null
    cp "$(readlink -f "$rt/npm/node_modules/.bin/deno")" "$rt/deno"
    rm -rf "$rt/npm" && containers_derive deno:2 "$deno_recipe" "$rt" && rm -rf "$rt"
  fi
}

# containers_derive NAME DOCKERFILE [CONTEXT]: build $CONTAINERS_PREFIX/NAME from a Dockerfile on stdin.
# The recipe's hash is a label, so an image whose recipe changed is rebuilt instead of silently reused.
containers_derive() {
  local ref=$CONTAINERS_PREFIX/$1 ctx=${3:-} recipe
  recipe=$(printf '%s' "$2" | sha256sum | cut -c1-16)
  [[ $(podman image inspect --format '{{index .Labels "kli8nt.recipe"}}' "$ref" 2>/dev/null) == "$recipe" ]] && return 0
  log "building $ref"
  local dir; dir=$(mktemp -d /tmp/kli8nt-base.XXXXXX)
  printf '%s\nLABEL kli8nt.recipe=%s\n' "$2" "$recipe" >"$dir/Dockerfile"
  if [[ -n $ctx ]]; then cp -a "$ctx/." "$dir/"; fi
  nice -n 10 buildah bud --isolation chroot --layers -q -t "$ref" "$dir" >/dev/null
  rm -rf "$dir"
}

# Node comes from the host's own install (Node 20): Debian bookworm's nodejs is 18.
containers_node_context() {
  local ctx; ctx=$(mktemp -d /tmp/kli8nt-nodectx.XXXXXX)
  mkdir -p "$ctx/usr/bin" "$ctx/usr/lib/node_modules" "$ctx/usr/include"
  cp "$(readlink -f "$(command -v node)")" "$ctx/usr/bin/node"
  # Node's headers, as the official images ship them: node-gyp (bcrypt, better-sqlite3) would otherwise
  # download them from nodejs.org, which an offline build cannot reach.
  [[ -d /usr/include/node ]] && cp -a /usr/include/node "$ctx/usr/include/"
  cp -a /usr/lib/node_modules/npm "$ctx/usr/lib/node_modules/"
  [[ -d /usr/lib/node_modules/corepack ]] && cp -a /usr/lib/node_modules/corepack "$ctx/usr/lib/node_modules/"
  echo "$ctx"
}

containers_images() {
  local d=$CONTAINERS_PREFIX/debian:bookworm
  containers_debian
  # v2: with Node's headers (node-gyp); the recipe label makes an older node:20 rebuild once.
  local node_recipe="FROM $d
COPY usr /usr
RUN ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/bin/npm && ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/bin/npx
LABEL kli8nt.node-image=v2-headers"
  if ! containers_current node:20 "$node_recipe"; then
    local ctx; ctx=$(containers_node_context)
    containers_derive node:20 "$node_recipe" "$ctx"
    rm -rf "$ctx"
  fi
  containers_js_runtimes
  if ! image_present "$CONTAINERS_PREFIX/go:1"; then
    local gctx; gctx=$(mktemp -d /tmp/kli8nt-goctx.XXXXXX)
    mkdir -p "$gctx/usr/local" && cp -a "$(go env GOROOT)" "$gctx/usr/local/go"
    containers_derive go:1 "FROM $d
COPY usr /usr
ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$gctx"
    rm -rf "$gctx"
  fi
  # python3-dev: the official python:*-slim images ship Python.h, which source builds (psycopg2…) need.
  containers_derive python:3 "FROM $d
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv python3-pip python3-dev python-is-python3 && rm -rf /var/lib/apt/lists/*"
  containers_derive caddy:2 "FROM $d
RUN apt-get update && apt-get install -y --no-install-recommends caddy && rm -rf /var/lib/apt/lists/*"
  containers_compiled_images
  containers_php_image
}

# PHP 8.2 and Composer from Debian. FrankenPHP is published only on GitHub (unreachable here), so a small
# stand-in takes its `php-server --listen :PORT --root DIR` command and runs PHP's built-in server: the
# build (composer, artisan, document root) is real, the web server is not FrankenPHP.
containers_php_image() {
  containers_derive php:8 "FROM $CONTAINERS_PREFIX/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends php8.2-cli composer unzip && rm -rf /var/lib/apt/lists/*
# Debian's composer loads ../share/php relative to itself: a wrapper survives COPY --from to another path.
RUN mv /usr/bin/composer /usr/bin/composer.debian && printf '%s\\n' '#!/bin/sh' 'exec php /usr/bin/composer.debian \"\$@\"' >/usr/bin/composer && chmod +x /usr/bin/composer
RUN printf '%s\\n' '#!/bin/sh' 'listen=:8080 root=.' 'while [ \$# -gt 0 ]; do case \$1 in --listen) listen=\$2; shift;; --root) root=\$2; shift;; esac; shift; done' 'exec php -S 0.0.0.0:\${listen##*:} -t \$root' >/usr/local/bin/frankenphp && chmod +x /usr/local/bin/frankenphp"
}

# JDK/JRE 17 from Debian (bookworm's newest; Spring Boot 3 needs 17): the JDK image serves the jdk, maven and
# gradle keys (wrappers bring their own Maven/Gradle), the JRE image the runtime stage.
# Rust from the host's toolchain (bookworm's rustc 1.63 is too old for today's crates), plus gcc as linker.
containers_compiled_images() {
  local d=$CONTAINERS_PREFIX/debian:bookworm
  containers_derive jdk:17 "FROM $d
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jdk-headless && rm -rf /var/lib/apt/lists/*"
  containers_derive jre:17 "FROM $d
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless && rm -rf /var/lib/apt/lists/*"
  # Debian's Gradle 4.4.1 for builds without a wrapper: Gradle distributions (services.gradle.org) are not
  # reachable here, so wrapper builds and the Spring Boot Gradle plugin (Gradle 7.6+) cannot run (ADR 0154).
  containers_derive gradle:4 "FROM $CONTAINERS_PREFIX/jdk:17
RUN apt-get update && apt-get install -y --no-install-recommends gradle && rm -rf /var/lib/apt/lists/*"
  if ! image_present "$CONTAINERS_PREFIX/rust:1"; then
    local sysroot rctx
    # Without a host toolchain only the Rust real build fails (saying so); every other suite still runs.
    sysroot=$(rustc --print sysroot 2>/dev/null) || { log "no host rustc: cannot build $CONTAINERS_PREFIX/rust:1"; return 0; }
    rctx=$(mktemp -d /tmp/kli8nt-rustctx.XXXXXX)
    mkdir -p "$rctx/usr/local/bin" "$rctx/usr/local/lib"
    cp -a "$sysroot/bin/rustc" "$sysroot/bin/cargo" "$rctx/usr/local/bin/"
    cp -a "$sysroot/lib/." "$rctx/usr/local/lib/"
    containers_derive rust:1 "FROM $d
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates && rm -rf /var/lib/apt/lists/*
COPY usr /usr
ENV CARGO_HOME=/usr/local/cargo" "$rctx"
    rm -rf "$rctx"
  fi
}

start_containers() {
  containers_install
  containers_images
  local p=$CONTAINERS_PREFIX
  export KLI8NT_TEST_CONTAINERS=1
  export KLI8NT_TEST_BASE_IMAGES="{\"node\":\"$p/node:20\",\"python\":\"$p/python:3\",\"go\":\"$p/go:1\",\"caddy\":\"$p/caddy:2\",\"distroless-static\":\"$p/debian:bookworm\",\"debian\":\"$p/debian:bookworm\",\"jdk\":\"$p/jdk:17\",\"maven\":\"$p/jdk:17\",\"gradle\":\"$p/gradle:4\",\"jre\":\"$p/jre:17\",\"rust\":\"$p/rust:1\",\"php\":\"$p/php:8\",\"composer\":\"$p/php:8\",\"bun\":\"$p/bun:1\",\"deno\":\"$p/deno:2\"}"
  KLI8NT_TEST_NPM_REGISTRY=$(npm config get registry 2>/dev/null)
  export KLI8NT_TEST_NPM_REGISTRY
  export KLI8NT_TEST_CA_FILE=${KLI8NT_TEST_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}
  log "container tools ready: buildah $(buildah --version | awk '{print $3}'), base images under $p"
}

# Images are a cache (like ~/.cache): leave them for the next run; only per-test containers are removed
# by the tests themselves.
stop_containers() { :; }
