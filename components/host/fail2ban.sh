#!/usr/bin/env bash
# homelab fail2ban: an sshd jail that works on Debian 12 (systemd journal backend, banned in INPUT) and one
# jail per app that reads the app's log file on the host and bans the source in DOCKER-USER (all ports), so
# a ban also covers the ports Docker publishes.
#   create: idempotent; writes /etc/fail2ban/jail.d/homelab.local and /etc/fail2ban/filter.d/homelab-*.conf,
#           restarts fail2ban only when they changed, then checks every jail is running
#   delete: removes exactly those files (and the empty log placeholders create made), then restarts fail2ban
# Variables: SSH_PORT, JAILS (one "<jail>|<kind>|<host log path>" per line; kinds: servarr, jellyfin,
#            qbittorrent, jellyseerr; the path may end in a "*" glob), BAN_TIME, FIND_TIME, MAX_RETRY.
set -euo pipefail

ACTION="${1:-}"
STEP="fail2ban"
trap 'echo "homelab: ${STEP} failed on $(hostname) (exit $?)" >&2' ERR

: "${SSH_PORT:?SSH_PORT is not set}" "${BAN_TIME:?BAN_TIME is not set}" "${FIND_TIME:?FIND_TIME is not set}" "${MAX_RETRY:?MAX_RETRY is not set}"
JAILS="${JAILS:-}"

JAIL_FILE=/etc/fail2ban/jail.d/homelab.local
FILTER_DIR=/etc/fail2ban/filter.d
KINDS=(servarr jellyfin qbittorrent jellyseerr)
STATE_DIR=/var/lib/homelab
PLACEHOLDERS="$STATE_DIR/fail2ban.placeholders"
export DEBIAN_FRONTEND=noninteractive

# Reports the failed step and exits (an explicit exit: a function called after "||" would not trip ERR).
fail() {
    STEP="$1"
    echo "homelab: ${STEP} failed on $(hostname)" >&2
    exit 1
}

STEP="fail2ban (invalid variables)"
[[ "$SSH_PORT" =~ ^[0-9]+$ ]] || fail "fail2ban (SSH_PORT is not a port: '$SSH_PORT')"
[[ "$MAX_RETRY" =~ ^[0-9]+$ ]] || fail "fail2ban (MAX_RETRY is not a number: '$MAX_RETRY')"
for t in "$BAN_TIME" "$FIND_TIME"; do
    [[ "$t" =~ ^(-1|[0-9]+[smhdw]?)$ ]] || fail "fail2ban (not a fail2ban time: '$t')"
done

