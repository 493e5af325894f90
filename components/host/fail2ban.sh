#!/usr/bin/env bash
# homelab fail2ban: an sshd jail that works on Debian 12 (systemd journal backend, banned in INPUT) and one
# jail per app that reads the app's log file on the host and bans the source in DOCKER-USER (all ports), so
# a ban also covers the ports Docker publishes.
#   create: idempotent; writes /etc/fail2ban/jail.d/homelab.local and /etc/fail2ban/filter.d/homelab-*.conf,
#           restarts fail2ban only when they changed, then checks every jail is running; for jails whose log
#           path is a glob, installs homelab-fail2ban-reload.{service,timer} (fail2ban expands a glob only
#           at start/reload, and Jellyfin starts a new log file every day)
#   delete: removes exactly those files, the timer, and the log files/directories create made that are still
#           empty, then restarts fail2ban (or leaves it stopped when the distribution's config cannot start)
# Variables: SSH_PORT, JAILS (one "<jail>|<kind>|<host log path>|<uid:gid the app writes as>[|link]" per line;
#            kinds: servarr, jellyfin, qbittorrent, seerr; the file name may contain a "*" glob; "link":
#            the path is the app's own symbolic link to its current log, followed, waited for, never created),
#            DOCKER_SUBNET (never banned by the app jails: the reverse proxy's address is in it),
#            PEER_ADDRESSES (optional, stacks on several hosts: the other hosts' LAN addresses, never banned
#            either: a reverse proxy or client on another host arrives from its host's address),
#            BAN_TIME, FIND_TIME, MAX_RETRY, LOG_WAIT_SECONDS (how long, in all, to wait for apps that have
#            just started to fill their volume and write their log before their jail is skipped).
set -euo pipefail

ACTION="${1:-}"
STEP="fail2ban"
trap 'echo "homelab: ${STEP} failed on $(hostname) (exit $?)" >&2' ERR

: "${SSH_PORT:?SSH_PORT is not set}" "${DOCKER_SUBNET:?DOCKER_SUBNET is not set}" "${BAN_TIME:?BAN_TIME is not set}" "${FIND_TIME:?FIND_TIME is not set}" "${MAX_RETRY:?MAX_RETRY is not set}"
JAILS="${JAILS:-}"
PEER_ADDRESSES="${PEER_ADDRESSES:-}"

JAIL_FILE=/etc/fail2ban/jail.d/homelab.local
FILTER_DIR=/etc/fail2ban/filter.d
KINDS=(servarr jellyfin qbittorrent seerr)
STATE_DIR=/var/lib/homelab
# What create made for missing logs ("dir <path>" / "file <path>", in creation order): delete removes what is
# still empty.
PLACEHOLDERS="$STATE_DIR/fail2ban.placeholders"
UNIT_DIR=/etc/systemd/system
RELOAD_UNIT=homelab-fail2ban-reload
export DEBIAN_FRONTEND=noninteractive

STEP="fail2ban (invalid variables)"
[[ "$SSH_PORT" =~ ^[0-9]+$ ]] || fail "fail2ban (SSH_PORT is not a port: '$SSH_PORT')"
[[ "$MAX_RETRY" =~ ^[0-9]+$ ]] || fail "fail2ban (MAX_RETRY is not a number: '$MAX_RETRY')"
LOG_WAIT_SECONDS="${LOG_WAIT_SECONDS:-0}"
[[ "$LOG_WAIT_SECONDS" =~ ^[0-9]+$ ]] || fail "fail2ban (LOG_WAIT_SECONDS is not a number: '$LOG_WAIT_SECONDS')"
LOG_DEADLINE=$((SECONDS + LOG_WAIT_SECONDS))
[[ "$DOCKER_SUBNET" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$ || "$DOCKER_SUBNET" =~ ^[0-9A-Fa-f:]+/[0-9]{1,3}$ ]] ||
    fail "fail2ban (DOCKER_SUBNET is not a CIDR: '$DOCKER_SUBNET')"
