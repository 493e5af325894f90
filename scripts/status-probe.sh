#!/usr/bin/env bash
# What "healthy" means for the stack, in one place: `npm run status` sends this script over SSH, and the
# watcher (homelab-watch) runs the copy installed on the host as /usr/local/sbin/homelab-status. Read-only.
#   collect: gathers facts on the host (as root): one "<key>\t<value>" line per fact
#   judge:   reads facts on stdin and prints the verdicts and the metrics derived from them:
#            "check\t<section>\t<name>\t<ok|bad>\t<text>" and "metric\t<name>{<labels>}\t<value>"
#   (none):  collect | judge
# Variables (exported by `npm run status`, or read from /etc/homelab/status.env on the host):
#   APPS (space-separated app names = container names), PINS (one "<app>=<pinned image>" per line),
#   GATEWAY (the VPN gateway's container), TUNNEL (its tunnel interface), ECHO_URL (address-echo service),
#   PROBE_ADDRESSES (public addresses whose route from inside the VPN namespace must use the tunnel),
#   PORT_FORWARDING (yes/no), TORRENTING_PORT, DATA_ROOT, DOCKER_ROOT, LAN_BIND (empty: none),
#   LAN_PORTS (host ports published on LAN_BIND), BACKUP_REPOSITORY (empty: backups off), BACKUP_SCHEDULE,
#   MIN_FREE_BYTES, MAX_RESTARTS, MEMORY_WARN_PERCENT, FORECAST_DAYS,
#   MOUNT_UNIT and MOUNT_SOURCE (the data root's mount unit and share when it is on a NAS, else empty),
#   SAMPLES (the watcher's free-space samples, "<time> <filesystem> <free bytes>" per line).
set -uo pipefail

MODE="${1:-all}"
if [[ -z "${APPS:-}" && -r /etc/homelab/status.env ]]; then
    # shellcheck disable=SC1091 # written by the watcher's install step
    source /etc/homelab/status.env
fi
: "${APPS:?}" "${GATEWAY:?}" "${TUNNEL:?}" "${ECHO_URL:?}" "${PROBE_ADDRESSES:?}" "${DATA_ROOT:?}"
PINS="${PINS:-}" PORT_FORWARDING="${PORT_FORWARDING:-no}" TORRENTING_PORT="${TORRENTING_PORT:-6881}"
DOCKER_ROOT="${DOCKER_ROOT:-/var/lib/docker}" LAN_BIND="${LAN_BIND:-}" LAN_PORTS="${LAN_PORTS:-}"
BACKUP_REPOSITORY="${BACKUP_REPOSITORY:-}" BACKUP_SCHEDULE="${BACKUP_SCHEDULE:-daily}"
MIN_FREE_BYTES="${MIN_FREE_BYTES:-5368709120}" MAX_RESTARTS="${MAX_RESTARTS:-5}" MEMORY_WARN_PERCENT="${MEMORY_WARN_PERCENT:-90}"
FORECAST_DAYS="${FORECAST_DAYS:-7}" SAMPLES="${SAMPLES:-/var/lib/homelab/watch/disk-samples}"

# ================================================================ collect ================================

runs_gateway() { [[ " $APPS " == *" $GATEWAY "* ]]; }

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

# "<free> <total> <device>" of the filesystem holding $1.
filesystem() {
    printf '%s %s\n' "$(timeout 10 df -PB1 "$1" | awk 'NR == 2 {print $4, $2}')" "$(timeout 10 stat -c %d "$1")"
}

# The oldest free-space sample of filesystem $1 from the last day: "<time> <free>".
oldest_sample() {
    [[ -r "$SAMPLES" ]] || return 0
    awk -v fs="$1" -v since="$(($(date +%s) - 86400))" '$2 == fs && $1 >= since {print $1, $3; exit}' "$SAMPLES"
}

