/**
 * The user's interface: every `homelab:*` stack setting, read and validated once into one typed object.
 * Bad config fails here, before any resource is declared, with one line per problem naming the key.
 * Defaults live in DEFAULTS below and nowhere else.
 */
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { z } from "zod";
import { APP_IDS, AppId, appsWithRole, CATALOG, JELLYFIN_GPU_DEVICE, listenPortFor, livesInVpnNamespace, OPTIONAL_APPS, PROXY_PORTS, RENAMED_APPS, RETIRED_APPS, TORRENTING_PORT } from "./catalog";
import { isSystemdCalendar } from "./calendar";
import {
    cidrContains, cidrsOverlap, GLUETUN_CONTROL_PORT, GLUETUN_OWN_PORTS, isIpv4Address, isPinned, killSwitchSubnetProblem, normalizePath, parseCidr,
    parseImageRef, sensitiveHostPath,
} from "./invariants";
import { didYouMean, nearest } from "./suggest";
import * as protonvpnLocations from "./data/protonvpn-locations.json";

export const NAMESPACE = "homelab";
/** The project's name (Pulumi.yaml): what `pulumi config set KEY` without a namespace writes under. */
export const PROJECT_NAME = "homelab-media";
/** Config namespaces of Pulumi itself and of the providers the program uses: their keys are theirs, not ours. */
export const FOREIGN_NAMESPACES = ["pulumi", "docker", "command", "random"] as const;

export const DEFAULTS = {
    sshPort: 22,
    sshUser: "root",
    puid: 1000,
    pgid: 1000,
    timezone: "Etc/UTC",
    dataRoot: "/srv/homelab/data",
    domain: "localhost",
    lanSubnet: "192.168.1.0/24",
    dockerSubnet: "172.30.0.0/24",
    dockerRoot: "/var/lib/docker",
    vpnType: "wireguard" as const,
    vpnCountries: [] as string[],
    vpnCities: [] as string[],
    vpnPortForwarding: false,
    indexersThroughVpn: true,
    jellyfinHardwareAcceleration: false,
    wiring: true,
    jellyfinAdmin: "admin",
    /** What `npm run status` asks for the public address, from the host and from inside the VPN namespace. */
    ipEchoUrl: "https://api.ipify.org",
    /** Where the data root lives: the server's own disk unless `storage` names a NAS share. */
    storage: { type: "local" as const },
    /** Backups are off until `backup.repository` is set. */
    backup: { schedule: "daily", keep: { daily: 7, weekly: 4, monthly: 0 } },
    /** How often the host's watcher runs its checks, and how often it reminds of a check that stays failing. */
    alerts: { interval: "1min", repeat: "6h" },
    /** node_exporter with the watcher's homelab_* metrics, on the LAN bind address. */
    metrics: true,
};

/** Keys that hold credentials: they must be set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["sshPrivateKey", "wireguardPrivateKey", "openvpnPassword"] as const;
/** Settings that hold a credential inside a map (set with `pulumi config set --secret --path ...`). */
export const NESTED_SECRET_KEYS = ["alerts"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number] | (typeof NESTED_SECRET_KEYS)[number];
/**
 * Settings whose value holds a credential: the secret keys, `storage` (the SMB password inside it) and `hosts`
 * (a host's own deploy key inside it).
 */
export type SecretSetting = SecretKey | "storage" | "hosts";
/** The same: the settings that hold (or may hold) a credential. */
export type SecretBearingKey = SecretSetting;

/** The name the single-host keys (`homelab:host`, `sshHostKey`, ...) give their one host. */
export const SINGLE_HOST_NAME = "main";

export type VpnSettings =
    | { type: "wireguard"; privateKey: pulumi.Output<string>; countries: string[]; cities: string[]; portForwarding: boolean }
    | { type: "openvpn"; user: string; password: pulumi.Output<string>; countries: string[]; cities: string[]; portForwarding: boolean };

export type DeployTarget =
    | { kind: "local" }
    | { kind: "ssh"; host: string; port: number; user: string; hostKey: string; privateKey: pulumi.Output<string> };

/**
 * Where the data root lives. `local`: a folder on the server's disk. `nfs` / `smb`: a share of a NAS that the
 * server mounts at the data root (systemd mount unit, Docker waits for it). `options` are extra mount options,
 * appended to the defaults (components/data-mount.ts).
 */
export type StorageSettings =
    | { type: "local" }
    | { type: "nfs"; server: string; export: string; options?: string[] }
    | { type: "smb"; server: string; share: string; username: string; password: pulumi.Output<string>; options?: string[] };

/** True when the data root is a NAS share mounted on the server (not the server's own disk). */
export function isSharedDataRoot(cfg: Pick<HomelabConfig, "storage">): boolean {
    return cfg.storage.type !== "local";
}

/** One Docker host of the stack. */
export interface HostSpec {
    /** Its name in `homelab:hosts` (`main` for the single-host keys); used in resource names. */
    name: string;
    target: DeployTarget;
    /** The host's LAN address: WebUIs are published on it, and other hosts reach its apps there. */
    lanBindAddress?: string;
    /**
     * Host devices this host offers to apps (e.g. /dev/dri). Undefined for the single-host keys, which declare
     * none and so are not checked (the one host is the user's own machine).
     */
    devices?: string[];
}

export interface HomelabConfig {
    /** The first host's target (the only one with the single-host keys). */
    target: DeployTarget;
    /** Every declared host, in the order of `homelab:hosts`; the first one runs the apps not placed elsewhere. */
    hosts: HostSpec[];
    /** The host name of every app (enabled or not), from `homelab:placement` or the first host. */
    placement: Record<AppId, string>;
    puid: number;
    pgid: number;
    timezone: string;
    dataRoot: string;
    /** Where the data root lives (server disk or NAS share); app config volumes are always on the server's disk. */
    storage: StorageSettings;
    domain: string;
    acmeEmail?: string;
    lanSubnet: string;
    /** The first host's LAN address. */
    lanBindAddress?: string;
    dockerSubnet: string;
    dockerRoot: string;
    vpn: VpnSettings;
    /** Every app that runs, in catalog order. */
    enabledApps: AppId[];
    indexersThroughVpn: boolean;
    images: Record<AppId, string>;
    memoryMb: Record<AppId, number>;
    /** Host port of each app when it is published on the LAN bind address. */
    hostPorts: Record<AppId, number>;
    jellyfin: { hardwareAcceleration: boolean; renderGroupId?: number };
    /** The program wires the apps together on deploy (false: nothing is wired, the apps start blank). */
    wiring: boolean;
    /** Name of the Jellyfin administrator the program creates. */
    jellyfinAdmin: string;
    /** Address-echo service for the status leak check (plain text answer: the caller's public address). */
    ipEchoUrl: string;
    /** Scheduled restic backups of the apps' volumes; undefined when no repository is configured (off). */
    backup?: BackupSettings;
    /** The host's watcher: its schedule and where its alerts go (none: journal and metrics only). */
    alerts: AlertSettings;
    /** node_exporter with the homelab_* metrics on the LAN bind address, port METRICS_PORT. */
    metrics: boolean;
}

export interface AlertSettings {
    /** Seconds between watcher runs (homelab:alerts.interval, a systemd time span). */
    intervalSeconds: number;
    /** Seconds between reminders while a check stays failing (homelab:alerts.repeat). */
    repeatSeconds: number;
    ntfy?: { url: string; topic: string; token?: pulumi.Output<string> };
    gotify?: { url: string; token: pulumi.Output<string> };
    webhook?: string;
}

export interface BackupSettings {
    /** A local path on the host (USB disk, NAS mount) or `sftp:user@host:/path`. */
    repository: string;
    /** systemd calendar expression (`daily`, `*-*-* 03:30:00`, ...). */
    schedule: string;
    keep: { daily: number; weekly: number; monthly: number };
}

