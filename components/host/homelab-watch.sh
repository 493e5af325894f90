#!/usr/bin/env bash
# homelab-watch: the server watching itself, installed by watch.sh as /usr/local/sbin/homelab-watch and run by
# homelab-watch.timer. One round (`homelab-watch run`):
#   1. runs homelab-status (the same checks, the same code as `npm run status`) and reads its verdicts;
#   2. keeps each check's state under STATE_DIR and queues a message only when a check changes: an alert when
#      it starts failing (after PORT_GRACE seconds for the forwarded port), a recovery, a reminder every
#      REPEAT seconds while it stays failing; at most FLAP_LIMIT changes per check and hour are announced,
#      later ones are held until the hour allows (a flapping check does not flood);
#   3. delivers the queue to each configured channel (ntfy, Gotify, webhook); what cannot be sent stays
#      queued, one message per check and channel, a newer state replacing an older one; a failed delivery
#      never stops the round;
#   4. writes the homelab_* metrics for node_exporter's textfile collector, and a free-space sample for the
#      fill forecast.
# Settings: /etc/homelab/watch.env (REPEAT, PORT_GRACE, FLAP_LIMIT, METRICS_DIR) and /etc/homelab/alerts.env
# (mode 0600: NTFY_URL, NTFY_TOPIC, NTFY_TOKEN, GOTIFY_URL, GOTIFY_TOKEN, WEBHOOK_URL). HOMELAB_WATCH_CONF,
# HOMELAB_WATCH_STATE, HOMELAB_STATUS and HOMELAB_NOW move the files, the probe and the clock (tests).
set -uo pipefail

CONF_DIR="${HOMELAB_WATCH_CONF:-/etc/homelab}"
STATE_DIR="${HOMELAB_WATCH_STATE:-/var/lib/homelab/watch}"
STATUS_COMMAND="${HOMELAB_STATUS:-/usr/local/sbin/homelab-status}"
REPEAT=21600 PORT_GRACE=300 FLAP_LIMIT=3 METRICS_DIR=""
NTFY_URL="" NTFY_TOPIC="" NTFY_TOKEN="" GOTIFY_URL="" GOTIFY_TOKEN="" WEBHOOK_URL=""
# shellcheck disable=SC1091 # written by watch.sh
[[ -r "$CONF_DIR/watch.env" ]] && source "$CONF_DIR/watch.env"
# shellcheck disable=SC1091 # written by watch.sh
[[ -r "$CONF_DIR/alerts.env" ]] && source "$CONF_DIR/alerts.env"
NOW="${HOMELAB_NOW:-$(date +%s)}"
HOST="$(hostname)"

