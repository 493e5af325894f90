#!/usr/bin/env bash
# homelab data tree: DATA_ROOT/{torrents,media}/<kind> for each of MEDIA_KINDS, owned by PUID:PGID,
# mode 2775 (group-writable, setgid) so every app shares one group and imports are hardlinks.
#   create: make the tree (idempotent: mkdir -p, chown, chmod; existing content is never touched)
#   delete: remove the directories of the tree that are EMPTY (media is never deleted)
# Variables: DATA_ROOT, PUID, PGID, MEDIA_KINDS (space-separated).
set -euo pipefail

ACTION="${1:-}"
STEP="data-tree"
trap 'echo "homelab: ${STEP} failed on $(hostname) (exit $?)" >&2' ERR

: "${DATA_ROOT:?DATA_ROOT is not set}" "${PUID:?PUID is not set}" "${PGID:?PGID is not set}" "${MEDIA_KINDS:?MEDIA_KINDS is not set}"

if [[ "$DATA_ROOT" != /* || "$DATA_ROOT" == "/" || "$DATA_ROOT" == *..* ]]; then
    STEP="data-tree (DATA_ROOT must be an absolute path other than /: '$DATA_ROOT')"
    false
fi
if ! [[ "$PUID" =~ ^[0-9]+$ && "$PGID" =~ ^[0-9]+$ ]]; then
    STEP="data-tree (PUID/PGID must be numeric: '$PUID:$PGID')"
    false
fi
read -r -a KINDS <<<"$MEDIA_KINDS"
for kind in "${KINDS[@]}"; do
    if ! [[ "$kind" =~ ^[a-z0-9_-]+$ ]]; then
        STEP="data-tree (invalid media kind '$kind')"
        false
    fi
done

# Directories the tree consists of, parents first.
tree_dirs() {
    echo "$DATA_ROOT"
    local top kind
    for top in torrents media; do
        echo "$DATA_ROOT/$top"
        for kind in "${KINDS[@]}"; do echo "$DATA_ROOT/$top/$kind"; done
    done
}

case "$ACTION" in
    create)
        STEP="data-tree create"
        while read -r dir; do
            mkdir -p "$dir"
            # Only the directory itself: files the apps wrote keep their owners.
            chown "$PUID:$PGID" "$dir"
            chmod 2775 "$dir"
        done < <(tree_dirs)
        echo "homelab: data tree ready under $DATA_ROOT (owner $PUID:$PGID, mode 2775) on $(hostname)"
        ;;
    delete)
        STEP="data-tree delete"
        # Children first; rmdir refuses non-empty directories, so no media is ever lost.
        while read -r dir; do
            if [[ -d "$dir" ]] && ! rmdir "$dir" 2>/dev/null; then
                echo "homelab: kept non-empty $dir on $(hostname)"
            fi
        done < <(tree_dirs | tac)
        ;;
    *)
        echo "usage: data-tree.sh create|delete" >&2
        exit 2
        ;;
esac
