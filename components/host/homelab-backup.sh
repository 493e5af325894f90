#!/usr/bin/env bash
# homelab-backup: installed by backup.sh as /usr/local/sbin/homelab-backup and run by homelab-backup.service.
#   run                  back up every homelab app volume (Docker volumes labelled homelab.app, caches left out)
#                        to the restic repository, one snapshot per volume, then apply the retention
#   restore APP [ID]     stop APP's container, put back its volumes (the latest snapshot of each, or snapshot
#                        ID), start it again if it was running
#   check                open the repository: exit 10 when it is missing, 12 on a wrong password
#   last                 the last good backup: "last_success=<epoch seconds>" (nothing when there was none)
#   snapshots [APP]      the repository's snapshots (of APP)
# SQLite databases are copied with SQLite's online backup (sqlite3 ".backup") into a staging folder and saved
# from there; the live files (and their -wal/-shm/-journal) are never read by restic. Logs, caches and
# transcodes are left out. Settings come from /etc/homelab/backup.env (written by backup.sh).
set -euo pipefail

ENV_FILE=/etc/homelab/backup.env
STATE_DIR=/var/lib/homelab
STAGING="$STATE_DIR/backup-staging"
LAST_FILE="$STATE_DIR/backup.last"
HOST_TAG=homelab
# Left out of every volume: restic patterns without a slash match a file or folder name anywhere.
EXCLUDES=(logs log cache Cache caches transcodes Transcodes crashreports MediaCover '*.log' '*.log.[0-9]*' 'logs.db*' '*.pid')

die() {
    echo "homelab: $1" >&2
    exit "${2:-1}"
}

if [[ ! -r "$ENV_FILE" ]]; then die "backups are not set up on $(hostname) ($ENV_FILE missing): set homelab:backup.repository and run pulumi up" 3; fi
# shellcheck source=/dev/null
. "$ENV_FILE"
: "${RESTIC_REPOSITORY:?}" "${RESTIC_PASSWORD_FILE:?}" "${DOCKER_ROOT:?}" "${KEEP_DAILY:?}" "${KEEP_WEEKLY:?}" "${KEEP_MONTHLY:?}"
export RESTIC_REPOSITORY RESTIC_PASSWORD_FILE
export RESTIC_CACHE_DIR=/var/cache/homelab-restic

# Opens the repository; on failure says why in one line (restic 0.14 has no distinct exit codes for these).
check_repository() {
    local out
    if out="$(restic cat config 2>&1 >/dev/null)"; then return 0; fi
    case "$out" in
        *"wrong password"*) die "wrong password for the backup repository $RESTIC_REPOSITORY (it was initialised with another password)" 12 ;;
        *"Is there a repository"* | *"no such file or directory"*) die "no backup repository at $RESTIC_REPOSITORY on $(hostname) (is the disk mounted?)" 10 ;;
        *) die "cannot open the backup repository $RESTIC_REPOSITORY: $(printf '%s' "$out" | tail -n 1)" 11 ;;
    esac
}

# "<volume> <app>" for every homelab volume except caches.
app_volumes() {
    docker volume ls --filter label=homelab.app --format '{{.Name}} {{.Label "homelab.app"}}' |
        awk '$1 !~ /-cache$/' | sort
}

volume_dir() { echo "$DOCKER_ROOT/volumes/$1/_data"; }

is_excluded() {
    local part pattern parts=()
    IFS=/ read -r -a parts <<<"$1"
    for part in "${parts[@]}"; do
        for pattern in "${EXCLUDES[@]}"; do
            # shellcheck disable=SC2254 # the patterns are globs on purpose
            case "$part" in $pattern) return 0 ;; esac
        done
    done
    return 1
}

