#!/usr/bin/env bash
# homelab watch: the server watches itself. Installs homelab-status (the checks of `npm run status`, the same
# file) and homelab-watch (scripts: homelab-watch.sh) with homelab-watch.timer/.service, every INTERVAL
# seconds; and, with METRICS=yes, Debian's prometheus-node-exporter listening on METRICS_LISTEN only, whose
# textfile collector serves the watcher's homelab_* metrics.
#   create: idempotent; writes /etc/homelab/{status,watch}.env and /etc/homelab/alerts.env (0600: the alert
#           channels and their tokens, which arrive with the script on stdin, never on a command line)
#   delete: removes the timer, the service, both scripts, their settings and state, and undoes the
#           node_exporter settings it made
# Variables: STATUS_ENV, PROBE, RUNNER (texts), INTERVAL, REPEAT, PORT_GRACE, FLAP_LIMIT (seconds/count),
#            ALERTS_ENV (create only: the secret settings), METRICS (yes|no), METRICS_LISTEN (address:port).
set -euo pipefail

ACTION="${1:-}"
STEP="watch"
trap 'echo "homelab: ${STEP} failed on $(hostname) (exit $?)" >&2' ERR

: "${INTERVAL:?}" "${REPEAT:?}" "${PORT_GRACE:?}" "${FLAP_LIMIT:?}" "${METRICS:?}" "${METRICS_LISTEN:?}"

CONF_DIR=/etc/homelab
STATE_DIR=/var/lib/homelab/watch
PROBE_FILE=/usr/local/sbin/homelab-status
RUNNER_FILE=/usr/local/sbin/homelab-watch
UNIT_DIR=/etc/systemd/system
UNIT=homelab-watch
TEXTFILE_DIR=/var/lib/prometheus/node-exporter
EXPORTER_DEFAULTS=/etc/default/prometheus-node-exporter
EXPORTER_MARK=/var/lib/homelab/node-exporter.orig
export DEBIAN_FRONTEND=noninteractive

for n in "$INTERVAL" "$REPEAT" "$PORT_GRACE" "$FLAP_LIMIT"; do
    [[ "$n" =~ ^[0-9]+$ ]] || fail "watch (not a number: '$n')"
done
[[ "$METRICS" =~ ^(yes|no)$ ]] || fail "watch (METRICS must be yes or no: '$METRICS')"
[[ "$METRICS_LISTEN" =~ ^[0-9.]+:[0-9]+$ ]] || fail "watch (METRICS_LISTEN must be address:port: '$METRICS_LISTEN')"

