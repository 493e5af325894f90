/**
 * Watcher: the server watches itself. `homelab-watch.timer` runs the checks of `npm run status` (the same
 * script, scripts/status-probe.sh, installed as /usr/local/sbin/homelab-status) every `homelab:alerts.interval`,
 * keeps each check's state on the host and sends a message when a check starts failing, recovers, or stays
 * failing for `homelab:alerts.repeat` (ntfy, Gotify, a webhook; tokens only in a 0600 file on the host), and
 * writes homelab_* metrics that Debian's node_exporter serves on the LAN bind address.
 */
import * as fs from "fs";
import * as path from "path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { TORRENTING_PORT } from "./catalog";
import { AlertSettings, HomelabConfig } from "./config";
import { lanPublishedApps } from "./container";
import { mountSpec, mountUnitName } from "./data-mount";
import { SshTarget, sshConnection } from "./host-hardening";
import { HOST_SCRIPT_DIR, HostScriptVariables, renderStdinScript, shellQuote } from "./host-scripts";

/** The one definition of "healthy": collected and judged on the host, for `npm run status` and the watcher. */
export const STATUS_PROBE = path.join(__dirname, "..", "scripts", "status-probe.sh");
export const WATCH_RUNNER = path.join(HOST_SCRIPT_DIR, "homelab-watch.sh");

/** Gluetun's tunnel interface (its VPN_INTERFACE default, for WireGuard and OpenVPN alike). */
export const TUNNEL_INTERFACE = "tun0";
/** Public addresses whose route from inside the VPN namespace must use the tunnel (looked up, never contacted). */
export const PROBE_ADDRESSES = ["1.1.1.1", "8.8.8.8", "9.9.9.9"];
/** Below this much free space (or a tenth of the filesystem, if less), downloads start failing soon. */
export const MIN_FREE_BYTES = 5 * 1024 ** 3;
/** Memory use above this share of the limit is reported (the kernel kills the app at the limit). */
export const MEMORY_WARN_PERCENT = 90;
/** A crash-looping app: more automatic restarts than this. */
export const MAX_RESTARTS = 5;
/** A filesystem that fills up within this many days, at the rate of the last day, is reported. */
export const FORECAST_DAYS = 7;
/** node_exporter's port (Debian's default). */
export const METRICS_PORT = 9100;
/** The forwarded port may differ from qBittorrent's for this long before it counts (Gluetun re-forwards). */
export const PORT_GRACE_SECONDS = 300;
/** At most this many state changes of one check are announced per hour (a flapping check does not flood). */
export const FLAP_LIMIT = 3;

/** The variables of the status probe for a stack: what `npm run status` exports and status.env holds. */
export function statusVariables(cfg: HomelabConfig): Record<string, string> {
    return {
        APPS: cfg.enabledApps.join(" "),
        PINS: cfg.enabledApps.map((id) => `${id}=${cfg.images[id]}`).join("\n"),
        GATEWAY: "gluetun",
        TUNNEL: TUNNEL_INTERFACE,
        ECHO_URL: cfg.ipEchoUrl,
        PROBE_ADDRESSES: PROBE_ADDRESSES.join(" "),
        PORT_FORWARDING: cfg.vpn.portForwarding ? "yes" : "no",
        TORRENTING_PORT: String(TORRENTING_PORT),
        DATA_ROOT: cfg.dataRoot,
        DOCKER_ROOT: cfg.dockerRoot,
        LAN_BIND: cfg.lanBindAddress ?? "",
        LAN_PORTS: cfg.lanBindAddress ? lanPublishedApps(cfg).map((id) => cfg.hostPorts[id]).join(" ") : "",
        BACKUP_REPOSITORY: cfg.backup?.repository ?? "",
        BACKUP_SCHEDULE: cfg.backup?.schedule ?? "",
        MIN_FREE_BYTES: String(MIN_FREE_BYTES),
        MAX_RESTARTS: String(MAX_RESTARTS),
        MEMORY_WARN_PERCENT: String(MEMORY_WARN_PERCENT),
        FORECAST_DAYS: String(FORECAST_DAYS),
        MOUNT_UNIT: cfg.storage.type === "local" ? "" : mountUnitName(cfg.dataRoot),
        MOUNT_SOURCE: cfg.storage.type === "local" ? "" : mountSpec(cfg, cfg.storage).what,
    };
}

/** Shell assignments, one per line (status.env, alerts.env, the probe's preamble). */
export function shellAssignments(variables: Record<string, string>, exported = false): string {
    return Object.entries(variables).map(([k, v]) => `${exported ? "export " : ""}${k}=${shellQuote(v)}`).join("\n");
}

/** /etc/homelab/alerts.env: the channels with their tokens (a secret as a whole). */
export function alertsEnv(alerts: AlertSettings): pulumi.Output<string> {
    const tokens = { ntfy: alerts.ntfy?.token ?? "", gotify: alerts.gotify?.token ?? "" };
    return pulumi.secret(pulumi.all(tokens).apply(({ ntfy, gotify }) => shellAssignments({
        NTFY_URL: alerts.ntfy?.url ?? "",
        NTFY_TOPIC: alerts.ntfy?.topic ?? "",
        NTFY_TOKEN: ntfy,
        GOTIFY_URL: alerts.gotify?.url ?? "",
        GOTIFY_TOKEN: gotify,
        WEBHOOK_URL: alerts.webhook ?? "",
    })));
}

/** Where node_exporter listens: the LAN bind address only (loopback without one). */
export function metricsListen(cfg: HomelabConfig): string {
    return `${cfg.lanBindAddress ?? "127.0.0.1"}:${METRICS_PORT}`;
}

/** The install step's variables, without the secret ALERTS_ENV (create adds it). */
export function watchVariables(cfg: HomelabConfig): HostScriptVariables["watch"] {
    return {
        STATUS_ENV: shellAssignments(statusVariables(cfg)),
        PROBE: fs.readFileSync(STATUS_PROBE, "utf8"),
        RUNNER: fs.readFileSync(WATCH_RUNNER, "utf8"),
        INTERVAL: cfg.alerts.intervalSeconds,
        REPEAT: cfg.alerts.repeatSeconds,
        PORT_GRACE: PORT_GRACE_SECONDS,
        FLAP_LIMIT,
        METRICS: cfg.metrics ? "yes" : "no",
        METRICS_LISTEN: metricsListen(cfg),
    };
}

export interface WatcherArgs {
    cfg: HomelabConfig;
    target: SshTarget;
}

export class Watcher extends pulumi.ComponentResource {
    public readonly timer: command.remote.Command;

    constructor(name: string, args: WatcherArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:host:Watcher", name, {}, opts);
        const { cfg, target } = args;
        const sudo = target.user !== "root";
        const variables = watchVariables(cfg);
        const create = renderStdinScript("watch", "create", variables, { sudo });
        const stdin = pulumi.secret(alertsEnv(cfg.alerts).apply((env) => renderStdinScript("watch", "create", { ...variables, ALERTS_ENV: env }, { sudo }).stdin));
        const remove = renderStdinScript("watch", "delete", variables, { sudo });
        // The delete runs without stdin: its script and variables travel in the command itself.
        this.timer = new command.remote.Command(`${name}-watch`, {
            connection: sshConnection(target),
            create: create.command,
            update: create.command,
            stdin,
            delete: `${remove.command} <<'HOMELAB_SCRIPT_EOF'\n${remove.stdin}HOMELAB_SCRIPT_EOF\n`,
        }, { parent: this, deleteBeforeReplace: true });

        this.registerOutputs({ timer: this.timer });
    }
}
