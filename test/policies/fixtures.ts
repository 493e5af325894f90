/**
 * Resource graphs in the engine's wire form, for the policy tests: a small synthetic stack shaped like the
 * program (Gluetun with qBittorrent in its namespace, *arr apps and Jellyfin on the stack network, Caddy on
 * 80/443), and helpers to break it.
 */
import { GraphResource, Violation, evaluateGraph, isCantRunDuringPreview } from "../../policies/evaluate";

export type Mode = "preview" | "update";

/** The engine's unknown sentinel and secret envelope (wire form). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export function secret(value: unknown): Record<string, unknown> {
    return { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value };
}

export const CONTAINER = "docker:index/container:Container";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const PROVIDER = "pulumi:providers:docker";

const STACK = "urn:pulumi:test::homelab-media";

export function urnOf(type: string, name: string, parentType?: string): string {
    return `${STACK}::${parentType ? `${parentType}$` : ""}${type}::${name}`;
}

/** A mutable graph with lookups by app label. */
export class Graph {
    constructor(public readonly resources: GraphResource[], public readonly mode: Mode) {}

    clone(): Graph {
        return new Graph(JSON.parse(JSON.stringify(this.resources)) as GraphResource[], this.mode);
    }

    /** The container labelled `homelab.app=<app>`. */
    container(app: string): GraphResource {
        const found = this.resources.find(
            (r) =>
                r.type === CONTAINER &&
                Array.isArray(r.serializedInputs.labels) &&
                (r.serializedInputs.labels as Array<Record<string, unknown>>).some((l) => l.label === "homelab.app" && l.value === app),
        );
        if (!found) throw new Error(`no container for app ${app}`);
        return found;
    }

    /** The RemoteImage the container's image comes from. */
    imageOf(container: GraphResource): GraphResource {
        const urn = (container.propertyDependencies.image ?? [])[0];
        const image = this.resources.find((r) => r.urn === urn);
        if (!image) throw new Error(`no image for ${container.name}`);
        return image;
    }

    provider(): GraphResource {
        const found = this.resources.find((r) => r.type === PROVIDER);
        if (!found) throw new Error("no docker provider");
        return found;
    }

    /** The value `networkMode` has when it points at `target`'s namespace in this mode. */
    namespaceOf(target: GraphResource): string {
        return this.mode === "preview" ? UNKNOWN : `container:${target.name}-id`;
    }

    /** Puts `member` into `target`'s namespace the way `pulumi.interpolate` does (value + property dependency). */
    joinNamespace(member: GraphResource, target: GraphResource): void {
        member.serializedInputs.networkMode = this.namespaceOf(target);
        member.propertyDependencies.networkMode = [target.urn];
        for (const key of ["ports", "networksAdvanced", "hostname", "dns"]) delete member.serializedInputs[key];
    }

    /** Takes `container` out of any namespace and puts it on a network mode of its own. */
    leaveNamespace(container: GraphResource, networkMode: string): void {
        container.serializedInputs.networkMode = networkMode;
        container.propertyDependencies.networkMode = [];
    }

    env(container: GraphResource): unknown[] {
        return container.serializedInputs.envs as unknown[];
    }

    /** Adds a hardened container (own image, stack network, LAN port) and returns it. */
    addApp(spec: AppSpec): GraphResource {
        const [image, container] = appResources(spec, this.mode, this.provider());
        this.resources.push(image, container);
        return container;
    }
}

export interface AppSpec {
    app: string;
    image: string;
    port?: number;
    /** Bind address of the published port; undefined publishes nothing. */
    lanIp?: string;
    data?: "shared" | "media" | "none";
    parentType?: string;
}

const LAN_IP = "192.168.1.10";
const DATA_ROOT = "/srv/homelab/data";

function imageId(name: string, mode: Mode): string {
    return mode === "preview" ? UNKNOWN : `sha256:${Buffer.from(name).toString("hex").padEnd(64, "0").slice(0, 64)}`;
}

function appResources(spec: AppSpec, mode: Mode, provider: GraphResource): [GraphResource, GraphResource] {
    const parentType = spec.parentType ?? "homelab:apps:Apps";
    const providerRef = `${provider.urn}::${mode === "preview" ? UNKNOWN : "provider-id"}`;
    const image: GraphResource = {
        urn: urnOf(REMOTE_IMAGE, `homelab-${spec.app}-image`, parentType),
        type: REMOTE_IMAGE,
        name: `homelab-${spec.app}-image`,
        parent: "",
        provider: providerRef,
        dependencies: [],
        propertyDependencies: { name: [], keepLocally: [] },
        serializedInputs: { name: spec.image, keepLocally: true },
    };
    const volumes: Array<Record<string, unknown>> = [{ volumeName: `homelab-${spec.app}-config`, containerPath: "/config" }];
    if (spec.data === "shared") volumes.push({ hostPath: DATA_ROOT, containerPath: "/data" });
    if (spec.data === "media") volumes.push({ hostPath: `${DATA_ROOT}/media`, containerPath: "/data/media", readOnly: true });
    const inputs: Record<string, unknown> = {
        name: spec.app,
        image: imageId(spec.image, mode),
        restart: "unless-stopped",
        memory: 512,
        securityOpts: ["no-new-privileges:true"],
        healthcheck: { tests: ["CMD-SHELL", `curl -fsS http://localhost:${spec.port ?? 80}/`], interval: "30s", retries: 3 },
        envs: ["PUID=1000", "PGID=1000", "TZ=Europe/Berlin"],
        volumes,
        labels: [{ label: "homelab.app", value: spec.app }],
        networkMode: "bridge",
        networksAdvanced: [{ name: "homelab", aliases: [spec.app] }],
        logDriver: "json-file",
    };
    if (spec.port !== undefined && spec.lanIp !== undefined) {
        inputs.ports = [{ internal: spec.port, external: spec.port, ip: spec.lanIp, protocol: "tcp" }];
    }
    const container: GraphResource = {
        urn: urnOf(CONTAINER, `homelab-${spec.app}`, parentType),
        type: CONTAINER,
        name: `homelab-${spec.app}`,
        parent: "",
        provider: providerRef,
        dependencies: [image.urn],
        propertyDependencies: { image: [image.urn], networkMode: [], envs: [] },
        serializedInputs: inputs,
    };
    return [image, container];
}

