/**
 * A readable view of the captured resource graph: what runs where, reachable how, storing what. The text
 * plan and the Mermaid diagram are both rendered from it, so they always agree with the graph.
 */
import { APP_IDS } from "../components/catalog";
import { HostScript, SECRET_VARIABLES } from "../components/host-scripts";
import { CapturedResource, readableInputs } from "./mock-engine";

const CONTAINER = "docker:index/container:Container";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const NETWORK = "docker:index/network:Network";
const COMMAND = "command:remote:Command";
const DOCKER_PROVIDER = "pulumi:providers:docker";
const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

export type Placement = { kind: "vpn"; gateway: string } | { kind: "bridge"; networks: string[] } | { kind: "other"; mode: string };

export interface ContainerView {
    name: string;
    app: string;
    image: string;
    placement: Placement;
    ports: { ip: string; external: number; internal: number; protocol: string }[];
    mounts: { source: string; kind: "volume" | "bind"; target: string; readOnly: boolean }[];
    memoryMb?: number;
    health: string;
    devices: string[];
    capabilities: string[];
    /** For the reverse proxy: `host -> upstream` pairs read from its generated Caddyfile. */
    routes: { host: string; upstream: string }[];
    /** The Docker host it runs on (its provider's `host`). */
    dockerHost: string;
}

export interface HostCommandView {
    name: string;
    script: string;
    variables: Record<string, string>;
    /** Variables that carry a secret (SECRET_VARIABLES): sent on the step's secret stdin, shown as `[secret]`. */
    secrets: string[];
}

/** The settings that decide the deploy, read back from the graph (the gateway's environment, the backup step). */
export interface DeploySettings {
    vpn?: { provider: string; type: string; countries: string; cities: string; portForwarding: boolean };
    timezone?: string;
    backup?: { repository: string; schedule: string; keep: string };
}

/** A wiring resource: the app address its provider calls and the containers it waits for. */
export interface WiringView {
    name: string;
    address: string;
    after: string[];
}

export interface StackView {
    dockerHost: string;
    /** Every Docker host of the stack (one per host that runs apps), in declaration order. */
    dockerHosts: string[];
    containers: ContainerView[];
    hostCommands: HostCommandView[];
    networks: { name: string; subnet: string }[];
    wiring: WiringView[];
    /** Wiring resources the reverse proxy (every public route) waits for. */
    proxyWaitsFor: string[];
    settings: DeploySettings;
}

type Inputs = Record<string, unknown>;

function readable(resource: CapturedResource): Inputs {
    return readableInputs(resource.serializedInputs) as Inputs;
}

function asArray<T = Inputs>(value: unknown): T[] {
    return Array.isArray(value) ? (value as T[]) : [];
}

function dependencyOf(resource: CapturedResource, property: string, byUrn: Map<string, CapturedResource>, type: string): CapturedResource | undefined {
    return (resource.propertyDependencies[property] ?? []).map((urn) => byUrn.get(urn)).find((r) => r?.type === type);
}

function imageOf(container: CapturedResource, byUrn: Map<string, CapturedResource>): string {
    const image = dependencyOf(container, "image", byUrn, REMOTE_IMAGE);
    return image ? String(readable(image).name) : String(readable(container).image);
}

function placementOf(container: CapturedResource, byUrn: Map<string, CapturedResource>): Placement {
    const inputs = readable(container);
    const gateway = dependencyOf(container, "networkMode", byUrn, CONTAINER);
    const mode = String(inputs.networkMode ?? "bridge");
    if (gateway && (mode === "[unknown]" || mode.startsWith("container:"))) {
        return { kind: "vpn", gateway: String(readable(gateway).name) };
    }
    const networks = asArray(inputs.networksAdvanced).map((n) => String(n.name));
    return mode === "bridge" || mode === "default" ? { kind: "bridge", networks } : { kind: "other", mode };
}

