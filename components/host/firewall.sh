#!/usr/bin/env bash
# homelab firewall: UFW (default deny incoming, SSH always allowed first, proxy ports public, app ports LAN
# only) plus DOCKER-USER rules in /etc/ufw/after.rules (the ufw-docker approach) so that ports Docker
# publishes obey the same policy. Docker's DNAT happens before UFW's INPUT chain, so without these rules
# every published port would be open to the world.
#   create: idempotent; allows SSH_PORT before ufw is ever enabled
#   delete: removes exactly the rules it added (ufw rules commented "homelab ...", the after.rules block and
#           its live DOCKER-USER rules); disables ufw only if create enabled it. While ufw stays enabled the
#           SSH allow rule is kept, so a delete never locks the owner out.
# Variables: SSH_PORT, LAN_SUBNET, PUBLIC_PORTS, LAN_APP_PORTS, LAN_HOST_PORTS (host services such as
#            node_exporter: LAN sources only), DOCKER_SUBNET, and PEER_PORTS (optional, stacks on several
#            hosts): "port@address,address ..." for ports that only the listed hosts may reach.
set -euo pipefail

ACTION="${1:-}"
STEP="firewall"
trap 'echo "homelab: ${STEP} failed on $(hostname) (exit $?)" >&2' ERR

: "${SSH_PORT:?SSH_PORT is not set}" "${LAN_SUBNET:?LAN_SUBNET is not set}" "${DOCKER_SUBNET:?DOCKER_SUBNET is not set}"
PUBLIC_PORTS="${PUBLIC_PORTS:-}"
LAN_APP_PORTS="${LAN_APP_PORTS:-}"
LAN_HOST_PORTS="${LAN_HOST_PORTS:-}"
PEER_PORTS="${PEER_PORTS:-}"

STATE_DIR=/var/lib/homelab
STATE_FILE="$STATE_DIR/firewall.state"
AFTER_RULES=/etc/ufw/after.rules
BEGIN_MARK="# BEGIN HOMELAB DOCKER-USER (managed by homelab firewall.sh, do not edit)"
END_MARK="# END HOMELAB DOCKER-USER"
export DEBIAN_FRONTEND=noninteractive

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && (("$1" >= 1 && "$1" <= 65535)); }
is_cidr() { [[ "$1" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$ ]]; }
is_ipv4() { [[ "$1" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]]; }

STEP="firewall (invalid variables)"
is_port "$SSH_PORT" || fail "firewall (SSH_PORT is not a port: '$SSH_PORT')"
is_cidr "$LAN_SUBNET" || fail "firewall (LAN_SUBNET is not an IPv4 CIDR: '$LAN_SUBNET')"
is_cidr "$DOCKER_SUBNET" || fail "firewall (DOCKER_SUBNET is not an IPv4 CIDR: '$DOCKER_SUBNET')"
read -r -a PUBLIC <<<"$PUBLIC_PORTS"
read -r -a LAN_PORTS <<<"$LAN_APP_PORTS"
read -r -a HOST_PORTS <<<"$LAN_HOST_PORTS"
for port in "${PUBLIC[@]}" "${LAN_PORTS[@]}" "${HOST_PORTS[@]}"; do
    is_port "$port" || fail "firewall (not a port: '$port')"