for address in $PEER_ADDRESSES; do
    [[ "$address" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || fail "fail2ban (PEER_ADDRESSES: not an IPv4 address: '$address')"
done
for t in "$BAN_TIME" "$FIND_TIME"; do
    [[ "$t" =~ ^(-1|[0-9]+[smhdw]?)$ ]] || fail "fail2ban (not a fail2ban time: '$t')"
done

JAIL_NAMES=()
JAIL_KINDS=()
JAIL_LOGS=()
JAIL_OWNERS=()
JAIL_FOLLOWS=()
READY=() # indexes of the jails whose log is there (set by prepare_log)
while IFS='|' read -r name kind logpath owner follow; do
    [[ -z "$name$kind$logpath$owner$follow" ]] && continue
    [[ "$name" =~ ^[A-Za-z0-9_-]+$ && "$name" != sshd && "$name" != DEFAULT && "$name" != INCLUDES ]] ||
        fail "fail2ban (invalid jail name '$name')"
    [[ " ${KINDS[*]} " == *" $kind "* ]] || fail "fail2ban (jail $name: unknown filter kind '$kind')"
    [[ "$logpath" == /* && "$logpath" != *%* && "$logpath" != *' '* ]] ||
        fail "fail2ban (jail $name: log path must be absolute without spaces or %: '$logpath')"
    [[ "$(dirname "$logpath")" != *'*'* ]] || fail "fail2ban (jail $name: only the file name may contain '*': '$logpath')"
    [[ "$owner" =~ ^[0-9]+:[0-9]+$ ]] || fail "fail2ban (jail $name: owner must be <uid>:<gid>: '$owner')"
    [[ -z "$follow" || ("$follow" == link && "$logpath" != *'*'*) ]] ||
        fail "fail2ban (jail $name: the fifth field may only be 'link', for a path without '*': '$follow')"
    JAIL_NAMES+=("$name")
    JAIL_KINDS+=("$kind")
    JAIL_LOGS+=("$logpath")
    JAIL_OWNERS+=("$owner")
    JAIL_FOLLOWS+=("$follow")
done <<<"$JAILS"

# ---- filters: each matches the app's own failed-login line and takes the address from a fixed position,
# so a crafted user name cannot make fail2ban ban somebody else.
filter_body() {
    case "$1" in
        servarr)
            # Sonarr/Radarr/Lidarr/Prowlarr /config/logs/<app>.txt:
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
        seerr)
            # Seerr 3.x /app/config/logs/seerr.log (its link to seerr-YYYY-MM-DD.log; server/logger.ts, server/routes/auth.ts):
            # 2024-05-01T10:00:00.123Z [warn][Auth]: Failed login attempt from user with incorrect Jellyfin credentials {"account":{"ip":"203.0.113.9","email":"bob","password":"__REDACTED__"}}
            # 2024-05-01T10:00:00.123Z [warn][API]: Failed sign-in attempt using invalid Seerr password {"ip":"::ffff:203.0.113.9","email":"bob@example.org"}
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
    for i in "${READY[@]}"; do
        echo
        echo "[${JAIL_NAMES[$i]}]"
        echo "enabled = true"
        echo "filter = homelab-${JAIL_KINDS[$i]}"
        echo "logpath = ${JAIL_LOGS[$i]}"
        echo "backend = polling"
        echo "# Apps run in containers: ban in DOCKER-USER, on every port, so published ports are covered."
        echo "banaction = iptables-allports"
        echo "chain = DOCKER-USER"
        echo "# Behind the reverse proxy an app logs the proxy's Docker address: banning it would cut off every site."
        echo "ignoreip = 127.0.0.1/8 ::1 $DOCKER_SUBNET${PEER_ADDRESSES:+ $PEER_ADDRESSES}"
        echo "bantime = $BAN_TIME"
        echo "findtime = $FIND_TIME"
        echo "maxretry = $MAX_RETRY"
    done
}

# Appends "<kind> <path>" to the placeholder record unless it is there already.
record() {
    mkdir -p "$STATE_DIR"
    grep -qxF "$1 $2" "$PLACEHOLDERS" 2>/dev/null || echo "$1 $2" >>"$PLACEHOLDERS"
}

# The Docker volume directory ("<docker root>/volumes/<name>/_data") a path lies in, or nothing.
volume_dir() {
    if [[ "$1" =~ ^(/.*/volumes/[^/]+/_data)(/|$) ]]; then echo "${BASH_REMATCH[1]}"; fi
}

# fail2ban refuses to start a jail without a log file. Decides whether jail $1 can run (appends its index
# to READY) and, when its log does not exist yet, creates the missing directories (0755) and the empty file
# (0644) owned by the uid:gid the app writes as, so the app can still write them. Never writes into a Docker
# volume that is missing or empty: Docker copies the image's content (and modes) into a volume only while
# it is empty, so writing first would break the app. A glob is never invented: it must match a file.
# True once the app has filled its volume (when the log lies in one) and, for a glob, written a matching file.
log_source_ready() {
    local vol="$1" path="$2" follow="$3"
    if [[ -n "$vol" ]] && { [[ ! -d "$vol" ]] || [[ -z "$(ls -A "$vol")" ]]; }; then return 1; fi
    if [[ "$path" == *'*'* ]] && ! compgen -G "$path" >/dev/null; then return 1; fi
    if [[ "$follow" == link ]] && ! [[ -L "$path" && -f "$path" ]]; then return 1; fi
    return 0
}

