/**
 * The program's own wiring resources, deployed as `pulumi up` would deploy them: the registrations of the
 * default stack (local mode) are taken from the mock engine with their serialized providers and inputs, and
 * created in dependency order through the real dynamic-provider host against the stateful fakes of the apps.
 * Outputs a later resource takes from an earlier one (Jellyfin's admin id and API key, the Servarr quality
 * profile) are handed over as the engine would. The only substitution is the one Docker's network does: each
 * provider's address, and the Jellyfin name Seerr logs in to, point at the fakes on 127.0.0.1.
 * qBittorrent's wiring needs the real qbittorrent-nox and is proven in test/wiring/qbittorrent.test.ts.
 *
 * The order is the program's own: resources are created as soon as everything they depend on (in the program's
 * graph) is, leaves first, so a missing dependency shows. What an app reaches by the addresses written into it
 * answers only once the program has waited for it: an app once a wiring resource of it waited until it answered,
 * FlareSolverr once its container was created healthy (`wait`). The fakes' create-time connection tests
 * (ProviderControllerBase), Bazarr's blocking settings save and Jellyfin's start-time forwarded headers then
 * hold the program to the apps' real behaviour.
 */
import * as http from "node:http";
import * as pulumi from "@pulumi/pulumi";
import { JELLYFIN_DEVICES } from "../../components/wiring/jellyfin";
import { programOptions } from "../support/fixtures";
import { readableInputs, runProgram } from "../../scripts/mock-engine";
import { DynamicProviderHost, Props, startDynamicProviderHost } from "../support/dynamic-provider-host";
import { Deployed, up } from "../support/wiring-lifecycle";
import { FakeServarr, startServarr } from "./fakes/servarr";
import { FakeProwlarr, startProwlarr } from "./fakes/prowlarr";
import * as jellyfinFake from "./fakes/jellyfin";
import * as seerrFake from "./fakes/seerr";
import * as bazarrFake from "./fakes/bazarr";

jest.setTimeout(90_000);

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
/** Caddy's socket on loopback stands for its stack address in Jellyfin's network (the Docker network here). */
const CADDY_SOCKET = "127.0.0.21";
const CADDY_AT = "172.30.0.21";
/** How the apps reach each other on the stack network (172.30.0.0/24, catalog order): written down here. */
const SONARR_FROM_PROWLARR = "http://172.30.0.14:8989";
const RADARR_FROM_PROWLARR = "http://172.30.0.15:7878";
const LIDARR_FROM_PROWLARR = "http://172.30.0.16:8686";
const FLARESOLVERR_FROM_PROWLARR = "http://localhost:8191/";

let host: DynamicProviderHost;
/** The program's wiring registrations (plain inputs, `__provider` included), by key. */
const planned: Record<string, Props> = {};
/** Wiring keys each wiring resource depends on in the program's graph, and the containers it depends on. */
const dependsOn: Record<string, string[]> = {};
let flaresolverrWaitedHealthy = false;
/** `host:port` that answer inside the apps' containers (as written into them). */
const reachable = new Set<string>();
const reach = (host: string, port: number) => reachable.has(`${host}:${port}`);
const order: string[] = [];
const deployed: Record<string, { inputs: Props; state: Deployed }> = {};
const servarr: Record<string, FakeServarr> = {};
let prowlarr: FakeProwlarr;
let jellyfin: jellyfinFake.FakeJellyfin;
let seerr: seerrFake.FakeSeerr;
let bazarr: bazarrFake.FakeBazarr;
const closers: (() => Promise<void>)[] = [];

const at = (port: number) => ({ host: "127.0.0.1", port, basePath: "" });
const key = (app: string) => String(planned[app].apiKey);

/** `pulumi up` of one resource, from the program's inputs with what the engine would fill in. */
async function deploy(name: string, patch: Props): Promise<Props> {
    const inputs = { ...planned[name], ...patch, readyTimeoutSeconds: 5 };
    const result = await up(host, inputs);
    expect(result.operation).toBe("create");
    deployed[name] = { inputs, state: result.state };
    return result.state.props;
}

