#!/usr/bin/env bash
# homelab vpn-recovery: a systemd service on the host that puts the members of the VPN gateway's network
# namespace back into it when the gateway container restarts (crash, out-of-memory kill, daemon restart).
# A member joins the gateway's namespace once, when it starts; when the gateway restarts it gets a new
# namespace and the members are left in the dead one (loopback only: no network at all, and no leak).
# Docker never restarts them and Gluetun's HEALTH_RESTART_VPN only heals the tunnel inside the gateway.
# The service follows `docker events` of the gateway on the host; no container gets the Docker socket.
#   - gateway restarted (same container): once it reports healthy again (its kill switch and tunnel are
#     up), every running member whose network namespace is not the gateway's is restarted into it, and a
#     member that failed to start while the gateway was down (a Docker daemon restart starts containers in
#     any order and never retries) is started, when its restart policy is always or unless-stopped;
#   - gateway replaced (new container, e.g. recreated outside Pulumi): a member's `container:<id>` points
#     at a container that no longer exists and a restart cannot fix that; the service logs an error to the
#     journal every time it looks (run `pulumi up`, which recreates the members on the new gateway).
#   create: idempotent; installs /usr/local/lib/homelab/vpn-recovery and homelab-vpn-recovery.service,
#           enabled and running (restarted only when one of them changed)
#   delete: stops and removes exactly those two files
# Variables: GATEWAY_APP (value of the gateway container's `homelab.app` label), MEMBER_LABEL (label that
#            marks a namespace member, e.g. homelab.vpn=true).
set -euo pipefail

ACTION="${1:-}"
STEP="vpn-recovery"
trap 'echo "homelab: ${STEP} failed on $(hostname) (exit $?)" >&2' ERR

: "${GATEWAY_APP:?GATEWAY_APP is not set}" "${MEMBER_LABEL:?MEMBER_LABEL is not set}"

UNIT=homelab-vpn-recovery
UNIT_FILE="/etc/systemd/system/$UNIT.service"
LIB_DIR=/usr/local/lib/homelab
WATCHER="$LIB_DIR/vpn-recovery"

[[ "$GATEWAY_APP" =~ ^[a-z0-9_-]+$ ]] || fail "vpn-recovery (GATEWAY_APP is not an app id: '$GATEWAY_APP')"
[[ "$MEMBER_LABEL" =~ ^[a-z0-9._-]+=[a-z0-9._-]+$ ]] || fail "vpn-recovery (MEMBER_LABEL is not <label>=<value>: '$MEMBER_LABEL')"

