#!/usr/bin/env bash
# homelab data tree: DATA_ROOT/{torrents,media}/<kind> for each of MEDIA_KINDS, owned by PUID:PGID,
# mode 2775 (group-writable, setgid) so every app shares one group and imports are hardlinks.
#   create: make the tree (idempotent: mkdir -p, chown, chmod where they differ; existing content is never
#           touched), then check as PUID:PGID that a file written under torrents/ is owned by PUID:PGID and can
#           be hardlinked into media/: a failure stops the deploy with the reason (imports would be copies).
#   delete: remove the directories of the tree that are EMPTY (media is never deleted)
# Variables: DATA_ROOT, PUID, PGID, MEDIA_KINDS (space-separated), STORAGE (local|nfs|smb: the advice on
#            failure), STORAGE_SOURCE (where the data root comes from, named in messages).
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

STORAGE="${STORAGE:-local}"
STORAGE_SOURCE="${STORAGE_SOURCE:-local disk}"

# What to change on the NAS when the check fails, per storage kind.
advice() {
    case "$1:$STORAGE" in
        cross-device:nfs) echo "torrents/ and media/ must be on ONE export and dataset of the NAS (two exports or datasets fail with EXDEV): export their common parent once" ;;
        cross-device:smb) echo "torrents/ and media/ must be on ONE share and volume of the NAS: share their common parent" ;;
        cross-device:*) echo "torrents/ and media/ must be on one filesystem: do not mount anything at or under them" ;;
        no-links:smb) echo "the NAS refuses hardlinks over SMB: turn on Unix extensions for the share on the server (Samba: unix extensions = yes), or use NFS" ;;
        no-links:nfs) echo "the NAS refuses hardlinks on this export: use a filesystem that supports them (not exFAT/FAT) for the dataset" ;;
        owner:nfs) echo "the NAS maps the media user to another owner (root_squash/all_squash/anonuid): map uid $PUID / gid $PGID for this client or turn squashing off" ;;
        owner:smb) echo "mount with uid=$PUID,gid=$PGID (the default) so the media user owns the files" ;;
        write:nfs) echo "give uid $PUID / gid $PGID write access on the export (owner of the data folder, or no squashing)" ;;
        write:smb) echo "give the NAS user of homelab:storage.username write access to the share" ;;
        *) echo "the data root must be writable by $PUID:$PGID" ;;
    esac
}

# As the media user: write under torrents/, check the owner, hardlink into media/, read it back there.
check_hardlinks() {
    local name=".homelab-hardlink-check.$$" source target out owner
    source="$DATA_ROOT/torrents/$name"
    target="$DATA_ROOT/media/$name"
    as_media() { setpriv --reuid="$PUID" --regid="$PGID" --clear-groups -- "$@"; }
    cleanup_check() { rm -f "$target" "$source"; }
    # shellcheck disable=SC2016 # $1 is expanded by the inner shell, running as the media user
    if ! out="$(as_media sh -c 'echo homelab > "$1"' sh "$source" 2>&1)"; then
        cleanup_check
        fail "hardlink check (uid $PUID / gid $PGID cannot write under $DATA_ROOT/torrents on $STORAGE_SOURCE: ${out##*: }; $(advice write))"
    fi
    owner="$(stat -c %u:%g "$source")"
    if [[ "$owner" != "$PUID:$PGID" ]]; then
        cleanup_check
        fail "hardlink check (a file written by $PUID:$PGID on $STORAGE_SOURCE is owned by $owner; $(advice owner))"
    fi
    if ! out="$(as_media ln "$source" "$target" 2>&1)"; then
        cleanup_check
        if [[ "$out" == *"cross-device"* ]]; then
            fail "hardlink check (torrents/ and media/ are on different filesystems, imports would be full copies: $(advice cross-device))"
        fi
        fail "hardlink check (a file under torrents/ cannot be hardlinked into media/ on $STORAGE_SOURCE: ${out##*: }; $(advice no-links))"
    fi
    if ! as_media cmp -s "$source" "$target"; then
        cleanup_check
        fail "hardlink check (the link in media/ does not read back what was written under torrents/ on $STORAGE_SOURCE)"
    fi
    cleanup_check
}

case "$ACTION" in
    create)
        STEP="data-tree create"
        while read -r dir; do
            mkdir -p "$dir"
            # Only the directory itself: files the apps wrote keep their owners. Changed only where it differs
            # (an SMB share shows fixed owners and modes: uid=/gid=/dir_mode=).
            if [[ "$(stat -c %u:%g "$dir")" != "$PUID:$PGID" ]]; then chown "$PUID:$PGID" "$dir"; fi
            if [[ "$(stat -c %a "$dir")" != 2775 ]]; then chmod 2775 "$dir"; fi
        done < <(tree_dirs)
        check_hardlinks
        echo "homelab: data tree ready under $DATA_ROOT (owner $PUID:$PGID, mode 2775, hardlinks from torrents/ to media/ work) on $(hostname)"
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
