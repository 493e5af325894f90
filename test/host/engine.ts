/**
 * The stack's Docker resources, exactly as the program declares them (the registrations captured under the
 * mock engine), created on a real Docker Engine through its HTTP API, the way the Docker provider creates
 * them: POST /networks/create, /volumes/create, /containers/create (Config + HostConfig), then for each
 * `networksAdvanced` entry a disconnect from the default bridge and a connect with aliases and the fixed
 * address, then one tar upload to `/` per `uploads` entry, then start, then (for `wait`) polling until the
 * container is healthy.
 *
 * This is the ONE translation from the program's inputs to Engine calls. Every input the program uses has a
 * handler; an input (or a field of one) without a handler throws before anything is created, so a future
 * input cannot be skipped silently. Only the image is replaced: the test host has no registry, so each app
 * runs a stand-in image (with the command the real image would run by default); every other input is sent
 * as declared, with the provider's ids (`container:<gateway id>`) mapped to the engine's.
 */
import { spawn } from "child_process";
import * as http from "http";
import { Duplex } from "stream";
import type { CapturedResource } from "../../scripts/mock-engine";

/** What runs instead of the declared image: an image on the test engine and the command it runs by default. */
export interface StandIn { image: string; cmd?: string[] }

export interface EngineResponse { status: number; body: Buffer; json(): unknown }
export type EngineRequest = (method: string, path: string, body?: Buffer | object, contentType?: string) => Promise<EngineResponse>;

/** Engine API calls to the daemon inside a container (the test host), through `docker system dial-stdio`. */
export function engineIn(container: string): EngineRequest {
    return (method, path, body, contentType) => new Promise((resolve, reject) => {
        const child = spawn("docker", ["exec", "-i", container, "docker", "system", "dial-stdio"], { stdio: ["pipe", "pipe", "pipe"] });
        const socket = Duplex.from({ readable: child.stdout, writable: child.stdin });
        const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
        const headers: Record<string, string | number> = { Host: "docker", Connection: "close" };
        if (payload) {
            headers["Content-Type"] = contentType ?? "application/json";
            headers["Content-Length"] = payload.length;
        }
        const req = http.request({ method, path, headers, createConnection: () => socket as unknown as import("net").Socket }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                child.kill();
                const buf = Buffer.concat(chunks);
                resolve({ status: res.statusCode ?? 0, body: buf, json: () => JSON.parse(buf.toString("utf8") || "null") });
            });
            res.on("error", reject);
        });
        req.on("error", (e) => { child.kill(); reject(e); });
        req.end(payload);
    });
}

async function ok(request: EngineRequest, method: string, path: string, body?: Buffer | object, contentType?: string): Promise<EngineResponse> {
    const r = await request(method, path, body, contentType);
    if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status}: ${r.body.toString("utf8")}`);
    return r;
}

type Inputs = Record<string, unknown>;

/** Duration strings of the provider ("30s", "1m30s", "500ms") in nanoseconds, as the Engine wants them. */
function nanoseconds(d: unknown): number {
    if (typeof d !== "string") throw new Error(`duration: ${JSON.stringify(d)}`);
    const units: Record<string, number> = { h: 3600e9, m: 60e9, s: 1e9, ms: 1e6 };
    let total = 0;
    const rest = d.replace(/(\d+(?:\.\d+)?)(ms|h|m|s)/g, (_, n: string, u: string) => { total += Number(n) * units[u]; return ""; });
    if (rest !== "" || d === "") throw new Error(`duration: ${d}`);
    return total;
}

/** Throws when an object has a field the translation does not know. */
function onlyFields(what: string, value: unknown, known: string[]): Inputs {
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${what}: not an object: ${JSON.stringify(value)}`);
    const unknown = Object.keys(value).filter((k) => !known.includes(k));
    if (unknown.length) throw new Error(`${what}: no translation for ${unknown.join(", ")} (add it to test/host/engine.ts)`);
    return value as Inputs;
}

function list<T = unknown>(what: string, v: unknown): T[] {
    if (!Array.isArray(v)) throw new Error(`${what}: not a list: ${JSON.stringify(v)}`);
    return v as T[];
}

