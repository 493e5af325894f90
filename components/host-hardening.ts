/**
 * HostHardening: the work done on the server itself over SSH, with the stack's pinned host key. The data
 * tree with PUID/PGID ownership (hardlink layout), UFW that keeps SSH open and makes Docker-published ports
 * obey it (DOCKER-USER), Fail2Ban for SSH and every app that logs failed logins, and a service that restarts
 * the VPN gateway's members into its network namespace when the gateway container restarts.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { AppId, appsWithRole, CATALOG, MEDIA_KINDS, PROXY_PORTS } from "./catalog";
import { DeployTarget, HomelabConfig } from "./config";
import { configVolumeName, VPN_LABEL } from "./container";
import type { DataMount } from "./data-mount";
import { HostScript, HostScriptVariables, renderRemoteScript } from "./host-scripts";

export type SshTarget = Extract<DeployTarget, { kind: "ssh" }>;

export interface HostHardeningArgs {
    cfg: HomelabConfig;
    target: SshTarget;
    /** The apps on this host (Fail2Ban jails); defaults to every enabled app (one host). */
    apps?: AppId[];
    /** Host ports that containers publish on the LAN bind address: reachable from the LAN subnet only. */
    lanAppPorts: number[];
    /** Host ports of the server's own services (node_exporter) on the LAN bind address: LAN subnet only. */
    lanHostPorts?: number[];
    /** Stacks on several hosts: ports published for other hosts, each reachable from those hosts' addresses only. */
    peerPorts?: PeerPort[];
    /** Stacks on several hosts: the other hosts' LAN addresses (never banned by Fail2Ban). */
    peerAddresses?: string[];
    /**
     * The apps whose logs Fail2Ban reads. It starts after them: Docker fills a named volume from the
     * image only while it is empty, so nothing may be written into an app's volume before its container.
     */
    logWriters: pulumi.Input<pulumi.Resource[]>;
    /** The NAS mount of the data root (homelab:storage nfs/smb): the data tree is made on the share, after it. */
    dataMount?: DataMount;
}

export interface PeerPort {
    port: number;
    from: string[];
}

/** `PEER_PORTS` of the firewall step, or undefined (not even exported) on a single host. */
export function peerPortsVariable(peers: PeerPort[] | undefined): string | undefined {
    return peers && peers.length > 0 ? peers.map((p) => `${p.port}@${p.from.join(",")}`).join(" ") : undefined;
}

/** How every remote command reaches the host: the stack's SSH user and key, host key pinned. */
export function sshConnection(target: SshTarget): command.types.input.remote.ConnectionArgs {
    return { host: target.host, port: target.port, user: target.user, privateKey: target.privateKey, hostKey: target.hostKey };
}

export const FAIL2BAN_DEFAULTS = { BAN_TIME: "1h", FIND_TIME: "10m", MAX_RETRY: 5, LOG_WAIT_SECONDS: 180 };

/** The uid:gid an app writes its files as: the media owner, or the image's own user (root when it has none). */
function appOwner(cfg: HomelabConfig, id: AppId): string {
    return CATALOG[id].identity === "image-default" ? (CATALOG[id].imageUser ?? "0:0") : `${cfg.puid}:${cfg.pgid}`;
}

/** One Fail2Ban jail per enabled app that logs failed logins, reading the log inside its config volume. */
export function fail2banJails(cfg: HomelabConfig, apps: AppId[] = cfg.enabledApps): string {
    return apps
        .flatMap((id: AppId) => {
            const log = CATALOG[id].loginLog;
            if (!log) return [];
            const path = `${cfg.dockerRoot}/volumes/${configVolumeName(id)}/_data/${log.file}`;
            return [`homelab-${id}|${log.filter}|${path}|${appOwner(cfg, id)}${log.link ? "|link" : ""}`];
        })
        .join("\n");
}

export class HostHardening extends pulumi.ComponentResource {
    public readonly dataTree: command.remote.Command;
    public readonly firewall: command.remote.Command;
    public readonly fail2ban: command.remote.Command;
    public readonly vpnRecovery: command.remote.Command;

    constructor(name: string, args: HostHardeningArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:host:HostHardening", name, {}, opts);
        const { cfg, target } = args;
        const connection = sshConnection(target);
        const sudo = target.user !== "root";
        const run = <S extends HostScript>(script: S, variables: HostScriptVariables[S], extra?: pulumi.CustomResourceOptions) => {
            const create = renderRemoteScript(script, "create", variables, { sudo });
            return new command.remote.Command(`${name}-${script}`, {
                connection,
                create,
                update: create,
                delete: renderRemoteScript(script, "delete", variables, { sudo }),
            }, {
                parent: this,
                // The old delete would remove the new run's rules (both are tagged "homelab"): never create first.
                deleteBeforeReplace: true,
                ...extra,
            });
        };

        this.dataTree = run("data-tree", {
            DATA_ROOT: cfg.dataRoot,
            PUID: cfg.puid,
            PGID: cfg.pgid,
            MEDIA_KINDS: MEDIA_KINDS.join(" "),
            STORAGE: cfg.storage.type,
            // Part of the command: another share runs the tree and the hardlink check again, on the new share.
            STORAGE_SOURCE: args.dataMount?.source ?? "the server's disk",
        }, args.dataMount ? { dependsOn: [args.dataMount.mount] } : undefined);
        // In order, and deleted in reverse: data tree, firewall, then Fail2Ban, which bans in the
        // DOCKER-USER chain that the firewall step prepares.
        this.firewall = run("firewall", {
            SSH_PORT: target.port,
            LAN_SUBNET: cfg.lanSubnet,
            PUBLIC_PORTS: PROXY_PORTS.join(" "),
            LAN_APP_PORTS: args.lanAppPorts.join(" "),
            LAN_HOST_PORTS: (args.lanHostPorts ?? []).join(" "),
            DOCKER_SUBNET: cfg.dockerSubnet,
            PEER_PORTS: peerPortsVariable(args.peerPorts),
        }, { dependsOn: [this.dataTree] });
        this.fail2ban = run("fail2ban", {
            SSH_PORT: target.port,
            JAILS: fail2banJails(cfg, args.apps),
            DOCKER_SUBNET: cfg.dockerSubnet,
            PEER_ADDRESSES: args.peerAddresses && args.peerAddresses.length > 0 ? args.peerAddresses.join(" ") : undefined,
            ...FAIL2BAN_DEFAULTS,
        }, { dependsOn: pulumi.output(args.logWriters).apply((apps) => [this.firewall, ...apps]) });

        // Docker never restarts a member whose gateway restarted (it keeps the dead namespace): the host does.
        this.vpnRecovery = run("vpn-recovery", {
            GATEWAY_APP: appsWithRole("vpn-gateway")[0],
            MEMBER_LABEL: `${VPN_LABEL}=true`,
        });

        this.registerOutputs({ dataTree: this.dataTree, firewall: this.firewall, fail2ban: this.fail2ban, vpnRecovery: this.vpnRecovery });
    }
}
