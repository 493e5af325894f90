#!/usr/bin/env bash
# homelab data mount: a NAS share at DATA_ROOT through a systemd mount unit, with Docker waiting for it.
#   create: write the mount unit MOUNT_UNIT (What/Type/Options), the SMB credentials file (mode 600, from
#           CREDENTIALS, which arrives inside this script on stdin), a RequiresMountsFor= drop-in on
#           docker.service and a timer that retries the mount (and Docker) while the NAS is away; make the empty
#           mountpoint immutable, then mount. A changed unit while mounted stops Docker (the apps stop), swaps
#           the share and starts Docker again (the apps start: restart policy). Idempotent.
#   delete: only while the unit is still this one (same What=): stop Docker, unmount, remove the unit, drop-in,
#           timer and credentials, clear the immutable flag, start Docker again. A unit that now mounts another
#           share (a replacement created it) is left alone.
# Variables: DATA_ROOT, MOUNT_UNIT (systemd-escape --path of DATA_ROOT + .mount), MOUNT_WHAT, MOUNT_TYPE,
#            MOUNT_OPTIONS, CREDENTIALS_FILE (SMB, else empty), CREDENTIALS (create, SMB: the file's text),
#            MOUNT_TIMEOUT (seconds one mount attempt may take, default 60), RETRY_INTERVAL (default 30s).
set -euo pipefail

ACTION="${1:-}"
STEP="data-mount"
trap 'echo "homelab: ${STEP} failed on $(hostname) (exit $?)" >&2' ERR

: "${DATA_ROOT:?DATA_ROOT is not set}" "${MOUNT_UNIT:?MOUNT_UNIT is not set}" "${MOUNT_WHAT:?MOUNT_WHAT is not set}"
: "${MOUNT_TYPE:?MOUNT_TYPE is not set}" "${MOUNT_OPTIONS:?MOUNT_OPTIONS is not set}"
CREDENTIALS_FILE="${CREDENTIALS_FILE:-}"
MOUNT_TIMEOUT="${MOUNT_TIMEOUT:-60}"
RETRY_INTERVAL="${RETRY_INTERVAL:-30s}"
# The password stays in this shell only: not in the environment of anything started below.
CREDENTIALS_TEXT="${CREDENTIALS:-}"
unset CREDENTIALS

if ! [[ "$DATA_ROOT" =~ ^/[A-Za-z0-9._/-]+$ && "$DATA_ROOT" != *..* ]]; then
    fail "data-mount (DATA_ROOT must be an absolute path of letters, digits and . _ - /: '$DATA_ROOT')"
fi
if [[ "$MOUNT_UNIT" != "$(systemd-escape --path --suffix=mount "$DATA_ROOT")" ]]; then
    fail "data-mount (MOUNT_UNIT '$MOUNT_UNIT' is not the unit name of $DATA_ROOT)"
fi
for value in "$MOUNT_WHAT" "$MOUNT_TYPE" "$MOUNT_OPTIONS" "$CREDENTIALS_FILE"; do
    if [[ "$value" =~ [[:space:]] ]]; then fail "data-mount (unit values must not contain spaces or newlines)"; fi
done

UNIT_DIR=/etc/systemd/system
UNIT_FILE="$UNIT_DIR/$MOUNT_UNIT"
BASE="${MOUNT_UNIT%.mount}"
DROPIN="$UNIT_DIR/docker.service.d/homelab-$BASE.conf"
RETRY="homelab-remount-$BASE"

mount_unit() {
    cat <<EOF
# Written by homelab-media (data-mount): the data root on the NAS. Docker waits for it (docker.service.d).
[Unit]
Description=homelab data root from $MOUNT_WHAT
Wants=network-online.target
After=network-online.target
# A NAS may be away for hours: the retry timer (and Docker's socket) may try again at any time.
StartLimitIntervalSec=0

[Mount]
What=$MOUNT_WHAT
Where=$DATA_ROOT
Type=$MOUNT_TYPE
Options=$MOUNT_OPTIONS
TimeoutSec=$MOUNT_TIMEOUT

[Install]
WantedBy=remote-fs.target
EOF
}

docker_dropin() {
    cat <<EOF
# Written by homelab-media (data-mount): no container starts before the data root is mounted from the NAS.
[Unit]
RequiresMountsFor=$DATA_ROOT
EOF
}

retry_service() {
    cat <<EOF
# Written by homelab-media (data-mount): while the NAS is away, try again; Docker pulls the mount in.
[Unit]
Description=homelab: mount $DATA_ROOT and start Docker once the NAS is back

[Service]
Type=oneshot
ExecCondition=/bin/sh -c '! /usr/bin/mountpoint -q "\$\$1"' homelab-remount $DATA_ROOT
ExecStart=/bin/systemctl start docker.service
EOF
}

retry_timer() {
    cat <<EOF
# Written by homelab-media (data-mount).
[Unit]
Description=homelab: retry the data root mount every $RETRY_INTERVAL

[Timer]
OnBootSec=$RETRY_INTERVAL
OnUnitInactiveSec=$RETRY_INTERVAL
AccuracySec=1s

[Install]
WantedBy=timers.target
EOF
}

# Running containers that see anything under the data root (binds of it or of a folder inside it).
containers_using_data_root() {
    local id
    for id in $(docker ps -q 2>/dev/null); do
        if docker inspect -f '{{range .Mounts}}{{println .Source}}{{end}}' "$id" 2>/dev/null \
            | grep -qE "^${DATA_ROOT//./\\.}(/|$)"; then
            echo "$id"
        fi
    done
}