# SQLite databases of a volume (by their header), relative paths, excluded folders skipped.
sqlite_files() {
    local dir="$1" file
    while IFS= read -r -d '' file; do
        if [[ "$(head -c 15 "$file" 2>/dev/null)" == "SQLite format 3" ]] && ! is_excluded "${file#"$dir"/}"; then
            printf '%s\n' "${file#"$dir"/}"
        fi
    done < <(find "$dir" -type f \( -name '*.db' -o -name '*.sqlite' -o -name '*.sqlite3' -o -name '*.db3' \) -size +99c -print0)
}

# Consistent copies of the volume's databases under STAGING/<volume>/, same relative paths, owner and mode.
stage_databases() {
    local volume="$1" dir stage rel try
    dir="$(volume_dir "$volume")"
    stage="$STAGING/$volume"
    rm -rf "$stage"
    mkdir -p "$stage"
    while IFS= read -r rel; do
        mkdir -p "$(dirname "$stage/$rel")"
        for try in 1 2 3; do
            # One read transaction around the copy: the backup reads one snapshot, so an app that keeps
            # writing cannot make it start over again and again (the shell's .backup copies 100 pages a step
            # and restarts whenever another connection changed the database between two steps).
            if sqlite3 "$dir/$rel" ".timeout 30000" "BEGIN" ".output /dev/null" "SELECT count(*) FROM sqlite_master" \
                ".output stdout" ".backup '$stage/$rel'" "COMMIT" &&
                [[ "$(sqlite3 "$stage/$rel" 'PRAGMA integrity_check;')" == ok ]]; then
                break
            fi
            if [[ "$try" == 3 ]]; then die "the online backup of $volume/$rel failed three times"; fi
            sleep 2
        done
        chown --reference="$dir/$rel" "$stage/$rel"
        chmod --reference="$dir/$rel" "$stage/$rel"
        # The live database and its companions stay out of the snapshot (restic patterns: escape globs).
        printf '%s\n' "$dir/$rel" "$dir/$rel-wal" "$dir/$rel-shm" "$dir/$rel-journal" | sed 's/[][*?\\]/\\&/g' >>"$stage.exclude"
    done < <(sqlite_files "$dir")
}

run_backup() {
    exec 9>/run/lock/homelab-backup.lock
    flock -n 9 || die "another backup is running"
    check_repository
    mkdir -p "$STAGING"
    local volume app failed=0 excludes=() pattern count=0
    for pattern in "${EXCLUDES[@]}"; do excludes+=(--exclude "$pattern"); done
    while read -r volume app; do
        [[ -n "$volume" ]] || continue
        rm -f "$STAGING/$volume.exclude"
        touch "$STAGING/$volume.exclude"
        stage_databases "$volume"
        if restic backup --quiet --host "$HOST_TAG" --tag homelab --tag "app=$app" --tag "volume=$volume" \
            "${excludes[@]}" --exclude-file "$STAGING/$volume.exclude" \
            "$(volume_dir "$volume")" "$STAGING/$volume"; then
            count=$((count + 1))
            echo "homelab: backed up $volume ($app)"
        else
            failed=1
            echo "homelab: backup of $volume ($app) failed" >&2
        fi
        rm -rf "${STAGING:?}/$volume" "$STAGING/$volume.exclude"
    done < <(app_volumes)
    restic forget --quiet --host "$HOST_TAG" --tag homelab --group-by host,tags \
        --keep-daily "$KEEP_DAILY" --keep-weekly "$KEEP_WEEKLY" --keep-monthly "$KEEP_MONTHLY" --prune
    if [[ "$failed" != 0 ]]; then die "backup incomplete: see above"; fi
    printf 'last_success=%s\nvolumes=%s\n' "$(date +%s)" "$count" >"$LAST_FILE.tmp"
    mv "$LAST_FILE.tmp" "$LAST_FILE"
    echo "homelab: backup done: $count volumes to $RESTIC_REPOSITORY"
}

# The volumes a snapshot list mentions (from the tags), one per line.
volumes_in() { { grep -o '"volume=[^"]*"' || true; } | tr -d '"' | sed 's/^volume=//' | sort -u; }

