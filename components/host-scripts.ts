/**
 * The shell scripts HostHardening runs on the host, and how a script plus its variables becomes the one
 * command string a `remote.Command` sends over SSH. The scripts live as real files in `components/host/`
 * (linted by shellcheck in the host suite); each takes `create` or `delete` as its first argument.
 */
import * as fs from "fs";
import * as path from "path";

/** Variables of each script; every value reaches the script as an exported shell variable. */
export interface HostScriptVariables {
    "data-tree": {
        DATA_ROOT: string;
        PUID: number;
        PGID: number;
        /** Space-separated media kinds, e.g. "tv movies music books". */
        MEDIA_KINDS: string;
        /** local, nfs or smb: what the hardlink check's failure message advises. */
        STORAGE: string;
        /** Where the data root comes from (`server:/export`, `//server/share`, or the server's disk). */
        STORAGE_SOURCE: string;
    };
    "data-mount": {
        DATA_ROOT: string;
        /** `systemd-escape --path --suffix=mount DATA_ROOT`. */
        MOUNT_UNIT: string;
        /** The unit's What=, Type= and Options=. */
        MOUNT_WHAT: string;
        MOUNT_TYPE: string;
        MOUNT_OPTIONS: string;
        /** SMB: where the credentials file is written (mode 600); empty otherwise. */
        CREDENTIALS_FILE: string;
        /** SMB, create only: the credentials file's text (a secret: stdin only, see SECRET_VARIABLES). */
        CREDENTIALS?: string;
        /** Seconds one mount attempt may take (default 60). */
        MOUNT_TIMEOUT?: number;
        /** How often the mount is retried while the NAS is away (systemd time span, default 30s). */
        RETRY_INTERVAL?: string;
    };
    firewall: {
        SSH_PORT: number;
        LAN_SUBNET: string;
        /** Space-separated TCP ports open to everyone (the reverse proxy). */
        PUBLIC_PORTS: string;
        /** Space-separated TCP ports published by containers on the LAN bind address: LAN sources only. */
        LAN_APP_PORTS: string;
        /** Space-separated TCP ports of host services (node_exporter): LAN sources only, ufw only. */
        LAN_HOST_PORTS?: string;
        /** The stack's Docker bridge subnet. */
        DOCKER_SUBNET: string;
        /**
         * Stacks on several hosts: `port@address,address` items (space-separated) for ports that only the other
         * hosts that call them may reach. Absent on a single host.
         */
        PEER_PORTS?: string;
    };
    fail2ban: {
        SSH_PORT: number;
        /**
         * One jail per line: `<jail name>|<filter kind>|<log path on the host>|<uid:gid the app writes as>[|link]`;
         * kinds: servarr, jellyfin, qbittorrent, seerr. A missing log is created with that owner, except
         * a `link` (the app's own link to its current log), which is waited for and never created.
         */
        JAILS: string;
        /** The stack's Docker subnet: never banned (the reverse proxy's address is in it). */
        DOCKER_SUBNET: string;
        /** Stacks on several hosts: the other hosts' LAN addresses (space-separated), never banned. */
        PEER_ADDRESSES?: string;
        /**
         * How long (in all) to wait for apps that have just started to fill their volume and write their
         * log before a jail is skipped.
         */
        LOG_WAIT_SECONDS: number;
        BAN_TIME: string;
        FIND_TIME: string;
        MAX_RETRY: number;
    };
    backup: {
        /** Absolute path on the host (USB disk, NAS mount) or `sftp:user@host:/path`. */
        REPOSITORY: string;
        /** The repository password: create only (a secret: stdin only, see SECRET_VARIABLES). */
        PASSWORD?: string;
        /** systemd calendar expression of the timer. */
        SCHEDULE: string;
        KEEP_DAILY: number;
        KEEP_WEEKLY: number;
        KEEP_MONTHLY: number;
        /** Docker's data root: volumes are under `<root>/volumes/<name>/_data`. */
        DOCKER_ROOT: string;
        /** The text of homelab-backup.sh, installed as /usr/local/sbin/homelab-backup. */
        RUNNER: string;
    };
    "seerr-config": {
        /** Seerr's config volume (Jellyseerr's, carried over). */
        VOLUME: string;
        CONFIG_PATH: string;
        /** Seerr's image reference (pulled before the step runs). */
        IMAGE: string;
        /** uid:gid Seerr runs as. */
        OWNER: string;
        /** The container Seerr replaces (Jellyseerr's). */
        OLD_CONTAINER: string;
    };
    "config-move": {
        /** The app's container name. */
        APP: string;
        VOLUME: string;
        /** The volume's data directory under Docker's root (the same on every host: homelab:dockerRoot). */
        VOLUME_DIR: string;
        /** The app's host now, and the ssh command line that runs `bash` there as root. */
        TARGET: string;
        TARGET_SHELL: string;
        /** `<host name>=<ssh command line>` per line, for the stack's other hosts. */
        OTHERS: string;
    };
    "seerr-restart": {
        CONTAINER: string;
        PORT: number;
        WAIT_SECONDS: number;
    };
    watch: {
        /** The text of /etc/homelab/status.env: the variables of homelab-status (statusVariables). */
        STATUS_ENV: string;
        /** The text of scripts/status-probe.sh, installed as /usr/local/sbin/homelab-status. */
        PROBE: string;
        /** The text of homelab-watch.sh, installed as /usr/local/sbin/homelab-watch. */
        RUNNER: string;
        /** Seconds between rounds, between reminders, of grace for the forwarded port; changes per hour. */
        INTERVAL: number;
        REPEAT: number;
        PORT_GRACE: number;
        FLAP_LIMIT: number;
        /** The alert channels as shell assignments, tokens included: create only, sent on stdin. */
        ALERTS_ENV?: string;
        METRICS: "yes" | "no";
        /** Where node_exporter listens: the LAN bind address (or 127.0.0.1) and its port. */
        METRICS_LISTEN: string;
    };
    "vpn-recovery": {
        /** `homelab.app` label value of the VPN gateway container. */
        GATEWAY_APP: string;
        /** `<label>=<value>` that marks the containers in the gateway's network namespace. */
        MEMBER_LABEL: string;
    };
}