JAIL_NAMES=()
JAIL_KINDS=()
JAIL_LOGS=()
while IFS='|' read -r name kind logpath; do
    [[ -z "$name$kind$logpath" ]] && continue
    [[ "$name" =~ ^[A-Za-z0-9_-]+$ && "$name" != sshd && "$name" != DEFAULT && "$name" != INCLUDES ]] ||
        fail "fail2ban (invalid jail name '$name')"
    [[ " ${KINDS[*]} " == *" $kind "* ]] || fail "fail2ban (jail $name: unknown filter kind '$kind')"
    [[ "$logpath" == /* && "$logpath" != *%* && "$logpath" != *' '* ]] ||
        fail "fail2ban (jail $name: log path must be absolute without spaces or %: '$logpath')"
    JAIL_NAMES+=("$name")
    JAIL_KINDS+=("$kind")
    JAIL_LOGS+=("$logpath")
done <<<"$JAILS"

# ---- filters: each matches the app's own failed-login line and takes the address from a fixed position,
# so a crafted user name cannot make fail2ban ban somebody else.
filter_body() {
    case "$1" in
        servarr)
            # Sonarr/Radarr/Lidarr/Readarr/Prowlarr /config/logs/<app>.txt:
            # 2024-05-01 10:00:00.1|Warn|Auth|Auth-Failure ip 203.0.113.9 username 'admin'
            echo 'failregex = ^\|Warn\|Auth\|Auth-Failure ip <ADDR> username '
            ;;
        jellyfin)
            # Jellyfin /config/log/log_YYYYMMDD.log:
            # [2024-05-01 10:00:00.123 +00:00] [INF] [42] Jellyfin.Server.Implementations.Users.UserManager: Authentication request for "bob" has been denied (IP: "203.0.113.9").
            echo 'failregex = ^.*\[INF\] \[\d+\] [\w.]+: Authentication request for .* has been denied \(IP: "?<ADDR>"?\)\.$'
            ;;
        qbittorrent)
            # qBittorrent /config/qBittorrent/logs/qbittorrent.log:
            # (W) 2024-05-01T10:00:00 - WebAPI login failure. Reason: invalid credentials, attempt count: 1, IP: ::ffff:203.0.113.9, username: admin
            echo 'datepattern = %%Y-%%m-%%dT%%H:%%M:%%S'
            echo 'failregex = ^\(W\)\s+(?:\S+\s+)?-\s+WebAPI login failure\. Reason: (?:invalid credentials, attempt count: \d+|IP has been banned), IP: (?:::ffff:)?<ADDR>(?:, username: .*)?$'
            ;;
        jellyseerr)
            # Jellyseerr /app/config/logs/overseerr.log:
            # 2024-05-01T10:00:00.123Z [warn][Auth]: Failed login attempt from user with incorrect Jellyfin credentials {"account":{"ip":"203.0.113.9","email":"bob","password":"__REDACTED__"}}
            # 2024-05-01T10:00:00.123Z [warn][API]: Failed sign-in attempt using invalid Overseerr password {"ip":"203.0.113.9","email":"bob@example.org"}
            echo 'failregex = ^\s*\[(?:warn|info)\]\[(?:Auth|API)\]: Failed (?:login|sign-in) attempt [^{]*\{(?:"account":\{)?"ip":"(?:::ffff:)?<ADDR>"'
            ;;
    esac
}

render_filter() {
    echo "# Managed by homelab fail2ban.sh: removed by its delete step."
    echo "[INCLUDES]"
    echo "before = common.conf"
    echo
    echo "[Definition]"
    filter_body "$1"
    echo "ignoreregex ="
}

render_jails() {
    echo "# Managed by homelab fail2ban.sh: removed by its delete step."
    echo "[sshd]"
    echo "enabled = true"
    echo "# Debian 12 has no /var/log/auth.log: read sshd from the journal."
    echo "backend = systemd"
    echo "port = $SSH_PORT"
    echo "bantime = $BAN_TIME"
    echo "findtime = $FIND_TIME"
    echo "maxretry = $MAX_RETRY"
    local i
    for i in "${!JAIL_NAMES[@]}"; do
        echo
        echo "[${JAIL_NAMES[$i]}]"
        echo "enabled = true"
        echo "filter = homelab-${JAIL_KINDS[$i]}"
        echo "logpath = ${JAIL_LOGS[$i]}"
        echo "backend = polling"
        echo "# Apps run in containers: ban in DOCKER-USER, on every port, so published ports are covered."
        echo "banaction = iptables-allports"
        echo "chain = DOCKER-USER"
        echo "bantime = $BAN_TIME"
        echo "findtime = $FIND_TIME"
        echo "maxretry = $MAX_RETRY"
    done
}

# Writes stdin to $1 when it differs; returns 0 when the file changed.
write_if_changed() {
    local target="$1" tmp
    tmp="$(mktemp "$target.homelab.XXXXXX")"
    cat >"$tmp"
    if [[ -f "$target" ]] && cmp -s "$tmp" "$target"; then
        rm -f "$tmp"
        return 1
    fi
    chmod 0644 "$tmp"
    mv "$tmp" "$target"
    return 0
}

# fail2ban refuses to start when a jail's log file does not exist yet (the app has not run). Create an empty
# file owned like its nearest existing parent, so the app can still write it, and remember it for delete.
ensure_log_file() {
    local pattern="$1" file dir ancestor owner
    # shellcheck disable=SC2086 # glob expansion on purpose
    if compgen -G "$pattern" >/dev/null; then return; fi
    file="${pattern//\*/homelab-placeholder}"
    dir="$(dirname "$file")"
    ancestor="$dir"
    while [[ ! -d "$ancestor" ]]; do ancestor="$(dirname "$ancestor")"; done
    owner="$(stat -c %u:%g "$ancestor")"
    if [[ ! -d "$dir" ]]; then
        mkdir -p "$dir"
        # Own every directory created on the way, like the ancestor.
        local d="$dir"
        while [[ "$d" != "$ancestor" ]]; do chown "$owner" "$d"; d="$(dirname "$d")"; done
    fi
    : >"$file"
    chown "$owner" "$file"
    mkdir -p "$STATE_DIR"
    grep -qxF "$file" "$PLACEHOLDERS" 2>/dev/null || echo "$file" >>"$PLACEHOLDERS"
    echo "homelab: $file did not exist yet on $(hostname): created it empty (owner $owner) for fail2ban"
}

