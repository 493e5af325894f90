#!/usr/bin/env bash
# homelab config-move: carries an app's config volume to the host `homelab:placement` now names. It runs on the
# deploying machine (a local command, over SSH to each host with the stack's pinned keys), when the app's
# host changes and before its container is created there; Pulumi then removes the old container. Config
# volumes are local to their host on purpose (SQLite on a NAS share locks or corrupts), so a move copies one.
#   create: looks for the volume on the other hosts. None there: nothing to move (a new app). On one host:
#           stops the app's container there, copies the volume's files to the app's host over SSH (owners and
#           modes kept), checks the copy, and sets the old files aside on that host (MOVED_DIR/<volume>.<time>),
#           so the volume is found on one host only, and moving the app back later works. Refused, with the
#           reason and nothing stopped or copied: the volume holds files on several other hosts (which one is
#           current?), or already holds files on the app's host (a copy would overwrite them).
#   delete: nothing (the volume stays: config volumes are kept on delete).
# Variables: APP (its container name), VOLUME, VOLUME_DIR (the volume's data under Docker's root),
#   TARGET (the app's host name), TARGET_SHELL (the ssh command line that runs `bash` there as root, e.g.
#   `ssh -o ... root@192.168.1.11 bash`), OTHERS ("<name>=<such a command line>" per line, the other hosts),
#   MOVED_DIR (where the old files are set aside).
set -euo pipefail

ACTION="${1:-}"
STEP="config-move"
trap 'echo "homelab: ${STEP} failed (exit $?)" >&2' ERR

: "${APP:?APP is not set}" "${VOLUME:?VOLUME is not set}" "${VOLUME_DIR:?VOLUME_DIR is not set}"
: "${TARGET:?TARGET is not set}" "${TARGET_SHELL:?TARGET_SHELL is not set}"
OTHERS="${OTHERS:-}"
MOVED_DIR="${MOVED_DIR:-/var/lib/homelab/moved}"

on() { bash -c "$1 -s" <<<"$2"; }

# "files" when the volume exists and holds anything, "empty" when it exists without files, "none" otherwise.
volume_state() {
    on "$1" "if [ ! -d '$VOLUME_DIR' ]; then echo none; elif [ -n \"\$(find '$VOLUME_DIR' -mindepth 1 -print -quit)\" ]; then echo files; else echo empty; fi"
}

# "<entries> <bytes of regular files>" of the volume: what the copy must reproduce.
volume_size() {
    on "$1" "cd '$VOLUME_DIR' && echo \"\$(find . | wc -l) \$(find . -type f -printf '%s\\n' | awk '{ s += \$1 } END { print s + 0 }')\""
}

create() {
    local name shell sources=() shells=() target_state
    while IFS='=' read -r name shell; do
        [[ -n "$name" ]] || continue
        STEP="config-move (look for $VOLUME on host $name)"
        if [[ "$(volume_state "$shell")" == files ]]; then
            sources+=("$name")
            shells+=("$shell")
        fi
    done <<<"$OTHERS"
    if ((${#sources[@]} == 0)); then
        echo "homelab: $APP's config volume $VOLUME is on no other host: nothing to move to $TARGET"
        return 0
    fi
    if ((${#sources[@]} > 1)); then
        echo "homelab: $APP cannot move to $TARGET: its config volume $VOLUME holds files on hosts ${sources[*]}, and only one can be its config. Remove the stale one (docker volume rm $VOLUME on that host) and run pulumi up again" >&2
        exit 1
    fi
    STEP="config-move (look for $VOLUME on host $TARGET)"
    target_state="$(volume_state "$TARGET_SHELL")"
    if [[ "$target_state" == files ]]; then
        echo "homelab: $APP cannot move from ${sources[0]} to $TARGET: $TARGET already has a config volume $VOLUME with files, which the move would overwrite. Keep the one you want: remove the other (docker volume rm $VOLUME on that host), or place $APP back on ${sources[0]}" >&2
        exit 1
    fi
    [[ "$target_state" == empty ]] || fail "config-move ($VOLUME does not exist on $TARGET yet: it is created before this step)"
    STEP="config-move (stop $APP on ${sources[0]})"
    on "${shells[0]}" "docker stop '$APP' >/dev/null 2>&1 || true"
    STEP="config-move (copy $VOLUME from ${sources[0]} to $TARGET)"
    # ssh hands its remote command to the remote shell as one string: the inner quotes survive the trip.
    on "${shells[0]}" "tar -C '$VOLUME_DIR' -cf - ." | bash -c "$TARGET_SHELL -c \"'tar -C $VOLUME_DIR -xpf -'\""
    local from to
    from="$(volume_size "${shells[0]}")"
    to="$(volume_size "$TARGET_SHELL")"
    [[ "$from" == "$to" ]] || fail "config-move (the copy of $VOLUME on $TARGET differs: $to files/bytes, ${sources[0]} has $from)"
    STEP="config-move (set the old files of $VOLUME aside on ${sources[0]})"
    local aside
    aside="$MOVED_DIR/$VOLUME.$(date -u +%Y%m%dT%H%M%SZ)"
    on "${shells[0]}" "set -e; mkdir -p '$aside'; find '$VOLUME_DIR' -mindepth 1 -maxdepth 1 -exec mv -t '$aside' {} +"
    echo "homelab: moved $APP's config volume $VOLUME from ${sources[0]} to $TARGET ($from entries/bytes); the old files are kept on ${sources[0]} in $aside"
}

case "$ACTION" in
    create) create ;;
    delete) echo "homelab: config-move keeps $VOLUME wherever it is" ;;
    *) fail "config-move (unknown action '$ACTION')" ;;
esac
