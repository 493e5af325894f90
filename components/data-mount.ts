/**
 * DataMount: the NAS share mounted at the data root by a systemd mount unit on the host, with Docker made to
 * wait for it (`RequiresMountsFor=` drop-in on docker.service), the empty mountpoint made immutable so nothing
 * lands on the server's disk while the share is away, a timer that brings mount and Docker back when the NAS
 * returns, and SMB credentials in a root-only file written from the secret. components/host/data-mount.sh
 * does the work; this file decides the unit's What/Type/Options from `homelab:storage`.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { HomelabConfig, StorageSettings } from "./config";
import { SshTarget, sshConnection } from "./host-hardening";
import { renderRemoteScript } from "./host-scripts";

export type NasStorage = Exclude<StorageSettings, { type: "local" }>;

/** Where the SMB credentials file lives (root-only directory, file mode 600). */
export const CREDENTIALS_DIR = "/etc/homelab/credentials";

/**
 * NFS defaults: version 4.2 (a user may pick 4.1), hard mounts (a slow NAS makes writes wait, never fail half
 * way), TCP, and `_netdev` so systemd orders the mount after the network.
 */
export const NFS_DEFAULT_OPTIONS = ["vers=4.2", "hard", "proto=tcp", "timeo=600", "retrans=2", "noatime", "_netdev"];
/**
 * SMB defaults: 3.x, files owned by PUID/PGID (the share has no Unix owners), group-writable modes, `nobrl`
 * (no byte-range locks sent to the server), `_netdev`.
 */
export function smbDefaultOptions(cfg: Pick<HomelabConfig, "puid" | "pgid">, credentialsFile: string): string[] {
    return ["vers=3", `credentials=${credentialsFile}`, `uid=${cfg.puid}`, `gid=${cfg.pgid}`, "file_mode=0664", "dir_mode=0775", "nobrl", "iocharset=utf8", "noatime", "_netdev"];
}

/** systemd-escape --path: the unit name of a mount at this absolute path (without the .mount suffix). */
export function escapeUnitPath(path: string): string {
    const trimmed = path.replace(/^\/+|\/+$/g, "");
    if (trimmed === "") return "-";
    return trimmed.split("/").filter(Boolean).map((segment) =>
        [...Buffer.from(segment, "utf8")].map((byte, index) => {
            const c = String.fromCharCode(byte);
            if (/[A-Za-z0-9:_]/.test(c) || (c === "." && index > 0)) return c;
            return `\\x${byte.toString(16).padStart(2, "0")}`;
        }).join("")).join("-");
}

export function mountUnitName(dataRoot: string): string {
    return `${escapeUnitPath(dataRoot)}.mount`;
}

/** User options replace the defaults of the same name (vers=4.1 replaces vers=4.2); the rest are appended. */
function mergeOptions(defaults: string[], extra: string[] | undefined): string[] {
    const name = (o: string) => o.split("=")[0].toLowerCase().replace(/^nfsvers$/, "vers");
    const overridden = new Set((extra ?? []).map(name));
    return [...defaults.filter((o) => !overridden.has(name(o))), ...(extra ?? [])];
}

export interface MountSpec {
    /** The unit's What=: `server:/export` or `//server/share`. */
    what: string;
    /** The unit's Type=. */
    type: string;
    options: string[];
    /** SMB only: where the credentials file is written. */
    credentialsFile?: string;
}

export function mountSpec(cfg: Pick<HomelabConfig, "dataRoot" | "puid" | "pgid">, storage: NasStorage): MountSpec {
    if (storage.type === "nfs") {
        return { what: `${storage.server}:${storage.export}`, type: "nfs", options: mergeOptions(NFS_DEFAULT_OPTIONS, storage.options) };
    }
    const credentialsFile = `${CREDENTIALS_DIR}/${escapeUnitPath(cfg.dataRoot)}.smb`;
    return { what: `//${storage.server}/${storage.share}`, type: "cifs", options: mergeOptions(smbDefaultOptions(cfg, credentialsFile), storage.options), credentialsFile };
}

/** The credentials file's text (cifs `credentials=` format). */
export function smbCredentials(username: string, password: string): string {
    return `username=${username}\npassword=${password}\n`;
}

/** What the host script needs besides the credentials; the test suite runs the same script with sshfs. */
export function mountVariables(dataRoot: string, spec: MountSpec) {
    return {
        DATA_ROOT: dataRoot,
        MOUNT_UNIT: mountUnitName(dataRoot),
        MOUNT_WHAT: spec.what,
        MOUNT_TYPE: spec.type,
        MOUNT_OPTIONS: spec.options.join(","),
        CREDENTIALS_FILE: spec.credentialsFile ?? "",
    };
}

export interface DataMountArgs {
    cfg: HomelabConfig;
    target: SshTarget;
    storage: NasStorage;
}

export class DataMount extends pulumi.ComponentResource {
    public readonly mount: command.remote.Command;
    /** `server:/export` or `//server/share`: shown in outputs and status. */
    public readonly source: string;

    constructor(name: string, args: DataMountArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:host:DataMount", name, {}, opts);
        const { cfg, target, storage } = args;
        const sudo = target.user !== "root";
        const spec = mountSpec(cfg, storage);
        const variables = mountVariables(cfg.dataRoot, spec);
        // The password only ever travels inside the script on the SSH session's stdin (never a command line),
        // and the whole create string is then a secret in Pulumi's state.
        const create = storage.type === "smb"
            ? pulumi.secret(storage.password).apply((password) =>
                renderRemoteScript("data-mount", "create", { ...variables, CREDENTIALS: smbCredentials(storage.username, password) }, { sudo }))
            : pulumi.output(renderRemoteScript("data-mount", "create", variables, { sudo }));
        this.source = spec.what;
        this.mount = new command.remote.Command(`${name}-data-mount`, {
            connection: sshConnection(target),
            create,
            update: create,
            delete: renderRemoteScript("data-mount", "delete", variables, { sudo }),
            // A different share is a new mount: `pulumi preview` shows the replacement and why. The new create
            // stops Docker, swaps the unit and starts Docker again; the old delete then finds the unit is no
            // longer its own and leaves it alone.
            triggers: [cfg.dataRoot, spec.type, spec.what, variables.MOUNT_OPTIONS],
        }, { parent: this });
        this.registerOutputs({ mount: this.mount, source: this.source });
    }
}
