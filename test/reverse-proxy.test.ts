/**
 * The generated Caddyfile: the one the program uploads into the caddy container, checked for its sites,
 * compression, security headers and LAN-only matchers, then validated and adapted by the real `caddy`
 * binary (Debian's package; CI installs it) so routes are read the way Caddy itself reads them.
 */
import { DOMAIN, programOptions, rawConfig } from "./support/fixtures";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ProgramRun, runProgram } from "../scripts/mock-engine";
import { parseConfig } from "../components/config";
import { caddyfile, proxyRoutes } from "../components/reverse-proxy";
import { container, upload } from "./support/graph";

const CADDY = process.env.CADDY_BIN ?? "/usr/bin/caddy";
const LAN_ONLY_APPS: Record<string, string> = {
    [`qbittorrent.${DOMAIN}`]: "gluetun:8080",
    [`prowlarr.${DOMAIN}`]: "gluetun:9696",
    [`sonarr.${DOMAIN}`]: "sonarr:8989",
    [`radarr.${DOMAIN}`]: "radarr:7878",
    [`lidarr.${DOMAIN}`]: "lidarr:8686",
    [`bazarr.${DOMAIN}`]: "bazarr:6767",
};
const PUBLIC_APPS: Record<string, string> = {
    [`jellyfin.${DOMAIN}`]: "jellyfin:8096",
    [`requests.${DOMAIN}`]: "seerr:5055",
};

let run: ProgramRun;
let uploaded: string;
let workDir: string;

beforeAll(async () => {
    run = await runProgram(programOptions());
    uploaded = upload(container(run, "caddy"), "/etc/caddy/Caddyfile").revealed;
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-caddy-"));
}, 30_000);

