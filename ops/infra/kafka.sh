#!/usr/bin/env bash
# A real single-node Apache Kafka 4.x broker (KRaft, broker+controller) on 127.0.0.1, from Maven Central jars.
#   bash ops/infra/kafka.sh start|stop|status|reset
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DATA_DIR (<infra>/kafka/data), KAFKA_HEAP (768m),
#      KAFKA_START_TIMEOUT (seconds, 90), KAFKA_STOP_TIMEOUT (seconds, 20),
#      JO_INFRA_DIR (<repo>/.infra). Jars are copied once from the local Maven repository (downloaded on first use).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
K_DIR="$JO_INFRA_DIR/kafka"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$K_DIR/data}"
LIBS="$K_DIR/libs"
PIDFILE="$K_DIR/kafka.pid"
LOGDIR="$K_DIR/logs"
LOGFILE="$LOGDIR/server.out"
CONF="$K_DIR/server.properties"

fetch_jars() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  log "fetching Kafka jars with Maven (first run only)"
  rm -rf "$LIBS"; mkdir -p "$LIBS"
  mvn -q -B -f "$INFRA_SRC/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS" >&2
  touch "$LIBS/.complete"
}

write_config() {
  mkdir -p "$LOGDIR" "$KAFKA_DATA_DIR"
  cat >"$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DATA_DIR
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.consumer.min.session.timeout.ms=6000
group.classic.min.session.timeout.ms=6000
log.retention.hours=168
log.segment.bytes=67108864
log.cleaner.dedupe.buffer.size=33554432
PROPS
  cat >"$K_DIR/log4j2.properties" <<L4J
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=FILE
appender.file.type=RollingFile
appender.file.name=FILE
appender.file.fileName=$LOGDIR/server.log
appender.file.filePattern=$LOGDIR/server.log.%i
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
appender.file.policies.type=Policies
appender.file.policies.size.type=SizeBasedTriggeringPolicy
appender.file.policies.size.size=50MB
appender.file.strategy.type=DefaultRolloverStrategy
appender.file.strategy.max=3
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.controller.name=org.apache.kafka.controller
logger.controller.level=WARN
logger.state.name=state.change.logger
logger.state.level=WARN
L4J
}

java_cmd() {
  exec_java java -Xms256m -Xmx"${KAFKA_HEAP:-768m}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$K_DIR/log4j2.properties" -cp "$LIBS/*" "$@"
}

start() {
  if pid_alive "$PIDFILE" && port_open 127.0.0.1 "$KAFKA_PORT"; then log "Kafka already running on 127.0.0.1:$KAFKA_PORT (pid $(cat "$PIDFILE"))"; return 0; fi
  if port_open 127.0.0.1 "$KAFKA_PORT"; then log "port $KAFKA_PORT is taken by another process; set KAFKA_PORT or KAFKA_BROKERS"; return 1; fi
  fetch_jars
  write_config
  if [[ ! -f "$KAFKA_DATA_DIR/meta.properties" ]]; then
    local cluster_id
    cluster_id=$(java_cmd kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    log "formatting KRaft storage in $KAFKA_DATA_DIR (cluster $cluster_id)"
    java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$CONF" >>"$LOGDIR/format.out" 2>&1
  fi
  [[ -f "$LOGDIR/server.log" ]] && mv -f "$LOGDIR/server.log" "$LOGDIR/server.log.prev"
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT (logs: $LOGDIR)"
  # its own session: `jo start --dev` stops it after the engine has drained, not when the terminal's Ctrl-C lands
  (JAVA_EXEC=1 JAVA_SETSID=1 java_cmd kafka.Kafka "$CONF" >"$LOGFILE" 2>&1 </dev/null) &
  echo $! >"$PIDFILE"
  wait_until Kafka "${KAFKA_START_TIMEOUT:-90}" "$LOGFILE" "$PIDFILE" ready
}

# Ready = the port accepts connections and the broker has logged that it started.
ready() { port_open 127.0.0.1 "$KAFKA_PORT" && grep -q 'Kafka Server started' "$LOGDIR/server.log" 2>/dev/null; }

case "${1:-}" in
  start) start ;;
  stop) stop_pid Kafka "$PIDFILE" "${KAFKA_STOP_TIMEOUT:-20}" ;;
  status) if pid_alive "$PIDFILE" && port_open 127.0.0.1 "$KAFKA_PORT"; then echo "running 127.0.0.1:$KAFKA_PORT pid $(cat "$PIDFILE")"; else echo stopped; exit 1; fi ;;
  reset) stop_pid Kafka "$PIDFILE"; rm -rf "$KAFKA_DATA_DIR"; log "wiped $KAFKA_DATA_DIR" ;;
  *) echo "usage: $0 start|stop|status|reset" >&2; exit 2 ;;
esac