/** Every problem of a stack's config, one line each; a RunError so Pulumi prints it without a stack trace. */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: string[]) {
        super(`The stack's config has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
            problems.map((p) => `  - ${p}`).join("\n") +
            "\nFix them with `pulumi config set homelab:<key> <value>` (add --secret for credentials) and run again.");
        this.name = "ConfigError";
    }
}

// ---- value shapes -------------------------------------------------------------------------------------

function parseJsonish(value: unknown): unknown {
    if (typeof value !== "string") return value;
    const trimmed = value.trim();
    if (/^[[{]/.test(trimmed) || trimmed === "true" || trimmed === "false" || /^-?\d+(\.\d+)?$/.test(trimmed)) {
        try {
            return JSON.parse(trimmed);
        } catch {
            return value;
        }
    }
    return value;
}

const integer = (min: number, max: number, what: string) =>
    z.preprocess(parseJsonish, z.number({ message: `must be a whole number (${what})` })
        .int({ message: `must be a whole number (${what})` })
        .min(min, { message: `must be ${min} or more (${what})` })
        .max(max, { message: `must be ${max} or less (${what})` }));

const bool = z.preprocess(parseJsonish, z.boolean({ message: "must be true or false" }));

const text = (message: string) => z.string({ message }).trim().min(1, { message });

function isTimeZone(value: string): boolean {
    if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(value)) return false;
    try {
        new Intl.DateTimeFormat("en", { timeZone: value });
        return true;
    } catch {
        return false;
    }
}

const cidr = z.string({ message: "must be an IPv4 network like 192.168.1.0/24" }).trim().refine((v) => parseCidr(v) !== undefined, {
    message: "is not a valid IPv4 network in CIDR form (address/prefix, host bits zero), e.g. 192.168.1.0/24",
});

const ipv4 = z.string().trim().refine(isIpv4Address, { message: "is not an IPv4 address, e.g. 192.168.1.10" });

const hostName = z.string().trim().superRefine((v, ctx) => {
    if (isIpv4Address(v)) return;
    if (/^[\d.]+$/.test(v)) {
        // Digits and dots only is an address with a typo (999.168.1.10, 192.168.1), not a host name.
        ctx.addIssue({ code: "custom", message: `"${v}" is not a valid IPv4 address: write four numbers from 0 to 255 separated by dots, e.g. 192.168.1.10` });
    } else if (!/^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(v)) {
        ctx.addIssue({ code: "custom", message: "must be a host name or IPv4 address, without user, port or scheme (e.g. 192.168.1.10 or nas.lan)" });
    }
});

const domain = z.string().trim().superRefine((v, ctx) => {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
        ctx.addIssue({ code: "custom", message: `must be a bare domain without a scheme: use "${v.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/.*$/, "")}"` });
    } else if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(v)) {
        ctx.addIssue({ code: "custom", message: "must be a lower-case domain name such as media.example.com (no path, no port)" });
    } else if (v !== "localhost" && !v.includes(".")) {
        ctx.addIssue({ code: "custom", message: `must be a full domain such as media.example.com (or localhost to try it out); "${v}" has no dot, so no certificate can be issued for it` });
    }
});

const email = z.string().trim().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { message: "must be an e-mail address for Let's Encrypt notices" });

/** An absolute host folder of the stack's own: normalised, never / or a system directory. */
const hostFolder = z.string().trim().superRefine((v, ctx) => {
    if (!v.startsWith("/")) {
        ctx.addIssue({ code: "custom", message: `must be an absolute path on the host (starting with /), got "${v}"` });
    } else if (/(^|\/)\.\.?(\/|$)/.test(v)) {
        ctx.addIssue({ code: "custom", message: "must be written without . or .. parts" });
    } else if (sensitiveHostPath(v) !== undefined) {
        ctx.addIssue({ code: "custom", message: `must be a dedicated folder such as /srv/homelab/data: ${normalizePath(v)} is (inside) the system folder ${sensitiveHostPath(v)}, which the deploy would hand over to PUID/PGID` });
    }
}).transform(normalizePath);

/** Docker's data root is a system folder by nature: only absolute and normalised. */
const dockerRootPath = z.string().trim().refine((v) => v.startsWith("/") && normalizePath(v) !== "/", {
    message: "must be Docker's data root on the host, an absolute path such as /var/lib/docker",
}).transform(normalizePath);

/** ProtonVPN names Gluetun accepts at the pinned version (components/data, made by scripts/vpn-locations.ts). */
export const VPN_LOCATIONS: { gluetunVersion: string; source: string; countries: string[]; cities?: string[] } = protonvpnLocations;

/** Gluetun compares SERVER_COUNTRIES / SERVER_CITIES with its server data case-insensitively. */
const knownLocations = (kind: "country" | "city", names: readonly string[] | undefined) => (list: string[], ctx: z.RefinementCtx) => {
    if (!names) return;
    const lower = new Set(names.map((n) => n.toLowerCase()));
    for (const value of list) {
        if (lower.has(value.toLowerCase())) continue;
        const hint = didYouMean(value, names, (n) => `"${n}"`);
        ctx.addIssue({
            code: "custom",
            message: `"${value}" is not a ProtonVPN ${kind} in Gluetun ${VPN_LOCATIONS.gluetunVersion}'s list${hint || ""}: write names as Gluetun spells them (all of them: components/data/protonvpn-locations.json)`,
        });
    }
};

const stringList = z.preprocess(
    (v) => {
        const parsed = parseJsonish(v);
        return typeof parsed === "string" ? parsed.split(",").map((s) => s.trim()).filter(Boolean) : parsed;
    },
    z.array(z.string().trim().min(1), { message: "must be a list of names (YAML list or comma-separated)" }),
);

const appMap = <T extends z.ZodTypeAny>(value: T) =>
    z.preprocess(parseJsonish, z.record(z.string(), value, { message: "must be a map of app name to value" }));

// The policy pack's own rule (components/invariants.ts isPinned), so the config refuses what the plan would.
const pinnedImage = z.string().trim().refine(
    (v) => /^[\w./:@-]+$/.test(v) && isPinned(parseImageRef(v)),
    { message: "must be pinned to a version tag or digest (repo:1.2.3 or repo@sha256:...), never latest or untagged; a channel tag such as develop, nightly or stable moves too" },
);

// WireGuard private keys are 32 bytes, base64-encoded to 44 characters ending in "=".
const wireguardKey = z.string().trim().refine(
    (v) => /^[A-Za-z0-9+/]{43}=$/.test(v) && Buffer.from(v, "base64").length === 32,
    { message: "must be a WireGuard private key: 44 base64 characters ending in = (32 bytes), as shown in the ProtonVPN WireGuard config" },
);

const hostKey = z.string().trim().refine(
    (v) => /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,3}$/.test(v),
    { message: "must be the host's public key as `<type> <base64>`, e.g. the output of `ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-`" },
);

/**
 * Jellyfin's own rule for user names (UserManager): Unicode letters and digits, space, - ' . _ @ +, no
 * leading or trailing space.
 */
const jellyfinUserName = z.string().refine(
    (v) => v.length <= 255 && /^(?!\s)[\p{L}\p{Mn}\p{Nd}\p{Pc} \-'._@+]+(?<!\s)$/u.test(v),
    { message: "must be a Jellyfin user name: letters, digits, spaces and - ' . _ @ + only, not starting or ending with a space (e.g. admin)" },
);

/**
 * True for a private key that needs a passphrase: PEM with `Proc-Type: 4,ENCRYPTED`, PKCS#8 `ENCRYPTED PRIVATE
 * KEY`, or an OpenSSH key (`openssh-key-v1`) whose cipher or KDF is not `none` (OpenSSH's PROTOCOL.key format).
 */
export function isEncryptedPrivateKey(pem: string): boolean {
    if (/^Proc-Type:\s*4,ENCRYPTED/m.test(pem) || pem.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----")) return true;
    const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(pem)?.[1];
    if (body === undefined) return false;
    const bytes = Buffer.from(body.replace(/\s+/g, ""), "base64");
    const magic = "openssh-key-v1\0";
    if (bytes.length < magic.length + 8 || bytes.subarray(0, magic.length).toString("latin1") !== magic) return false;
    let at = magic.length;
    const nextString = (): string | undefined => {
        if (at + 4 > bytes.length) return undefined;
        const length = bytes.readUInt32BE(at);
        if (at + 4 + length > bytes.length) return undefined;
        const value = bytes.subarray(at + 4, at + 4 + length).toString("latin1");
        at += 4 + length;
        return value;
    };
    const cipher = nextString();
    const kdf = nextString();
    // A key cut short is not this check's business (ssh refuses it); only a readable header decides.
    if (cipher === undefined || kdf === undefined) return false;
    return cipher !== "none" || kdf !== "none";
}

const privateKey = z.string().superRefine((v, ctx) => {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v)) {
        ctx.addIssue({ code: "custom", message: "must be an SSH private key in PEM/OpenSSH form (set it with `pulumi config set --secret homelab:sshPrivateKey < ~/.ssh/id_ed25519`)" });
    } else if (isEncryptedPrivateKey(v)) {
        ctx.addIssue({
            code: "custom",
            message: "is protected by a passphrase, which nobody can type during a deploy: the deploy key must be usable without a passphrase. "
                + "Make one for the deploy (`ssh-keygen -t ed25519 -N '' -f ~/.ssh/homelab-deploy`, its .pub into the server's authorized_keys) "
                + "and set it with `pulumi config set --secret homelab:sshPrivateKey < ~/.ssh/homelab-deploy`",
        });
    }
});