beforeAll(async () => {
    // Local mode (the provider connects directly); its warning about skipped host hardening is not the subject here.
    jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    const run = await runProgram(programOptions({ host: undefined, sshHostKey: undefined, sshPrivateKey: undefined }));
    const keyOf = new Map<string, string>();
    for (const r of run.resources.filter((x) => x.type === DYNAMIC)) keyOf.set(r.urn, r.name.replace(/^homelab-wiring-/, ""));
    const flaresolverr = run.resources.find((x) => x.type === "docker:index/container:Container" && x.name.endsWith("-flaresolverr"));
    flaresolverrWaitedHealthy = (flaresolverr?.serializedInputs as Props | undefined)?.wait === true;
    for (const r of run.resources.filter((x) => x.type === DYNAMIC)) {
        const name = keyOf.get(r.urn)!;
        planned[name] = readableInputs(r.serializedInputs, true) as Props;
        dependsOn[name] = r.dependencies.filter((urn) => keyOf.has(urn)).map((urn) => keyOf.get(urn)!);
        if (flaresolverr && r.dependencies.includes(flaresolverr.urn) && !flaresolverrWaitedHealthy) dependsOn[name].push("(flaresolverr not waited for)");
    }
    const qbittorrent = { host: "gluetun", port: 8080, username: "admin", password: String(planned.qbittorrent.password) };
    for (const kind of ["sonarr", "radarr", "lidarr"] as const) {
        servarr[kind] = await startServarr({ kind, apiKey: key(kind), qbittorrent, reach });
        closers.push(() => servarr[kind].close());
    }
    prowlarr = await startProwlarr({
        apiKey: key("prowlarr-sonarr"),
        apps: {
            Sonarr: { baseUrl: SONARR_FROM_PROWLARR, apiKey: key("sonarr") },
            Radarr: { baseUrl: RADARR_FROM_PROWLARR, apiKey: key("radarr") },
            Lidarr: { baseUrl: LIDARR_FROM_PROWLARR, apiKey: key("lidarr") },
        },
        flaresolverrUrl: FLARESOLVERR_FROM_PROWLARR,
        reach,
    });
    jellyfin = await jellyfinFake.start({ peers: { [CADDY_SOCKET]: CADDY_AT } });
    seerr = await seerrFake.start({ apiKey: key("seerr") });
    bazarr = await bazarrFake.start({ apiKey: key("bazarr"), reach });
    closers.push(() => prowlarr.close(), () => jellyfin.close(), () => seerr.close(), () => bazarr.close());
    host = await startDynamicProviderHost({ name: "program-wiring" });
}, 90_000);

afterAll(async () => {
    await host?.stop();
    await Promise.all(closers.map((close) => close()));
});

test("the program declares the wiring this suite deploys", () => {
    expect(Object.keys(planned).sort()).toEqual([
        "bazarr", "jellyfin", "jellyfin-setup", "lidarr", "lidarr-login", "prowlarr-flaresolverr", "prowlarr-lidarr",
        "prowlarr-login", "prowlarr-radarr", "prowlarr-sonarr", "qbittorrent", "radarr", "radarr-login", "seerr", "sonarr", "sonarr-login",
    ]);
    for (const inputs of Object.values(planned)) expect(inputs.connection).toEqual({ kind: "local" });
});

