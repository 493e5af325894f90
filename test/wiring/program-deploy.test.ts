/**
 * The program's own wiring resources, deployed as `pulumi up` would deploy them: the registrations of the
 * default stack (local mode) are taken from the mock engine with their serialized providers and inputs, and
 * created in dependency order through the real dynamic-provider host against the stateful fakes of the apps.
 * Outputs a later resource takes from an earlier one (Jellyfin's admin id and API key, the Servarr quality
 * profile) are handed over as the engine would. The only substitution is the one Docker's network does: each
 * provider's address, and the Jellyfin name Seerr logs in to, point at the fakes on 127.0.0.1.
 * qBittorrent's wiring needs the real qbittorrent-nox and is proven in test/wiring/qbittorrent.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
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
/** How the apps reach each other on the stack network (172.30.0.0/24, catalog order): written down here. */
const SONARR_FROM_PROWLARR = "http://172.30.0.14:8989";
const RADARR_FROM_PROWLARR = "http://172.30.0.15:7878";
const LIDARR_FROM_PROWLARR = "http://172.30.0.16:8686";
const FLARESOLVERR_FROM_PROWLARR = "http://localhost:8191/";

let host: DynamicProviderHost;
/** The program's wiring registrations (plain inputs, `__provider` included), by key. */
const planned: Record<string, Props> = {};
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
    for (const r of run.resources.filter((x) => x.type === DYNAMIC)) {
        planned[r.name.replace(/^homelab-wiring-/, "")] = readableInputs(r.serializedInputs, true) as Props;
    }
    const qbittorrent = { host: "gluetun", port: 8080, username: "admin", password: String(planned.qbittorrent.password) };
    for (const kind of ["sonarr", "radarr", "lidarr"] as const) {
        servarr[kind] = await startServarr({ kind, apiKey: key(kind), qbittorrent });
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
    });
    jellyfin = await jellyfinFake.start();
    seerr = await seerrFake.start({ apiKey: key("seerr") });
    bazarr = await bazarrFake.start({ apiKey: key("bazarr") });
    closers.push(() => prowlarr.close(), () => jellyfin.close(), () => seerr.close(), () => bazarr.close());
    host = await startDynamicProviderHost({ name: "program-wiring" });
}, 90_000);

afterAll(async () => {
    await host?.stop();
    await Promise.all(closers.map((close) => close()));
});

test("the program declares the wiring this suite deploys", () => {
    expect(Object.keys(planned).sort()).toEqual([
        "bazarr", "jellyfin", "jellyfin-setup", "lidarr", "prowlarr-flaresolverr", "prowlarr-lidarr", "prowlarr-radarr",
        "prowlarr-sonarr", "qbittorrent", "radarr", "seerr", "sonarr",
    ]);
    for (const inputs of Object.values(planned)) expect(inputs.connection).toEqual({ kind: "local" });
});

test("first deploy, in the program's order, wires every app", async () => {
    const setup = await deploy("jellyfin-setup", { address: at(jellyfin.port) });
    const adminUserId = (setup.observed as { adminUserId: string }).adminUserId;
    const jellyfinWired = await deploy("jellyfin", { address: at(jellyfin.port) });
    const jellyfinApiKey = (jellyfinWired.observed as { apiKey: string }).apiKey;
    expect(jellyfinApiKey).not.toBe("");

    const profiles: Record<string, { id: number; name: string }> = {};
    for (const kind of ["sonarr", "radarr", "lidarr"]) {
        const props = await deploy(kind, { address: at(servarr[kind].port), jellyfinApiKey });
        const profile = (props.observed as { qualityProfile?: { id: number; name: string } }).qualityProfile;
        if (profile) profiles[kind] = profile;
    }
    for (const app of ["sonarr", "radarr", "lidarr"]) await deploy(`prowlarr-${app}`, { address: at(prowlarr.port) });
    await deploy("prowlarr-flaresolverr", { address: at(prowlarr.port) });

    const dvr = (kind: "sonarr" | "radarr") => ({ ...(planned.seerr[kind] as Props), profileId: profiles[kind].id, profileName: profiles[kind].name });
    await deploy("seerr", {
        address: at(seerr.port),
        // Docker's DNS resolves "jellyfin" on the stack network; here the fake Jellyfin is on loopback.
        jellyfinHost: "127.0.0.1",
        jellyfinPort: jellyfin.port,
        jellyfinAdminUserId: adminUserId,
        sonarr: dvr("sonarr"),
        radarr: dvr("radarr"),
    });
    await deploy("bazarr", { address: at(bazarr.port) });

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
    expect(prowlarr.state.applications.items.map((a) => [a.name, a.values.baseUrl, a.values.prowlarrUrl])).toEqual([
        ["Sonarr", SONARR_FROM_PROWLARR, "http://gluetun:9696"],
        ["Radarr", RADARR_FROM_PROWLARR, "http://gluetun:9696"],
        ["Lidarr", LIDARR_FROM_PROWLARR, "http://gluetun:9696"],
    ]);
    expect(prowlarr.state.proxies.items.map((p) => [p.implementation, p.values.host])).toEqual([["FlareSolverr", FLARESOLVERR_FROM_PROWLARR]]);

    // Seerr: owned by Jellyfin's admin, Sonarr and Radarr by their Docker names with the 1080p profile.
    expect(seerr.state.initialized).toBe(true);
    expect(seerr.state.users.map((u) => u.jellyfinUserId)).toEqual([adminUserId]);
    expect(seerr.state.sonarr.map((s) => [s.hostname, s.port, s.activeDirectory, s.activeProfileName])).toEqual([["sonarr", 8989, "/data/media/tv", "1080p"]]);
    expect(seerr.state.radarr.map((s) => [s.hostname, s.port, s.activeDirectory])).toEqual([["radarr", 7878, "/data/media/movies"]]);

    // Bazarr: Sonarr and Radarr by their Docker names, forms login.
    expect(bazarr.state.settings.sonarr).toMatchObject({ ip: "sonarr", port: 8989, apikey: key("sonarr") });
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
    expect(Object.keys(deployed)).toHaveLength(11);
    for (const [name, { inputs, state }] of Object.entries(deployed)) {
        const result = await up(host, inputs, state);
        expect({ name, operation: result.operation }).toEqual({ name, operation: "same" });
    }
    expect(writesBefore()).toEqual(before);
});