restore_volume() {
    local volume="$1" app="$2" snapshot="$3" root tmp restored data stage
    root="$DOCKER_ROOT/volumes/$volume"
    if ! docker volume inspect "$volume" >/dev/null 2>&1; then
        docker volume create --label "homelab.app=$app" "$volume" >/dev/null
    fi
    tmp="$root/restore.homelab"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    if [[ "$snapshot" == latest ]]; then
        restic restore latest --quiet --host "$HOST_TAG" --tag "volume=$volume" --target "$tmp"
    else
        restic restore "$snapshot" --quiet --target "$tmp"
    fi
    # The snapshot holds <docker root>/volumes/<volume>/_data and the staged databases.
    restored="$(find "$tmp" -type d -path "*/volumes/$volume/_data" -prune -print -quit)"
    stage="$(find "$tmp" -type d -path "*/backup-staging/$volume" -prune -print -quit)"
    [[ -n "$restored" ]] || die "snapshot $snapshot holds no data of $volume"
    if [[ -n "$stage" ]]; then
        (cd "$stage" && find . -type f -print0) | while IFS= read -r -d '' file; do
            cp -a "$stage/$file" "$restored/$file"
        done
    fi
    data="$root/_data"
    if [[ -d "$data" ]]; then mv "$data" "$root/_data.homelab-old"; fi
    mv "$restored" "$data"
    rm -rf "$tmp" "$root/_data.homelab-old"
    echo "homelab: restored $volume from snapshot $snapshot"
}

restore() {
    local app="$1" snapshot="${2:-latest}" volumes volume was_running=no listing
    [[ "$app" =~ ^[a-z0-9-]+$ ]] || die "not an app name: '$app'" 2
    check_repository
    if [[ "$snapshot" == latest ]]; then
        listing="$(restic snapshots --json --host "$HOST_TAG" --tag "app=$app")"
    else
        [[ "$snapshot" =~ ^[0-9a-f]{8,64}$ ]] || die "not a snapshot id: '$snapshot' (see: homelab-backup snapshots $app)" 2
        listing="$(restic snapshots --json "$snapshot" 2>/dev/null)" || true
        grep -q '"short_id"' <<<"$listing" || die "no snapshot $snapshot in $RESTIC_REPOSITORY" 2
        grep -q "\"app=$app\"" <<<"$listing" || die "snapshot $snapshot is not a backup of $app" 2
    fi
    volumes="$(volumes_in <<<"$listing")"
    [[ -n "$volumes" ]] || die "no backup of $app in $RESTIC_REPOSITORY" 4
    if [[ "$(docker inspect -f '{{.State.Running}}' "$app" 2>/dev/null)" == true ]]; then
        was_running=yes
        docker stop -t 30 "$app" >/dev/null
        echo "homelab: stopped $app"
    fi
    while read -r volume; do restore_volume "$volume" "$app" "$snapshot"; done <<<"$volumes"
    if [[ "$was_running" == yes ]]; then
        docker start "$app" >/dev/null
        echo "homelab: started $app"
    elif ! docker inspect "$app" >/dev/null 2>&1; then
        echo "homelab: there is no container $app: pulumi up creates it with the restored volume"
    fi
}

case "${1:-}" in
    run) run_backup ;;
    restore) restore "${2:?usage: homelab-backup restore APP [SNAPSHOT]}" "${3:-latest}" ;;
    check) check_repository && echo "homelab: backup repository $RESTIC_REPOSITORY is ok" ;;
    last) if [[ -r "$LAST_FILE" ]]; then cat "$LAST_FILE"; fi ;;
    snapshots)
        check_repository
        if [[ -n "${2:-}" ]]; then restic snapshots --host "$HOST_TAG" --tag "app=$2"; else restic snapshots --host "$HOST_TAG"; fi
        ;;
    *)
        echo "usage: homelab-backup run|restore APP [SNAPSHOT]|check|last|snapshots [APP]" >&2
        exit 2
        ;;
esac