/** The synthetic stack: provider over SSH with a pinned key, Gluetun + qBittorrent, Sonarr, Radarr, Jellyfin, Caddy. */
export function syntheticStack(mode: Mode): Graph {
    const provider: GraphResource = {
        urn: urnOf(PROVIDER, "homelab-docker"),
        type: PROVIDER,
        name: "homelab-docker",
        parent: "",
        provider: "",
        dependencies: [],
        propertyDependencies: {},
        serializedInputs: {
            host: "ssh://root@192.168.1.10:22",
            sshOpts: JSON.stringify(["-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=~/.ssh/homelab-media/test.known_hosts"]),
        },
    };
    const graph = new Graph([provider], mode);

    const gluetun = graph.addApp({ app: "gluetun", image: "qmcgaw/gluetun:v3.40.0", port: 8000 });
    Object.assign(gluetun.serializedInputs, {
        capabilities: { adds: ["NET_ADMIN"] },
        devices: [{ hostPath: "/dev/net/tun", containerPath: "/dev/net/tun" }],
        ports: [
            { internal: 8080, external: 8080, ip: LAN_IP, protocol: "tcp" },
            { internal: 9696, external: 9696, ip: LAN_IP, protocol: "tcp" },
        ],
        envs: [
            "VPN_SERVICE_PROVIDER=protonvpn",
            "VPN_TYPE=wireguard",
            secret("WIREGUARD_PRIVATE_KEY=" + "A".repeat(43) + "="),
            "FIREWALL_OUTBOUND_SUBNETS=172.30.0.0/24,192.168.1.0/24",
            "DOT=on",
            mode === "preview" ? UNKNOWN : "HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE={}",
        ],
        healthcheck: { tests: ["CMD-SHELL", "/gluetun-entrypoint healthcheck"] },
    });

    const qbittorrent = graph.addApp({ app: "qbittorrent", image: "lscr.io/linuxserver/qbittorrent:5.1.2", port: 8080, data: "shared" });
    graph.env(qbittorrent).push("WEBUI_PORT=8080");
    graph.joinNamespace(qbittorrent, gluetun);
    const prowlarr = graph.addApp({ app: "prowlarr", image: "lscr.io/linuxserver/prowlarr:2.0.5", port: 9696 });
    graph.joinNamespace(prowlarr, gluetun);

    graph.addApp({ app: "sonarr", image: "lscr.io/linuxserver/sonarr:4.0.15", port: 8989, lanIp: LAN_IP, data: "shared" });
    graph.addApp({ app: "radarr", image: "lscr.io/linuxserver/radarr:5.26.2", port: 7878, lanIp: LAN_IP, data: "shared" });
    graph.addApp({ app: "bazarr", image: "lscr.io/linuxserver/bazarr:1.5.2", port: 6767, lanIp: LAN_IP, data: "shared" });
    const jellyfin = graph.addApp({ app: "jellyfin", image: "jellyfin/jellyfin:10.10.7", port: 8096, lanIp: LAN_IP, data: "media" });
    jellyfin.serializedInputs.devices = [{ hostPath: "/dev/dri", containerPath: "/dev/dri" }];
    const caddy = graph.addApp({ app: "caddy", image: "caddy:2.10.0-alpine", port: 443 });
    caddy.serializedInputs.ports = [
        { internal: 80, external: 80, ip: "0.0.0.0", protocol: "tcp" },
        { internal: 443, external: 443, protocol: "tcp" },
        { internal: 443, external: 443, ip: "0.0.0.0", protocol: "udp" },
    ];
    return graph;
}

export interface Verdict {
    all: Violation[];
    mandatory: Violation[];
    cantRun: Violation[];
    /** Names of the policies with a mandatory violation. */
    failed: string[];
}

/** Runs the pack (in process, through the analyzer handlers) and sorts what it said. */
export async function judge(resources: GraphResource[]): Promise<Verdict> {
    const all = await evaluateGraph(resources, { transport: "in-process" });
    const mandatory = all.filter((v) => v.enforcementLevel === "mandatory");
    return {
        all,
        mandatory,
        cantRun: all.filter(isCantRunDuringPreview),
        failed: [...new Set(mandatory.map((v) => v.policyName))].sort(),
    };
}
