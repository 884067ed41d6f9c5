# Builds a local stand-in for the official `postgres` image (no public registry is reachable here) from
# Debian's postgresql-15, with the official image's entrypoint contract, and exports
# KLI8NT_TEST_POSTGRES_IMAGE for the add-ons' podman server suite (ADR 0225). Its postgres user is uid and
# gid 999 as in the official image, which the Kubernetes StatefulSet runs as (ADR 0226).
# shellcheck source=containers.sh
source "$(dirname "${BASH_SOURCE[0]}")/containers.sh"

start_pgimage() {
  containers_install
  containers_debian
  local ctx; ctx=$(mktemp -d /tmp/kli8nt-pgctx.XXXXXX)
  cp "$(dirname "${BASH_SOURCE[0]}")/postgres-image/docker-entrypoint.sh" "$ctx/"
  # The entrypoint's hash in the recipe: a changed entrypoint builds the image again.
  local entry; entry=$(sha256sum "$ctx/docker-entrypoint.sh" | cut -c1-12)
  containers_derive postgres:15 "FROM $CONTAINERS_PREFIX/debian:bookworm
LABEL kli8nt.entrypoint=$entry
RUN groupadd -r -g 999 postgres && useradd -r -g postgres -u 999 -d /var/lib/postgresql -s /bin/sh postgres
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 && rm -rf /var/lib/apt/lists/*
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EXPOSE 5432
ENTRYPOINT [\"/usr/local/bin/docker-entrypoint.sh\"]" "$ctx"
  rm -rf "$ctx"
  export KLI8NT_TEST_POSTGRES_IMAGE=$CONTAINERS_PREFIX/postgres:15
  log "postgres image $KLI8NT_TEST_POSTGRES_IMAGE"
}

stop_pgimage() { :; }