# The watcher the service runs. Messages go to the journal; "<3>" marks a line as an error (priority err).
render_watcher() {
    echo "#!/usr/bin/env bash"
    echo "# Managed by homelab vpn-recovery.sh: removed by its delete step."
    echo "GATEWAY_FILTER=$(printf '%q' "label=homelab.app=$GATEWAY_APP")"
    echo "MEMBER_FILTER=$(printf '%q' "label=$MEMBER_LABEL")"
    cat <<'WATCHER'
set -uo pipefail

say() { echo "homelab-vpn-recovery: $*"; }
alarm() { echo "<3>homelab-vpn-recovery: $*"; }

# The network namespace of a running container, e.g. net:[4026532301]; empty when it is not running.
netns_of() {
    local pid
    pid="$(docker inspect -f '{{.State.Pid}}' "$1" 2>/dev/null)" || return 0
    [[ "$pid" =~ ^[1-9][0-9]*$ ]] && readlink "/proc/$pid/ns/net" 2>/dev/null
    return 0
}

# Puts every member back into its gateway's current namespace, when that is possible and safe: a running
# member in another namespace is restarted; a member that could not start because the gateway was not
# running (after a daemon restart Docker starts them in any order and never retries) is started, if its
# restart policy wants it running. The members are restarted together (each may take Docker's 10 s stop
# timeout).
reconcile() {
    local name status mode policy error target state health
    local -a members restarts=()
    mapfile -t members < <(docker ps -aq --no-trunc --filter "$MEMBER_FILTER")
    ((${#members[@]})) || return 0
    while IFS='|' read -r name status mode policy error; do
        name="${name#/}"
        [[ "$mode" == container:* ]] || continue
        target="${mode#container:}"
        if ! state="$(docker inspect -f '{{.State.Status}}' "$target" 2>/dev/null)"; then
            alarm "$name is attached to gateway container ${target:0:12}, which no longer exists (the gateway was replaced): it has no network until it is recreated on the new gateway; a restart cannot do that: run 'pulumi up'"
            continue
        fi
        [[ "$state" == running ]] || continue
        health="$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$target" 2>/dev/null)"
        # Not before the gateway is healthy: its kill switch must be in place before a member starts.
        [[ -z "$health" || "$health" == healthy ]] || continue
        if [[ "$status" == running ]]; then
            [[ "$(netns_of "$name")" != "$(netns_of "$target")" ]] || continue
            say "restarting $name into the new network namespace of gateway ${target:0:12}"
            (docker restart "$name" >/dev/null || alarm "restarting $name failed") &
            restarts+=("$!")
        elif [[ "$error" == "cannot join network of a non running container"* && ("$policy" == always || "$policy" == unless-stopped) ]]; then
            say "starting $name, which could not start while gateway ${target:0:12} was not running"
            (docker start "$name" >/dev/null || alarm "starting $name failed") &
            restarts+=("$!")
        fi
    done < <(docker inspect -f '{{.Name}}|{{.State.Status}}|{{.HostConfig.NetworkMode}}|{{.HostConfig.RestartPolicy.Name}}|{{.State.Error}}' "${members[@]}" 2>/dev/null)
    if ((${#restarts[@]})); then wait "${restarts[@]}"; fi
}

say "watching containers with $GATEWAY_FILTER (members: $MEMBER_FILTER)"
reconcile
# The gateway starting, dying or changing health is a reason to look; so is a minute without any of these
# (a missed event, and the error about a replaced gateway is repeated).
docker events --filter type=container --filter "$GATEWAY_FILTER" \
    --filter event=start --filter event=die --filter event=health_status --format '{{.Action}}' | while :; do
    if read -r -t 60 action; then
        case "$action" in
            die) say "gateway stopped: its members have no network until it is back" ;;
            start) say "gateway started: its members are restarted once it is healthy" ;;
        esac
    elif (($? <= 128)); then
        break
    fi
    reconcile
done
# docker events ended (the daemon went away): systemd starts the service again.
exit 1
WATCHER
}

render_unit() {
    echo "# Managed by homelab vpn-recovery.sh: removed by its delete step."
    echo "[Unit]"
    echo "Description=homelab: restart the VPN gateway's members into its network namespace when it restarts"
    echo "After=docker.service"
    echo "Wants=docker.service"
    echo
    echo "[Service]"
    echo "ExecStart=$WATCHER"
    echo "Restart=always"
    echo "RestartSec=5"
    echo
    echo "[Install]"
    echo "WantedBy=multi-user.target"
}

create() {
    STEP="vpn-recovery (docker and systemd are needed)"
    command -v docker >/dev/null 2>&1 || false
    command -v systemctl >/dev/null 2>&1 || false
    STEP="vpn-recovery (install the service)"
    local changed=no
    mkdir -p "$LIB_DIR"
    if render_watcher | write_if_changed "$WATCHER" 0755; then changed=yes; fi
    if render_unit | write_if_changed "$UNIT_FILE" 0644; then changed=yes; fi
    if [[ "$changed" == yes ]]; then systemctl daemon-reload; fi
    systemctl enable --quiet "$UNIT.service"
    if [[ "$changed" == yes ]]; then
        systemctl restart "$UNIT.service"
    elif ! systemctl is-active --quiet "$UNIT.service"; then
        systemctl start "$UNIT.service"
    fi
    STEP="vpn-recovery (service not running)"
    systemctl is-active --quiet "$UNIT.service" || false
    echo "homelab: vpn recovery watching $GATEWAY_APP on $(hostname)"
}

delete() {
    STEP="vpn-recovery (remove the service)"
    if [[ -e "$UNIT_FILE" || -e "$WATCHER" ]]; then
        systemctl disable --now --quiet "$UNIT.service" 2>/dev/null || true
        rm -f "$UNIT_FILE" "$WATCHER"
        rmdir "$LIB_DIR" 2>/dev/null || true
        systemctl daemon-reload
        systemctl reset-failed "$UNIT.service" 2>/dev/null || true
    fi
    echo "homelab: vpn recovery removed on $(hostname)"
}

case "$ACTION" in
    create) create ;;
    delete) delete ;;
    *)
        echo "usage: vpn-recovery.sh create|delete" >&2
        exit 2
        ;;
esac