function text(what: string, v: unknown): string {
    if (typeof v !== "string") throw new Error(`${what}: not a string: ${JSON.stringify(v)}`);
    if (v === "[unknown]" || v === "[secret]") throw new Error(`${what}: ${v} (run the program with preview: false and secrets revealed)`);
    return v;
}

/** A container as Engine calls: the create body and what follows it. */
export interface ContainerCalls {
    name: string;
    app: string;
    create: { Config: Inputs; HostConfig: Inputs };
    connect: { network: string; EndpointConfig: Inputs }[];
    uploads: { file: string; content: string; executable: boolean }[];
    /** `wait`: seconds to wait for healthy after start (the provider's behaviour, not an Engine input). */
    waitHealthy?: number;
}

export interface Resolve {
    /** The stand-in for an app whose declared image is `declared`. */
    image(app: string, declared: string): StandIn;
    /** The engine's id for the provider id of a container created earlier (network mode `container:<id>`). */
    containerId(providerId: string): string;
}

type Handler = (v: unknown, c: ContainerCalls, resolve: Resolve) => void;

/** One handler per container input the program uses. */
const CONTAINER_INPUTS: Record<string, Handler> = {
    name: () => undefined, // taken before the handlers run
    image: () => undefined, // resolved from the RemoteImage it depends on
    envs: (v, c) => { c.create.Config.Env = list("envs", v).map((e) => text("envs[]", e)); },
    command: (v, c) => { c.create.Config.Cmd = list("command", v).map((e) => text("command[]", e)); },
    user: (v, c) => { c.create.Config.User = text("user", v); },
    labels: (v, c) => {
        c.create.Config.Labels = Object.fromEntries(list("labels", v).map((l) => {
            const f = onlyFields("labels[]", l, ["label", "value"]);
            return [text("label", f.label), text("value", f.value)];
        }));
    },
    healthcheck: (v, c) => {
        const h = onlyFields("healthcheck", v, ["tests", "interval", "timeout", "retries", "startPeriod"]);
        c.create.Config.Healthcheck = {
            Test: list("healthcheck.tests", h.tests).map((t) => text("tests[]", t)),
            Interval: nanoseconds(h.interval), Timeout: nanoseconds(h.timeout), StartPeriod: nanoseconds(h.startPeriod),
            Retries: Number(h.retries),
        };
    },
    restart: (v, c) => { c.create.HostConfig.RestartPolicy = { Name: text("restart", v) }; },
    memory: (v, c) => {
        if (typeof v !== "number") throw new Error(`memory: ${JSON.stringify(v)}`);
        c.create.HostConfig.Memory = v * 1024 * 1024; // the provider's unit is MiB
    },
    logDriver: (v, c) => { c.create.HostConfig.LogConfig = { ...(c.create.HostConfig.LogConfig as Inputs), Type: text("logDriver", v) }; },
    logOpts: (v, c) => {
        const opts = onlyFields("logOpts", v, Object.keys(v as object));
        c.create.HostConfig.LogConfig = { ...(c.create.HostConfig.LogConfig as Inputs), Config: Object.fromEntries(Object.entries(opts).map(([k, o]) => [k, text(`logOpts.${k}`, o)])) };
    },
    securityOpts: (v, c) => { c.create.HostConfig.SecurityOpt = list("securityOpts", v).map((s) => text("securityOpts[]", s)); },
    capabilities: (v, c) => {
        const caps = onlyFields("capabilities", v, ["adds", "drops"]);
        if (caps.adds) c.create.HostConfig.CapAdd = list("adds", caps.adds).map((s) => text("adds[]", s));
        if (caps.drops) c.create.HostConfig.CapDrop = list("drops", caps.drops).map((s) => text("drops[]", s));
    },
    devices: (v, c) => {
        c.create.HostConfig.Devices = list("devices", v).map((d) => {
            const f = onlyFields("devices[]", d, ["hostPath", "containerPath", "permissions"]);
            return { PathOnHost: text("hostPath", f.hostPath), PathInContainer: text("containerPath", f.containerPath ?? f.hostPath), CgroupPermissions: f.permissions ?? "rwm" };
        });
    },
    init: (v, c) => { c.create.HostConfig.Init = v === true; },
    groupAdds: (v, c) => { c.create.HostConfig.GroupAdd = list("groupAdds", v).map((g) => text("groupAdds[]", g)); },
    volumes: (v, c) => {
        c.create.HostConfig.Binds = list("volumes", v).map((m) => {
            const f = onlyFields("volumes[]", m, ["volumeName", "hostPath", "containerPath", "readOnly"]);
            if ((f.volumeName === undefined) === (f.hostPath === undefined)) throw new Error(`volumes[]: exactly one of volumeName/hostPath: ${JSON.stringify(f)}`);
            const source = text("volume source", f.volumeName ?? f.hostPath);
            return `${source}:${text("containerPath", f.containerPath)}${f.readOnly ? ":ro" : ""}`;
        });
    },
    ports: (v, c) => {
        const exposed: Inputs = {};
        const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
        for (const p of list("ports", v)) {
            const f = onlyFields("ports[]", p, ["internal", "external", "ip", "protocol"]);
            const key = `${Number(f.internal)}/${f.protocol ?? "tcp"}`;
            exposed[key] = {};
            (bindings[key] ??= []).push({ HostIp: text("ports.ip", f.ip ?? "0.0.0.0"), HostPort: String(f.external ?? f.internal) });
        }
        c.create.Config.ExposedPorts = exposed;
        c.create.HostConfig.PortBindings = bindings;
    },
    networkMode: (v, c, resolve) => {
        const mode = text("networkMode", v);
        c.create.HostConfig.NetworkMode = mode.startsWith("container:") ? `container:${resolve.containerId(mode.slice("container:".length))}` : mode;
    },
    networksAdvanced: (v, c) => {
        c.connect = list("networksAdvanced", v).map((n) => {
            const f = onlyFields("networksAdvanced[]", n, ["name", "aliases", "ipv4Address"]);
            return {
                network: text("networksAdvanced.name", f.name),
                EndpointConfig: {
                    Aliases: list("aliases", f.aliases ?? []).map((a) => text("aliases[]", a)),
                    IPAMConfig: f.ipv4Address ? { IPv4Address: text("ipv4Address", f.ipv4Address) } : {},
                },
            };
        });
    },
    uploads: (v, c) => {
        c.uploads = list("uploads", v).map((u) => {
            const f = onlyFields("uploads[]", u, ["file", "content", "executable"]);
            return { file: text("uploads.file", f.file), content: text("uploads.content", f.content), executable: f.executable === true };
        });
    },
    wait: (v, c) => { if (v === true) c.waitHealthy ??= 60; },
    waitTimeout: (v, c) => { if (c.waitHealthy !== undefined && v !== undefined) c.waitHealthy = Number(v); },
};

