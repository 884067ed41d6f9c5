# Starts a throwaway RabbitMQ node on 127.0.0.1 (sourced by test.sh). Exports KLI8NT_TEST_AMQP_URL and
# KLI8NT_TEST_RABBITMQCTL, a wrapper that runs rabbitmqctl against this node (own HOME/cookie, epmd port).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RMQ_BIN=/usr/lib/rabbitmq/bin

start_rabbitmq() {
  # The /usr/sbin wrappers switch to the rabbitmq user and drop our environment, so the real scripts
  # under /usr/lib/rabbitmq/bin are called directly.
  apt_ensure "$RMQ_BIN/rabbitmq-server" rabbitmq-server
  local dir; dir=$(mktemp -d /tmp/kli8nt-rabbitmq.XXXXXX)
  local port dist_port epmd_port
  port=$(free_port); dist_port=$(free_port); epmd_port=$(free_port)
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  echo '[].' >"$dir/enabled_plugins"
  # A private epmd port keeps this node apart from any other Erlang node on the machine.
  cat >"$dir/env" <<EOF
export HOME=$dir/home
export RABBITMQ_NODENAME=rabbit@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=$dist_port
export ERL_EPMD_PORT=$epmd_port
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_MNESIA_BASE=$dir/mnesia
export RABBITMQ_LOG_BASE=$dir/log
export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
export RABBITMQ_PID_FILE=$dir/rabbit.pid
EOF
  printf '#!/usr/bin/env bash\nsource %q\nexec %q "$@"\n' "$dir/env" "$RMQ_BIN/rabbitmqctl" >"$dir/rabbitmqctl"
  printf '#!/usr/bin/env bash\nsource %q\nexec %q "$@"\n' "$dir/env" "$RMQ_BIN/rabbitmq-diagnostics" \
    >"$dir/rabbitmq-diagnostics"
  chmod +x "$dir/rabbitmqctl" "$dir/rabbitmq-diagnostics"
  (source "$dir/env" && exec setsid "$RMQ_BIN/rabbitmq-server" >"$dir/server.out" 2>&1) &
  RMQ_DIR=$dir
  if ! wait_for "rabbitmq-server" 120 "$dir/rabbitmq-diagnostics" -q ping; then
    tail -20 "$dir/server.out" >&2 || true
    return 1
  fi
  # ping answers before the AMQP listener and the default user are ready.
  wait_for "rabbitmq AMQP listener" 60 "$dir/rabbitmq-diagnostics" -q check_port_connectivity
  export KLI8NT_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:$port"
  export KLI8NT_TEST_RABBITMQCTL="$dir/rabbitmqctl"
  log "RabbitMQ $("$dir/rabbitmqctl" -q version 2>/dev/null || echo '?') on 127.0.0.1:$port"
}

stop_rabbitmq() {
  if [[ -z ${RMQ_DIR:-} ]]; then return 0; fi
  "$RMQ_DIR/rabbitmqctl" -q stop >/dev/null 2>&1 || {
    local pid; pid=$(cat "$RMQ_DIR/rabbit.pid" 2>/dev/null || true)
    if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
  }
  # The node's private epmd outlives it; end it through its port.
  (source "$RMQ_DIR/env" && epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1) || true
  rm -rf "$RMQ_DIR"
  unset RMQ_DIR KLI8NT_TEST_AMQP_URL KLI8NT_TEST_RABBITMQCTL
}