log() { echo "homelab-watch: $*" >&2; }
safe_name() { printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_'; }
json_string() {
    local s="$1"
    s="${s//\\/\\\\}" s="${s//\"/\\\"}" s="${s//$'\n'/\\n}" s="${s//$'\t'/\\t}" s="${s//$'\r'/\\r}"
    printf '"%s"' "$s"
}
iso_time() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

channels() {
    [[ -n "$NTFY_URL" && -n "$NTFY_TOPIC" ]] && echo ntfy
    [[ -n "$GOTIFY_URL" && -n "$GOTIFY_TOKEN" ]] && echo gotify
    [[ -n "$WEBHOOK_URL" ]] && echo webhook
    return 0
}

# ---- state of one check: a key=value file --------------------------------------------------------------
declare -A S
load_state() {
    S=([id]="$1" [raw]=ok [since]="$NOW" [effective]=ok [announced]=ok [announced_at]=0 [history]="" [text]="")
    local file k v
    file="$STATE_DIR/checks/$(safe_name "$1")"
    [[ -r "$file" ]] || return 0
    while IFS='=' read -r k v; do [[ -n "$k" ]] && S[$k]="$v"; done <"$file"
}
save_state() {
    local file k
    file="$STATE_DIR/checks/$(safe_name "$1")"
    for k in id raw since effective announced announced_at history text; do printf '%s=%s\n' "$k" "${S[$k]}"; done >"$file.tmp"
    mv "$file.tmp" "$file"
}

# Queues one message for every channel; a newer message for the same check replaces an older one, and a
# change back to what a channel was last told leaves nothing to say to it.
queue() {
    local id="$1" state="$2" kind="$3" reason="$4" channel name delivered body
    name="$(safe_name "$id")"
    body="{\"check\":$(json_string "$id"),\"state\":\"$state\",\"kind\":\"$kind\",\"reason\":$(json_string "$reason"),\"host\":$(json_string "$HOST"),\"time\":\"$(iso_time "$NOW")\"}"
    log "$id: $kind ($state): $reason"
    for channel in $(channels); do
        mkdir -p "$STATE_DIR/outbox/$channel" "$STATE_DIR/delivered/$channel"
        delivered="$(cat "$STATE_DIR/delivered/$channel/$name" 2>/dev/null || echo ok)"
        if [[ "$kind" != reminder && "$state" == "$delivered" ]]; then
            rm -f "$STATE_DIR/outbox/$channel/$name".*
        else
            printf '%s' "$reason" >"$STATE_DIR/outbox/$channel/$name.reason"
            printf '%s\n' "$body" >"$STATE_DIR/outbox/$channel/$name.json"
        fi
    done
}

# One verdict of homelab-status: the check's new state, and what to announce.
observe() {
    local id="$1" verdict="$2" text="$3" raw grace=0 recent=() t
    raw=$([[ "$verdict" == ok ]] && echo ok || echo failing)
    load_state "$id"
    [[ "$raw" != "${S[raw]}" ]] && S[since]="$NOW"
    S[raw]="$raw" S[text]="$text"
    [[ "$id" == vpn/port ]] && grace="$PORT_GRACE"
    if [[ "$raw" == ok ]]; then
        S[effective]=ok
    elif ((NOW - S[since] >= grace)); then
        S[effective]=failing
    fi
    for t in ${S[history]}; do ((NOW - t < 3600)) && recent+=("$t"); done
    if [[ "${S[effective]}" != "${S[announced]}" ]]; then
        if ((${#recent[@]} < FLAP_LIMIT)); then
            if [[ "${S[effective]}" == failing ]]; then queue "$id" failing alert "$text"; else queue "$id" ok recovery "$text"; fi
            S[announced]="${S[effective]}" S[announced_at]="$NOW"
            recent+=("$NOW")
        else
            log "$id: changes too often (flapping): holding the message for now"
        fi
    elif [[ "${S[effective]}" == failing ]] && ((NOW - S[announced_at] >= REPEAT)); then
        queue "$id" failing reminder "$text"
        S[announced_at]="$NOW"
    fi
    S[history]="${recent[*]}"
    save_state "$id"
    printf '%s\t%s\t%s\n' "$id" "$([[ "$raw" == ok ]] && echo 1 || echo 0)" "${S[since]}" >>"$STATE_DIR/round.checks"
}

# ---- delivery -----------------------------------------------------------------------------------------
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$2"; }

# Sends one queued message; curl reads credentials from its config on stdin, never from its arguments.
send() {
    local channel="$1" file="$2" check state title
    check="$(field check "$file")" state="$(field state "$file")"
    title="$([[ "$state" == ok ]] && echo "recovered" || echo "FAILING"): $check on $HOST"
    case "$channel" in
        ntfy)
            {
                printf 'url = "%s/%s"\n' "${NTFY_URL%/}" "$NTFY_TOPIC"
                printf 'header = "Title: %s"\n' "$title"
                printf 'header = "Tags: %s"\n' "$([[ "$state" == ok ]] && echo white_check_mark || echo warning)"
                printf 'header = "Priority: %s"\n' "$([[ "$state" == ok ]] && echo default || echo high)"
                [[ -n "$NTFY_TOKEN" ]] && printf 'header = "Authorization: Bearer %s"\n' "$NTFY_TOKEN"
            } | curl -fsS --max-time 15 -K - -o /dev/null --data-binary "@${file%.json}.reason"
            ;;
        gotify)
            {
                printf 'url = "%s/message"\n' "${GOTIFY_URL%/}"
                printf 'header = "X-Gotify-Key: %s"\n' "$GOTIFY_TOKEN"
                printf 'header = "Content-Type: application/json"\n'
            } | curl -fsS --max-time 15 -K - -o /dev/null --data-binary \
                "{\"title\":$(json_string "$title"),\"message\":$(json_string "$(cat "${file%.json}.reason")"),\"priority\":$([[ "$state" == ok ]] && echo 4 || echo 8)}"
            ;;
        webhook)
            printf 'url = "%s"\nheader = "Content-Type: application/json"\n' "$WEBHOOK_URL" |
                curl -fsS --max-time 15 -K - -o /dev/null --data-binary "@$file"
            ;;
    esac
}

deliver() {
    local channel file name
    for channel in $(channels); do
        for file in "$STATE_DIR/outbox/$channel"/*.json; do
            [[ -e "$file" ]] || continue
            name="$(basename "$file" .json)"
            if send "$channel" "$file" 2>"$STATE_DIR/send.err"; then
                field state "$file" >"$STATE_DIR/delivered/$channel/$name"
                rm -f "$file" "${file%.json}.reason"
            else
                log "$channel: not delivered, kept for the next run: $(tail -n 1 "$STATE_DIR/send.err")"
                break
            fi
        done
    done
}

# ---- metrics --------------------------------------------------------------------------------------------
write_metrics() {
    [[ -n "$METRICS_DIR" && -d "$METRICS_DIR" ]] || return 0
    local undelivered
    undelivered="$(find "$STATE_DIR/outbox" -name '*.json' 2>/dev/null | wc -l)"
    {
        printf '%s\n' "$1"
        awk -F'\t' '{printf "homelab_check_up{check=\"%s\"} %s\nhomelab_check_since_seconds{check=\"%s\"} %s\n", $1, $2, $1, $3}' "$STATE_DIR/round.checks"
        echo "homelab_alerts_undelivered $undelivered"
        echo "homelab_watch_last_run_timestamp_seconds $NOW"
    } | awk '{name = $0; sub(/[{ ].*/, "", name); n[name] = n[name] $0 "\n"; if (!(name in seen)) {seen[name] = 1; order[++k] = name}}
             END {for (i = 1; i <= k; i++) printf "# TYPE %s gauge\n%s", order[i], n[order[i]]}' >"$METRICS_DIR/homelab.prom.$$"
    mv "$METRICS_DIR/homelab.prom.$$" "$METRICS_DIR/homelab.prom"
}

