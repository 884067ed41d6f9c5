# Starts a real single-node KRaft Kafka broker on 127.0.0.1 (sourced by test.sh) and exports
# KLI8NT_TEST_KAFKA_BROKERS. The broker jars come from Maven Central (org.apache.kafka:kafka_2.13) and are
# cached under ~/.cache/kli8nt/kafka/<version>/libs; Maven runs only when that cache is missing.
#
# Tests that must restart the broker read KLI8NT_TEST_KAFKA_RESTART (a command line) and run it:
#   bash scripts/infra/kafka.sh restart <run dir> [hard]
# which stops the broker (SIGTERM, or SIGKILL with `hard`) and starts it again on the same ports and data.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION=${KAFKA_VERSION:-4.3.1}
KAFKA_CACHE=${KLI8NT_KAFKA_CACHE:-$HOME/.cache/kli8nt/kafka/$KAFKA_VERSION}
KAFKA_SCRIPT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kafka.sh

kafka_pom() {
  cat <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.kli8nt</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- the broker's POM resolves slf4j-api 1.7, which cannot bind slf4j-simple 2 (silent broker) -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>2.0.20</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>2.0.20</version>
      <scope>runtime</scope>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
        <executions>
          <execution>
            <id>copy-broker-libs</id>
            <phase>package</phase>
            <goals><goal>copy-dependencies</goal></goals>
            <configuration>
              <outputDirectory>\${project.build.directory}/kafka-libs</outputDirectory>
              <includeScope>runtime</includeScope>
            </configuration>
          </execution>
        </executions>
      </plugin>
    </plugins>
  </build>
</project>
EOF
}

# kafka_libs: make sure the broker jars are in the cache (the `.complete` marker guards against a
# half-finished download being taken for a good cache).
kafka_libs() {
  local want; want=$(kafka_pom | sha256sum | cut -c1-16)
  if [[ $(cat "$KAFKA_CACHE/libs/.complete" 2>/dev/null) == "$want" ]]; then return 0; fi
  apt_ensure java openjdk-17-jre-headless
  apt_ensure mvn maven
  log "fetching Kafka $KAFKA_VERSION jars with Maven (first run only)"
  mkdir -p "$KAFKA_CACHE"
  kafka_pom >"$KAFKA_CACHE/pom.xml"
  rm -rf "$KAFKA_CACHE/target" "$KAFKA_CACHE/libs"
  mvn -B -q -f "$KAFKA_CACHE/pom.xml" package >"$KAFKA_CACHE/mvn.log" 2>&1 || {
    tail -30 "$KAFKA_CACHE/mvn.log" >&2
    return 1
  }
  mv "$KAFKA_CACHE/target/kafka-libs" "$KAFKA_CACHE/libs"
  rm -rf "$KAFKA_CACHE/target"
  echo "$want" >"$KAFKA_CACHE/libs/.complete"
}

KAFKA_JAVA_OPTS=(-Xms128m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true)

kafka_java() {
  java "${KAFKA_JAVA_OPTS[@]}" -cp "$KAFKA_CACHE/libs/*" "$@"
}

kafka_properties() {
  local dir=$1 port=$2 cport=$3
  cat <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF
}

# kafka_launch DIR: start the broker of run dir DIR in the background (detached, so a test that restarts it
# does not own it) and wait until it accepts connections.
kafka_launch() {
  local dir=$1
  # The inner shell writes its own pid then execs java, so the pid file names the broker itself; nothing
  # of the caller's (e.g. a test's pipe) stays open in the broker, so a restart command returns at once.
  rm -f "$dir/pid"
  setsid bash -c 'cd "$1" && echo $$ >"$1/pid" && exec "${@:2}"' _ "$dir" \
    java "${KAFKA_JAVA_OPTS[@]}" -cp "$KAFKA_CACHE/libs/*" kafka.Kafka "$dir/server.properties" \
    >>"$dir/broker.log" 2>&1 </dev/null &
  local i; for ((i = 0; i < 50; i++)); do [[ -s $dir/pid ]] && break; sleep 0.1; done
  local deadline=$((SECONDS + 90))
  until kafka_ready "$dir"; do
    if ! kill -0 "$(cat "$dir/pid" 2>/dev/null)" 2>/dev/null || ((SECONDS > deadline)); then
      log "Kafka did not start (see $dir/broker.log)"
      tail -40 "$dir/broker.log" >&2
      return 1
    fi
    sleep 0.3
  done
}

kafka_ready() {
  local dir=$1
  grep -q "Kafka Server started" "$dir/broker.log" 2>/dev/null || return 1
  (exec 3<>"/dev/tcp/127.0.0.1/$(cat "$dir/port")") 2>/dev/null
}

# kafka_halt DIR [hard]: stop the broker of DIR and wait for the process to be gone.
kafka_halt() {
  local dir=$1 sig=TERM
  [[ ${2:-} == hard ]] && sig=KILL
  local pid; pid=$(cat "$dir/pid" 2>/dev/null) || return 0
  kill "-$sig" "$pid" 2>/dev/null || return 0
  local i
  for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

kafka_restart() {
  local dir=$1
  kafka_halt "$dir" "${2:-}"
  : >"$dir/broker.log"
  kafka_launch "$dir"
}

start_kafka() {
  kafka_libs
  local dir; dir=$(mktemp -d /tmp/kli8nt-kafka.XXXXXX)
  local port cport; port=$(free_port); cport=$(free_port)
  while [[ $cport == "$port" ]]; do cport=$(free_port); done
  echo "$port" >"$dir/port"
  kafka_properties "$dir" "$port" "$cport" >"$dir/server.properties"
  local cid; cid=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  kafka_java kafka.tools.StorageTool format -t "$cid" -c "$dir/server.properties" >"$dir/format.log" 2>&1 || {
    cat "$dir/format.log" >&2
    return 1
  }
  kafka_launch "$dir"
  KAFKA_DIR=$dir
  export KLI8NT_TEST_KAFKA_BROKERS="127.0.0.1:$port"
  export KLI8NT_TEST_KAFKA_RESTART="bash $KAFKA_SCRIPT restart $dir"
  log "Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$port"
}

stop_kafka() {
  if [[ -n ${KAFKA_DIR:-} ]]; then
    kafka_halt "$KAFKA_DIR" || true
    rm -rf "$KAFKA_DIR"
    unset KAFKA_DIR KLI8NT_TEST_KAFKA_BROKERS KLI8NT_TEST_KAFKA_RESTART
  fi
}

# Run as a command (not sourced): `kafka.sh restart <dir> [hard]`.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  case ${1:-} in
  restart) kafka_restart "${2:?run dir}" "${3:-}" ;;
  *) echo "usage: $0 restart <run dir> [hard]" >&2; exit 2 ;;
  esac
fi
