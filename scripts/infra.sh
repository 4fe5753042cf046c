#!/usr/bin/env bash
# Local infrastructure the project starts for itself: PostgreSQL (the machine's own cluster, one
# database per subgraph) and a single-node KRaft Apache Kafka broker run from its Maven Central jars.
#
#   scripts/infra.sh up            PostgreSQL up + databases created + Kafka fetched, started, ready
#   scripts/infra.sh down          stop what `up` started (Kafka; PostgreSQL belongs to the machine)
#   scripts/infra.sh kafka-start   start only the broker (idempotent)
#   scripts/infra.sh kafka-stop    stop only the broker (idempotent)
#   scripts/infra.sh status
#
# Every command is idempotent: running it twice is harmless.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA_DIR="${INFRA_DIR:-$ROOT/.infra}"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
LOG4J_VERSION="${LOG4J_VERSION:-2.25.3}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
# The jars are cached outside the work tree so a fresh clone on the same machine does not fetch again.
KAFKA_CACHE="${KAFKA_CACHE:-$HOME/.cache/cabinet-medical/kafka-$KAFKA_VERSION}"
KAFKA_DIR="$INFRA_DIR/kafka"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
DB_PREFIX="${DB_PREFIX:-cabinet}"
SUBGRAPH_DBS="${SUBGRAPH_DBS:-users patients notifications audit cabinets appointments consultations prescriptions}"

log() { printf '[infra] %s\n' "$*" >&2; }

postgres_up() {
  if ! pg_isready -h "$PGHOST" -p "$PGPORT" -q; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 60); do pg_isready -h "$PGHOST" -p "$PGPORT" -q && break; sleep 0.5; done
  fi
  pg_isready -h "$PGHOST" -p "$PGPORT" -q || { log "PostgreSQL is not accepting connections on $PGHOST:$PGPORT"; exit 1; }
  local prefix
  for prefix in "$DB_PREFIX" "${DB_PREFIX}_test"; do
    for db in $SUBGRAPH_DBS; do
      local name="${prefix}_${db}"
      if [ "$(psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -tAc "select 1 from pg_database where datname = '$name'")" != "1" ]; then
        log "creating database $name"
        psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -q -c "create database \"$name\""
      fi
    done
  done
  log "PostgreSQL ready at $PGHOST:$PGPORT"
}

kafka_fetch() {
  if [ -f "$KAFKA_CACHE/.complete" ]; then return; fi
  log "fetching Apache Kafka $KAFKA_VERSION from Maven Central (first time only)"
  mkdir -p "$KAFKA_CACHE"
  cat >"$KAFKA_CACHE/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.cabinet</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
POM
  (cd "$KAFKA_CACHE" && mvn -B -q -Dstyle.color=never dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime)
  touch "$KAFKA_CACHE/.complete"
}

kafka_running() {
  [ -f "$KAFKA_PID" ] && kill -0 "$(cat "$KAFKA_PID")" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

kafka_config() {
  mkdir -p "$KAFKA_DIR/data"
  cat >"$KAFKA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  cat >"$KAFKA_DIR/log4j2.properties" <<LOG
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $KAFKA_DIR/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka.server.KafkaRaftServer
logger.kafka.level = info
LOG
}

kafka_java() {
  java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -cp "$KAFKA_CACHE/lib/*" "$@"
}

kafka_start() {
  if kafka_running; then log "Kafka already running (pid $(cat "$KAFKA_PID"))"; kafka_wait; return; fi
  if port_open "$KAFKA_PORT"; then log "port $KAFKA_PORT is taken by another process; set KAFKA_PORT"; exit 1; fi
  kafka_fetch
  kafka_config
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    log "formatting KRaft storage"
    kafka_java kafka.tools.StorageTool format -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
      -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/format.log" 2>&1 || { cat "$KAFKA_DIR/format.log" >&2; exit 1; }
  fi
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  setsid nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -cp "$KAFKA_CACHE/lib/*" \
    kafka.Kafka "$KAFKA_DIR/server.properties" </dev/null >"$KAFKA_DIR/stdout.log" 2>&1 &
  echo $! >"$KAFKA_PID"
  kafka_wait
}

# Ready means a client can fetch metadata, not merely that the port is open.
kafka_wait() {
  for _ in $(seq 1 240); do
    if ! kafka_running; then log "Kafka exited; see $KAFKA_DIR/stdout.log and server.log"; tail -20 "$KAFKA_DIR/stdout.log" >&2 || true; exit 1; fi
    if port_open "$KAFKA_PORT" && kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list >/dev/null 2>&1; then
      log "Kafka ready at 127.0.0.1:$KAFKA_PORT"; return
    fi
    sleep 0.5
  done
  log "Kafka did not become ready"; exit 1
}

kafka_stop() {
  if kafka_running; then
    local pid; pid="$(cat "$KAFKA_PID")"
    log "stopping Kafka (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$KAFKA_PID"
}

case "${1:-}" in
  up) postgres_up; kafka_start ;;
  down) kafka_stop ;;
  postgres) postgres_up ;;
  kafka-start) kafka_start ;;
  kafka-stop) kafka_stop ;;
  kafka-fetch) kafka_fetch ;;
  status)
    pg_isready -h "$PGHOST" -p "$PGPORT" || true
    if kafka_running; then echo "kafka: running (pid $(cat "$KAFKA_PID"))"; else echo "kafka: stopped"; fi ;;
  *) echo "usage: $0 up|down|postgres|kafka-start|kafka-stop|kafka-fetch|status" >&2; exit 2 ;;
esac