export const CONTAINER = "docker:index/container:Container";
export const NETWORK = "docker:index/network:Network";
export const VOLUME = "docker:index/volume:Volume";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const PROVIDER = "pulumi:providers:docker";

/** The container's Engine calls. Throws on any input without a translation. */
export function containerCalls(r: CapturedResource, inputs: Inputs, declaredImage: string, resolve: Resolve): ContainerCalls {
    const unknown = Object.keys(inputs).filter((k) => !(k in CONTAINER_INPUTS));
    if (unknown.length) throw new Error(`${r.name}: no translation for container input(s) ${unknown.join(", ")} (add them to test/host/engine.ts)`);
    const labels = list<{ label: string; value: string }>("labels", inputs.labels ?? []);
    const app = labels.find((l) => l.label === "homelab.app")?.value ?? text("name", inputs.name);
    const standIn = resolve.image(app, declaredImage);
    const c: ContainerCalls = {
        name: text("name", inputs.name), app,
        create: { Config: { Image: standIn.image, ...(standIn.cmd ? { Cmd: standIn.cmd } : {}) }, HostConfig: { Init: false } },
        connect: [], uploads: [],
    };
    // wait before waitTimeout: the timeout only means something with wait.
    for (const key of Object.keys(inputs).sort((a, b) => (a === "waitTimeout" ? 1 : b === "waitTimeout" ? -1 : 0))) {
        CONTAINER_INPUTS[key](inputs[key], c, resolve);
    }
    return c;
}