/** The addresses under which the other apps reach `app` (as the program wrote them into them). */
function addressesOf(app: string): string[] {
    const hostPort = (url: unknown) => { const u = new URL(String(url)); return `${u.hostname}:${u.port}`; };
    const dc = planned.sonarr.downloadClient as { host: string; port: number };
    const jf = planned.sonarr.jellyfin as { host: string; port: number };
    const fromBazarr = (kind: string) => { const b = planned.bazarr[kind] as { ip: string; port: number }; return `${b.ip}:${b.port}`; };
    switch (app) {
        case "qbittorrent": return [`${dc.host}:${dc.port}`];
        case "jellyfin": return [`${jf.host}:${jf.port}`];
        case "sonarr": return [hostPort(planned["prowlarr-sonarr"].baseUrl), fromBazarr("sonarr")];
        case "radarr": return [hostPort(planned["prowlarr-radarr"].baseUrl), fromBazarr("radarr")];
        case "lidarr": return [hostPort(planned["prowlarr-lidarr"].baseUrl)];
        default: return [];
    }
}

/** The app a wiring resource waits for (its `ready` check) before anything else. */
function waitsFor(name: string): string {
    if (name === "jellyfin-setup" || name === "jellyfin") return "jellyfin";
    return name.replace(/-login$/, "").replace(/^prowlarr-.*$/, "prowlarr");
}

/** The program's dependency order, leaves first among the ready ones (so a missing dependency shows). */
function programOrder(): string[] {
    const done = new Set<string>();
    const result: string[] = [];
    const dependents = (name: string) => Object.values(dependsOn).filter((deps) => deps.includes(name)).length;
    while (result.length < Object.keys(planned).length) {
        const ready = Object.keys(planned).filter((n) => !done.has(n) && dependsOn[n].every((d) => done.has(d)));
        if (ready.length === 0) throw new Error(`no wiring resource can run next: ${JSON.stringify(dependsOn)}`);
        ready.sort((a, b) => dependents(a) - dependents(b) || b.localeCompare(a));
        done.add(ready[0]);
        result.push(ready[0]);
    }
    return result;
}

