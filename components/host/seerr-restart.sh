#!/usr/bin/env bash
# homelab seerr-restart: restarts Seerr when its network settings wait for a restart. Seerr reads
# settings.network.trustProxy once, at start (server/index.ts: `server.enable('trust proxy')`), and says so in
# `GET /api/v1/status` (`restartRequired`, server/utils/restartFlag.ts). The wiring turns trustProxy on through
# the API; until Seerr restarts, every client behind the reverse proxy is the proxy, and its Fail2Ban jail
# could only ban the proxy (which it never does).
#   create: idempotent; restarts the container only when Seerr says a restart is required, then waits until
#           it is healthy again.
#   delete: nothing.
# Variables: CONTAINER (Seerr's container name), PORT (its port inside the container), WAIT_SECONDS.
set -euo pipefail

ACTION="${1:-}"
STEP="seerr-restart"
trap 'echo "homelab: ${STEP} failed on $(hostname) (exit $?)" >&2' ERR

: "${CONTAINER:?CONTAINER is not set}" "${PORT:?PORT is not set}" "${WAIT_SECONDS:?WAIT_SECONDS is not set}"

wait_healthy() {
    local health waited=0
    while ((waited < WAIT_SECONDS)); do
        health="$(docker container inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$CONTAINER")"
        [[ "$health" == "healthy" || "$health" == "running" ]] && return 0
        sleep 2
        waited=$((waited + 2))
    done
    fail "seerr-restart ($CONTAINER is not healthy ${WAIT_SECONDS} s after its restart)"
}

create() {
    local status
    STEP="seerr-restart (read $CONTAINER's status)"
    status="$(docker exec "$CONTAINER" wget -q -O - -T 10 "http://127.0.0.1:$PORT/api/v1/status")"
    if [[ "$status" != *'"restartRequired":true'* ]]; then
        echo "homelab: $CONTAINER on $(hostname) runs with its saved network settings"
        return 0
    fi
    STEP="seerr-restart (restart $CONTAINER)"
    docker restart "$CONTAINER" >/dev/null
    wait_healthy
    echo "homelab: restarted $CONTAINER on $(hostname) so that its saved network settings take effect"
}

case "$ACTION" in
    create) create ;;
    delete) echo "homelab: nothing to undo for $CONTAINER on $(hostname)" ;;
    *) fail "seerr-restart (unknown action '$ACTION')" ;;
esac
