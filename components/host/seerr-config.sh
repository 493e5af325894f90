#!/usr/bin/env bash
# homelab seerr-config: hands the request app's config volume to the user Seerr runs as, before Seerr starts.
# Jellyseerr ran as root, so a volume it wrote holds root-owned files (settings.json, db/db.sqlite3 and its
# -wal/-shm, logs/); Seerr runs as the image's user (node, 1000:1000) and must read and write all of them
# (it saves settings.json through a temporary file in the same folder). Seerr's migration guide says to
# chown the config folder to 1000:1000; this step does it through Docker, on the volume itself.
#   create: idempotent; stops the old Jellyseerr container if it still runs (it would keep writing root-owned
#           files; Pulumi removes it next), then gives every file of the volume that the user does not own
#           to that user. Nothing else in the volume changes. A volume that does not exist yet is left alone.
#   delete: nothing (the volume and its data stay).
# Variables: VOLUME (config volume name), CONFIG_PATH (where the app mounts it), IMAGE (the app's image,
#            already pulled: its shell and chown do the work), OWNER (uid:gid), OLD_CONTAINER (name of the
#            container the app replaces).
set -euo pipefail

ACTION="${1:-}"
STEP="seerr-config"
trap 'echo "homelab: ${STEP} failed on $(hostname) (exit $?)" >&2' ERR

: "${VOLUME:?VOLUME is not set}" "${CONFIG_PATH:?CONFIG_PATH is not set}" "${IMAGE:?IMAGE is not set}"
: "${OWNER:?OWNER is not set}" "${OLD_CONTAINER:?OLD_CONTAINER is not set}"

[[ "$OWNER" =~ ^[0-9]+:[0-9]+$ ]] || fail "seerr-config (OWNER is not uid:gid: '$OWNER')"
[[ "$CONFIG_PATH" =~ ^/[A-Za-z0-9/_.-]+$ ]] || fail "seerr-config (CONFIG_PATH is not an absolute path: '$CONFIG_PATH')"

create() {
    if [[ "$(docker container inspect -f '{{.State.Running}}' "$OLD_CONTAINER" 2>/dev/null || true)" == "true" ]]; then
        STEP="seerr-config (stop $OLD_CONTAINER)"
        docker stop "$OLD_CONTAINER" >/dev/null
        echo "homelab: stopped $OLD_CONTAINER on $(hostname); its data in $VOLUME is handed to the app that replaces it"
    fi
    if ! docker volume inspect "$VOLUME" >/dev/null 2>&1; then
        echo "homelab: $VOLUME does not exist yet on $(hostname): nothing to hand over"
        return 0
    fi
    STEP="seerr-config (ownership of $VOLUME)"
    local uid="${OWNER%%:*}" gid="${OWNER##*:}" changed
    # Only the files that are not the user's yet; the count tells whether this run changed anything.
    # shellcheck disable=SC2016 # expanded by the container's shell
    changed="$(docker run --rm --network none --user 0:0 --cap-drop ALL --cap-add CHOWN --cap-add DAC_OVERRIDE \
        --cap-add DAC_READ_SEARCH --cap-add FOWNER --security-opt no-new-privileges --entrypoint /bin/sh \
        -v "$VOLUME:$CONFIG_PATH" "$IMAGE" -c \
        'n="$(find "$1" \( ! -user "$2" -o ! -group "$3" \) | wc -l)"; [ "$n" -eq 0 ] || chown -R -h "$2:$3" "$1"; echo "$n"' \
        seerr-config "$CONFIG_PATH" "$uid" "$gid")"
    echo "homelab: $VOLUME on $(hostname): ${changed//[[:space:]]/} file(s) handed to $OWNER"
}

case "$ACTION" in
    create) create ;;
    delete) echo "homelab: $VOLUME keeps its data on $(hostname)" ;;
    *) fail "seerr-config (unknown action '$ACTION')" ;;
esac