function healthOf(inputs: Inputs): string {
    const tests = asArray<string>((inputs.healthcheck as Inputs | undefined)?.tests);
    return tests.length > 1 ? tests.slice(1).join(" ") : "none";
}

function caddyRoutes(caddyfile: string): { host: string; upstream: string }[] {
    return [...caddyfile.matchAll(/^(\S+) \{\n(?:\t.*\n)*?\treverse_proxy (\S+)$/gm)].map((m) => ({ host: m[1], upstream: m[2] }));
}

const LOCAL_ENGINE = "unix:///var/run/docker.sock";

function providerHost(provider: CapturedResource | undefined): string {
    return provider ? String(readable(provider).host ?? LOCAL_ENGINE) : LOCAL_ENGINE;
}

function containerView(resource: CapturedResource, byUrn: Map<string, CapturedResource>): ContainerView {
    const inputs = readable(resource);
    const labels = asArray(inputs.labels);
    return {
        name: String(inputs.name ?? resource.name),
        app: String(labels.find((l) => l.label === "homelab.app")?.value ?? inputs.name),
        image: imageOf(resource, byUrn),
        placement: placementOf(resource, byUrn),
        ports: asArray(inputs.ports).map((p) => ({
            ip: String(p.ip ?? "0.0.0.0"),
            external: Number(p.external ?? p.internal),
            internal: Number(p.internal),
            protocol: String(p.protocol ?? "tcp"),
        })),
        mounts: asArray(inputs.volumes).map((v) => ({
            source: String(v.volumeName ?? v.hostPath),
            kind: v.hostPath !== undefined ? "bind" : "volume",
            target: String(v.containerPath),
            readOnly: v.readOnly === true,
        })),
        memoryMb: typeof inputs.memory === "number" ? inputs.memory : undefined,
        health: healthOf(inputs),
        devices: asArray(inputs.devices).map((d) => String(d.hostPath)),
        capabilities: asArray<string>((inputs.capabilities as Inputs | undefined)?.adds),
        routes: asArray(inputs.uploads).flatMap((u) => (typeof u.content === "string" ? caddyRoutes(u.content) : [])),
        dockerHost: providerHost(byUrn.get(resource.provider.replace(/::[^:]*$/, ""))),
    };
}

/** The exported variables at the top of a rendered host script (`export KEY='value'` lines). */
function scriptVariables(create: string): Record<string, string> {
    const variables: Record<string, string> = {};
    for (const match of create.matchAll(/^export (\w+)='((?:[^']|'\\'')*)'$/gm)) {
        variables[match[1]] = match[2].replace(/'\\''/g, "'");
    }
    return variables;
}

const HOST_SCRIPTS = /^.*-(data-tree|firewall|fail2ban|vpn-recovery|backup|watch|data-mount)$/;

function hostCommandView(resource: CapturedResource): HostCommandView {
    const inputs = readable(resource);
    const isSecret = (value: unknown) => value !== undefined && (typeof value !== "string" || value === "[secret]");
    // A step whose variables travel on its (secret) stdin has only `bash -s -- create` as its command: delete
    // carries the same variables without the secrets.
    const source = !isSecret(inputs.create) && String(inputs.create).includes("\nexport ") ? inputs.create : inputs.delete;
    const script = HOST_SCRIPTS.exec(resource.name)?.[1] as HostScript | undefined;
    const secrets = script !== undefined && (isSecret(inputs.create) || isSecret(inputs.stdin)) ? [...(SECRET_VARIABLES[script] ?? [])] : [];
    return {
        name: resource.name,
        script: script !== undefined ? `${script}.sh` : resource.name,
        variables: typeof source === "string" ? scriptVariables(source) : {},
        secrets,
    };
}

function envsOf(container: CapturedResource | undefined): Map<string, string> {
    const envs = container ? asArray<string>(readable(container).envs) : [];
    return new Map(envs.filter((e) => typeof e === "string" && e.includes("=")).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

function deploySettings(gateway: CapturedResource | undefined, commands: HostCommandView[]): DeploySettings {
    const env = envsOf(gateway);
    const backup = commands.find((c) => c.script === "backup.sh")?.variables;
    return {
        vpn: gateway ? {
            provider: env.get("VPN_SERVICE_PROVIDER") ?? "?",
            type: env.get("VPN_TYPE") ?? "?",
            countries: env.get("SERVER_COUNTRIES")?.split(",").join(", ") ?? "any",
            cities: env.get("SERVER_CITIES")?.split(",").join(", ") ?? "any",
            portForwarding: env.get("VPN_PORT_FORWARDING") === "on",
        } : undefined,
        timezone: env.get("TZ"),
        backup: backup ? {
            repository: backup.REPOSITORY,
            schedule: backup.SCHEDULE,
            keep: `${backup.KEEP_DAILY} daily, ${backup.KEEP_WEEKLY} weekly, ${backup.KEEP_MONTHLY} monthly`,
        } : undefined,
    };
}

function byCatalogOrder(a: ContainerView, b: ContainerView): number {
    const rank = (c: ContainerView) => {
        const index = (APP_IDS as readonly string[]).indexOf(c.app);
        return index === -1 ? APP_IDS.length : index;
    };
    return rank(a) - rank(b) || a.name.localeCompare(b.name);
}

/** A wiring resource's name without its component's prefix ("sonarr" for homelab-wiring-sonarr). */
function wiringName(resource: CapturedResource): string {
    const component = resource.parent.split("::").pop() ?? "";
    return resource.name.startsWith(`${component}-`) ? resource.name.slice(component.length + 1) : resource.name;
}

function wiringView(resource: CapturedResource, byUrn: Map<string, CapturedResource>): WiringView {
    const address = readable(resource).address as { host?: string; port?: number } | undefined;
    const after = resource.dependencies.map((urn) => byUrn.get(urn)).filter((r): r is CapturedResource => r?.type === CONTAINER);
    return {
        name: wiringName(resource),
        address: address?.host ? `${address.host}:${address.port}` : "[unknown]",
        after: after.map((c) => String(readable(c).name ?? c.name)),
    };
}

export function buildStackView(resources: CapturedResource[]): StackView {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const providers = resources.filter((r) => r.type === DOCKER_PROVIDER);
    const proxy = resources.find((r) => r.type === CONTAINER && readable(r).name === "caddy");
    const gateway = resources.find((r) => r.type === CONTAINER && asArray(readable(r).labels).some((l) => l.label === "homelab.app" && l.value === "gluetun"));
    const hostCommands = resources.filter((r) => r.type === COMMAND).map(hostCommandView);
    return {
        dockerHost: providerHost(providers[0]),
        dockerHosts: providers.map(providerHost),
        containers: resources.filter((r) => r.type === CONTAINER).map((r) => containerView(r, byUrn)).sort(byCatalogOrder),
        hostCommands,
        networks: resources.filter((r) => r.type === NETWORK).map((r) => {
            const inputs = readable(r);
            return { name: String(inputs.name ?? r.name), subnet: String(asArray(inputs.ipamConfigs)[0]?.subnet ?? "") };
        }),
        // Sorted: dynamic resources register once their inputs resolve, in no fixed order.
        wiring: resources.filter((r) => r.type === DYNAMIC).map((r) => wiringView(r, byUrn)).sort((a, b) => a.name.localeCompare(b.name)),
        proxyWaitsFor: (proxy?.dependencies ?? []).map((urn) => byUrn.get(urn)).filter((r): r is CapturedResource => r?.type === DYNAMIC).map(wiringName).sort(),
        settings: deploySettings(gateway, hostCommands),
    };
}

// ---- text plan ------------------------------------------------------------------------------------------

function describePlacement(placement: Placement): string {
    switch (placement.kind) {
        case "vpn":
            return `VPN namespace of ${placement.gateway}`;
        case "bridge":
            return `bridge ${placement.networks.join(", ") || "(default)"}`;
        case "other":
            return `network mode ${placement.mode}`;
    }
}

function renderSettings(settings: DeploySettings): string[] {
    const lines = ["Settings that decide the deploy:"];
    const vpn = settings.vpn;
    if (vpn) {
        lines.push(`  VPN          ${vpn.provider} over ${vpn.type}; countries: ${vpn.countries}; cities: ${vpn.cities}; port forwarding: ${vpn.portForwarding ? "on (qBittorrent's listening port follows it)" : "off"}`);
    }
    lines.push(`  time zone    ${settings.timezone ?? "(not set)"}`);
    const backup = settings.backup;
    lines.push(`  backups      ${backup ? `restic to ${backup.repository}, schedule ${backup.schedule}, keeping ${backup.keep}` : "off (homelab:backup.repository is not set)"}`);
    return lines;
}

export function renderPlanText(view: StackView): string {
    const multiHost = view.dockerHosts.length > 1;
    const lines = [...renderSettings(view.settings), "", multiHost ? `Docker hosts: ${view.dockerHosts.join(", ")} (one network each)` : `Docker host: ${view.dockerHost}`];
    for (const network of multiHost ? view.networks.slice(0, 1) : view.networks) lines.push(`Network: ${network.name} ${network.subnet}`);
    lines.push("", `Containers (${view.containers.length}):`);
    for (const c of view.containers) {
        lines.push(`  ${c.name}`);
        if (multiHost) lines.push(`    host     ${c.dockerHost}`);
        lines.push(`    image    ${c.image}`);
        lines.push(`    network  ${describePlacement(c.placement)}`);
        lines.push(`    ports    ${c.ports.map((p) => `${p.ip}:${p.external}->${p.internal}/${p.protocol}`).join(", ") || "none published"}`);
        for (const m of c.mounts) lines.push(`    mount    ${m.kind === "bind" ? "host " : "volume "}${m.source} -> ${m.target}${m.readOnly ? " (read-only)" : ""}`);
        if (c.devices.length > 0) lines.push(`    devices  ${c.devices.join(", ")}`);
        if (c.capabilities.length > 0) lines.push(`    caps     +${c.capabilities.join(", +")}`);
        lines.push(`    limits   memory ${c.memoryMb ?? "unlimited"} MiB; health: ${c.health}`);
    }
    lines.push("", `Host commands over SSH (${view.hostCommands.length}):`);
    if (view.hostCommands.length === 0) lines.push("  none (local Docker engine: host hardening skipped)");
    for (const cmd of view.hostCommands) {
        const vars = Object.entries(cmd.variables).map(([k, v]) => `${k}=${v.includes("\n") ? `[${v.split("\n").length} lines]` : v}`);
        for (const secret of cmd.secrets) vars.push(`${secret}=[secret]`);
        lines.push(`  ${cmd.script.padEnd(14)} ${vars.join(" ")}`);
    }
    lines.push("", `Wiring on deploy (${view.wiring.length}):`);
    if (view.wiring.length === 0) lines.push("  none (homelab:wiring is false: the apps start blank)");
    for (const w of view.wiring) lines.push(`  ${w.name.padEnd(22)} calls ${w.address.padEnd(19)} after ${w.after.join(", ")}`);
    if (view.wiring.length > 0) lines.push(`  public routes (caddy) open after: ${view.proxyWaitsFor.join(", ") || "nothing"}`);
    return lines.join("\n");
}

// ---- Mermaid diagram -------------------------------------------------------------------------------------

function nodeId(name: string): string {
    return name.replace(/[^A-Za-z0-9]/g, "_");
}

export function renderMermaid(view: StackView): string {
    const lines = ["flowchart LR", "  internet((Internet)) -->|80/443| caddy", "  lan((LAN)) -->|WebUI ports| host_fw"];
    const vpnByGateway = new Map<string, ContainerView[]>();
    const bridged: ContainerView[] = [];
    for (const c of view.containers) {
        if (c.placement.kind === "vpn") vpnByGateway.set(c.placement.gateway, [...(vpnByGateway.get(c.placement.gateway) ?? []), c]);
        else bridged.push(c);
    }
    lines.push(`  host_fw{{"UFW + DOCKER-USER (${view.hostCommands.length > 0 ? "managed" : "not managed"})"}}`);
    for (const [gateway, members] of vpnByGateway) {
        lines.push(`  subgraph vpn_${nodeId(gateway)}["VPN boundary: ${gateway} network namespace (kill switch)"]`);
        lines.push(`    ${nodeId(gateway)}["${gateway}"]`);
        for (const m of members) lines.push(`    ${nodeId(m.name)}["${m.name}"]`);
        lines.push("  end");
        lines.push(`  ${nodeId(gateway)} ==>|WireGuard/OpenVPN tunnel| vpn_provider((ProtonVPN))`);
    }
    const network = view.networks[0];
    const onBridge = bridged.filter((c) => !vpnByGateway.has(c.name));
    if (view.dockerHosts.length > 1) {
        // Several hosts: one box per host, its Docker network inside (the VPN namespace lives on its gateway's host).
        view.dockerHosts.forEach((host, i) => {
            lines.push(`  subgraph bridge_${i}["${host}: Docker network ${network ? `${network.name} ${network.subnet}` : ""}"]`);
            for (const c of onBridge.filter((x) => x.dockerHost === host)) lines.push(`    ${nodeId(c.name)}["${c.name}"]`);
            for (const gateway of [...vpnByGateway.keys()].filter((g) => view.containers.find((x) => x.name === g)?.dockerHost === host)) lines.push(`    vpn_${nodeId(gateway)}`);
            lines.push("  end");
        });
    } else {
        lines.push(`  subgraph bridge["Docker network ${network ? `${network.name} ${network.subnet}` : ""}"]`);
        for (const c of onBridge) lines.push(`    ${nodeId(c.name)}["${c.name}"]`);
        lines.push("  end");
    }
    for (const c of view.containers) {
        if (c.name === "caddy") continue;
        const published = c.ports.filter((p) => p.ip !== "0.0.0.0");
        if (published.length > 0) lines.push(`  host_fw -->|${published.map((p) => p.external).join(",")}| ${nodeId(c.name)}`);
    }
    for (const c of view.containers) {
        for (const route of c.routes) lines.push(`  ${nodeId(c.name)} -->|${route.host}| ${nodeId(route.upstream.split(":")[0])}`);
    }
    lines.push("  subgraph storage[Storage]");
    const sources = new Map<string, string>();
    for (const c of view.containers) {
        for (const m of c.mounts) {
            const id = `${m.kind === "bind" ? "dir" : "vol"}_${nodeId(m.source)}`;
            if (!sources.has(id)) {
                sources.set(id, m.source);
                lines.push(m.kind === "bind" ? `    ${id}[("${m.source}")]` : `    ${id}[("vol ${m.source}")]`);
            }
        }
    }
    lines.push("  end");
    for (const c of view.containers) {
        for (const m of c.mounts) {
            const id = `${m.kind === "bind" ? "dir" : "vol"}_${nodeId(m.source)}`;
            lines.push(`  ${nodeId(c.name)} ${m.readOnly ? "-.->|ro|" : "-->"} ${id}`);
        }
    }
    return lines.join("\n");
}

export function renderStackMarkdown(view: StackView, stack: string): string {
    return [
        `# The \`${stack}\` stack`,
        "",
        "Generated by `npm run plan` from the resource graph of `index.ts` under the mock engine; do not edit by hand.",
        "",
        "```mermaid",
        renderMermaid(view),
        "```",
        "",
        "```text",
        renderPlanText(view),
        "```",
        "",
    ].join("\n");
}