done
# PEERS: one "port address" pair per line.
read -r -a PEER_ITEMS <<<"$PEER_PORTS"
PEERS=()
for item in "${PEER_ITEMS[@]}"; do
    port="${item%%@*}"
    is_port "$port" || fail "firewall (PEER_PORTS: not a port in '$item')"
    IFS=',' read -r -a peer_addresses <<<"${item#*@}"
    [[ "$item" == *@* && ${#peer_addresses[@]} -gt 0 ]] || fail "firewall (PEER_PORTS: '$item' is not port@address,...)"
    for address in "${peer_addresses[@]}"; do
        is_ipv4 "$address" || fail "firewall (PEER_PORTS: not an IPv4 address in '$item')"
        PEERS+=("$port $address")
    done
done

# The DOCKER-USER rules, in order (each line is the argument list after "-A DOCKER-USER").
docker_user_rules() {
    echo "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
    echo "-i docker0 -j RETURN"
    echo "-s $DOCKER_SUBNET -j RETURN"
    local port
    for port in "${PUBLIC[@]}"; do
        echo "-p tcp -m conntrack --ctstate DNAT --ctproto tcp --ctorigdstport $port -j RETURN"
    done
    for port in "${LAN_PORTS[@]}"; do
        echo "-s $LAN_SUBNET -p tcp -m conntrack --ctstate DNAT --ctproto tcp --ctorigdstport $port -j RETURN"
    done
    local peer address
    for peer in "${PEERS[@]}"; do
        read -r port address <<<"$peer"
        echo "-s $address/32 -p tcp -m conntrack --ctstate DNAT --ctproto tcp --ctorigdstport $port -j RETURN"
    done
    # Any other published port, and anything routed straight at a container address, is dropped.
    echo "-m conntrack --ctstate DNAT -j DROP"
    echo "-d $DOCKER_SUBNET -m conntrack --ctstate NEW -j DROP"
}

after_rules_block() {
    echo "$BEGIN_MARK"
    echo "*filter"
    echo ":DOCKER-USER - [0:0]"
    docker_user_rules | sed 's/^/-A DOCKER-USER /'
    # Docker's own terminal rule; declaring it here keeps a reload identical to a fresh boot.
    echo "-A DOCKER-USER -j RETURN"
    echo "COMMIT"
    echo "$END_MARK"
}

# after.rules without our block.
after_rules_without_block() {
    awk -v b="$BEGIN_MARK" -v e="$END_MARK" '$0 == b {skip = 1; next} $0 == e {skip = 0; next} !skip' "$AFTER_RULES"
}

ufw_active() { ufw status | grep -q '^Status: active'; }

# Our ufw rules as "ufw" arguments (rule spec, then comment).
ufw_rules() {
    local port
    for port in "${PUBLIC[@]}"; do echo "allow $port/tcp|homelab public"; done
    for port in "${LAN_PORTS[@]}" "${HOST_PORTS[@]}"; do echo "allow from $LAN_SUBNET to any port $port proto tcp|homelab lan"; done
    local peer address
    for peer in "${PEERS[@]}"; do
        read -r port address <<<"$peer"
        echo "allow from $address to any port $port proto tcp|homelab peer"
    done
}

# Rules this script added, as "ufw show added" prints them (recognised by their "homelab ..." comment).
added_homelab_rules() {
    ufw show added | grep -E "^ufw (allow|deny|reject|limit) [-A-Za-z0-9./: ]+ comment 'homelab [a-z]+'$" || true
}

# "ufw allow 80/tcp comment 'homelab public'" -> ufw delete allow 80/tcp comment "homelab public"
delete_added_rule() {
    local line="$1" spec comment
    spec="${line#ufw }"
    spec="${spec% comment *}"
    comment="$(sed -E "s/.* comment '(.*)'\$/\1/" <<<"$line")"
    # shellcheck disable=SC2086 # spec is a word list on purpose
    ufw delete $spec comment "$comment" >/dev/null
}

# The same rules in "ufw show added" form.
wanted_rules() {
    local spec comment
    while IFS='|' read -r spec comment; do echo "ufw $spec comment '$comment'"; done < <(ufw_rules)
}

restart_fail2ban_if_active() {
    # A ufw reload re-declares DOCKER-USER and so flushes fail2ban's jumps into its f2b-* chains.
    if systemctl is-active --quiet fail2ban 2>/dev/null; then
        STEP="firewall (restart fail2ban after ufw reload)"
        systemctl restart fail2ban
    fi
}

create() {
    STEP="firewall apt (install ufw)"
    if ! command -v ufw >/dev/null 2>&1 || ! command -v iptables >/dev/null 2>&1; then
        apt-get update -q </dev/null
        apt-get install -y -q --no-install-recommends ufw iptables </dev/null
    fi

    STEP="firewall (record state)"
    mkdir -p "$STATE_DIR"
    if [[ ! -f "$STATE_FILE" ]]; then
        {
            if ufw_active; then echo "UFW_WAS_ACTIVE=yes"; else echo "UFW_WAS_ACTIVE=no"; fi
            echo "DEFAULT_INCOMING=$(sed -n 's/^DEFAULT_INPUT_POLICY="\(.*\)"/\1/p' /etc/default/ufw | tr '[:upper:]' '[:lower:]')"
        } >"$STATE_FILE"
    fi

    # SSH first: nothing below may run before the owner's way in is allowed.
    STEP="firewall ufw (allow SSH port $SSH_PORT/tcp)"
    ufw allow "$SSH_PORT/tcp" comment "homelab ssh" >/dev/null
    ufw show added | grep -qE "^ufw allow $SSH_PORT/tcp( |$)" || fail "firewall ufw (SSH allow rule for $SSH_PORT/tcp missing)"

    STEP="firewall ufw (add rules)"
    local line spec comment
    while IFS='|' read -r spec comment; do
        # shellcheck disable=SC2086 # spec is a word list on purpose
        ufw $spec comment "$comment" >/dev/null
    done < <(ufw_rules)

    STEP="firewall ufw (remove homelab rules no longer wanted)"
    # A changed PUBLIC_PORTS/LAN_APP_PORTS re-runs create: drop what the previous run added and is now gone.
    # SSH allow rules are never removed here (the session running this script may depend on one).
    local wanted
    wanted="$(wanted_rules)"
    while read -r line; do
        [[ -z "$line" || "$line" == *"comment 'homelab ssh'" ]] && continue
        grep -qxF "$line" <<<"$wanted" || delete_added_rule "$line"
    done < <(added_homelab_rules)

    STEP="firewall ufw (default deny incoming)"
    if ! grep -q '^DEFAULT_INPUT_POLICY="DROP"' /etc/default/ufw; then
        ufw default deny incoming >/dev/null
    fi

    STEP="firewall ufw (DOCKER-USER rules in $AFTER_RULES)"
    local changed=no
    if { after_rules_without_block; after_rules_block; } | write_if_changed "$AFTER_RULES" 0640; then changed=yes; fi

    if ! ufw_active; then
        STEP="firewall ufw (enable)"
        ufw --force enable >/dev/null
        restart_fail2ban_if_active
    elif [[ "$changed" == yes ]]; then
        STEP="firewall ufw (reload)"
        ufw reload >/dev/null
        restart_fail2ban_if_active
    fi
    STEP="firewall (verify)"
    ufw_active || fail "firewall ufw (not active after enable)"
    for line in $(seq 1 3); do
        if iptables -C DOCKER-USER -m conntrack --ctstate DNAT -j DROP 2>/dev/null; then break; fi
        [[ "$line" == 3 ]] && fail "firewall (DOCKER-USER rules not loaded)"
        sleep 1
    done
    echo "homelab: firewall active on $(hostname): ssh $SSH_PORT, public [${PUBLIC[*]}], lan-only [${LAN_PORTS[*]}] from $LAN_SUBNET${PEER_PORTS:+, other hosts only [$PEER_PORTS]}"
}

delete() {
    local was_active=yes default_incoming=""
    if [[ -f "$STATE_FILE" ]]; then
        was_active="$(sed -n 's/^UFW_WAS_ACTIVE=//p' "$STATE_FILE")"
        default_incoming="$(sed -n 's/^DEFAULT_INCOMING=//p' "$STATE_FILE")"
    fi
    if ! command -v ufw >/dev/null 2>&1; then
        rm -f "$STATE_FILE"
        return 0
    fi

    STEP="firewall ufw (remove DOCKER-USER block from $AFTER_RULES)"
    # The rules to take out of the live chain are the ones in the block as written (whatever the variables
    # were then), except Docker's own final RETURN.
    local rule live_rules=""
    if [[ -f "$AFTER_RULES" ]]; then
        live_rules="$(awk -v b="$BEGIN_MARK" -v e="$END_MARK" '$0 == b {on = 1; next} $0 == e {on = 0} on && /^-A DOCKER-USER / {sub(/^-A DOCKER-USER /, ""); print}' "$AFTER_RULES" | grep -vx -- '-j RETURN' || true)"
        after_rules_without_block | write_if_changed "$AFTER_RULES" 0640 || true
    fi
    STEP="firewall (remove live DOCKER-USER rules)"
    while read -r rule; do
        [[ -z "$rule" ]] && continue
        # shellcheck disable=SC2086 # rule is a word list on purpose
        while iptables -C DOCKER-USER $rule 2>/dev/null; do iptables -D DOCKER-USER $rule; done
    done <<<"$live_rules"

    if [[ "$was_active" == no ]] && ufw_active; then
        STEP="firewall ufw (disable)"
        ufw --force disable >/dev/null
    fi

    STEP="firewall ufw (delete homelab rules)"
    local line keep_ssh=no
    ufw_active && keep_ssh=yes
    while read -r line; do
        [[ -z "$line" ]] && continue
        if [[ "$keep_ssh" == yes && "$line" == *"comment 'homelab ssh'" ]]; then
            echo "homelab: ufw stays active on $(hostname): keeping its SSH allow rule ($line)"
            continue
        fi
        delete_added_rule "$line"
    done < <(added_homelab_rules)
    if [[ -n "$default_incoming" && "$default_incoming" != drop ]]; then
        STEP="firewall ufw (restore default incoming policy)"
        case "$default_incoming" in
            accept) ufw default allow incoming >/dev/null ;;
            reject) ufw default reject incoming >/dev/null ;;
        esac
    fi
    rm -f "$STATE_FILE"
    rmdir "$STATE_DIR" 2>/dev/null || true
    echo "homelab: firewall rules removed on $(hostname)"
}

case "$ACTION" in
    create) create ;;
    delete) delete ;;
    *)
        echo "usage: firewall.sh create|delete" >&2
        exit 2
        ;;
esac
