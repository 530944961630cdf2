#!/usr/bin/env bash
# A real schema registry: Apicurio Registry 3.x (Maven Central, io.apicurio:apicurio-registry-app:tar.gz:all),
# in-memory storage, on 127.0.0.1, used through its Confluent-compatible API at /apis/ccompat/v7.
#   bash ops/infra/registry.sh start|stop|status
# Env: SCHEMA_REGISTRY_PORT (8081), REGISTRY_MANAGEMENT_PORT (port + 1000), APICURIO_VERSION (3.3.3), JO_INFRA_DIR (<repo>/.infra).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PORT="${SCHEMA_REGISTRY_PORT:-8081}"
MGMT_PORT="${REGISTRY_MANAGEMENT_PORT:-$((PORT + 1000))}"
VERSION="${APICURIO_VERSION:-3.3.3}"
R_DIR="$JO_INFRA_DIR/apicurio"
APP="$R_DIR/app-$VERSION"
PIDFILE="$R_DIR/registry.pid"
LOGFILE="$R_DIR/registry.out"

fetch_app() {
  if [[ -f "$APP/quarkus-run.jar" ]]; then return 0; fi
  log "fetching Apicurio Registry $VERSION with Maven (first run only)"
  mkdir -p "$R_DIR/dl"
  mvn -q -B -f "$INFRA_SRC/pom.xml" dependency:copy \
    -Dartifact="io.apicurio:apicurio-registry-app:$VERSION:tar.gz:all" -DoutputDirectory="$R_DIR/dl" >&2
  rm -rf "$APP.tmp"; mkdir -p "$APP.tmp"
  tar xzf "$R_DIR/dl/apicurio-registry-app-$VERSION-all.tar.gz" -C "$APP.tmp"
  rm -rf "$APP"; mv "$APP.tmp" "$APP"; rm -rf "$R_DIR/dl"
}

# Apicurio 3.3 needs Java 21+: use REGISTRY_JAVA, else the newest JDK >= 21 under /usr/lib/jvm, else java on PATH.
pick_java() {
  if [[ -n "${REGISTRY_JAVA:-}" ]]; then echo "$REGISTRY_JAVA"; return; fi
  local j v
  for j in /usr/lib/jvm/*/bin/java "$(command -v java)"; do
    [[ -x "$j" ]] || continue
    v=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')
    if [[ "${v%%.*}" -ge 21 ]] 2>/dev/null; then echo "$j"; return; fi
  done
  log "Apicurio Registry $VERSION needs Java 21 or newer; none found (set REGISTRY_JAVA)"; return 1
}

ready() { curl -fsS -o /dev/null "http://127.0.0.1:$PORT/apis/ccompat/v7/subjects" 2>/dev/null; }

start() {
  if pid_alive "$PIDFILE" && ready; then log "registry already running on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"; return 0; fi
  if port_open 127.0.0.1 "$PORT"; then log "port $PORT is taken by another process; set SCHEMA_REGISTRY_PORT or SCHEMA_REGISTRY_URL"; return 1; fi
  fetch_app
  local java_bin; java_bin=$(pick_java)
  log "starting Apicurio Registry on 127.0.0.1:$PORT (log: $LOGFILE)"
  (cd "$APP" && JAVA_EXEC=1 JAVA_SETSID=1 exec_java "$java_bin" -Xms64m -Xmx384m -XX:+UseSerialGC \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$MGMT_PORT" \
    -Dquarkus.log.level=WARN -Dquarkus.log.category.\"io.apicurio\".level=INFO \
    -Dapicurio.rest.deletion.artifact.enabled=true -Dapicurio.rest.deletion.artifact-version.enabled=true \
    -jar quarkus-run.jar >"$LOGFILE" 2>&1 </dev/null) &
  echo $! >"$PIDFILE"
  wait_until "Apicurio Registry" 120 "$LOGFILE" "$PIDFILE" ready
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid "Apicurio Registry" "$PIDFILE" "${REGISTRY_STOP_TIMEOUT:-20}" ;;
  status) if pid_alive "$PIDFILE" && ready; then echo "running http://127.0.0.1:$PORT pid $(cat "$PIDFILE")"; else echo stopped; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