afterAll(() => {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

/** Runs caddy with a private HOME/XDG dirs (it creates a local CA under them) and no network needed. */
function caddy(args: string[], content: string, name: string): { status: number | null; stdout: string; stderr: string } {
    if (!fs.existsSync(CADDY)) throw new Error(`${CADDY} not found: install Debian's caddy package (apt-get install caddy) or set CADDY_BIN`);
    const file = path.join(workDir, name);
    fs.writeFileSync(file, content);
    const home = path.join(workDir, `${name}-home`);
    fs.mkdirSync(home, { recursive: true });
    const result = spawnSync(CADDY, [...args, "--adapter", "caddyfile", "--config", file], {
        env: { PATH: "/usr/bin:/bin", HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
        encoding: "utf8",
        timeout: 20_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Site blocks of a Caddyfile: address -> body lines (tabs stripped). */
function sites(file: string): Map<string, string[]> {
    const blocks = new Map<string, string[]>();
    const pattern = /^([a-z0-9.-]+\.[a-z]+) \{\n([\s\S]*?)\n\}$/gm;
    for (const match of file.matchAll(pattern)) blocks.set(match[1], match[2].split("\n").map((l) => l.trim()));
    return blocks;
}

interface Route { match?: { host?: string[]; not?: { remote_ip?: { ranges: string[] } }[] }[]; handle: Handler[] }
interface Handler { handler: string; routes?: Route[]; upstreams?: { dial: string }[]; status_code?: number; encodings?: Record<string, unknown>;
    response?: { set?: Record<string, string[]>; delete?: string[] } }

function adaptedRoutes(file: string, name: string): Route[] {
    const adapted = caddy(["adapt"], file, name);
    expect(adapted.status).toBe(0);
    const json = JSON.parse(adapted.stdout) as { apps: { http: { servers: Record<string, { listen: string[]; routes: Route[] }> } } };
    const servers = Object.values(json.apps.http.servers);
    expect(servers.map((s) => s.listen)).toEqual([[":443"]]);
    return servers[0].routes;
}

/** Every handler of a host's route, flattened through subroutes. */
function handlersOf(routes: Route[], host: string): { handlers: Handler[]; routes: Route[] } {
    const route = routes.find((r) => r.match?.some((m) => m.host?.includes(host)));
    if (!route) throw new Error(`no route for ${host}`);
    const inner: Route[] = [];
    const walk = (handlers: Handler[]): Handler[] => handlers.flatMap((h) => {
        if (h.handler !== "subroute") return [h];
        inner.push(...(h.routes ?? []));
        return (h.routes ?? []).flatMap((r) => walk(r.handle));
    });
    return { handlers: walk(route.handle), routes: inner };
}

describe("the uploaded Caddyfile", () => {
    test("is the file generated from the stack's config", () => {
        const cfg = parseConfig(rawConfig(), () => true);
        expect(uploaded).toBe(caddyfile(cfg, proxyRoutes(cfg)));
        expect(uploaded.length).toBeGreaterThan(100);
    });

    test("has one site per browsable enabled app, and none for FlareSolverr or Readarr", () => {
        expect([...sites(uploaded).keys()].sort()).toEqual([...Object.keys(LAN_ONLY_APPS), ...Object.keys(PUBLIC_APPS)].sort());
        expect(uploaded).not.toMatch(/flaresolverr|readarr/);
    });

    test("every site imports the common snippet: zstd/gzip compression and security headers", () => {
        const common = /^\(common\) \{\n([\s\S]*?)\n\}$/m.exec(uploaded)?.[1] ?? "";
        expect(common).toMatch(/^\tencode zstd gzip$/m);
        expect(common).toContain('Strict-Transport-Security "max-age=31536000; includeSubDomains"');
        expect(common).toContain('X-Content-Type-Options "nosniff"');
        expect(common).toContain('X-Frame-Options "SAMEORIGIN"');
        expect(common).toContain("Referrer-Policy");
        expect(common).toContain("-Server");
        for (const [host, body] of sites(uploaded)) expect({ host, imports: body[0] }).toEqual({ host, imports: "import common" });
    });

    test("admin apps answer 403 outside the LAN; Jellyfin and Seerr are public", () => {
        for (const [host, body] of sites(uploaded)) {
            const lanOnly = host in LAN_ONLY_APPS;
            expect({ host, matcher: body.includes("@outside not remote_ip 192.168.1.0/24") }).toEqual({ host, matcher: lanOnly });
            expect({ host, respond: body.some((l) => /^respond @outside ".+" 403$/.test(l)) }).toEqual({ host, respond: lanOnly });
        }
    });

    test("a public domain gets Let's Encrypt with the configured e-mail, not the local CA", () => {
        expect(uploaded).toMatch(/^\{\n\temail admin@example\.com\n\}/);
        expect(uploaded).not.toContain("local_certs");
    });
});

describe("real caddy", () => {
    test("validates the uploaded Caddyfile", () => {
        const result = caddy(["validate"], uploaded, "Caddyfile");
        expect({ status: result.status, stderr: result.status === 0 ? "" : result.stderr }).toEqual({ status: 0, stderr: "" });
        expect(result.stdout + result.stderr).toContain("Valid configuration");
    });

    test("rejects a broken Caddyfile (the validator is really checking)", () => {
        const broken = uploaded.replace("(common) {", "(common) {\n\tnot_a_caddy_directive on");
        expect(broken).not.toBe(uploaded);
        expect(caddy(["validate"], broken, "Caddyfile.broken").status).not.toBe(0);
    });

    test("adapts to routes that send each host to its upstream", () => {
        const routes = adaptedRoutes(uploaded, "Caddyfile.adapt");
        expect(routes).toHaveLength(Object.keys(LAN_ONLY_APPS).length + Object.keys(PUBLIC_APPS).length);
        for (const [host, upstream] of Object.entries({ ...LAN_ONLY_APPS, ...PUBLIC_APPS })) {
            const proxies = handlersOf(routes, host).handlers.filter((h) => h.handler === "reverse_proxy");
            expect({ host, dials: proxies.flatMap((p) => p.upstreams ?? []).map((u) => u.dial) }).toEqual({ host, dials: [upstream] });
        }
    });

    test("adapted LAN-only hosts answer 403 to every address outside the LAN subnet (Docker's gateway included)", () => {
        const routes = adaptedRoutes(uploaded, "Caddyfile.lan");
        for (const host of Object.keys({ ...LAN_ONLY_APPS, ...PUBLIC_APPS })) {
            const { routes: inner } = handlersOf(routes, host);
            const blocking = inner.filter((r) => r.handle.some((h) => h.handler === "static_response" && h.status_code === 403));
            if (host in LAN_ONLY_APPS) {
                expect(blocking).toHaveLength(1);
                const ranges = blocking[0].match?.[0].not?.[0].remote_ip?.ranges ?? [];
                expect(ranges).toEqual(["192.168.1.0/24"]);
            } else {
                expect({ host, blocking }).toEqual({ host, blocking: [] });
            }
        }
    });

    test("adapted sites compress with zstd and gzip and set the security headers", () => {
        const routes = adaptedRoutes(uploaded, "Caddyfile.headers");
        for (const host of Object.keys({ ...LAN_ONLY_APPS, ...PUBLIC_APPS })) {
            const { handlers } = handlersOf(routes, host);
            const encode = handlers.find((h) => h.handler === "encode");
            expect(Object.keys(encode?.encodings ?? {}).sort()).toEqual(["gzip", "zstd"]);
            const headers = handlers.find((h) => h.handler === "headers")?.response;
            expect(headers?.set?.["Strict-Transport-Security"]).toEqual(["max-age=31536000; includeSubDomains"]);
            expect(headers?.set?.["X-Content-Type-Options"]).toEqual(["nosniff"]);
            expect(headers?.delete).toContain("Server");
        }
    });

    test("a home domain uses Caddy's local CA and is valid too", () => {
        const cfg = parseConfig(rawConfig({ domain: "media.home.arpa", acmeEmail: undefined }), () => true);
        const file = caddyfile(cfg, proxyRoutes(cfg));
        expect(file).toMatch(/^\{\n\tlocal_certs\n\}/);
        expect(caddy(["validate"], file, "Caddyfile.home").status).toBe(0);
    });

    test("with indexers outside the VPN, Prowlarr's route goes to its own container", () => {
        const cfg = parseConfig(rawConfig({ indexersThroughVpn: false, apps: { readarr: true } }), () => true);
        const routes = adaptedRoutes(caddyfile(cfg, proxyRoutes(cfg)), "Caddyfile.bridge");
        const dial = (host: string) => handlersOf(routes, host).handlers.filter((h) => h.handler === "reverse_proxy").flatMap((h) => h.upstreams ?? []).map((u) => u.dial);
        expect(dial(`prowlarr.${DOMAIN}`)).toEqual(["prowlarr:9696"]);
        expect(dial(`readarr.${DOMAIN}`)).toEqual(["readarr:8787"]);
        expect(dial(`qbittorrent.${DOMAIN}`)).toEqual(["gluetun:8080"]);
    });
});

describe("the caddy container", () => {
    test("mounts no data tree and serves from its own volumes", () => {
        const volumes = (container(run, "caddy").serializedInputs.volumes ?? []) as { hostPath?: string; volumeName?: string; containerPath: string }[];
        expect(volumes.filter((v) => v.hostPath !== undefined)).toEqual([]);
        expect(volumes.map((v) => v.containerPath).sort()).toEqual(["/config", "/data"]);
    });

    test("starts after every container it proxies to", () => {
        const dependencies = container(run, "caddy").dependencies;
        for (const id of ["gluetun", "qbittorrent", "prowlarr", "sonarr", "radarr", "lidarr", "bazarr", "jellyfin", "seerr"]) {
            if (id === "qbittorrent") continue; // reached through gluetun, which it depends on
            expect({ id, dependsOn: dependencies.includes(container(run, id).urn) }).toEqual({ id, dependsOn: true });
        }
    });
});