/**
 * A ustar archive with one regular file, named by its full path like the provider's upload: mode 0744 when
 * `executable` (as the provider uploads it), 0644 otherwise.
 */
export function tarOf(file: string, content: string, executable = false): Buffer {
    const data = Buffer.from(content, "utf8");
    const header = Buffer.alloc(512);
    const name = file.replace(/^\/+/, "");
    if (Buffer.byteLength(name) > 100) throw new Error(`upload path too long for this tar writer: ${file}`);
    const field = (value: string, offset: number, length: number) => header.write(value, offset, length, "utf8");
    const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0") + "\0";
    field(name, 0, 100);
    field(octal(executable ? 0o744 : 0o644, 8), 100, 8);
    field(octal(0, 8), 108, 8);
    field(octal(0, 8), 116, 8);
    field(octal(data.length, 12), 124, 12);
    field(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
    field("        ", 148, 8);
    field("0", 156, 1);
    field("ustar\0", 257, 6);
    field("00", 263, 2);
    const sum = header.reduce((a, b) => a + b, 0);
    field(octal(sum, 7) + " ", 148, 8);
    const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
    return Buffer.concat([header, data, pad, Buffer.alloc(1024)]);
}

export interface Created { network: Map<string, string>; volumes: string[]; containers: Map<string, { id: string; name: string; app: string }> }

/**
 * The program's Docker resources on an engine. `revealed(r)` gives a registration's inputs with secrets
 * revealed; `providerId(r)` the id the (mock) provider gave it.
 */
export class StackOnEngine {
    readonly created: Created = { network: new Map(), volumes: [], containers: new Map() };
    private readonly byUrn: Map<string, CapturedResource>;

    constructor(
        private readonly resources: CapturedResource[],
        private readonly revealed: (r: CapturedResource) => Inputs,
        private readonly providerId: (r: CapturedResource) => string,
        private readonly standIn: (app: string, declared: string) => StandIn,
        private readonly request: EngineRequest,
    ) {
        this.byUrn = new Map(resources.map((r) => [r.urn, r]));
        // Fail before the first call: every docker resource type and every container input is known.
        for (const r of resources.filter((x) => x.type.startsWith("docker:") || x.type === PROVIDER)) {
            if (![CONTAINER, NETWORK, VOLUME, REMOTE_IMAGE, PROVIDER].includes(r.type)) throw new Error(`no translation for resource type ${r.type} (${r.name})`);
            if (r.type === CONTAINER) containerCalls(r, this.revealed(r), this.declaredImage(r), { image: this.standIn, containerId: (id) => id });
            if (r.type === NETWORK) onlyFields(`${r.name}`, this.revealed(r), ["name", "driver", "ipamConfigs", "labels"]);
            if (r.type === VOLUME) onlyFields(`${r.name}`, this.revealed(r), ["name", "labels"]);
            if (r.type === REMOTE_IMAGE) onlyFields(`${r.name}`, this.revealed(r), ["name", "keepLocally"]);
        }
    }

    /** The declared image reference of a container: the `name` of the RemoteImage its `image` comes from. */
    declaredImage(r: CapturedResource): string {
        const urns = r.propertyDependencies.image ?? [];
        const image = urns.map((u) => this.byUrn.get(u)).find((d) => d?.type === REMOTE_IMAGE);
        if (!image) throw new Error(`${r.name}: image does not come from a RemoteImage`);
        return text("RemoteImage.name", this.revealed(image).name);
    }

    /** Containers in an order where every container comes after what it depends on. */
    containers(): CapturedResource[] {
        const all = this.resources.filter((r) => r.type === CONTAINER);
        const done = new Set<string>();
        const order: CapturedResource[] = [];
        while (order.length < all.length) {
            const next = all.find((r) => !done.has(r.urn) && r.dependencies.every((d) => !all.some((o) => o.urn === d) || done.has(d)));
            if (!next) throw new Error("container dependencies have a cycle");
            done.add(next.urn);
            order.push(next);
        }
        return order;
    }

    async createNetworksAndVolumes(): Promise<void> {
        for (const r of this.resources.filter((x) => x.type === NETWORK)) {
            const n = this.revealed(r);
            const res = await ok(this.request, "POST", "/networks/create", {
                Name: text("network name", n.name), Driver: n.driver ?? "bridge", CheckDuplicate: true,
                IPAM: { Config: list("ipamConfigs", n.ipamConfigs ?? []).map((c) => ({ Subnet: text("subnet", onlyFields("ipamConfigs[]", c, ["subnet"]).subnet) })) },
                Labels: Object.fromEntries(list<{ label: string; value: string }>("labels", n.labels ?? []).map((l) => [l.label, l.value])),
            });
            this.created.network.set(String(n.name), (res.json() as { Id: string }).Id);
        }
        for (const r of this.resources.filter((x) => x.type === VOLUME)) {
            const v = this.revealed(r);
            await ok(this.request, "POST", "/volumes/create", {
                Name: text("volume name", v.name),
                Labels: Object.fromEntries(list<{ label: string; value: string }>("labels", v.labels ?? []).map((l) => [l.label, l.value])),
            });
            this.created.volumes.push(String(v.name));
        }
    }

    /** Creates (and starts) one container as the provider does; returns the engine's id. */
    async createContainer(r: CapturedResource): Promise<string> {
        const calls = containerCalls(r, this.revealed(r), this.declaredImage(r), {
            image: this.standIn,
            containerId: (providerId) => {
                const owner = this.resources.find((o) => o.type === CONTAINER && this.providerId(o) === providerId);
                const created = owner && this.created.containers.get(owner.urn);
                if (!created) throw new Error(`${r.name}: network mode names container ${providerId}, which was not created first`);
                return created.id;
            },
        });
        const res = await ok(this.request, "POST", `/containers/create?name=${encodeURIComponent(calls.name)}`, { ...calls.create.Config, HostConfig: calls.create.HostConfig });
        const id = (res.json() as { Id: string }).Id;
        if (calls.connect.length) {
            const d = await this.request("POST", "/networks/bridge/disconnect", { Container: id, Force: false });
            if (d.status >= 300 && !/is not connected/.test(d.body.toString())) throw new Error(`disconnect ${calls.name} from bridge: ${d.body}`);
            for (const n of calls.connect) await ok(this.request, "POST", `/networks/${encodeURIComponent(n.network)}/connect`, { Container: id, EndpointConfig: n.EndpointConfig });
        }
        for (const u of calls.uploads) await ok(this.request, "PUT", `/containers/${id}/archive?path=/`, tarOf(u.file, u.content, u.executable), "application/x-tar");
        await ok(this.request, "POST", `/containers/${id}/start`);
        this.created.containers.set(r.urn, { id, name: calls.name, app: calls.app });
        if (calls.waitHealthy !== undefined) await this.waitHealthy(id, calls.name, calls.waitHealthy);
        return id;
    }

    async waitHealthy(id: string, name: string, seconds: number): Promise<void> {
        const end = Date.now() + seconds * 1000;
        let status = "";
        while (Date.now() < end) {
            const state = ((await ok(this.request, "GET", `/containers/${id}/json`)).json() as { State: { Status: string; Health?: { Status: string } } }).State;
            status = `${state.Status}/${state.Health?.Status ?? "no healthcheck"}`;
            if (state.Health?.Status === "healthy") return;
            if (state.Status !== "running") break;
            await new Promise((r) => setTimeout(r, 1000));
        }
        throw new Error(`${name} did not become healthy within ${seconds} s (${status})`);
    }

    async createAll(): Promise<void> {
        await this.createNetworksAndVolumes();
        for (const r of this.containers()) await this.createContainer(r);
    }

    async inspect(name: string): Promise<Inputs> {
        return (await ok(this.request, "GET", `/containers/${encodeURIComponent(name)}/json`)).json() as Inputs;
    }
}