docker_was_active=no
stop_docker() {
    if systemctl is-active -q docker.service || systemctl is-active -q docker.socket; then docker_was_active=yes; fi
    echo "homelab: stopping Docker (the apps stop) to change the data root mount on $(hostname)"
    systemctl stop docker.socket docker.service
}
start_docker_again() {
    if [[ "$docker_was_active" == yes ]]; then
        systemctl start docker.socket docker.service
        echo "homelab: Docker started again (the apps start) on $(hostname)"
    fi
}
# Stops the deploy with the reason, with Docker as it was found.
refuse() {
    start_docker_again
    fail "data-mount ($1)"
}

# The local folder under the mount: empty, and immutable so nothing (not even root) writes into it unmounted.
prepare_mountpoint() {
    mkdir -p "$DATA_ROOT"
    if mountpoint -q "$DATA_ROOT"; then return; fi
    if [[ -n "$(ls -A "$DATA_ROOT")" ]]; then
        refuse "$DATA_ROOT on the server's disk is not empty: move its content onto the NAS share $MOUNT_WHAT first; nothing was mounted over it"
    fi
    if ! chattr +i "$DATA_ROOT" 2>/dev/null; then
        refuse "cannot make the empty mountpoint $DATA_ROOT immutable (chattr +i): its filesystem does not support it"
    fi
}

mount_now() {
    if ! systemctl start "$MOUNT_UNIT"; then
        local why
        why="$(journalctl -u "$MOUNT_UNIT" -n 3 --no-pager -o cat 2>/dev/null | tr '\n' ' ')"
        refuse "mounting $MOUNT_WHAT at $DATA_ROOT failed: ${why:-see journalctl -u $MOUNT_UNIT}"
    fi
}

# True when the file $1 does not hold exactly the text on stdin.
differs() {
    ! cmp -s - "$1" 2>/dev/null
}

case "$ACTION" in
    create)
        STEP="data-mount create"
        if [[ -n "$CREDENTIALS_FILE" ]]; then
            [[ -n "$CREDENTIALS_TEXT" ]] || fail "data-mount (CREDENTIALS_FILE is set but no credentials were given)"
            install -d -m 700 -o root -g root "$(dirname "$CREDENTIALS_FILE")"
            # write_if_changed creates the file mode 600 (mktemp) before any byte of the secret is written.
            printf '%s' "$CREDENTIALS_TEXT" | write_if_changed "$CREDENTIALS_FILE" 600 || true
            chmod 600 "$CREDENTIALS_FILE"
        fi
        unit_changed=no
        if mount_unit | differs "$UNIT_FILE"; then unit_changed=yes; fi
        if mountpoint -q "$DATA_ROOT" && [[ "$unit_changed" == yes ]]; then
            # Another share (or other options) while mounted: apps stop, the unit changes, apps start.
            stop_docker
            systemctl stop "$MOUNT_UNIT"
        elif ! mountpoint -q "$DATA_ROOT" && [[ -n "$(containers_using_data_root)" ]]; then
            # Running apps hold the local folder: they must see the share, not the folder under it.
            stop_docker
        fi
        mount_unit | write_if_changed "$UNIT_FILE" 644 || true
        mkdir -p "$(dirname "$DROPIN")"
        docker_dropin | write_if_changed "$DROPIN" 644 || true
        retry_service | write_if_changed "$UNIT_DIR/$RETRY.service" 644 || true
        retry_timer | write_if_changed "$UNIT_DIR/$RETRY.timer" 644 || true
        systemctl daemon-reload
        systemctl enable -q "$MOUNT_UNIT" "$RETRY.timer"
        if ! mountpoint -q "$DATA_ROOT"; then
            prepare_mountpoint
            mount_now
        fi
        systemctl start "$RETRY.timer"
        start_docker_again
        echo "homelab: $MOUNT_WHAT mounted at $DATA_ROOT ($MOUNT_UNIT); Docker requires it, on $(hostname)"
        ;;
    delete)
        STEP="data-mount delete"
        if [[ ! -f "$UNIT_FILE" ]] || ! grep -qxF "What=$MOUNT_WHAT" "$UNIT_FILE"; then
            echo "homelab: $MOUNT_UNIT no longer mounts $MOUNT_WHAT (replaced); left in place on $(hostname)"
            exit 0
        fi
        stop_docker
        systemctl disable -q --now "$RETRY.timer" 2>/dev/null || true
        systemctl stop "$MOUNT_UNIT" 2>/dev/null || true
        systemctl disable -q "$MOUNT_UNIT" 2>/dev/null || true
        rm -f "$UNIT_FILE" "$DROPIN" "$UNIT_DIR/$RETRY.service" "$UNIT_DIR/$RETRY.timer"
        if [[ -n "$CREDENTIALS_FILE" ]]; then rm -f "$CREDENTIALS_FILE"; fi
        systemctl daemon-reload
        if [[ -d "$DATA_ROOT" ]] && ! mountpoint -q "$DATA_ROOT"; then chattr -i "$DATA_ROOT" 2>/dev/null || true; fi
        start_docker_again
        echo "homelab: $MOUNT_WHAT unmounted from $DATA_ROOT and its unit removed on $(hostname)"
        ;;
    *)
        echo "usage: data-mount.sh create|delete" >&2
        exit 2
        ;;
esac
