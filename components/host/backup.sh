#!/usr/bin/env bash
# homelab backup: restic (from Debian's packages) and a systemd timer + service, homelab-backup, that back up
# every app volume on SCHEDULE to REPOSITORY with the retention KEEP_*.
#   create: idempotent; installs restic and sqlite3 when missing, writes /etc/homelab/backup.{env,password}
#           (0600) and the runner /usr/local/sbin/homelab-backup, opens the repository (initialises it when
#           there is none; refuses a repository that has another password), installs and starts the timer
#   delete: removes the timer, the service, the runner and the settings; the repository is never touched
# Variables: REPOSITORY (absolute path or sftp:user@host:/path), PASSWORD (create only), SCHEDULE (systemd calendar),
#            KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY, DOCKER_ROOT, RUNNER (the runner's text, homelab-backup.sh).
set -euo pipefail

ACTION="${1:-}"
STEP="backup"
trap 'echo "homelab: ${STEP} failed on $(hostname) (exit $?)" >&2' ERR

: "${REPOSITORY:?REPOSITORY is not set}" "${SCHEDULE:?SCHEDULE is not set}" "${DOCKER_ROOT:?DOCKER_ROOT is not set}"
: "${KEEP_DAILY:?KEEP_DAILY is not set}" "${KEEP_WEEKLY:?KEEP_WEEKLY is not set}" "${KEEP_MONTHLY:?KEEP_MONTHLY is not set}" "${RUNNER:?RUNNER is not set}"

CONF_DIR=/etc/homelab
ENV_FILE="$CONF_DIR/backup.env"
PASSWORD_FILE="$CONF_DIR/backup.password"
RUNNER_FILE=/usr/local/sbin/homelab-backup
UNIT_DIR=/etc/systemd/system
UNIT=homelab-backup
export DEBIAN_FRONTEND=noninteractive

[[ "$REPOSITORY" =~ ^(/[A-Za-z0-9_./@+-]*|sftp:[A-Za-z0-9_.@-]+:[A-Za-z0-9_./@+~-]+)$ ]] ||
    fail "backup (REPOSITORY must be an absolute path or sftp:user@host:/path: '$REPOSITORY')"
for n in "$KEEP_DAILY" "$KEEP_WEEKLY" "$KEEP_MONTHLY"; do
    [[ "$n" =~ ^[0-9]+$ ]] || fail "backup (not a snapshot count: '$n')"
done
[[ "$DOCKER_ROOT" == /* ]] || fail "backup (DOCKER_ROOT is not an absolute path: '$DOCKER_ROOT')"

install_packages() {
    if command -v restic >/dev/null && command -v sqlite3 >/dev/null; then return; fi
    STEP="backup (apt-get install restic sqlite3)"
    apt-get install -y -q --no-install-recommends restic sqlite3 >/dev/null ||
        { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends restic sqlite3 >/dev/null; }
}

render_service() {
    echo "# Managed by homelab backup.sh: removed by its delete step."
    echo "[Unit]"
    echo "Description=homelab: back up the apps' volumes with restic"
    echo "Wants=network-online.target"
    echo "After=network-online.target docker.service"
    echo
    echo "[Service]"
    echo "Type=oneshot"
    echo "ExecStart=$RUNNER_FILE run"
    echo "Nice=10"
    echo "IOSchedulingClass=idle"
}

render_timer() {
    echo "# Managed by homelab backup.sh: removed by its delete step."
    echo "[Unit]"
    echo "Description=homelab: back up the apps' volumes ($SCHEDULE)"
    echo
    echo "[Timer]"
    echo "OnCalendar=$SCHEDULE"
    echo "AccuracySec=1min"
    echo "Persistent=true"
    echo
    echo "[Install]"
    echo "WantedBy=timers.target"
}

# Opens the repository, initialising it when there is none.
open_repository() {
    local out code=0
    out="$("$RUNNER_FILE" check 2>&1)" || code=$?
    case "$code" in
        0) ;;
        10)
            STEP="backup (restic init $REPOSITORY)"
            RESTIC_REPOSITORY="$REPOSITORY" RESTIC_PASSWORD_FILE="$PASSWORD_FILE" restic init --quiet >/dev/null
            echo "homelab: initialised the backup repository $REPOSITORY"
            ;;
        *) fail "backup (${out#homelab: })" ;;
    esac
}

case "$ACTION" in
    create)
        STEP="backup create"
        : "${PASSWORD:?PASSWORD is not set}"
        install_packages
        STEP="backup (SCHEDULE is not a systemd calendar expression: '$SCHEDULE')"
        systemd-analyze calendar "$SCHEDULE" >/dev/null 2>&1 || fail "$STEP"
        STEP="backup create"
        install -d -m 0700 "$CONF_DIR"
        printf '%s\n' "$PASSWORD" | write_if_changed "$PASSWORD_FILE" 0600 || true
        {
            echo "# Managed by homelab backup.sh."
            printf 'RESTIC_REPOSITORY=%q\n' "$REPOSITORY"
            printf 'RESTIC_PASSWORD_FILE=%q\n' "$PASSWORD_FILE"
            printf 'DOCKER_ROOT=%q\n' "$DOCKER_ROOT"
            printf 'KEEP_DAILY=%s\nKEEP_WEEKLY=%s\nKEEP_MONTHLY=%s\n' "$KEEP_DAILY" "$KEEP_WEEKLY" "$KEEP_MONTHLY"
        } | write_if_changed "$ENV_FILE" 0600 || true
        printf '%s\n' "$RUNNER" | write_if_changed "$RUNNER_FILE" 0755 || true
        open_repository
        changed=no
        if render_service | write_if_changed "$UNIT_DIR/$UNIT.service" 0644; then changed=yes; fi
        if render_timer | write_if_changed "$UNIT_DIR/$UNIT.timer" 0644; then changed=yes; fi
        if [[ "$changed" == yes ]]; then systemctl daemon-reload; fi
        systemctl enable --quiet "$UNIT.timer"
        if [[ "$changed" == yes ]]; then systemctl restart "$UNIT.timer"; elif ! systemctl is-active --quiet "$UNIT.timer"; then systemctl start "$UNIT.timer"; fi
        echo "homelab: backups to $REPOSITORY scheduled ($SCHEDULE) on $(hostname)"
        ;;
    delete)
        STEP="backup delete"
        if [[ -e "$UNIT_DIR/$UNIT.timer" || -e "$UNIT_DIR/$UNIT.service" ]]; then
            systemctl disable --now --quiet "$UNIT.timer" 2>/dev/null || true
            rm -f "$UNIT_DIR/$UNIT.timer" "$UNIT_DIR/$UNIT.service"
            systemctl daemon-reload
            systemctl reset-failed "$UNIT.service" "$UNIT.timer" 2>/dev/null || true
        fi
        rm -f "$RUNNER_FILE" "$ENV_FILE" "$PASSWORD_FILE"
        rmdir "$CONF_DIR" 2>/dev/null || true
        rm -rf /var/lib/homelab/backup-staging /var/lib/homelab/backup.last
        rmdir /var/lib/homelab 2>/dev/null || true
        echo "homelab: backup timer removed on $(hostname); the repository $REPOSITORY is kept"
        ;;
    *)
        echo "usage: backup.sh create|delete" >&2
        exit 2
        ;;
esac
