/**
 * What every app container has in common, written once: pinned image, restart policy, a healthcheck that
 * probes the app, no-new-privileges, a memory limit, bounded logs, PUID/PGID/TZ, config in a named volume,
 * the shared /data bind mount, and either a place on the stack's bridge network or the VPN namespace.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { addressSlot, AppId, AppSpec, CATALOG, DATA_MOUNT_PATH, GLUETUN_HEALTH_URL, listenPortFor, livesInVpnNamespace } from "./catalog";
import { HomelabConfig } from "./config";
import { addressInSubnet } from "./invariants";
import { crossHostLinks, hostOf, lanEndpoint, sameHost } from "./placement";
import { appsCanMove, configMove } from "./config-move";

export const RESTART_POLICY = "unless-stopped";
export const LOG_OPTIONS = { "max-size": "10m", "max-file": "3" };
export const NO_NEW_PRIVILEGES = "no-new-privileges:true";
export const STACK_NETWORK_NAME = "homelab";
/** Every container and volume says which app it belongs to. */
export const APP_LABEL = "homelab.app";
/** `true` on the containers in the VPN gateway's network namespace (the host's vpn-recovery service uses it). */
export const VPN_LABEL = "homelab.vpn";

/** True when the app runs inside Gluetun's network namespace with this config. */
export function isVpnMember(cfg: HomelabConfig, id: AppId): boolean {
    return livesInVpnNamespace(id, cfg.indexersThroughVpn);
}

export function isEnabled(cfg: HomelabConfig, id: AppId): boolean {
    return cfg.enabledApps.includes(id);
}

/** The apps in the VPN namespace with this config, in catalog order. */
export function vpnMembers(cfg: HomelabConfig): AppId[] {
    return cfg.enabledApps.filter((id) => isVpnMember(cfg, id));
}

/** The enabled apps a person uses: everything but the VPN gateway and the reverse proxy. */
export function userFacingApps(cfg: HomelabConfig): AppId[] {
    return cfg.enabledApps.filter((id) => CATALOG[id].role !== "vpn-gateway" && CATALOG[id].role !== "reverse-proxy");
}

/**
 * Apps published on their host's LAN bind address (when it has one), open to the whole LAN: every user-facing
 * app with a WebUI for people (a catalog `exposure`). FlareSolverr has none: it is an unauthenticated browser
 * inside the VPN namespace, reached only by Prowlarr.
 */
export function lanPublishedApps(cfg: HomelabConfig): AppId[] {
    return userFacingApps(cfg).filter((id) => CATALOG[id].exposure !== undefined && hostOf(cfg, id).lanBindAddress !== undefined);
}

/**
 * Apps published on their host's LAN address only because an app on another host calls them (no WebUI for
 * people): the host's firewall admits each such port from the calling hosts alone, never from the whole LAN.
 */
export function peerPublishedApps(cfg: HomelabConfig): AppId[] {
    const lan = new Set(lanPublishedApps(cfg));
    const servers = new Set(crossHostLinks(cfg).map((link) => link.server));
    return cfg.enabledApps.filter((id) => servers.has(id) && !lan.has(id));
}

/** The port an app listens on in its container with this config. */
export function appPort(cfg: HomelabConfig, id: AppId): number {
    return listenPortFor(id, cfg.hostPorts[id]);
}

/** First host number of the fixed app addresses in the stack subnet (below it: Docker's gateway). */
const FIRST_APP_HOST = 10;

/**
 * Every app on the bridge gets a fixed address, derived from its catalog slot: members of the VPN
 * namespace resolve names through Gluetun's DNS, which does not know Docker's container names, so they
 * reach bridge apps by address.
 */
export function stackAddress(cfg: HomelabConfig, id: AppId): string {
    return addressInSubnet(cfg.dockerSubnet, FIRST_APP_HOST + addressSlot(id));
}

/** Where other containers reach an app on the stack network: members answer on the gateway's alias. */
export function upstreamOf(cfg: HomelabConfig, id: AppId): string {
    return `${isVpnMember(cfg, id) ? "gluetun" : id}:${appPort(cfg, id)}`;
}

/**
 * How `client` reaches `server` (`host:port`): on the same host the VPN namespace uses fixed addresses or
 * localhost and the bridge uses names; across hosts, the server's host LAN address and published port.
 */
export function addressSeenFrom(cfg: HomelabConfig, client: AppId, server: AppId): string {
    if (!sameHost(cfg, client, server)) {
        const { host, port } = lanEndpoint(cfg, server);
        return `${host}:${port}`;
    }
    return isVpnMember(cfg, client) ? addressFromVpnNamespace(cfg, server) : upstreamOf(cfg, server);
}

