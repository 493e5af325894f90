#!/usr/bin/env bash
# Collects what `npm run status` reports, on the host (as root), read-only: one "<key>\t<value>" line per fact;
# scripts/status.ts judges them. Nothing here changes the host.
# Variables: APPS (space-separated app names = container names), GATEWAY (the VPN gateway's container),
#            TUNNEL (its tunnel interface), ECHO_URL (address-echo service), PROBE_ADDRESSES (public addresses
#            whose route from inside the VPN namespace must use the tunnel), DATA_ROOT, MOUNT_UNIT (the data
#            root's mount unit when it is a NAS share, else empty).
set -uo pipefail

: "${APPS:?}" "${GATEWAY:?}" "${TUNNEL:?}" "${ECHO_URL:?}" "${PROBE_ADDRESSES:?}" "${DATA_ROOT:?}"

fact() { printf '%s\t%s\n' "$1" "$(printf '%s' "$2" | tr '\t\n' '  ')"; }

# GET an http(s) URL with what the host has: curl, wget, or bash's /dev/tcp for plain http.
http_get() {
    local url="$1" rest hostport path host port reply
    if command -v curl >/dev/null 2>&1; then curl -fsS --max-time 10 "$url"; return; fi
    if command -v wget >/dev/null 2>&1; then wget -qO- -T 10 "$url"; return; fi
    [[ "$url" == http://* ]] || { echo "no curl or wget on the host for $url" >&2; return 1; }
    rest="${url#http://}"
    hostport="${rest%%/*}"
    path="/${rest#"$hostport"}"
    path="${path#/}"
    [[ "$path" == /* ]] || path="/$path"
    host="${hostport%%:*}"
    port="${hostport##*:}"
    [[ "$port" == "$hostport" ]] && port=80
    exec 3<>"/dev/tcp/$host/$port" || return 1
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$host" >&3
    reply="$(timeout 10 cat <&3)"
    exec 3<&-
    [[ "$reply" =~ ^HTTP/[0-9.]+\ 2 ]] || return 1
    printf '%s' "${reply#*$'\r\n\r\n'}"
}

fact now "$(date +%s)"

# ---- apps ----
for app in $APPS; do
    if ! info="$(docker inspect -f '{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}|{{.RestartCount}}|{{.State.StartedAt}}|{{.Image}}|{{.HostConfig.Memory}}' "$app" 2>/dev/null)"; then
        fact "app.$app" "missing"
        continue
    fi
    fact "app.$app" "$info"
    image="${info#*|*|*|*|}"
    image="${image%%|*}"
    fact "tags.$app" "$(docker image inspect -f '{{join .RepoTags ","}}' "$image" 2>/dev/null)"
done
# shellcheck disable=SC2086 # one argument per app
docker stats --no-stream --format '{{.Name}}|{{.MemUsage}}' $APPS 2>/dev/null | while IFS='|' read -r name usage; do
    fact "mem.$name" "$usage"
done

# ---- VPN ----
pid="$(docker inspect -f '{{.State.Pid}}' "$GATEWAY" 2>/dev/null || echo 0)"
if [[ "$pid" =~ ^[1-9][0-9]*$ ]]; then
    fact vpn.links "$(nsenter -t "$pid" -n ip -o link show up 2>&1 | awk -F': ' '{print $2}' | cut -d@ -f1 | tr '\n' ' ')"
    for address in $PROBE_ADDRESSES; do
        fact "vpn.route.$address" "$(nsenter -t "$pid" -n ip route get "$address" 2>&1 | head -n 1)"
    done
    # TCP ports listening on more than loopback (Docker's embedded DNS listens on 127.0.0.11 in every namespace).
    fact vpn.listening "$(nsenter -t "$pid" -n ss -Hltn 2>/dev/null | awk '$4 !~ /^(127\.|\[::1\])/ {n = split($4, a, ":"); print a[n]}' | sort -un | tr '\n' ' ')"
    fact vpn.forwarded "$(docker exec "$GATEWAY" cat /tmp/gluetun/forwarded_port 2>/dev/null)"
    if inside="$(docker exec "$GATEWAY" wget -qO- -T 10 "$ECHO_URL" 2>&1)"; then fact vpn.inside "$inside"; else fact vpn.inside "ERROR $inside"; fi
else
    fact vpn.links "ERROR $GATEWAY is not running"
fi
if outside="$(http_get "$ECHO_URL" 2>&1)"; then fact vpn.host "$outside"; else fact vpn.host "ERROR ${outside:-no answer}"; fi

# ---- storage ----
# A NAS share may not answer (a hard NFS mount blocks): everything that touches it gets a time limit.
if [[ -n "${MOUNT_UNIT:-}" ]]; then
    # findmnt reads the mount table only: it never waits on the share.
    if ! findmnt -n --mountpoint "$DATA_ROOT" >/dev/null 2>&1; then
        fact storage.mount "ERROR not mounted ($MOUNT_UNIT is $(systemctl is-active "$MOUNT_UNIT" 2>&1))"
    elif ! answer="$(timeout 10 stat -c %d "$DATA_ROOT/." 2>&1)"; then
        fact storage.mount "ERROR $(findmnt -n -o SOURCE --mountpoint "$DATA_ROOT" 2>/dev/null) does not answer: ${answer:-no reply in 10 s}"
    else
        fact storage.mount "mounted $(findmnt -n -o SOURCE,FSTYPE --mountpoint "$DATA_ROOT" | awk '{print $1, $2}')"
    fi
fi
if timeout 10 test -d "$DATA_ROOT"; then
    fact storage.df "$(timeout 10 df -PB1 "$DATA_ROOT" | awk 'NR == 2 {print $4, $2}')"
    fact storage.devices "$(timeout 10 stat -c %d "$DATA_ROOT/torrents" "$DATA_ROOT/media" 2>&1 | tr '\n' ' ')"
else
    fact storage.df "ERROR $DATA_ROOT does not exist"
fi

# ---- backups ----
if command -v homelab-backup >/dev/null 2>&1; then
    fact backup.installed yes
    fact backup.last "$(homelab-backup last 2>&1 | sed -n 's/^last_success=//p')"
    fact backup.timer "$(systemctl is-active homelab-backup.timer 2>&1)"
    if repository="$(homelab-backup check 2>&1)"; then fact backup.repository ok; else fact backup.repository "ERROR ${repository#homelab: }"; fi
else
    fact backup.installed no
fi