async function signIn(port: number, username: string, password: string): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${port}/login?returnUrl=/`, {
        method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ username, password }).toString(),
    });
    return res.headers.get("location") ?? "";
}

/** A failed Jellyfin sign-in sent by "Caddy" on behalf of `client`; the address Jellyfin logs for it. */
function jellyfinSeesThroughCaddy(client: string): Promise<string | undefined> {
    const body = JSON.stringify({ Username: "admin", Pw: "wrong" });
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: "127.0.0.1", port: jellyfin.port, method: "POST", path: "/Users/AuthenticateByName", localAddress: CADDY_SOCKET,
            headers: {
                "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "X-Forwarded-For": client,
                Authorization: 'MediaBrowser Client="web", Device="browser", DeviceId="browser-1", Version="10.11.11"',
            },
        }, (res) => { res.resume(); res.on("end", () => resolve(/\(IP: (.*)\)\.$/.exec(jellyfin.state.log.at(-1) ?? "")?.[1])); });
        req.on("error", reject);
        req.end(body);
    });
}

test("first deploy, in the program's order, wires every app", async () => {
    // Nobody can sign in to a Servarr app that has no user (UserService.FindUser).
    for (const [id, port] of [["sonarr", servarr.sonarr.port], ["radarr", servarr.radarr.port], ["lidarr", servarr.lidarr.port], ["prowlarr", prowlarr.port]] as const) {
        expect({ id, location: await signIn(port, "admin", String(planned[`${id}-login`].password)) }).toEqual({ id, location: expect.stringMatching(/loginFailed=true/) });
    }
    if (flaresolverrWaitedHealthy) reachable.add(FLARESOLVERR_FROM_PROWLARR.replace(/^http:\/\//, "").replace(/\/$/, ""));

    let adminUserId = "";
    let jellyfinApiKey = "";
    const profiles: Record<string, { id: number; name: string }> = {};
    const dvr = (kind: "sonarr" | "radarr") => ({ ...(planned.seerr[kind] as Props), profileId: profiles[kind].id, profileName: profiles[kind].name });
    for (const name of programOrder()) {
        order.push(name);
        // The resource's own ready check: the app it talks to answers from now on.
        for (const address of addressesOf(waitsFor(name))) reachable.add(address);
        if (name === "qbittorrent") continue; // the real qbittorrent-nox: test/wiring/qbittorrent.test.ts
        const app = waitsFor(name);
        if (app === "jellyfin") {
            const props = await deploy(name, { address: at(jellyfin.port) });
            if (name === "jellyfin-setup") adminUserId = (props.observed as { adminUserId: string }).adminUserId;
            else jellyfinApiKey = (props.observed as { apiKey: string }).apiKey;
        } else if (app === "prowlarr") {
            await deploy(name, { address: at(prowlarr.port) });
        } else if (name === "seerr") {
            await deploy("seerr", {
                address: at(seerr.port),
                // Docker's DNS resolves "jellyfin" on the stack network; here the fake Jellyfin is on loopback.
                jellyfinHost: "127.0.0.1",
                jellyfinPort: jellyfin.port,
                jellyfinAdminUserId: adminUserId,
                sonarr: dvr("sonarr"),
                radarr: dvr("radarr"),
            });
        } else if (name === "bazarr") {
            await deploy("bazarr", { address: at(bazarr.port) });
        } else if (name.endsWith("-login")) {
            await deploy(name, { address: at(servarr[app].port) });
        } else {
            expect(jellyfinApiKey).not.toBe("");
            const props = await deploy(name, { address: at(servarr[name].port), jellyfinApiKey });
            const profile = (props.observed as { qualityProfile?: { id: number; name: string } }).qualityProfile;
            if (profile) profiles[name] = profile;
        }
    }

    // Sonarr, Radarr, Lidarr and Prowlarr: the program's login signs in.
    for (const [id, port] of [["sonarr", servarr.sonarr.port], ["radarr", servarr.radarr.port], ["lidarr", servarr.lidarr.port], ["prowlarr", prowlarr.port]] as const) {
        expect({ id, location: await signIn(port, "admin", String(planned[`${id}-login`].password)) }).toEqual({ id, location: "/" });
    }

    // Jellyfin applies Caddy as known proxy on this first deploy: a client through Caddy is seen as itself.
    expect(await jellyfinSeesThroughCaddy("203.0.113.7")).toBe("203.0.113.7");
    expect(jellyfin.state.restarts).toBe(1);
    // Each Jellyfin resource is its own device: neither login logged the other out.
    expect([...new Set([...jellyfin.state.sessions.values()].map((s) => s.deviceId))]).toEqual(expect.arrayContaining(Object.values(JELLYFIN_DEVICES)));

    // Jellyfin: the program's admin, one library per kind, Caddy as known proxy, the LAN as local network.
    expect(jellyfin.state.wizardCompleted).toBe(true);
    expect(jellyfin.state.users.map((u) => u.Name)).toEqual(["admin"]);
    expect(jellyfin.state.users[0].password).toBe(planned["jellyfin-setup"].adminPassword);
    expect(jellyfin.state.libraries.map((l) => [l.Name, l.Locations])).toEqual([
        ["Shows", ["/data/media/tv"]], ["Movies", ["/data/media/movies"]], ["Music", ["/data/media/music"]],
    ]);
    expect(jellyfin.state.network.KnownProxies).toEqual(["172.30.0.21"]);
    expect(jellyfin.state.network.LocalNetworkSubnets).toEqual(["192.168.1.0/24"]);

    // The library managers: root folder, qBittorrent through the gateway with their category, Jellyfin told.
    for (const [kind, media] of [["sonarr", "tv"], ["radarr", "movies"], ["lidarr", "music"]]) {
        const state = servarr[kind].state;
        expect(state.rootFolders.map((f) => f.path)).toEqual([`/data/media/${media}`]);
        const [client] = state.downloadClients.items;
        expect(client).toMatchObject({ name: "qBittorrent", implementation: "QBittorrent" });
        expect(client.values).toMatchObject({ host: "gluetun", port: 8080, username: "admin" });
        expect(Object.values(client.values)).toContain(media);
        expect(state.mediaManagement.copyUsingHardlinks).toBe(true);
        expect(state.notifications.items.map((n) => [n.implementation, n.values.host, n.values.port])).toEqual([["MediaBrowser", "jellyfin", 8096]]);
    }

    // Prowlarr: one application per library manager at the address it can reach, FlareSolverr as proxy.
    expect(prowlarr.state.applications.items.map((a) => [a.name, a.values.baseUrl, a.values.prowlarrUrl]).sort()).toEqual([
        ["Lidarr", LIDARR_FROM_PROWLARR, "http://gluetun:9696"],
        ["Radarr", RADARR_FROM_PROWLARR, "http://gluetun:9696"],
        ["Sonarr", SONARR_FROM_PROWLARR, "http://gluetun:9696"],
    ]);
    expect(prowlarr.state.proxies.items.map((p) => [p.implementation, p.values.host])).toEqual([["FlareSolverr", FLARESOLVERR_FROM_PROWLARR]]);

    // Seerr: owned by Jellyfin's admin, Sonarr and Radarr by their Docker names with the 1080p profile.
    expect(seerr.state.initialized).toBe(true);
    expect(seerr.state.users.map((u) => u.jellyfinUserId)).toEqual([adminUserId]);
    expect(seerr.state.sonarr.map((s) => [s.hostname, s.port, s.activeDirectory, s.activeProfileName])).toEqual([["sonarr", 8989, "/data/media/tv", "1080p"]]);
    expect(seerr.state.radarr.map((s) => [s.hostname, s.port, s.activeDirectory])).toEqual([["radarr", 7878, "/data/media/movies"]]);

    // Bazarr: Sonarr and Radarr by their Docker names, forms login; the root base URL as Bazarr keeps it in memory.
    expect(bazarr.state.settings.sonarr).toMatchObject({ ip: "sonarr", port: 8989, apikey: key("sonarr"), base_url: "" });
    expect(bazarr.state.blocked).toBe(0);
    expect(bazarr.state.settings.radarr).toMatchObject({ ip: "radarr", port: 7878, apikey: key("radarr") });
    expect(bazarr.state.settings.general).toMatchObject({ use_sonarr: true, use_radarr: true });
    expect(bazarr.state.settings.auth).toMatchObject({ type: "form", username: "admin" });
});

test("a second `pulumi up` with nothing changed writes nothing to any app", async () => {
    const writesBefore = () => [
        ...Object.values(servarr).map((s) => s.writes().length), prowlarr.writes().length,
        jellyfin.state.writes.length, seerr.state.writes.length, bazarr.state.writes.length,
    ];
    const before = writesBefore();
    expect(Object.keys(deployed)).toHaveLength(15);
    for (const [name, { inputs, state }] of Object.entries(deployed)) {
        const result = await up(host, inputs, state);
        expect({ name, operation: result.operation }).toEqual({ name, operation: "same" });
    }
    expect(writesBefore()).toEqual(before);
    expect(jellyfin.state.restarts).toBe(1);
});

test("the deploy ran in the program's order: every create after what its connection test reaches", () => {
    const before = (a: string, b: string) => order.indexOf(a) < order.indexOf(b);
    for (const kind of ["sonarr", "radarr", "lidarr"]) {
        expect({ kind, afterQbittorrentAndJellyfin: before("qbittorrent", kind) && before("jellyfin", kind) }).toEqual({ kind, afterQbittorrentAndJellyfin: true });
        expect({ kind, prowlarrAfterIt: before(kind, `prowlarr-${kind}`) }).toEqual({ kind, prowlarrAfterIt: true });
    }
    expect(before("sonarr", "bazarr") && before("radarr", "bazarr")).toBe(true);
    expect(flaresolverrWaitedHealthy).toBe(true);
});