/**
 * The source address an app sees on requests from the reverse proxy: Caddy's fixed stack address on the same
 * host, the proxy host's LAN address across hosts (Docker masquerades outgoing container traffic).
 */
export function proxySourceAddress(cfg: HomelabConfig, id: AppId): string {
    return sameHost(cfg, "caddy", id) ? stackAddress(cfg, "caddy") : lanEndpoint(cfg, "caddy").host;
}

/** How an app is reached from inside the VPN namespace: members are localhost, bridge apps a fixed address. */
export function addressFromVpnNamespace(cfg: HomelabConfig, id: AppId): string {
    return `${isVpnMember(cfg, id) || id === "gluetun" ? "localhost" : stackAddress(cfg, id)}:${appPort(cfg, id)}`;
}

/** Name of the named volume that holds an app's config (stable, so data survives container replacement). */
export function configVolumeName(id: AppId, purpose = "config"): string {
    return `homelab-${volumeOwner(id, purpose)}-${purpose}`;
}

/** Whose volume it is (name and `homelab.app` label): an app that replaced another keeps that app's config volume. */
function volumeOwner(id: AppId, purpose: string): string {
    return (purpose === "config" ? CATALOG[id].formerId : undefined) ?? id;
}

function probeCommand(spec: AppSpec, url: string): string {
    switch (spec.probe.tool) {
        case "curl":
            return `curl -fsS -o /dev/null --max-time 5 ${url}`;
        case "wget":
            return `wget -q -O /dev/null -T 5 ${url}`;
        case "python":
            return `python3 -c "import urllib.request; urllib.request.urlopen('${url}', timeout=5)"`;
        case "gluetun":
            return "/gluetun-entrypoint healthcheck";
    }
}

/**
 * A healthcheck that really probes the app; VPN members also probe Gluetun's health server in the shared
 * namespace, so they turn unhealthy (and get restarted by `HEALTH_RESTART_VPN` healing or the operator)
 * when the tunnel is gone.
 */
export function healthcheckFor(cfg: HomelabConfig, spec: AppSpec): docker.types.input.ContainerHealthcheck {
    const probes = [probeCommand(spec, `http://${spec.probe.host ?? "localhost"}:${spec.probe.port ?? appPort(cfg, spec.id)}${spec.probe.path}`)];
    if (isVpnMember(cfg, spec.id)) probes.push(probeCommand(spec, `${GLUETUN_HEALTH_URL}/`));
    return {
        tests: ["CMD-SHELL", probes.join(" && ")],
        interval: "30s",
        timeout: "10s",
        retries: 3,
        startPeriod: "60s",
    };
}

function identityEnvs(cfg: HomelabConfig, spec: AppSpec): string[] {
    const tz = [`TZ=${cfg.timezone}`];
    return spec.identity === "linuxserver-env" ? [`PUID=${cfg.puid}`, `PGID=${cfg.pgid}`, ...tz] : tz;
}

/** The image, pulled on the host and kept there when the stack is destroyed (data and images survive). */
export function appImage(name: string, cfg: HomelabConfig, id: AppId, opts: pulumi.CustomResourceOptions): docker.RemoteImage {
    return new docker.RemoteImage(`${name}-${id}-image`, { name: cfg.images[id], keepLocally: true }, opts);
}

export function namedVolume(name: string, id: AppId, purpose: string, opts: pulumi.CustomResourceOptions): docker.Volume {
    return new docker.Volume(`${name}-${id}-${purpose}`, {
        name: configVolumeName(id, purpose),
        labels: [{ label: APP_LABEL, value: volumeOwner(id, purpose) }],
    }, { ...opts, retainOnDelete: true });
}

export type NetworkPlacement =
    | { kind: "bridge"; network: docker.Network; ports?: pulumi.Input<docker.types.input.ContainerPort>[] }
    | { kind: "vpn"; namespace: pulumi.Input<string> };

export interface AppContainerArgs {
    cfg: HomelabConfig;
    id: AppId;
    placement: NetworkPlacement;
    /** Required when the catalog gives the app a configPath. */
    configVolume?: docker.Volume;
    extraEnvs?: pulumi.Input<string>[];
    extraVolumes?: docker.types.input.ContainerVolume[];
    uploads?: pulumi.Input<docker.types.input.ContainerUpload>[];
    devices?: docker.types.input.ContainerDevice[];
    capabilities?: docker.types.input.ContainerCapabilities;
    user?: string;
    groupAdds?: string[];
    command?: string[];
    /** Run Docker's init as PID 1 (for images without one that expect it, such as Seerr's). */
    init?: boolean;
    /** Make `pulumi up` wait until the container is healthy (for containers others depend on). */
    waitHealthy?: boolean;
}