install_packages() {
    local missing=()
    command -v curl >/dev/null || missing+=(curl)
    [[ "$METRICS" == yes ]] && ! command -v prometheus-node-exporter >/dev/null && missing+=(prometheus-node-exporter)
    ((${#missing[@]} > 0)) || return 0
    STEP="watch (apt-get install ${missing[*]})"
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >/dev/null ||
        { apt-get update -q </dev/null >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >/dev/null; }
}

render_service() {
    echo "# Managed by homelab watch.sh: removed by its delete step."
    echo "[Unit]"
    echo "Description=homelab: check the stack, alert on changes, write metrics"
    echo "After=network-online.target docker.service"
    echo
    echo "[Service]"
    echo "Type=oneshot"
    echo "ExecStart=$RUNNER_FILE run"
    echo "Nice=5"
}

render_timer() {
    echo "# Managed by homelab watch.sh: removed by its delete step."
    echo "[Unit]"
    echo "Description=homelab: check the stack every ${INTERVAL}s"
    echo
    echo "[Timer]"
    echo "OnBootSec=${INTERVAL}s"
    echo "OnUnitActiveSec=${INTERVAL}s"
    echo "AccuracySec=1s"
    echo
    echo "[Install]"
    echo "WantedBy=timers.target"
}

configure_exporter() {
    STEP="watch (node_exporter on $METRICS_LISTEN)"
    mkdir -p "$TEXTFILE_DIR" /var/lib/homelab
    [[ -f "$EXPORTER_MARK" ]] || cp "$EXPORTER_DEFAULTS" "$EXPORTER_MARK" 2>/dev/null || : >"$EXPORTER_MARK"
    if printf '# Managed by homelab watch.sh (the original is kept in %s)\nARGS="--web.listen-address=%s --collector.textfile.directory=%s"\n' \
        "$EXPORTER_MARK" "$METRICS_LISTEN" "$TEXTFILE_DIR" | write_if_changed "$EXPORTER_DEFAULTS" 0644; then
        systemctl restart prometheus-node-exporter
    fi
    systemctl enable --now prometheus-node-exporter >/dev/null 2>&1
}

unconfigure_exporter() {
    rm -f "$TEXTFILE_DIR/homelab.prom"
    [[ -f "$EXPORTER_MARK" ]] || return 0
    STEP="watch (restore node_exporter's settings)"
    if [[ -s "$EXPORTER_MARK" ]]; then cp "$EXPORTER_MARK" "$EXPORTER_DEFAULTS"; else rm -f "$EXPORTER_DEFAULTS"; fi
    rm -f "$EXPORTER_MARK"
    systemctl disable --now prometheus-node-exporter >/dev/null 2>&1 || true
}

create() {
    : "${STATUS_ENV:?}" "${PROBE:?}" "${RUNNER:?}"
    install_packages
    STEP="watch (settings in $CONF_DIR)"
    mkdir -p "$CONF_DIR" "$STATE_DIR"
    chmod 700 "$STATE_DIR"
    printf '%s\n' "$STATUS_ENV" | write_if_changed "$CONF_DIR/status.env" 0644 || true
    {
        echo "REPEAT=$REPEAT"
        echo "PORT_GRACE=$PORT_GRACE"
        echo "FLAP_LIMIT=$FLAP_LIMIT"
        echo "METRICS_DIR=$([[ "$METRICS" == yes ]] && echo "$TEXTFILE_DIR")"
    } | write_if_changed "$CONF_DIR/watch.env" 0644 || true
    (umask 077 && printf '%s\n' "${ALERTS_ENV:-}" | write_if_changed "$CONF_DIR/alerts.env" 0600) || true
    STEP="watch (install $PROBE_FILE and $RUNNER_FILE)"
    # The scripts arrive whole (with their last newline): installed byte for byte, the same file as the repository's.
    printf '%s\n' "${PROBE%$'\n'}" | write_if_changed "$PROBE_FILE" 0755 || true
    printf '%s\n' "${RUNNER%$'\n'}" | write_if_changed "$RUNNER_FILE" 0755 || true
    if [[ "$METRICS" == yes ]]; then configure_exporter; else unconfigure_exporter; fi
    STEP="watch (install $UNIT.timer)"
    render_service | write_if_changed "$UNIT_DIR/$UNIT.service" 0644 || true
    render_timer | write_if_changed "$UNIT_DIR/$UNIT.timer" 0644 || true
    systemctl daemon-reload
    systemctl enable "$UNIT.timer" >/dev/null 2>&1
    systemctl restart "$UNIT.timer"
    systemctl start --no-block "$UNIT.service"
    echo "homelab: the watcher runs every ${INTERVAL}s on $(hostname)$([[ "$METRICS" == yes ]] && echo "; metrics on $METRICS_LISTEN")"
}

delete() {
    STEP="watch (remove $UNIT.timer)"
    systemctl disable --now "$UNIT.timer" >/dev/null 2>&1 || true
    systemctl stop "$UNIT.service" >/dev/null 2>&1 || true
    rm -f "$UNIT_DIR/$UNIT.timer" "$UNIT_DIR/$UNIT.service" "$PROBE_FILE" "$RUNNER_FILE" \
        "$CONF_DIR/status.env" "$CONF_DIR/watch.env" "$CONF_DIR/alerts.env"
    rm -rf "$STATE_DIR"
    systemctl daemon-reload
    unconfigure_exporter
    echo "homelab: the watcher is removed from $(hostname)"
}

case "$ACTION" in
    create) create ;;
    delete) delete ;;
    *)
        echo "usage: watch.sh create|delete" >&2
        exit 2
        ;;
esac