prepare_log() {
    local i="$1" name="${JAIL_NAMES[$1]}" path="${JAIL_LOGS[$1]}" owner="${JAIL_OWNERS[$1]}" follow="${JAIL_FOLLOWS[$1]}" vol d
    local missing=()
    vol="$(volume_dir "$path")"
    # The apps were started just before this step: give them time to fill their volumes first.
    while ! log_source_ready "$vol" "$path" "$follow" && ((SECONDS < LOG_DEADLINE)); do sleep 2; done
    if [[ -n "$vol" ]] && { [[ ! -d "$vol" ]] || [[ -z "$(ls -A "$vol")" ]]; }; then
        echo "homelab: $name skipped on $(hostname): $vol is not populated yet (the app has not started); once the app has started, run this step again: pulumi up --replace <URN of homelab-host-fail2ban, from pulumi stack --show-urns>"
        return 0
    fi
    if [[ "$follow" == link ]]; then
        # The app repoints its link at each day's file; fail2ban follows it (a new inode is a rotation to it).
        if [[ -L "$path" && -f "$path" ]]; then
            # The app controls the volume: follow its link only to a file inside it.
            if [[ -n "$vol" && "$(realpath "$path")" != "$(realpath "$vol")"/* ]]; then
                fail "fail2ban (jail $name: $path leads out of $vol through a symbolic link)"
            fi
            READY+=("$i")
        else
            echo "homelab: $name skipped on $(hostname): the app has not linked $path to its log yet; once the app has started, run this step again: pulumi up --replace <URN of homelab-host-fail2ban, from pulumi stack --show-urns>"
        fi
        return 0
    fi
    if [[ "$path" == *'*'* ]]; then
        if compgen -G "$path" >/dev/null; then
            READY+=("$i")
        else
            echo "homelab: $name skipped on $(hostname): no file matches $path yet (the app has not written its log); once the app has started, run this step again: pulumi up --replace <URN of homelab-host-fail2ban, from pulumi stack --show-urns>"
        fi
        return 0
    fi
    READY+=("$i")
    [[ -f "$path" ]] && return 0
    [[ ! -e "$path" && ! -L "$path" ]] || fail "fail2ban (jail $name: $path exists but is not a regular file)"
    # Inside a volume the app controls the content: never follow a link out of it.
    if [[ -n "$vol" && "$(realpath -m "$path")" != "$(realpath "$vol")"/* ]]; then
        fail "fail2ban (jail $name: $path leads out of $vol through a symbolic link)"
    fi
    d="$(dirname "$path")"
    while [[ ! -e "$d" ]]; do
        missing=("$d" "${missing[@]}")
        d="$(dirname "$d")"
    done
    [[ -d "$d" ]] || fail "fail2ban (jail $name: $d is not a directory)"
    for d in "${missing[@]}"; do
        mkdir -m 0755 "$d"
        record dir "$d"
        chown "$owner" "$d"
    done
    install -m 0644 -o "${owner%%:*}" -g "${owner##*:}" /dev/null "$path"
    record file "$path"
    echo "homelab: $path did not exist yet on $(hostname): created it empty (owner $owner) for fail2ban"
}

# Removes what create made for missing logs, as long as nobody has written to it since.
remove_placeholders() {
    [[ -f "$PLACEHOLDERS" ]] || return 0
    local kind path
    while read -r kind path; do
        # Records of older versions of this script hold a bare path: a file.
        if [[ -z "$path" ]]; then path="$kind"; kind="file"; fi
        if [[ "$kind" == file && -f "$path" && ! -L "$path" && ! -s "$path" ]]; then rm -f "$path"; fi
    done <"$PLACEHOLDERS"
    # Directories deepest first (they were recorded parent first), only when empty.
    while read -r kind path; do
        if [[ "$kind" == dir && -d "$path" && ! -L "$path" ]]; then rmdir "$path" 2>/dev/null || true; fi
    done < <(tac "$PLACEHOLDERS")
    rm -f "$PLACEHOLDERS"
}

render_reload_service() {
    local client="$1" i
    echo "# Managed by homelab fail2ban.sh: removed by its delete step."
    echo "[Unit]"
    echo "Description=homelab: reload the Fail2Ban jails whose log path is a glob (picks up new log files)"
    echo "After=fail2ban.service"
    echo
    echo "[Service]"
    echo "Type=oneshot"
    echo "ExecCondition=/bin/systemctl is-active --quiet fail2ban.service"
    for i in "${READY[@]}"; do
        if [[ "${JAIL_LOGS[$i]}" == *'*'* ]]; then echo "ExecStart=$client reload ${JAIL_NAMES[$i]}"; fi
    done
}

render_reload_timer() {
    echo "# Managed by homelab fail2ban.sh: removed by its delete step."
    echo "[Unit]"
    echo "Description=homelab: reload the Fail2Ban jails whose log path is a glob, every hour"
    echo
    echo "[Timer]"
    echo "# Hourly rather than at midnight: the app rolls its log at midnight in the container's time zone,"
    echo "# which need not be the host's."
    echo "OnCalendar=*-*-* *:01:00"
    echo "AccuracySec=1min"
    echo "Persistent=true"
    echo
    echo "[Install]"
    echo "WantedBy=timers.target"
}

remove_reload_timer() {
    local unit="$UNIT_DIR/$RELOAD_UNIT"
    if [[ -e "$unit.timer" || -e "$unit.service" ]]; then
        systemctl disable --now --quiet "$RELOAD_UNIT.timer" 2>/dev/null || true
        rm -f "$unit.timer" "$unit.service"
        systemctl daemon-reload
        systemctl reset-failed "$RELOAD_UNIT.service" "$RELOAD_UNIT.timer" 2>/dev/null || true
    fi
}

# Installs (or updates, or removes when no running jail has a glob) the timer that reloads glob jails.
sync_reload_timer() {
    local i globs=no changed=no client
    for i in "${READY[@]}"; do
        if [[ "${JAIL_LOGS[$i]}" == *'*'* ]]; then globs=yes; fi
    done
    if [[ "$globs" == no ]]; then
        remove_reload_timer
        return 0
    fi
    client="$(command -v fail2ban-client)"
    if render_reload_service "$client" | write_if_changed "$UNIT_DIR/$RELOAD_UNIT.service" 0644; then changed=yes; fi
    if render_reload_timer | write_if_changed "$UNIT_DIR/$RELOAD_UNIT.timer" 0644; then changed=yes; fi
    if [[ "$changed" == yes ]]; then systemctl daemon-reload; fi
    systemctl enable --quiet "$RELOAD_UNIT.timer"
    if [[ "$changed" == yes ]]; then
        systemctl restart "$RELOAD_UNIT.timer"
    elif ! systemctl is-active --quiet "$RELOAD_UNIT.timer"; then
        systemctl start "$RELOAD_UNIT.timer"
    fi
}

wait_for_server() {
    local _
    for _ in $(seq 1 30); do
        if fail2ban-client ping >/dev/null 2>&1; then return 0; fi
        # The unit is active from the moment the server is started: anything else means it died
        # (and may be waiting to be restarted), so there is no point in waiting longer.
        systemctl is-active --quiet fail2ban || return 1
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
    for i in "${!JAIL_NAMES[@]}"; do prepare_log "$i"; done

    STEP="fail2ban (write config)"
    local changed=no kind
    for kind in "${KINDS[@]}"; do
        if render_filter "$kind" | write_if_changed "$FILTER_DIR/homelab-$kind.conf" 0644; then changed=yes; fi
    done
    if render_jails | write_if_changed "$JAIL_FILE" 0644; then changed=yes; fi

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

    local jail running=(sshd)
    for i in "${READY[@]}"; do running+=("${JAIL_NAMES[$i]}"); done
    for jail in "${running[@]}"; do
        STEP="fail2ban (jail $jail)"
        if ! fail2ban-client status "$jail" >/dev/null 2>&1; then
            show_journal
            fail "fail2ban (jail $jail is not running)"
        fi
    done

    STEP="fail2ban (reload timer for glob log paths)"
    sync_reload_timer
    echo "homelab: fail2ban running on $(hostname) with jails: ${running[*]}"
}

delete() {
    STEP="fail2ban (remove reload timer)"
    remove_reload_timer

    STEP="fail2ban (remove config)"
    local changed=no kind file
    for file in "$JAIL_FILE" "${KINDS[@]/#/$FILTER_DIR/homelab-}"; do
        [[ "$file" == "$JAIL_FILE" ]] || file="$file.conf"
        if [[ -e "$file" ]]; then rm -f "$file"; changed=yes; fi
    done
    STEP="fail2ban (remove empty log placeholders)"
    remove_placeholders
    rmdir "$STATE_DIR" 2>/dev/null || true
    if [[ "$changed" == yes ]] && command -v fail2ban-client >/dev/null 2>&1 && systemctl is-active --quiet fail2ban; then
        STEP="fail2ban (restart without homelab jails)"
        # Stopping removes the f2b-* chains of our jails; the distribution's own config may not start again
        # (Debian 12's stock sshd jail wants /var/log/auth.log): report that, it is not ours to fix.
        if ! systemctl restart fail2ban || ! wait_for_server; then
            systemctl stop fail2ban || true
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