/** The data mounts an app needs according to the catalog: always the same host path at the same place. */
export function dataVolumes(cfg: HomelabConfig, spec: AppSpec): docker.types.input.ContainerVolume[] {
    switch (spec.data) {
        case "shared":
            return [{ hostPath: cfg.dataRoot, containerPath: DATA_MOUNT_PATH }];
        case "media-readonly":
            return [{ hostPath: `${cfg.dataRoot}/media`, containerPath: `${DATA_MOUNT_PATH}/media`, readOnly: true }];
        case "none":
            return [];
    }
}

function configVolumes(spec: AppSpec, volume: docker.Volume | undefined): docker.types.input.ContainerVolume[] {
    if (spec.configPath === undefined) return [];
    if (volume === undefined) throw new Error(`${spec.id} keeps state in ${spec.configPath} and needs a config volume`);
    return [{ volumeName: volume.name, containerPath: spec.configPath }];
}

function networkInputs(cfg: HomelabConfig, placement: NetworkPlacement, id: AppId): Partial<docker.ContainerArgs> {
    if (placement.kind === "vpn") {
        // Docker rejects ports, networks, hostname and DNS on a container that shares another's namespace.
        return { networkMode: placement.namespace };
    }
    return {
        networkMode: "bridge",
        networksAdvanced: [{ name: placement.network.name, aliases: [id], ipv4Address: stackAddress(cfg, id) }],
        ports: placement.ports,
    };
}

export function appContainer(name: string, args: AppContainerArgs, image: docker.RemoteImage, opts: pulumi.CustomResourceOptions): docker.Container {
    const { cfg, id } = args;
    const spec = CATALOG[id];
    // With several hosts, the config volume follows the app to its new host before the container starts there.
    const moved = args.configVolume && appsCanMove(cfg) ? [configMove(`${name}-${id}`, cfg, id, args.configVolume, opts)] : [];
    return new docker.Container(`${name}-${id}`, {
        name: id,
        image: image.imageId,
        restart: RESTART_POLICY,
        healthcheck: healthcheckFor(cfg, spec),
        securityOpts: [NO_NEW_PRIVILEGES],
        memory: cfg.memoryMb[id],
        logDriver: "json-file",
        logOpts: LOG_OPTIONS,
        envs: [...identityEnvs(cfg, spec), ...(args.extraEnvs ?? [])],
        volumes: [
            ...configVolumes(spec, args.configVolume),
            ...dataVolumes(cfg, spec),
            ...(args.extraVolumes ?? []),
        ],
        uploads: args.uploads,
        devices: args.devices,
        capabilities: args.capabilities,
        user: args.user ?? spec.imageUser,
        init: args.init,
        groupAdds: args.groupAdds,
        command: args.command,
        wait: args.waitHealthy,
        waitTimeout: args.waitHealthy ? 180 : undefined,
        labels: [
            { label: APP_LABEL, value: id },
            { label: VPN_LABEL, value: String(args.placement.kind === "vpn") },
        ],
        ...networkInputs(cfg, args.placement, id),
    }, { ...opts, dependsOn: withDependencies(opts.dependsOn, moved), deleteBeforeReplace: true });
}

function withDependencies(given: pulumi.CustomResourceOptions["dependsOn"], more: pulumi.Resource[]): pulumi.CustomResourceOptions["dependsOn"] {
    if (more.length === 0 || given === undefined) return more.length === 0 ? given : more;
    if (Array.isArray(given)) return [...given, ...more];
    if (pulumi.Resource.isInstance(given)) return [given, ...more];
    throw new Error("appContainer: dependsOn must be a resource or a list of them when the config volume can move");
}

/**
 * The ports of those apps that are published (LAN WebUIs, and APIs other hosts call), on their host's LAN
 * bind address only; none without one.
 */
export function lanPorts(cfg: HomelabConfig, ids: AppId[]): docker.types.input.ContainerPort[] {
    const published = new Set([...lanPublishedApps(cfg), ...peerPublishedApps(cfg)]);
    return ids.filter((id) => published.has(id))
        .map((id) => ({ internal: appPort(cfg, id), external: cfg.hostPorts[id], ip: hostOf(cfg, id).lanBindAddress, protocol: "tcp" }));
}