export type HostScript = keyof HostScriptVariables;
export type HostScriptAction = "create" | "delete";

/**
 * Variables that hold a secret. They only ever travel on the SSH session's stdin (renderStdinScript), never in
 * a command string: sshd runs that string as `$SHELL -c <command>`, in every process list while it runs.
 */
export const SECRET_VARIABLES: { readonly [S in HostScript]?: readonly (keyof HostScriptVariables[S] & string)[] } = {
    backup: ["PASSWORD"],
    "data-mount": ["CREDENTIALS"],
    watch: ["ALERTS_ENV"],
};

export const HOST_SCRIPT_DIR = path.join(__dirname, "host");
/** Functions every script uses (fail, write_if_changed), put before each script's body. */
export const HOST_SCRIPT_COMMON = path.join(HOST_SCRIPT_DIR, "common.sh");
const HEREDOC_END = "HOMELAB_SCRIPT_EOF";

/** The runner the backup step installs on the host (a real file beside the scripts, shellchecked with them). */
export const BACKUP_RUNNER = "homelab-backup";

export function hostScriptPath(script: HostScript | typeof BACKUP_RUNNER): string {
    return path.join(HOST_SCRIPT_DIR, `${script}.sh`);
}

/**
 * One script run with nothing on the command line but `bash -s -- <action>`: the variables and the script
 * arrive on stdin (a `remote.Command`'s `stdin`), so secret values never show in a process list or a log.
 */
export function renderStdinScript<S extends HostScript>(
    script: S,
    action: HostScriptAction,
    variables: HostScriptVariables[S],
    options: { sudo: boolean },
): { command: string; stdin: string } {
    const body = `${fs.readFileSync(HOST_SCRIPT_COMMON, "utf8")}\n${fs.readFileSync(hostScriptPath(script), "utf8")}`;
    const assignments = Object.entries(variables)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `export ${key}=${shellQuote(value as string | number)}`)
        .join("\n");
    return { command: `${options.sudo ? "sudo -n bash" : "bash"} -s -- ${action}`, stdin: `${assignments}\n${body}\n` };
}

/** Single-quotes a value for POSIX shells. */
export function shellQuote(value: string | number): string {
    return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/**
 * The command string for one script run: a heredoc that feeds the variables and the script to bash
 * (through `sudo -n` when the SSH user is not root), so nothing has to be copied to the host first.
 */
export function renderRemoteScript<S extends HostScript>(
    script: S,
    action: HostScriptAction,
    variables: HostScriptVariables[S],
    options: { sudo: boolean },
): string {
    const secrets = (SECRET_VARIABLES[script] ?? []).filter((name) => (variables as Record<string, unknown>)[name] !== undefined);
    if (secrets.length > 0) {
        throw new Error(`${script}.sh: ${secrets.join(", ")} must travel on stdin (renderStdinScript), never in a command string`);
    }
    const body = `${fs.readFileSync(HOST_SCRIPT_COMMON, "utf8")}\n${fs.readFileSync(hostScriptPath(script), "utf8")}`;
    if ([body, ...Object.values(variables).map(String)].some((text) => text.split("\n").includes(HEREDOC_END))) {
        throw new Error(`${script}.sh and its variables must not contain a line "${HEREDOC_END}"`);
    }
    const assignments = Object.entries(variables)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `export ${key}=${shellQuote(value as string | number)}`)
        .join("\n");
    const shell = options.sudo ? "sudo -n bash" : "bash";
    return `${shell} -s -- ${action} <<'${HEREDOC_END}'\n${assignments}\n${body}\n${HEREDOC_END}\n`;
}