const httpUrl = z.string().trim().refine((v) => {
    try {
        const url = new URL(v);
        return (url.protocol === "http:" || url.protocol === "https:") && !/[\s'"`$\\]/.test(v);
    } catch {
        return false;
    }
}, { message: "must be an http:// or https:// URL that answers with the caller's address in plain text, e.g. https://api.ipify.org" });

/** A name in `homelab:hosts`: it becomes part of resource names and file names. */
const HOST_NAME_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;

const devicePath = z.string().trim().regex(/^\/dev\/[\w./-]+$/, { message: "must be a device path under /dev, e.g. /dev/dri" });

const hostEntry = z.preprocess(parseJsonish, z.object({
    host: hostName,
    sshPort: integer(1, 65535, "a TCP port").default(DEFAULTS.sshPort),
    sshUser: z.string().trim().regex(/^[a-z_][a-z0-9_-]*$/, { message: "must be a Unix user name" }).default(DEFAULTS.sshUser),
    sshHostKey: z.string({ message: "is required: the host's pinned public key (`ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-`)" }).pipe(hostKey),
    sshPrivateKey: privateKey.optional(),
    lanBindAddress: ipv4.optional(),
    devices: z.preprocess(parseJsonish, z.array(devicePath, { message: "must be a list of device paths, e.g. [/dev/dri]" })).default([]),
}, { message: "must be a map: host, sshHostKey, lanBindAddress and optionally sshPort, sshUser, sshPrivateKey, devices" }).strict());

const hostMap = z.preprocess(parseJsonish, z.record(
    z.string().regex(HOST_NAME_PATTERN, { message: "host names are lower-case letters, digits and -, starting with a letter (e.g. main, gpu)" }),
    hostEntry,
    { message: "must be a map of host name to host settings, e.g. { main: { host: 192.168.1.10, sshHostKey: ..., lanBindAddress: 192.168.1.10 } }" },
));

const backupRepository = z.string().trim().refine(
    (v) => (/^\/[\w./@+-]*$/.test(v) && normalizePath(v) !== "/" && !/(^|\/)\.\.?(\/|$)/.test(v)) || /^sftp:[\w.@-]+:[\w./@+~-]+$/.test(v),
    { message: "must be an absolute path on the host (a mounted USB disk or NAS share, e.g. /mnt/backup/homelab) or sftp:user@host:/path" },
);

// A systemd calendar expression, checked by systemd's rules here (components/calendar.ts) and for real by
// `systemd-analyze calendar` on the host before the timer is installed.
const calendar = z.string().trim().superRefine((v, ctx) => {
    if (/^[\w*:,./~+@ -]+$/.test(v) && isSystemdCalendar(v, isTimeZone)) return;
    ctx.addIssue({
        code: "custom",
        message: `must be a systemd calendar expression (OnCalendar=); systemd cannot parse "${v}". Use e.g. daily, weekly, Mon..Fri 02:00 or *-*-* 03:30:00 (\`systemd-analyze calendar '<expression>'\` checks one)`,
    });
});

/** The units systemd accepts in a time span (systemd.time(7)), in seconds. */
const TIME_SPAN_UNITS: Record<string, number> = {
    s: 1, sec: 1, second: 1, seconds: 1, m: 60, min: 60, minute: 60, minutes: 60, h: 3600, hr: 3600, hour: 3600, hours: 3600,
    d: 86_400, day: 86_400, days: 86_400, w: 604_800, week: 604_800, weeks: 604_800,
};

/** A systemd time span such as 1min, 90s, 6h or "1h 30min" in seconds; undefined when systemd would refuse it. */
export function timeSpanSeconds(value: string): number | undefined {
    const parts = value.trim().match(/\d+\s*[a-z]*/gi);
    if (!parts || parts.join("").replace(/\s/g, "") !== value.replace(/\s/g, "")) return undefined;
    let total = 0;
    for (const part of parts) {
        const [, amount, unit] = part.match(/^(\d+)\s*([a-z]*)$/i)!;
        const factor = unit === "" ? 1 : TIME_SPAN_UNITS[unit];
        if (factor === undefined) return undefined;
        total += Number(amount) * factor;
    }
    return total;
}

const timeSpan = (min: number, what: string) => z.string({ message: `must be a systemd time span such as 1min, 30s or 6h (${what})` }).trim().superRefine((v, ctx) => {
    const seconds = timeSpanSeconds(v);
    if (seconds === undefined) ctx.addIssue({ code: "custom", message: `"${v}" is not a time span systemd understands: write e.g. 1min, 30s, 6h or "1h 30min" (${what})` });
    else if (seconds < min) ctx.addIssue({ code: "custom", message: `must be ${min} s or more (${what})` });
});

const alertUrl = z.string({ message: "must be an http:// or https:// URL" }).trim().refine((v) => {
    try {
        const url = new URL(v);
        return (url.protocol === "http:" || url.protocol === "https:") && !/[\s'"`$\\]/.test(v);
    } catch {
        return false;
    }
}, { message: "must be an http:// or https:// URL, e.g. https://ntfy.sh" });

/**
 * Topic names refused although well formed: ntfy's (server/config.go DefaultDisallowedTopics, paths of its own) and
 * the *arr apps' (NtfySettings.cs InvalidTopics, which their ntfy connections refuse).
 */
export const RESERVED_NTFY_TOPICS = [
    "docs", "static", "file", "app", "metrics", "account", "settings", "signup", "login", "v1",
    "announcements", "stats", "mytopic-rw", "mytopic-ro", "mytopic-wo",
];

// ntfy's own rule for topic names (server/server.go topicRegex: ^[-_A-Za-z0-9]{1,64}$).
const ntfyTopic = z.string({ message: "must be an ntfy topic name" }).trim().regex(/^[-_A-Za-z0-9]{1,64}$/, {
    message: "must be an ntfy topic: 1 to 64 letters, digits, - or _ (ntfy refuses anything else), e.g. homelab-alerts",
}).superRefine((v, ctx) => {
    if (!RESERVED_NTFY_TOPICS.includes(v)) return;
    ctx.addIssue({ code: "custom", message: `"${v}" is a name ntfy or the apps keep for themselves (${RESERVED_NTFY_TOPICS.join(", ")}): choose another, e.g. homelab-alerts` });
});

const credential = z.string({ message: "must be an access token (set it with --secret)" }).trim().min(1, { message: "must be an access token (set it with --secret)" });

const alertSettings = z.preprocess(parseJsonish, z.object({
    ntfy: z.preprocess(parseJsonish, z.object({ url: alertUrl, topic: ntfyTopic, token: credential.optional() }, { message: "must be a map: url, topic, token" }).strict()).optional(),
    gotify: z.preprocess(parseJsonish, z.object({ url: alertUrl, token: credential }, { message: "must be a map: url, token" }).strict()).optional(),
    webhook: alertUrl.optional(),
    interval: timeSpan(10, "how often the watcher runs").default(DEFAULTS.alerts.interval),
    repeat: timeSpan(60, "reminder while a check stays failing").default(DEFAULTS.alerts.repeat),
}, { message: "must be a map: ntfy, gotify, webhook, interval, repeat" }).strict());

const backupSettings = z.preprocess(parseJsonish, z.object({
    repository: backupRepository.optional(),
    schedule: calendar.default(DEFAULTS.backup.schedule),
    keep: z.preprocess(parseJsonish, z.object({
        daily: integer(0, 366, "daily snapshots to keep").default(DEFAULTS.backup.keep.daily),
        weekly: integer(0, 520, "weekly snapshots to keep").default(DEFAULTS.backup.keep.weekly),
        monthly: integer(0, 1200, "monthly snapshots to keep").default(DEFAULTS.backup.keep.monthly),
    }, { message: "must be a map with daily, weekly and/or monthly counts" }).strict()).default(DEFAULTS.backup.keep),
}, { message: "must be a map: repository, schedule, keep" }).strict());

/** Mount options: a comma-separated string or a list, one option per item. */
const mountOptions = (type: "nfs" | "smb") => z.preprocess(
    (v) => {
        const parsed = parseJsonish(v);
        return typeof parsed === "string" ? parsed.split(",").map((s) => s.trim()).filter(Boolean) : parsed;
    },
    z.array(z.string(), { message: "must be mount options, comma-separated (e.g. noatime) or a list" }).superRefine((options, ctx) => {
        for (const option of options) {
            const name = option.split("=")[0].trim().toLowerCase();
            if (/[\s"'\\`$;]/.test(option)) {
                ctx.addIssue({ code: "custom", message: `"${option.replace(/\n/g, "\\n")}" must be one mount option on one line, without spaces, quotes or shell characters` });
            } else if (["credentials", "cred", "username", "user", "password", "pass", "password2"].includes(name)) {
                ctx.addIssue({ code: "custom", message: `must not set ${name}=: the credentials come from ${key("storage")}.username/password, written to a root-only file (mode 600)` });
            } else if (name === "soft" || name === "softerr") {
                ctx.addIssue({ code: "custom", message: `must not contain ${name}: a soft mount gives up on a slow NAS and corrupts files being written; the mount is hard` });
            } else if (type === "nfs" && (name === "vers" || name === "nfsvers") && !["4.1", "4.2"].includes(option.split("=")[1] ?? "")) {
                ctx.addIssue({ code: "custom", message: `${option}: NFS version must be 4.2 or 4.1 (the default is 4.2)` });
            } else if (type === "smb" && name === "vers" && !/^3(\.[01](\.1)?)?$/.test(option.split("=")[1] ?? "")) {
                ctx.addIssue({ code: "custom", message: `${option}: SMB version must be 3.x (3, 3.0, 3.1.1; the default is 3)` });
            }
        }
    }),
);

const nasServer = hostName.refine((v) => v.length > 0, { message: "must be the NAS's host name or IPv4 address, e.g. nas.lan" });

const storageSettings = z.preprocess(parseJsonish, z.discriminatedUnion("type", [
    z.object({ type: z.literal("local") }).strict(),
    z.object({
        type: z.literal("nfs"),
        server: nasServer,
        export: z.string({ message: "must be the exported path on the NAS, e.g. /volume1/data" }).trim().regex(/^\/[\w./@+-]*$/, {
            message: "must be the exported path on the NAS, starting with / (e.g. /volume1/data), letters, digits and . _ - @ + only",
        }),
        options: mountOptions("nfs").optional(),
    }).strict(),
    z.object({
        type: z.literal("smb"),
        server: nasServer,
        share: z.string({ message: "must be the share's name on the NAS, e.g. data" }).trim().regex(/^[\w.$@+-]+$/, {
            message: "must be the share's name only (e.g. data), without slashes, spaces or the server",
        }),
        username: z.string({ message: "must be the NAS user the share is mounted as" }).trim().regex(/^[\w.@+-]+$/, {
            message: "must be the NAS user name the share is mounted as (letters, digits and . _ - @ +)",
        }),
        password: z.string({ message: "must be that NAS user's password (set it with --secret)" }).min(1, { message: "must be that NAS user's password (set it with --secret)" })
            .refine((v) => !/[\n\r]/.test(v), { message: "must be on one line" }),
        options: mountOptions("smb").optional(),
    }).strict(),
], { message: "must be a map whose type is local, nfs (server, export) or smb (server, share, username, password)" }));

const schema = z.object({
    host: hostName.optional(),
    sshPort: integer(1, 65535, "a TCP port").default(DEFAULTS.sshPort),
    sshUser: z.string().trim().regex(/^[a-z_][a-z0-9_-]*$/, { message: "must be a Unix user name" }).default(DEFAULTS.sshUser),
    sshHostKey: hostKey.optional(),
    sshPrivateKey: privateKey.optional(),
    puid: integer(1, 2 ** 31 - 1, "the numeric id of the user owning the media; 0 (root) is not allowed").default(DEFAULTS.puid),
    pgid: integer(1, 2 ** 31 - 1, "the numeric id of the media group; 0 (root) is not allowed").default(DEFAULTS.pgid),
    timezone: z.string().trim().refine(isTimeZone, { message: "must be an IANA time zone such as Europe/Berlin or Etc/UTC" }).default(DEFAULTS.timezone),
    dataRoot: hostFolder.default(DEFAULTS.dataRoot),
    domain: domain.default(DEFAULTS.domain),
    acmeEmail: email.optional(),
    lanSubnet: cidr.default(DEFAULTS.lanSubnet),
    lanBindAddress: ipv4.optional(),
    dockerSubnet: cidr.default(DEFAULTS.dockerSubnet),
    dockerRoot: dockerRootPath.default(DEFAULTS.dockerRoot),
    vpnType: z.enum(["wireguard", "openvpn"], { message: "must be wireguard or openvpn" }).default(DEFAULTS.vpnType),
    wireguardPrivateKey: wireguardKey.optional(),
    openvpnUser: text("must be your ProtonVPN OpenVPN/IKEv2 username (Account > OpenVPN / IKEv2 username)").optional(),
    openvpnPassword: text("must be your ProtonVPN OpenVPN/IKEv2 password").optional(),
    vpnCountries: stringList.superRefine(knownLocations("country", VPN_LOCATIONS.countries)).default(DEFAULTS.vpnCountries),
    vpnCities: stringList.superRefine(knownLocations("city", VPN_LOCATIONS.cities)).default(DEFAULTS.vpnCities),
    vpnPortForwarding: bool.default(DEFAULTS.vpnPortForwarding),
    apps: appMap(bool).default({}),
    indexersThroughVpn: bool.default(DEFAULTS.indexersThroughVpn),
    images: appMap(pinnedImage).default({}),
    memoryLimits: appMap(integer(64, 1024 * 1024, "MiB")).default({}),
    hostPorts: appMap(integer(1, 65535, "a TCP port")).default({}),
    jellyfinHardwareAcceleration: bool.default(DEFAULTS.jellyfinHardwareAcceleration),
    renderGroupId: integer(1, 2 ** 31 - 1, "the gid of the host's render group").optional(),
    wiring: bool.default(DEFAULTS.wiring),
    jellyfinAdmin: jellyfinUserName.default(DEFAULTS.jellyfinAdmin),
    ipEchoUrl: httpUrl.default(DEFAULTS.ipEchoUrl),
    backup: backupSettings.optional(),
    storage: storageSettings.default(DEFAULTS.storage),
    alerts: alertSettings.default({ interval: DEFAULTS.alerts.interval, repeat: DEFAULTS.alerts.repeat }),
    metrics: bool.default(DEFAULTS.metrics),
    hosts: hostMap.optional(),
    placement: appMap(z.string().trim().min(1, { message: "must be a host name from homelab:hosts" })).default({}),
});
type RawConfig = z.infer<typeof schema>;

export const CONFIG_KEYS = Object.keys(schema.shape) as (keyof RawConfig)[];

// ---- cross-field rules ----------------------------------------------------------------------------------

type Problem = string;
const key = (name: string) => `${NAMESPACE}:${name}`;

function unknownAppProblems(raw: RawConfig, field: "apps" | "images" | "memoryLimits" | "hostPorts" | "placement"): Problem[] {
    const allowed: readonly string[] = field === "apps" ? OPTIONAL_APPS
        : field === "hostPorts" ? APP_IDS.filter((id) => CATALOG[id].placement !== "gateway" && id !== "caddy") : APP_IDS;
    return Object.entries(raw[field]).flatMap(([name, value]) => {
        const renamed = RENAMED_APPS[name];
        if (renamed !== undefined) {
            return [`${key(field)}: "${name}" is now "${renamed}" (${CATALOG[renamed].title} replaced it and keeps its data): rename the key to ${key(field)}.${renamed}`];
        }
        const retired = RETIRED_APPS.get(name);
        if (retired !== undefined) {
            // Switching a retired app off asks for what the stack does anyway.
            return field === "apps" && value === false ? [] : [`${key(field)}.${name}: ${retired.reason}. Remove the key: pulumi config rm --path '${key(field)}.${name}'`];
        }
        return allowed.includes(name) ? [] : [`${key(field)}: "${name}" is not an app this stack can ${field === "apps" ? "switch" : "configure"}${didYouMean(name, allowed)}. Allowed: ${allowed.join(", ")}`];
    });
}

/** Checked on the raw values, so a credential in plain text is reported whatever else is wrong. */
function plainTextSecretProblems(rawValues: Record<string, unknown>, isSecret: (k: SecretSetting) => boolean): Problem[] {
    const problems = SECRET_KEYS.filter((secret) => rawValues[secret] !== undefined && !isSecret(secret)).map(
        (secret) => `${key(secret)}: is stored in plain text. Set it again with \`pulumi config set --secret ${key(secret)} ...\``,
    );
    const hosts = parseJsonish(rawValues.hosts);
    if (hosts !== null && typeof hosts === "object" && !isSecret("hosts")) {
        for (const [name, entry] of Object.entries(hosts as Record<string, unknown>)) {
            const value = parseJsonish(entry);
            if (value !== null && typeof value === "object" && (value as Record<string, unknown>).sshPrivateKey !== undefined) {
                problems.push(`${key("hosts")}.${name}.sshPrivateKey: is stored in plain text. Set it again with \`pulumi config set --secret --path '${key("hosts")}.${name}.sshPrivateKey' ...\``);
            }
        }
    }
    return problems;
}

/** An alert token must come from a secret: `homelab:alerts` as a whole is then stored as one. */
function plainTextAlertTokenProblems(raw: RawConfig, isSecret: (k: SecretKey) => boolean): Problem[] {
    if (isSecret("alerts")) return [];
    return (["ntfy", "gotify"] as const).filter((channel) => raw.alerts[channel]?.token !== undefined).map((channel) =>
        `${key("alerts")}.${channel}.token: is stored in plain text. Set it again with \`pulumi config set --secret --path ${key("alerts")}.${channel}.token ...\``);
}

/** The stack reaches its server(s) over SSH: `homelab:host` or `homelab:hosts` is set. */
function deploysOverSsh(raw: RawConfig): boolean {
    return raw.host !== undefined || raw.hosts !== undefined;
}

function alertProblems(raw: RawConfig): Problem[] {
    const channels = [raw.alerts.ntfy, raw.alerts.gotify, raw.alerts.webhook].filter((c) => c !== undefined);
    if (channels.length > 0 && !deploysOverSsh(raw)) {
        return [`${key("alerts")}: alerts are sent by a watcher on the server (a systemd timer installed over SSH): set ${key("host")} too, or unset them`];
    }
    return [];
}

function targetProblems(raw: RawConfig): Problem[] {
    const problems: Problem[] = [];
    if (raw.host === undefined) return problems;
    if (!raw.sshHostKey) problems.push(`${key("sshHostKey")}: is required when ${key("host")} is set, so the deploy only talks to your server (get it with \`ssh-keyscan -t ed25519 ${raw.host}\`)`);
    if (!raw.sshPrivateKey) problems.push(`${key("sshPrivateKey")}: is required when ${key("host")} is set (\`pulumi config set --secret ${key("sshPrivateKey")} < ~/.ssh/id_ed25519\`)`);
    return problems;
}

function vpnProblems(raw: RawConfig): Problem[] {
    if (raw.vpnType === "wireguard") {
        return raw.wireguardPrivateKey ? [] : [`${key("wireguardPrivateKey")}: is required for ${key("vpnType")}=wireguard (the PrivateKey line of a ProtonVPN WireGuard config; set it with --secret)`];
    }
    const problems: Problem[] = [];
    if (!raw.openvpnUser) problems.push(`${key("openvpnUser")}: is required for ${key("vpnType")}=openvpn (your ProtonVPN OpenVPN/IKEv2 username)`);
    if (!raw.openvpnPassword) problems.push(`${key("openvpnPassword")}: is required for ${key("vpnType")}=openvpn (your ProtonVPN OpenVPN/IKEv2 password; set it with --secret)`);
    if (raw.openvpnUser?.endsWith("+pmp")) problems.push(`${key("openvpnUser")}: leave out the +pmp suffix; it is added when ${key("vpnPortForwarding")} is true`);
    return problems;
}

function networkProblems(raw: RawConfig): Problem[] {
    const problems: Problem[] = [];
    if (raw.lanBindAddress && !cidrContains(raw.lanSubnet, raw.lanBindAddress)) {
        problems.push(`${key("lanBindAddress")}: ${raw.lanBindAddress} is outside ${key("lanSubnet")} ${raw.lanSubnet}. Use the server's address on that LAN`);
    }
    // Both go into Gluetun's kill switch (FIREWALL_OUTBOUND_SUBNETS): the rules of the policy pack apply.
    const lanProblem = killSwitchSubnetProblem(raw.lanSubnet);
    if (lanProblem) problems.push(`${key("lanSubnet")}: ${raw.lanSubnet} ${lanProblem}. Use your home network, e.g. ${DEFAULTS.lanSubnet}`);
    // The LAN decides who may use the admin routes and the WebUI ports: a server outside it means lanSubnet is
    // not the user's network (often the default left in place).
    if (!lanProblem && !raw.lanBindAddress && raw.host !== undefined && isIpv4Address(raw.host) && !cidrContains(raw.lanSubnet, raw.host)) {
        problems.push(`${key("lanSubnet")}: ${raw.lanSubnet} does not contain ${key("host")} ${raw.host}, so it is not the server's LAN. `
            + `Set ${key("lanSubnet")} to your home network (e.g. ${raw.host.replace(/\.\d+$/, ".0")}/24) and ${key("lanBindAddress")} to ${raw.host}`);
    }
    const dockerProblem = killSwitchSubnetProblem(raw.dockerSubnet);
    if (dockerProblem) problems.push(`${key("dockerSubnet")}: ${raw.dockerSubnet} ${dockerProblem}. Use an unused private range such as ${DEFAULTS.dockerSubnet}`);
    if (cidrsOverlap(raw.lanSubnet, raw.dockerSubnet)) {
        problems.push(`${key("dockerSubnet")}: ${raw.dockerSubnet} overlaps ${key("lanSubnet")} ${raw.lanSubnet}. Pick an unused private range such as ${DEFAULTS.dockerSubnet}`);
    }
    if ((parseCidr(raw.dockerSubnet)?.bits ?? 0) > 26) {
        problems.push(`${key("dockerSubnet")}: ${raw.dockerSubnet} is too small: every app gets a fixed address, use a /26 or wider (e.g. ${DEFAULTS.dockerSubnet})`);
    }
    return problems;
}

function enabledAppsOf(raw: RawConfig): AppId[] {
    return APP_IDS.filter((id) => {
        const optionalDefault = CATALOG[id].optionalDefault;
        return optionalDefault === undefined || (raw.apps[id] ?? optionalDefault);
    });
}

function hostPortOf(raw: RawConfig, id: AppId): number {
    return (raw.hostPorts[id] as number | undefined) ?? CATALOG[id].port;
}

const freePortHint = (id: AppId) => `Give ${id} a free port with \`pulumi config set --path '${key("hostPorts")}.${id}' <port>\``;

/**
 * Inside the VPN namespace the members share one network stack with Gluetun: the ports they really listen on
 * (only a `portFollowsHost` app moves with its host port) must not meet each other, Gluetun's own servers or
 * the torrent port. Their host ports are published on the gateway, which never publishes Gluetun's control
 * port or the torrent port (the policy pack's vpn-gateway-ports rule).
 */
function namespacePortProblems(raw: RawConfig, apps: AppId[]): Map<AppId, Problem> {
    const problems = new Map<AppId, Problem>();
    const reserved: number[] = [...GLUETUN_OWN_PORTS, TORRENTING_PORT];
    const listeners = new Map<number, AppId>();
    // Members with a fixed port first, so a clash is blamed on the app whose port was moved.
    const members = apps.filter((id) => livesInVpnNamespace(id, raw.indexersThroughVpn))
        .sort((a, b) => Number(!!CATALOG[a].portFollowsHost) - Number(!!CATALOG[b].portFollowsHost));
    for (const id of members) {
        const inside = listenPortFor(id, hostPortOf(raw, id));
        const neighbour = listeners.get(inside);
        const published = hostPortOf(raw, id);
        if (reserved.includes(inside)) {
            problems.set(id, `${key("hostPorts")}: ${id} cannot use port ${inside}: inside the VPN namespace it belongs to Gluetun or the torrent port (reserved: ${reserved.join(", ")})`);
        } else if (neighbour) {
            problems.set(id, `${key("hostPorts")}: ${id} cannot use port ${inside}: ${neighbour} listens on it inside the VPN namespace they share. ${freePortHint(id)}`);
        } else if (published === GLUETUN_CONTROL_PORT || published === TORRENTING_PORT) {
            problems.set(id, `${key("hostPorts")}: ${id} cannot use host port ${published}: the VPN gateway never publishes Gluetun's control port ${GLUETUN_CONTROL_PORT} or the torrent port ${TORRENTING_PORT}. ${freePortHint(id)}`);
        }
        listeners.set(inside, neighbour ?? id);
    }
    return problems;
}

/** On the LAN bind address every app needs a host port of its own, clear of SSH and the proxy. */
function lanPortProblems(raw: RawConfig, apps: AppId[]): Map<AppId, Problem> {
    const problems = new Map<AppId, Problem>();
    const owners = new Map<number, string>([[raw.sshPort, `SSH (${key("sshPort")})`]]);
    for (const port of PROXY_PORTS) owners.set(port, "the reverse proxy");
    for (const id of apps) {
        const port = hostPortOf(raw, id);
        const owner = owners.get(port);
        if (owner) problems.set(id, `${key("hostPorts")}: ${id} and ${owner} both ask for host port ${port}. ${freePortHint(id)}`);
        else owners.set(port, id);
    }
    return problems;
}

/** One problem at most per app, in catalog order: its namespace problem, else its LAN one. */
function hostPortProblems(raw: RawConfig, enabled: AppId[]): Problem[] {
    const apps = enabled.filter((id) => CATALOG[id].placement !== "gateway" && id !== "caddy");
    const inNamespace = namespacePortProblems(raw, apps);
    const onLan = lanPortProblems(raw, apps.filter((id) => !inNamespace.has(id)));
    return apps.flatMap((id) => inNamespace.get(id) ?? onLan.get(id) ?? []);
}

function jellyfinProblems(raw: RawConfig): Problem[] {
    if (raw.renderGroupId !== undefined && !raw.jellyfinHardwareAcceleration) {
        return [`${key("renderGroupId")}: only applies with ${key("jellyfinHardwareAcceleration")}=true`];
    }
    return [];
}

/** The SMB password is the only credential nested in a map: the whole `storage` key must be a secret. */
function storagePasswordProblems(rawValues: Record<string, unknown>, isSecret: (k: SecretSetting) => boolean): Problem[] {
    const storage = parseJsonish(rawValues.storage);
    const hasPassword = typeof storage === "object" && storage !== null && "password" in storage;
    return hasPassword && !isSecret("storage")
        ? [`${key("storage")}.password: is stored in plain text. Set it again with \`pulumi config set --secret --path '${key("storage")}.password' ...\``]
        : [];
}

/**
 * A NAS data root is mounted on the server, and the apps' config volumes (SQLite databases, which lock or
 * corrupt on NFS and SMB) must stay on the server's own disk, outside the mount.
 */
function storageProblems(raw: RawConfig): Problem[] {
    if (raw.storage.type === "local") return [];
    const problems: Problem[] = [];
    if (!deploysOverSsh(raw)) problems.push(`${key("storage")}: a NAS data root is mounted on the server over SSH: set ${key("host")} too, or use type local`);
    if (!/^\/[A-Za-z0-9._/-]+$/.test(raw.dataRoot)) {
        problems.push(`${key("dataRoot")}: a NAS data root becomes a systemd mount unit: use letters, digits and . _ - / only (e.g. ${DEFAULTS.dataRoot})`);
    }
    const inside = (path: string, root: string) => path === root || path.startsWith(`${root}/`);
    if (inside(raw.dockerRoot, raw.dataRoot)) {
        problems.push(`${key("dockerRoot")}: ${raw.dockerRoot} is inside ${key("dataRoot")} ${raw.dataRoot}, which is mounted from the NAS: the apps' config volumes (SQLite databases) would be on the share, where they lock or corrupt. Keep Docker's data root on the server's own disk`);
    } else if (inside(raw.dataRoot, raw.dockerRoot)) {
        problems.push(`${key("dataRoot")}: ${raw.dataRoot} is inside ${key("dockerRoot")} ${raw.dockerRoot}: the NAS share would be mounted among Docker's own files and the apps' config volumes. Use a folder of its own such as ${DEFAULTS.dataRoot}`);
    }
    return problems;
}

// ---- hosts and placement ------------------------------------------------------------------------------

/** The single-host keys that `homelab:hosts` replaces (the shared sshPrivateKey stays allowed). */
const SINGLE_HOST_KEYS = ["host", "sshPort", "sshUser", "sshHostKey", "lanBindAddress"] as const;

/** The hosts as declared: `homelab:hosts` in order, or the one host of the single-host keys. */
function declaredHostNames(raw: RawConfig): string[] {
    return raw.hosts ? Object.keys(raw.hosts) : [SINGLE_HOST_NAME];
}

/** Each app's host: `homelab:placement`, or the first declared host. Unknown names are reported separately. */
function placementOf(raw: RawConfig): Record<AppId, string> {
    const first = declaredHostNames(raw)[0] ?? SINGLE_HOST_NAME;
    return Object.fromEntries(APP_IDS.map((id) => [id, (raw.placement[id] as string | undefined) ?? first])) as Record<AppId, string>;
}

function hostsProblems(raw: RawConfig, enabled: AppId[], rawValues: Record<string, unknown>): Problem[] {
    if (!raw.hosts) return [];
    const problems: Problem[] = [];
    for (const single of SINGLE_HOST_KEYS) {
        if (rawValues[single] !== undefined) problems.push(`${key(single)}: cannot be used together with ${key("hosts")}: move it into each host's entry (${key("hosts")}.<name>.${single})`);
    }
    const names = Object.keys(raw.hosts);
    if (names.length === 0) problems.push(`${key("hosts")}: declares no host; add at least one (e.g. main: { host: 192.168.1.10, sshHostKey: ..., lanBindAddress: 192.168.1.10 })`);
    const placement = placementOf(raw);
    const inUse = new Set(enabled.map((id) => placement[id]));
    const seen = new Map<string, string>();
    for (const name of names) {
        const entry = raw.hosts[name];
        const where = `${key("hosts")}.${name}`;
        if (!entry.sshPrivateKey && !raw.sshPrivateKey) {
            problems.push(`${where}.sshPrivateKey: host "${name}" has no deploy key: set the shared ${key("sshPrivateKey")} or this host's own (\`pulumi config set --secret --path '${where}.sshPrivateKey' < KEYFILE\`)`);
        }
        if (entry.lanBindAddress && !cidrContains(raw.lanSubnet, entry.lanBindAddress)) {
            problems.push(`${where}.lanBindAddress: ${entry.lanBindAddress} is outside ${key("lanSubnet")} ${raw.lanSubnet}. Use the host's address on that LAN`);
        }
        if (inUse.size > 1 && inUse.has(name) && !entry.lanBindAddress) {
            problems.push(`${where}.lanBindAddress: is required when apps run on several hosts: the other hosts reach this host's apps at its LAN address`);
        }
        const endpoint = `${entry.host}:${entry.sshPort}`;
        const twin = seen.get(endpoint);
        if (twin) problems.push(`${where}.host: ${endpoint} is also host "${twin}": declare each machine once and place apps on it by name`);
        else seen.set(endpoint, name);
    }
    return problems;
}

/** Every host name in `homelab:placement` must be declared (unknown app names are unknownAppProblems'). */
function placementHostProblems(raw: RawConfig): Problem[] {
    const hosts = declaredHostNames(raw);
    return Object.entries(raw.placement)
        .filter(([id, host]) => (APP_IDS as readonly string[]).includes(id) && !hosts.includes(host as string))
        .map(([id, host]) => `${key("placement")}.${id}: "${host}" is not a host in ${key("hosts")} (${raw.hosts ? `declared: ${hosts.join(", ")}` : `without ${key("hosts")} the one host is "${SINGLE_HOST_NAME}"`})`);
}

const SHARE_HINT = `or put the data root on a NAS share mounted at the same path on every host (${key("storage")})`;

/** Why an app that mounts the data tree may not run away from the download client, by what it does there. */
function awayFromDataReason(id: AppId): string {
    switch (CATALOG[id].role) {
        case "library":
            return "its imports are hardlinks of qBittorrent's downloads, and hardlinks need both on one filesystem";
        case "streaming":
            return "it streams the media the library managers write there, and would see an empty local folder";
        default:
            return "it works on the data tree qBittorrent and the library managers write there, and would see an empty local folder";
    }
}

/**
 * The invariants a placement must keep: the VPN namespace lives on the gateway's host, and the apps of the
 * data tree share it unless the data root is a NAS share (the same mount on every host).
 */
function placementProblems(raw: RawConfig, enabled: AppId[]): Problem[] {
    // A placement on an undeclared host is reported once, by placementHostProblems.
    if (placementHostProblems(raw).length > 0) return [];
    const problems: Problem[] = [];
    const placement = placementOf(raw);
    const where = (id: AppId) => `${key("placement")}.${id}`;
    const title = (id: AppId) => CATALOG[id].title;
    const gateway = appsWithRole("vpn-gateway")[0];
    for (const id of enabled.filter((app) => livesInVpnNamespace(app, raw.indexersThroughVpn))) {
        if (placement[id] !== placement[gateway]) {
            problems.push(`${where(id)}: ${title(id)} is on "${placement[id]}" but ${title(gateway)} is on "${placement[gateway]}": it lives in ${title(gateway)}'s network namespace (the VPN and its kill switch), which exists on one host only. Place it on "${placement[gateway]}"`);
        }
    }
    const downloader = appsWithRole("download-client")[0];
    if (!isSharedDataRoot({ storage: toStorageSettings(raw.storage) })) {
        for (const id of enabled.filter((app) => CATALOG[app].data !== "none" && app !== downloader)) {
            if (placement[id] !== placement[downloader]) {
                problems.push(`${where(id)}: ${title(id)} is on "${placement[id]}" but ${title(downloader)} and the data root ${raw.dataRoot} are on "${placement[downloader]}": ${awayFromDataReason(id)}. Place it on "${placement[downloader]}", ${SHARE_HINT}`);
            }
        }
    }
    return problems;
}

/** A device an app is given must be one its host declares (`homelab:hosts.<name>.devices`). */
function deviceProblems(raw: RawConfig, enabled: AppId[]): Problem[] {
    if (!raw.hosts || !raw.jellyfinHardwareAcceleration || !enabled.includes("jellyfin") || placementHostProblems(raw).length > 0) return [];
    const host = placementOf(raw).jellyfin;
    const devices = raw.hosts[host]?.devices ?? [];
    if (devices.includes(JELLYFIN_GPU_DEVICE)) return [];
    return [`${key("jellyfinHardwareAcceleration")}: Jellyfin runs on "${host}", which does not declare ${JELLYFIN_GPU_DEVICE} (${key("hosts")}.${host}.devices). Add it there if that host has the GPU, or place Jellyfin on the host that does`];
}

function backupProblems(raw: RawConfig): Problem[] {
    const backup = raw.backup;
    if (!backup?.repository) return [];
    const problems: Problem[] = [];
    if (!deploysOverSsh(raw)) problems.push(`${key("backup")}.repository: backups run on the server (a systemd timer installed over SSH): set ${key("host")} too, or unset the repository`);
    const { daily, weekly, monthly } = backup.keep;
    if (daily + weekly + monthly === 0) problems.push(`${key("backup")}.keep: keeps no snapshot at all; keep at least one (default: daily ${DEFAULTS.backup.keep.daily}, weekly ${DEFAULTS.backup.keep.weekly})`);
    return problems;
}

/** The schema of a (nested) setting, through optional/default/preprocess wrappers; undefined past a leaf. */
function schemaAt(path: readonly (string | number)[]): z.ZodType | undefined {
    let current: z.ZodType | undefined = schema;
    for (const segment of ["", ...path]) {
        current = unwrap(current);
        if (segment === "") continue;
        // A map of names (`hosts`): any name leads to the schema of its value.
        current = current instanceof z.ZodObject ? (current.shape as Record<string, z.ZodType>)[String(segment)]
            : current instanceof z.ZodRecord ? (current.valueType as z.ZodType) : undefined;
    }
    return unwrap(current);
}

function unwrap(type: z.ZodType | undefined): z.ZodType | undefined {
    let current = type;
    for (;;) {
        if (current instanceof z.ZodOptional || current instanceof z.ZodDefault) current = current.def.innerType as z.ZodType;
        else if (current instanceof z.ZodPipe) current = (current.def.out instanceof z.ZodTransform ? current.def.in : current.def.out) as z.ZodType;
        else return current;
    }
}

/** The keys a map setting knows (`backup` -> repository, schedule, keep), read from the schema. */
export function knownKeysAt(path: readonly string[]): string[] {
    const at = schemaAt(path);
    if (at instanceof z.ZodObject) return Object.keys(at.shape);
    // A setting of several kinds (`storage`: local, nfs or smb): the keys of any kind.
    if (at instanceof z.ZodUnion) {
        const options = at.def.options.map((option) => unwrap(option as z.ZodType));
        return [...new Set(options.flatMap((option) => option instanceof z.ZodObject ? Object.keys(option.shape) : []))];
    }
    return [];
}

/** A key written with dots but without `--path`: `backup.repository` as one key instead of a path. */
function dottedKeyProblem(name: string, written: string): Problem | undefined {
    const parts = name.split(".");
    if (parts.length < 2 || !CONFIG_KEYS.includes(parts[0] as keyof RawConfig)) return undefined;
    const target = key(name);
    return `${written}: is one key with dots in its name, which this program does not read; a nested setting needs --path: `
        + `\`pulumi config rm '${written}'\` then \`pulumi config set --path '${target}' <value>\``;
}

/** An unknown top-level `homelab:` key: a path without --path, or a typo of a known key. */
function unknownKeyProblem(name: string): Problem {
    return dottedKeyProblem(name, key(name))
        ?? `${key(name)}: is not a setting of this program${didYouMean(name, CONFIG_KEYS, (k) => `\`${key(k)}\``)}. Known settings: ${CONFIG_KEYS.join(", ")}`;
}

/**
 * Keys of the stack file outside the `homelab:` namespace: Pulumi's and the providers' are theirs; anything
 * else is never read, so it is an error that names the right spelling.
 */
export function foreignKeyProblems(fullKeys: readonly string[]): Problem[] {
    const namespaces = [NAMESPACE, ...FOREIGN_NAMESPACES];
    return fullKeys.flatMap((full) => {
        const colon = full.indexOf(":");
        const namespace = colon < 0 ? "" : full.slice(0, colon);
        const name = full.slice(colon + 1);
        if (namespace === NAMESPACE || (FOREIGN_NAMESPACES as readonly string[]).includes(namespace)) return [];
        const known = CONFIG_KEYS.includes(name.split(".")[0] as keyof RawConfig);
        if (namespace === PROJECT_NAME) {
            const dotted = name.includes(".") && known;
            return [`${full}: is set under the project's name (what \`pulumi config set ${name}\` writes), which this program does not read; `
                + (known
                    ? `it reads ${key(name)}: \`pulumi config rm '${full}'\` then \`pulumi config set${dotted ? " --path" : ""} '${key(name)}' <value>\``
                    : `its settings are ${NAMESPACE}:<key>${didYouMean(name, CONFIG_KEYS, (k) => `\`${key(k)}\``)}`)];
        }
        const close = nearest(namespace, namespaces);
        if (close === NAMESPACE) {
            return [`${full}: "${namespace}" is not a namespace this program reads${known ? `: did you mean \`${key(name)}\`?` : didYouMean(name, CONFIG_KEYS, (k) => `\`${key(k)}\``)}`];
        }
        return [`${full}: is not read by this program or its providers (${namespaces.map((n) => `${n}:`).join(", ")}); its settings are ${NAMESPACE}:<key>`];
    });
}

function zodProblems(field: string, error: z.ZodError): Problem[] {
    // One problem per unknown key (zod reports them as one issue), so the count in the header is right.
    return error.issues.flatMap((issue) => {
        const path = [field, ...issue.path.map(String)];
        const where = `${key(path[0])}${path.length > 1 ? `.${path.slice(1).join(".")}` : ""}`;
        if (issue.code === "unrecognized_keys") {
            const known = knownKeysAt(path);
            return issue.keys.map((k) => `${where}: "${k}" is not a setting here${didYouMean(k, known)}${known.length > 0 ? `. Known: ${known.join(", ")}` : ""}`);
        }
        return [`${where}: ${issue.message}`];
    });
}

// ---- entry point -------------------------------------------------------------------------------------

/** Raw `homelab:*` values as the engine hands them over (strings; objects JSON-encoded). */
export function readRawConfig(): Record<string, string> {
    const prefix = `${NAMESPACE}:`;
    return Object.fromEntries(
        Object.entries(pulumi.runtime.allConfig())
            .filter(([k]) => k.startsWith(prefix))
            .map(([k, v]) => [k.slice(prefix.length).replace(/^config:/, ""), v]),
    );
}

function isSecretKey(name: SecretSetting): boolean {
    const check = (runtimeConfig as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    return check ? check(key(name)) : true;
}

/** A rule across settings, run only when every setting it reads is valid (so it never blames a bad value twice). */
interface CrossCheck {
    reads: (keyof RawConfig)[];
    /** `rawValues`: the settings as written, for rules about which keys are set at all. */
    check: (raw: RawConfig, enabledApps: AppId[], rawValues: Record<string, unknown>) => Problem[];
}

const CROSS_CHECKS: CrossCheck[] = [
    ...(["apps", "images", "memoryLimits", "hostPorts", "placement"] as const).map((field): CrossCheck => ({ reads: [field], check: (raw) => unknownAppProblems(raw, field) })),
    { reads: ["host", "sshHostKey", "sshPrivateKey"], check: targetProblems },
    { reads: ["vpnType", "wireguardPrivateKey", "openvpnUser", "openvpnPassword"], check: vpnProblems },
    { reads: ["host", "lanSubnet", "lanBindAddress", "dockerSubnet"], check: networkProblems },
    { reads: ["apps", "hostPorts", "indexersThroughVpn", "sshPort"], check: (raw, apps) => hostPortProblems(raw, apps) },
    { reads: ["renderGroupId", "jellyfinHardwareAcceleration"], check: jellyfinProblems },
    { reads: ["backup", "host", "hosts"], check: backupProblems },
    { reads: ["storage", "host", "hosts", "dataRoot", "dockerRoot"], check: storageProblems },
    { reads: ["alerts", "host", "hosts"], check: alertProblems },
    { reads: ["hosts", "sshPrivateKey", "lanSubnet", "apps", "placement"], check: hostsProblems },
    { reads: ["hosts", "placement"], check: placementHostProblems },
    { reads: ["hosts", "placement", "apps", "indexersThroughVpn", "storage", "dataRoot"], check: placementProblems },
    { reads: ["hosts", "placement", "apps", "jellyfinHardwareAcceleration"], check: deviceProblems },
];

/**
 * Validates the raw settings and returns the typed config, or throws ConfigError listing every problem of the
 * stack at once: each setting is checked on its own, then every cross-setting rule whose settings are valid.
 * `isSecret` tells whether a key was stored with --secret (the engine knows; tests may pass their own).
 * `otherKeys` are the stack's keys outside the `homelab:` namespace (full `namespace:key` form).
 */
export function parseConfig(rawValues: Record<string, unknown>, isSecret: (k: SecretSetting) => boolean = isSecretKey, otherKeys: readonly string[] = []): HomelabConfig {
    const problems: Problem[] = [
        ...foreignKeyProblems(otherKeys), ...plainTextSecretProblems(rawValues, isSecret), ...storagePasswordProblems(rawValues, isSecret),
    ];
    for (const name of Object.keys(rawValues)) {
        if (!CONFIG_KEYS.includes(name as keyof RawConfig)) problems.push(unknownKeyProblem(name));
    }
    const invalid = new Set<string>();
    const values: Record<string, unknown> = {};
    for (const field of CONFIG_KEYS) {
        const fieldSchema = schema.shape[field] as z.ZodType;
        const parsed = fieldSchema.safeParse(rawValues[field]);
        if (parsed.success) {
            values[field] = parsed.data;
        } else {
            invalid.add(field);
            problems.push(...zodProblems(field, parsed.error));
            values[field] = fieldSchema.safeParse(undefined).data;
        }
    }
    const raw = values as RawConfig;
    const enabledApps = enabledAppsOf(raw);
    for (const rule of CROSS_CHECKS) {
        if (rule.reads.every((field) => !invalid.has(field))) problems.push(...rule.check(raw, enabledApps, rawValues));
    }
    if (!invalid.has("alerts")) problems.push(...plainTextAlertTokenProblems(raw, isSecret));
    if (problems.length > 0) throw new ConfigError(problems);
    return toHomelabConfig(raw, enabledApps, placementOf(raw));
}

function perApp<T>(overrides: Record<string, T>, fallback: (id: AppId) => T): Record<AppId, T> {
    return Object.fromEntries(APP_IDS.map((id) => [id, overrides[id] ?? fallback(id)])) as Record<AppId, T>;
}

function toStorageSettings(storage: RawConfig["storage"]): StorageSettings {
    switch (storage.type) {
        case "local":
            return { type: "local" };
        case "nfs":
            return { type: "nfs", server: storage.server, export: storage.export, options: storage.options };
        case "smb":
            return { type: "smb", server: storage.server, share: storage.share, username: storage.username, password: pulumi.secret(storage.password), options: storage.options };
    }
}

function hostSpecs(raw: RawConfig, single: DeployTarget): HostSpec[] {
    if (!raw.hosts) return [{ name: SINGLE_HOST_NAME, target: single, lanBindAddress: raw.lanBindAddress }];
    return Object.entries(raw.hosts).map(([name, entry]) => ({
        name,
        target: {
            kind: "ssh",
            host: entry.host,
            port: entry.sshPort,
            user: entry.sshUser,
            hostKey: entry.sshHostKey,
            privateKey: pulumi.secret((entry.sshPrivateKey ?? raw.sshPrivateKey)!),
        },
        lanBindAddress: entry.lanBindAddress,
        devices: entry.devices,
    }));
}

function toHomelabConfig(raw: RawConfig, enabledApps: AppId[], placement: Record<AppId, string>): HomelabConfig {
    const common = { countries: raw.vpnCountries, cities: raw.vpnCities, portForwarding: raw.vpnPortForwarding };
    const vpn: VpnSettings = raw.vpnType === "wireguard"
        ? { type: "wireguard", privateKey: pulumi.secret(raw.wireguardPrivateKey!), ...common }
        : { type: "openvpn", user: raw.openvpnUser!, password: pulumi.secret(raw.openvpnPassword!), ...common };
    const single: DeployTarget = raw.host === undefined
        ? { kind: "local" }
        : { kind: "ssh", host: raw.host, port: raw.sshPort, user: raw.sshUser, hostKey: raw.sshHostKey!, privateKey: pulumi.secret(raw.sshPrivateKey!) };
    const hosts = hostSpecs(raw, single);
    return {
        target: hosts[0].target,
        hosts,
        placement,
        puid: raw.puid,
        pgid: raw.pgid,
        timezone: raw.timezone,
        dataRoot: raw.dataRoot,
        storage: toStorageSettings(raw.storage),
        domain: raw.domain,
        acmeEmail: raw.acmeEmail,
        lanSubnet: raw.lanSubnet,
        lanBindAddress: hosts[0].lanBindAddress,
        dockerSubnet: raw.dockerSubnet,
        dockerRoot: raw.dockerRoot,
        vpn,
        enabledApps,
        indexersThroughVpn: raw.indexersThroughVpn,
        images: perApp(raw.images, (id) => CATALOG[id].image),
        memoryMb: perApp(raw.memoryLimits, (id) => CATALOG[id].memoryMb),
        hostPorts: perApp(raw.hostPorts, (id) => CATALOG[id].port),
        jellyfin: { hardwareAcceleration: raw.jellyfinHardwareAcceleration, renderGroupId: raw.renderGroupId },
        wiring: raw.wiring,
        jellyfinAdmin: raw.jellyfinAdmin,
        ipEchoUrl: raw.ipEchoUrl,
        backup: raw.backup?.repository ? { repository: raw.backup.repository, schedule: raw.backup.schedule, keep: raw.backup.keep } : undefined,
        alerts: toAlertSettings(raw.alerts),
        metrics: raw.metrics,
    };
}

function toAlertSettings(alerts: RawConfig["alerts"]): AlertSettings {
    const { ntfy, gotify, webhook } = alerts;
    return {
        intervalSeconds: timeSpanSeconds(alerts.interval)!,
        repeatSeconds: timeSpanSeconds(alerts.repeat)!,
        ntfy: ntfy && { url: ntfy.url, topic: ntfy.topic, token: ntfy.token === undefined ? undefined : pulumi.secret(ntfy.token) },
        gotify: gotify && { url: gotify.url, token: pulumi.secret(gotify.token) },
        webhook,
    };
}

/** Reads and validates the stack's config once. */
export function loadConfig(): HomelabConfig {
    const otherKeys = Object.keys(pulumi.runtime.allConfig()).filter((k) => !k.startsWith(`${NAMESPACE}:`));
    return parseConfig(readRawConfig(), isSecretKey, otherKeys);
}
