# Functions every host script shares; renderRemoteScript puts this file before the script's own body.

# Stops the script with the one line a user sees: which step failed on which host (an explicit exit: a
# function called after "||" would not trip ERR).
fail() {
    STEP="$1"
    echo "homelab: ${STEP} failed on $(hostname)" >&2
    exit 1
}

# Writes stdin to the file $1 (mode $2) when the content differs; returns 0 when the file changed.
write_if_changed() {
    local target="$1" mode="$2" tmp
    tmp="$(mktemp "$target.homelab.XXXXXX")"
    cat >"$tmp"
    if [[ -f "$target" ]] && cmp -s "$tmp" "$target"; then
        rm -f "$tmp"
        return 1
    fi
    chmod "$mode" "$tmp"
    mv "$tmp" "$target"
    return 0
}