# The free space of each filesystem the probe measured, kept for a day and a bit (the fill forecast).
record_samples() {
    local samples="$STATE_DIR/disk-samples"
    awk -v now="$NOW" '/^homelab_filesystem_free_bytes\{/ {match($0, /filesystem="[^"]*"/); print now, substr($0, RSTART + 12, RLENGTH - 13), $NF}' <<<"$1" >>"$samples"
    awk -v since="$((NOW - 90000))" '$1 >= since' "$samples" >"$samples.tmp" && mv "$samples.tmp" "$samples"
}

run() {
    mkdir -p "$STATE_DIR/checks" "$STATE_DIR/outbox"
    chmod 700 "$STATE_DIR"
    : >"$STATE_DIR/round.checks"
    local output section name verdict text metrics="" seen=" " file code=0
    output="$("$STATUS_COMMAND" 2>"$STATE_DIR/status.err")" || code=$?
    if ! grep -q $'^check\t' <<<"$output"; then
        observe watch/probe bad "homelab-status gave no verdicts (exit $code): $(tail -n 1 "$STATE_DIR/status.err")"
        seen="*"
    else
        [[ -f "$STATE_DIR/checks/watch_probe" ]] && observe watch/probe ok "homelab-status answers again"
        while IFS=$'\t' read -r kind section name verdict text; do
            case "$kind" in
                check)
                    observe "$section/$name" "$verdict" "$text"
                    seen+="$(safe_name "$section/$name") "
                    ;;
                metric) metrics+="$section $name"$'\n' ;;
            esac
        done <<<"$output"
    fi
    # Checks that are no longer reported (a failed backup run followed by a good one, an app switched off)
    # are forgotten; one that was announced as failing gets its recovery first.
    for file in "$STATE_DIR/checks"/*; do
        [[ -e "$file" && "$seen" != "*" && "$seen" != *" $(basename "$file") "* && "$(basename "$file")" != watch_probe ]] || continue
        load_state "$(sed -n 's/^id=//p' "$file")"
        [[ "${S[announced]}" == failing ]] && queue "${S[id]}" ok recovery "no longer reported by homelab-status"
        rm -f "$file"
    done
    deliver
    record_samples "$metrics"
    write_metrics "${metrics%$'\n'}"
    return 0
}

case "${1:-}" in
    run) run ;;
    *)
        echo "usage: homelab-watch run" >&2
        exit 2
        ;;
esac