collect() {
    fact now "$(date +%s)"

    # ---- the engine: without it nothing below means anything (Docker's own error is reported as it is) ----
    local engine_error
    if ! engine_error="$(docker version --format '{{.Server.Version}}' 2>&1 >/dev/null)" || [[ -n "$engine_error" ]]; then
        fact docker.error "${engine_error:-docker version failed}"
        return 0
    fi

    # ---- apps ---- (one docker call for all containers and one for their images: the watcher runs every minute)
    local app info image pid address inside outside repository port name
    declare -A found=() tags=()
    # shellcheck disable=SC2086 # one argument per app
    while IFS='|' read -r name info; do
        [[ -n "$name" ]] && found[${name#/}]="$info"
    done < <(docker inspect -f '{{.Name}}|{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}|{{.RestartCount}}|{{.State.StartedAt}}|{{.Image}}|{{.HostConfig.Memory}}' $APPS 2>/dev/null)
    local images=()
    for app in "${!found[@]}"; do
        image="${found[$app]#*|*|*|*|}"
        images+=("${image%%|*}")
    done
    if ((${#images[@]} > 0)); then
        while IFS='|' read -r image info; do
            [[ -n "$image" ]] && tags[$image]="$info"
        done < <(docker image inspect -f '{{.Id}}|{{range $i, $t := .RepoTags}}{{if $i}},{{end}}{{$t}}{{end}}' "${images[@]}" 2>/dev/null)
    fi
    for app in $APPS; do
        if [[ ! -v "found[$app]" ]]; then
            fact "app.$app" "missing"
            continue
        fi
        info="${found[$app]}"
        fact "app.$app" "$info"
        image="${info#*|*|*|*|}"
        image="${image%%|*}"
        fact "tags.$app" "${tags[$image]-}"
    done
    # shellcheck disable=SC2086 # one argument per app
    docker stats --no-stream --format '{{.Name}}|{{.MemUsage}}' $APPS 2>/dev/null | while IFS='|' read -r name usage; do
        fact "mem.$name" "$usage"
    done

    # ---- VPN ---- (on the host the gateway runs on: with several hosts, the others have no VPN namespace)
    pid="$(docker inspect -f '{{.State.Pid}}' "$GATEWAY" 2>/dev/null || echo 0)"
    if ! runs_gateway; then
        :
    elif [[ "$pid" =~ ^[1-9][0-9]*$ ]]; then
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
    runs_gateway && if outside="$(http_get "$ECHO_URL" 2>&1)"; then fact vpn.host "$outside"; else fact vpn.host "ERROR ${outside:-no answer}"; fi

    # ---- storage ----
    # A NAS share may not answer (a hard NFS mount blocks): everything that touches the data root has a time limit.
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
        fact storage.df "$(filesystem "$DATA_ROOT")"
        fact storage.devices "$(timeout 10 stat -c %d "$DATA_ROOT/torrents" "$DATA_ROOT/media" 2>&1 | tr '\n' ' ')"
        fact storage.sample.data "$(oldest_sample data)"
    else
        fact storage.df "ERROR $DATA_ROOT does not exist"
    fi
    if [[ -d "$DOCKER_ROOT/volumes" ]]; then
        fact storage.config.df "$(filesystem "$DOCKER_ROOT/volumes")"
        fact storage.sample.config "$(oldest_sample config)"
    fi

    # ---- backups ----
    if command -v homelab-backup >/dev/null 2>&1; then
        fact backup.installed yes
        fact backup.last "$(homelab-backup last 2>&1 | sed -n 's/^last_success=//p')"
        fact backup.timer "$(systemctl is-active homelab-backup.timer 2>&1)"
        fact backup.result "$(systemctl show -p Result --value homelab-backup.service 2>&1)"
        if repository="$(homelab-backup check 2>&1)"; then fact backup.repository ok; else fact backup.repository "ERROR ${repository#homelab: }"; fi
    else
        fact backup.installed no
    fi

    # ---- the stack reachable on the LAN ----
    if [[ -n "$LAN_BIND" ]]; then
        for port in $LAN_PORTS; do
            if timeout 5 bash -c "exec 3<>/dev/tcp/$LAN_BIND/$port" 2>/dev/null; then fact lan.reach "ok $LAN_BIND:$port"; else fact lan.reach "ERROR $LAN_BIND:$port does not answer"; fi
            break
        done
    fi
}

# ================================================================ judge ==================================
# Pure bash where it can be (no subshell per value): the watcher runs this every minute.

declare -A F=() PIN=()
read_facts() {
    local key value
    while IFS=$'\t' read -r key value; do
        [[ -n "$key" ]] || continue
        value="${value#"${value%%[![:space:]]*}"}"
        F[$key]="${value%"${value##*[![:space:]]}"}"
    done
    while IFS='=' read -r key value; do [[ -n "$key" ]] && PIN[$key]="$value"; done <<<"$PINS"
}

verdict() { printf 'check\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4"; }
metric() { printf 'metric\t%s\t%s\n' "$1" "$2"; }
is_number() { [[ "$1" =~ ^[0-9]+$ ]]; }

# duration VAR SECONDS: 3d 1h / 5h 0m / 1m 0s, as `npm run status` always printed it.
duration() {
    local s="${2%.*}" d h m
    ((s < 0)) && s=0
    d=$((s / 86400)) h=$((s % 86400 / 3600)) m=$((s % 3600 / 60))
    if ((d > 0)); then printf -v "$1" '%dd %dh' "$d" "$h"; elif ((h > 0)); then printf -v "$1" '%dh %dm' "$h" "$m"; else printf -v "$1" '%dm %ds' "$m" $((s % 60)); fi
}
# gib VAR BYTES: "400.0 GiB" (below 1 GiB: "64 MiB")
gib() {
    local tenths=$((($2 * 10 + 536870912) / 1073741824))
    if (($2 < 1073741824)); then printf -v "$1" '%d MiB' $((($2 + 524288) / 1048576)); else printf -v "$1" '%d.%d GiB' $((tenths / 10)) $((tenths % 10)); fi
}
# size_bytes VAR TEXT: Docker's human sizes ("312.4MiB") in bytes; empty for anything else.
size_bytes() {
    local text="${2//[[:space:]]/}" whole frac scale=1 factor
    printf -v "$1" '%s' ""
    [[ "$text" =~ ^([0-9]+)(\.([0-9]+))?([KMGTkmgt]?[iI]?[bB])$ ]] || return 0
    whole="${BASH_REMATCH[1]}" frac="${BASH_REMATCH[3]:0:3}"
    case "${BASH_REMATCH[4]^^}" in
        B) factor=1 ;; KIB) factor=1024 ;; MIB) factor=1048576 ;; GIB) factor=1073741824 ;; TIB) factor=1099511627776 ;;
        KB) factor=1000 ;; MB) factor=1000000 ;; GB) factor=1000000000 ;; TB) factor=1000000000000 ;;
        *) return 0 ;;
    esac
    while ((${#frac} > 0 && scale < 10 ** ${#frac})); do scale=$((scale * 10)); done
    printf -v "$1" '%d' $((((10#$whole * scale + 10#${frac:-0}) * factor * 2 + scale) / (2 * scale)))
}
# join VAR SEPARATOR ITEMS...
join() {
    local out="" sep="$2" item
    for item in "${@:3}"; do out+="${out:+$sep}$item"; done
    printf -v "$1" '%s' "$out"
}
# How old the last good backup may be for a schedule before it counts as missed.
max_backup_age() {
    case "${2,,}" in
        minutely) printf -v "$1" 600 ;; hourly) printf -v "$1" 7200 ;; weekly) printf -v "$1" 691200 ;; monthly) printf -v "$1" 2764800 ;;
        *) printf -v "$1" 172800 ;;
    esac
}

judge_apps() {
    local id info state health restarts started limit pinned tags used up text parts_text problems parts running healthy
    local now="${F[now]}"
    for id in $APPS; do
        info="${F[app.$id]-missing}"
        running=0
        [[ "$info" == running\|* ]] && running=1
        metric "homelab_app_running{app=\"$id\"}" "$running"
        if [[ "$info" == missing ]]; then
            verdict apps "$id" bad "no container (pulumi up creates it)"
            metric "homelab_app_healthy{app=\"$id\"}" 0
            continue
        fi
        IFS='|' read -r state health restarts started _ limit <<<"$info"
        problems=() parts=("$state")
        [[ "$state" != running ]] && problems+=("is $state")
        [[ "$health" != none ]] && parts+=("$health")
        [[ "$health" == unhealthy && "$state" == running ]] && problems+=("is unhealthy")
        if [[ "$restarts" == 1 ]]; then parts+=("1 restart"); else parts+=("$restarts restarts"); fi
        ((restarts > MAX_RESTARTS)) && problems+=("restarted $restarts times (crash loop? npm run logs -- $id)")
        if [[ "$state" == running ]]; then
            started="$(date -d "$started" +%s 2>/dev/null || echo "$now")"
            duration up $((now - started))
            parts+=("up $up")
        fi
        healthy=0
        [[ "$state" == running && "$health" =~ ^(healthy|none)$ ]] && healthy=1
        metric "homelab_app_healthy{app=\"$id\"}" "$healthy"
        metric "homelab_app_restarts{app=\"$id\"}" "$restarts"
        pinned="${PIN[$id]-}"
        tags="${F[tags.$id]-}"
        if [[ "$pinned" == *@sha256:* ]]; then
            parts+=("pinned by digest")
        elif [[ ",$tags," == *",$pinned,"* ]]; then
            parts+=("${pinned##*:}")
        else
            text="${tags//,/, }"
            problems+=("runs ${text:-an untagged image}, pinned $pinned (pulumi up)")
        fi
        text="${F[mem.$id]-}"
        size_bytes used "${text%%/*}"
        if [[ -n "$used" ]] && is_number "$limit" && ((limit > 0)); then
            parts+=("$(((used + 524288) / 1048576)) / $(((limit + 524288) / 1048576)) MiB")
            ((used * 100 > limit * MEMORY_WARN_PERCENT)) && problems+=("uses $(((100 * used + limit / 2) / limit))% of its memory limit (homelab:memoryLimits.$id)")
        fi
        join parts_text ', ' "${parts[@]}"
        if ((${#problems[@]} > 0)); then
            join text '; ' "${problems[@]}"
            verdict apps "$id" bad "$text; ($parts_text)"
        else
            verdict apps "$id" ok "$parts_text"
        fi
    done
}

judge_vpn() {
    local links inside host forwarded address route leaks=() tunnel_up=0 differs=0 why text listening
    links="${F[vpn.links]-ERROR no answer}"
    if [[ "$links" == ERROR* ]]; then
        verdict vpn tunnel bad "${links#ERROR }"
    else
        if [[ " $links " == *" $TUNNEL "* ]]; then
            tunnel_up=1
            verdict vpn tunnel ok "$TUNNEL up"
        else
            verdict vpn tunnel bad "$TUNNEL is down (interfaces up: ${links:-none})"
        fi
        for address in $PROBE_ADDRESSES; do
            route="${F[vpn.route.$address]-}"
            # No route at all (the tunnel is down) lets nothing out: the kill switch holding is not a leak.
            [[ " $route " == *" dev $TUNNEL "* || "$route" == *"Network is unreachable"* ]] || leaks+=("${route:-no route}")
        done
        if ((${#leaks[@]} == 0 && tunnel_up == 0)); then
            verdict vpn routes ok "no public route while $TUNNEL is down (nothing leaves)"
        elif ((${#leaks[@]} == 0)); then
            verdict vpn routes ok "every public route goes through $TUNNEL"
        else
            join text '; ' "${leaks[@]}"
            verdict vpn routes bad "LEAK: a route from the VPN namespace avoids the tunnel: $text"
        fi
    fi
    metric homelab_vpn_tunnel_up "$tunnel_up"
    inside="${F[vpn.inside]-}"
    host="${F[vpn.host]-ERROR no answer}"
    if [[ ("$inside" == ERROR* || -z "$inside") && "$tunnel_up" == 0 && "$links" != ERROR* ]]; then
        # Without a tunnel nothing answers inside; that is the tunnel's failure, reported once above.
        verdict vpn address ok "not checked while $TUNNEL is down (nothing answers inside the VPN namespace)"
    elif [[ "$inside" == ERROR* || -z "$inside" ]]; then
        why="${inside#ERROR}"
        verdict vpn address bad "no answer from $ECHO_URL inside the VPN namespace${inside:+ (${why# })}"
    elif [[ "$host" == ERROR* || -z "$host" ]]; then
        why="${host#ERROR}"
        why="${why# }"
        verdict vpn address bad "VPN $inside, but the host's own address is unknown ($ECHO_URL: ${why:-no answer})"
    elif [[ "$inside" == "$host" ]]; then
        verdict vpn address bad "LEAK: the VPN namespace reaches the internet as the host ($host)"
    else
        differs=1
        verdict vpn address ok "VPN $inside, host $host"
    fi
    metric homelab_vpn_public_address_differs "$differs"
    read -r -a listening <<<"${F[vpn.listening]-}"
    if [[ "$PORT_FORWARDING" == yes ]]; then
        forwarded="${F[vpn.forwarded]-}"
        is_number "$forwarded" && ((forwarded > 0)) || forwarded=0
        metric homelab_vpn_forwarded_port "$forwarded"
        if ((forwarded == 0)); then
            verdict vpn port bad "no forwarded port yet (Gluetun's /tmp/gluetun/forwarded_port is empty)"
        elif [[ " ${listening[*]} " != *" $forwarded "* ]]; then
            verdict vpn port bad "forwarded $forwarded, but qBittorrent does not listen on it (listening: ${listening[*]:-nothing})"
        else
            verdict vpn port ok "forwarded $forwarded, qBittorrent listening on it"
        fi
    elif [[ " $APPS " == *" qbittorrent "* ]]; then
        if [[ " ${listening[*]} " == *" $TORRENTING_PORT "* ]]; then
            verdict vpn port ok "no port forwarding; qBittorrent listening on $TORRENTING_PORT"
        else
            verdict vpn port bad "qBittorrent does not listen on $TORRENTING_PORT"
        fi
    fi
}

# Free space of one filesystem: below MIN_FREE_BYTES or a tenth of the filesystem, whichever is less, is too
# little; and a forecast from the watcher's samples of the last day (a line once there are an hour's worth).
judge_filesystem() {
    local label="$1" name="$2" where="$3" df="$4" sample="$5" free total limit free_text total_text limit_text
    read -r free total _ <<<"$df"
    if ! is_number "${free:-}" || ! is_number "${total:-}"; then
        verdict storage "$name" bad "cannot read the free space under $where ($df)"
        return 0
    fi
    limit=$((total / 10 < MIN_FREE_BYTES ? total / 10 : MIN_FREE_BYTES))
    metric "homelab_filesystem_free_bytes{filesystem=\"$label\",path=\"$where\"}" "$free"
    metric "homelab_filesystem_size_bytes{filesystem=\"$label\",path=\"$where\"}" "$total"
    gib free_text "$free"
    gib total_text "$total"
    if ((free >= limit)); then
        verdict storage "$name" ok "$free_text free of $total_text under $where"
    else
        gib limit_text "$limit"
        verdict storage "$name" bad "$free_text free of $total_text under $where (less than $limit_text)"
    fi
    local then_time then_free span seconds full_in over
    read -r then_time then_free <<<"$sample"
    if ! is_number "${then_time:-}" || ! is_number "${then_free:-}"; then return 0; fi
    span=$((F[now] - then_time))
    ((span >= 3600)) || return 0
    seconds=-1
    ((then_free > free)) && seconds="$(awk -v span="$span" -v was="$then_free" -v free="$free" 'BEGIN {printf "%d\n", free / ((was - free) / span)}')"
    metric "homelab_filesystem_full_in_seconds{filesystem=\"$label\",path=\"$where\"}" "$seconds"
    duration over "$span"
    if ((seconds >= 0 && seconds < FORECAST_DAYS * 86400)); then
        duration full_in "$seconds"
        verdict storage "$name forecast" bad "full in about $full_in at the rate of the last $over"
    else
        verdict storage "$name forecast" ok "not full within $FORECAST_DAYS days at the rate of the last $over"
    fi
}

# A NAS data root: mounted from the configured share, and answering. Prints nothing for a local data root.
judge_mount() {
    [[ -n "${MOUNT_UNIT:-}" ]] || return 0
    local fact source type
    fact="${F[storage.mount]-ERROR no answer}"
    if [[ "$fact" == ERROR* ]]; then
        verdict storage mount bad "$DATA_ROOT from $MOUNT_SOURCE: ${fact#ERROR } (apps that use the data root stay stopped until it is back; journalctl -u $MOUNT_UNIT)"
        return 1
    fi
    read -r _ source type <<<"$fact"
    if [[ "$source" != "$MOUNT_SOURCE" ]]; then
        verdict storage mount bad "$DATA_ROOT is mounted from $source ($type), not $MOUNT_SOURCE (pulumi up)"
        return 1
    fi
    verdict storage mount ok "$DATA_ROOT mounted from $source ($type)"
}

judge_storage() {
    local df devices config_df
    judge_mount || return 0
    df="${F[storage.df]-ERROR no answer}"
    if [[ "$df" == ERROR* ]]; then
        verdict storage "data root" bad "${df#ERROR }"
    else
        judge_filesystem data free "$DATA_ROOT" "$df" "${F[storage.sample.data]-}"
        read -r -a devices <<<"${F[storage.devices]-}"
        if ((${#devices[@]} == 2)) && is_number "${devices[0]}" && [[ "${devices[0]}" == "${devices[1]}" ]]; then
            verdict storage hardlinks ok "torrents/ and media/ on one filesystem"
        else
            verdict storage hardlinks bad "torrents/ and media/ are not on one filesystem: imports are copies, not hardlinks (${devices[*]})"
        fi
    fi
    config_df="${F[storage.config.df]-}"
    # The apps' config volumes: lines of their own when they are on another filesystem than the data root.
    if [[ -n "$config_df" && "${config_df##* }" != "${df##* }" ]]; then
        judge_filesystem config "config free" "$DOCKER_ROOT/volumes" "$config_df" "${F[storage.sample.config]-}"
    fi
}

judge_backups() {
    if [[ -z "$BACKUP_REPOSITORY" ]]; then
        verdict backups last ok "off (homelab:backup.repository is not set)"
        return
    fi
    if [[ "${F[backup.installed]-}" != yes ]]; then
        verdict backups last bad "configured but not installed on the host (pulumi up)"
        return
    fi
    local last age max ago result repository timer
    last="${F[backup.last]-}"
    if ! is_number "$last" || ((last == 0)); then
        verdict backups last bad "no good backup yet to $BACKUP_REPOSITORY"
    else
        age=$((F[now] - last))
        metric homelab_backup_age_seconds "$age"
        max_backup_age max "$BACKUP_SCHEDULE"
        duration ago "$age"
        if ((age <= max)); then
            verdict backups last ok "$ago ago to $BACKUP_REPOSITORY"
        else
            verdict backups last bad "$ago ago to $BACKUP_REPOSITORY (older than the $BACKUP_SCHEDULE schedule allows: journalctl -u homelab-backup)"
        fi
    fi
    result="${F[backup.result]-success}"
    if [[ "$result" == success ]]; then
        metric homelab_backup_last_run_ok 1
    else
        metric homelab_backup_last_run_ok 0
        verdict backups run bad "the last run failed ($result): journalctl -u homelab-backup"
    fi
    repository="${F[backup.repository]-ERROR not checked}"
    [[ "$repository" == ok ]] || verdict backups repository bad "${repository#ERROR }"
    timer="${F[backup.timer]-}"
    [[ "$timer" == active ]] || verdict backups timer bad "homelab-backup.timer is ${timer:-unknown}"
}

judge_lan() {
    [[ -v "F[lan.reach]" ]] || return 0
    local reach="${F[lan.reach]}"
    if [[ "$reach" == ok* ]]; then
        metric homelab_lan_reachable 1
        verdict network lan ok "the stack answers on ${reach#ok }"
    else
        metric homelab_lan_reachable 0
        verdict network lan bad "${reach#ERROR }"
    fi
}

judge() {
    read_facts
    [[ -v "F[now]" ]] || printf -v 'F[now]' '%(%s)T' -1
    if [[ -v "F[docker.error]" ]]; then
        verdict docker engine bad "${F[docker.error]}"
        return 0
    fi
    judge_apps
    if runs_gateway; then judge_vpn; fi
    judge_storage
    judge_backups
    judge_lan
}

case "$MODE" in
    collect) collect ;;
    judge) judge ;;
    all) collect | judge ;;
    *)
        echo "usage: homelab-status [collect|judge]" >&2
        exit 2
        ;;
esac