wait_for_server() {
    local _
    for _ in $(seq 1 30); do
        if fail2ban-client ping >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    return 1
}

show_journal() {
    journalctl -u fail2ban -n 20 --no-pager >&2 2>/dev/null || true
    tail -n 20 /var/log/fail2ban.log >&2 2>/dev/null || true
}

create() {
    STEP="fail2ban apt (install fail2ban)"
    if ! command -v fail2ban-client >/dev/null 2>&1 || ! python3 -c 'import systemd.journal' 2>/dev/null; then
        apt-get update -q </dev/null
        apt-get install -y -q --no-install-recommends fail2ban python3-systemd iptables </dev/null
    fi

    STEP="fail2ban (log files)"
    local i
    for i in "${!JAIL_LOGS[@]}"; do ensure_log_file "${JAIL_LOGS[$i]}"; done

    STEP="fail2ban (write config)"
    local changed=no kind
    for kind in "${KINDS[@]}"; do
        if render_filter "$kind" | write_if_changed "$FILTER_DIR/homelab-$kind.conf"; then changed=yes; fi
    done
    if render_jails | write_if_changed "$JAIL_FILE"; then changed=yes; fi

    STEP="fail2ban (config test)"
    if ! fail2ban-client -t >/dev/null 2>&1; then
        fail2ban-client -t >&2 || true
        fail "fail2ban (configuration test)"
    fi

    STEP="fail2ban (start)"
    systemctl enable --quiet fail2ban
    if [[ "$changed" == yes ]] || ! systemctl is-active --quiet fail2ban; then
        if ! systemctl restart fail2ban || ! wait_for_server; then
            show_journal
            fail "fail2ban (start: see the journal above)"
        fi
    fi
    wait_for_server || fail "fail2ban (server not answering)"

    local jail
    for jail in sshd "${JAIL_NAMES[@]}"; do
        STEP="fail2ban (jail $jail)"
        if ! fail2ban-client status "$jail" >/dev/null 2>&1; then
            show_journal
            fail "fail2ban (jail $jail is not running)"
        fi
    done
    echo "homelab: fail2ban running on $(hostname) with jails: sshd ${JAIL_NAMES[*]}"
}

delete() {
    STEP="fail2ban (remove config)"
    local changed=no kind file
    for file in "$JAIL_FILE" "${KINDS[@]/#/$FILTER_DIR/homelab-}"; do
        [[ "$file" == "$JAIL_FILE" ]] || file="$file.conf"
        if [[ -e "$file" ]]; then rm -f "$file"; changed=yes; fi
    done
    if [[ -f "$PLACEHOLDERS" ]]; then
        while read -r file; do
            # Only placeholders nobody has written to since.
            if [[ -f "$file" && ! -s "$file" ]]; then rm -f "$file"; fi
        done <"$PLACEHOLDERS"
        rm -f "$PLACEHOLDERS"
        rmdir "$STATE_DIR" 2>/dev/null || true
    fi
    if [[ "$changed" == yes ]] && command -v fail2ban-client >/dev/null 2>&1 && systemctl is-active --quiet fail2ban; then
        STEP="fail2ban (restart without homelab jails)"
        # Stopping removes the f2b-* chains of our jails; the distribution's own config may not start again
        # (Debian 12's stock sshd jail wants /var/log/auth.log): report that, it is not ours to fix.
        if ! systemctl restart fail2ban || ! wait_for_server; then
            echo "homelab: fail2ban does not start with the distribution's own configuration on $(hostname) (left stopped)"
        fi
    fi
    echo "homelab: fail2ban homelab jails removed on $(hostname)"
}

case "$ACTION" in
    create) create ;;
    delete) delete ;;
    *)
        echo "usage: fail2ban.sh create|delete" >&2
        exit 2
        ;;
esac
