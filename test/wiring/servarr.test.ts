/**
 * Sonarr, Radarr and Lidarr wiring run as `pulumi up` runs it: the serialized provider of ServarrWiring,
 * in the real dynamic-provider host over gRPC, against stateful fakes of the apps.
 */
import { ServarrKind, ServarrObserved, ServarrWiring, servarrImplementation } from "../../components/wiring/servarr";
import { wiringSecretOutputs } from "../../components/wiring/core/provider";
import { DynamicProviderHost, Props, registration, startDynamicProviderHost } from "../support/dynamic-provider-host";
import { FakeServarr, KINDS, QualityItem, QualityProfile, startServarr } from "./fakes/servarr";
import { closedPort, Deployed, destroy, failure, refresh, up } from "../support/wiring-lifecycle";

jest.setTimeout(60_000);

const API_KEY = "0123456789abcdef0123456789abcdef";
const QB = { host: "gluetun", port: 8080, username: "admin", password: "qb-generated-Pa55" };
const JELLYFIN = { host: "jellyfin", port: 8096, apiKey: "jellyfin-api-key-1" };
const KIND_LIST: ServarrKind[] = ["sonarr", "radarr", "lidarr"];

let host: DynamicProviderHost;
const registered: Partial<Record<ServarrKind, Props>> = {};
const fakes: FakeServarr[] = [];

function args(kind: ServarrKind) {
    return {
        kind,
        connection: { kind: "local" as const },
        address: { host: "127.0.0.1", port: 1, basePath: "" },
        apiKey: API_KEY,
        downloadClient: { host: QB.host, port: QB.port, username: QB.username },
        downloadClientPassword: QB.password,
        jellyfin: { host: JELLYFIN.host, port: JELLYFIN.port },
        jellyfinApiKey: JELLYFIN.apiKey,
    };
}

beforeAll(async () => {
    for (const kind of KIND_LIST) {
        registered[kind] = (await registration(`${kind}-wiring`, () => new ServarrWiring(`${kind}-wiring`, args(kind)))).inputs;
    }
    host = await startDynamicProviderHost({ name: "servarr" });
});

afterAll(async () => {
    await host?.stop();
    await Promise.all(fakes.map((f) => f.close()));
});

async function app(kind: ServarrKind, extra: { hardlinks?: boolean; categoryField?: string } = {}): Promise<FakeServarr> {
    const fake = await startServarr({ kind, apiKey: API_KEY, qbittorrent: QB, ...extra });
    fakes.push(fake);
    return fake;
}

const inputsFor = (fake: FakeServarr, extra: Props = {}): Props => ({
    ...registered[fake.kind as ServarrKind]!, address: { host: "127.0.0.1", port: fake.port, basePath: "" }, readyTimeoutSeconds: 2, ...extra,
});
const observed = (s: Deployed) => s.props.observed as ServarrObserved;
const client = (fake: FakeServarr) => fake.state.downloadClients.items.find((c) => c.name === "qBittorrent");
const connection = (fake: FakeServarr) => fake.state.notifications.items.find((c) => c.name === "Jellyfin");
const namesOf = (items: QualityItem[]): string[] => items.flatMap((i) => (i.quality ? [String(i.quality.name)] : namesOf(i.items)));
const allowedNames = (p: QualityProfile) => namesOf(p.items.filter((i) => i.allowed)).sort();
const MEDIA_KIND: Record<ServarrKind, string> = { sonarr: "tv", radarr: "movies", lidarr: "music" };

describe.each(KIND_LIST)("%s", (kind) => {
    test("first deploy wires root folder, qBittorrent, hardlinks and the Jellyfin connection", async () => {
        const fake = await app(kind, { hardlinks: false });
        const { state, operation } = await up(host, inputsFor(fake));
        expect(operation).toBe("create");

        expect(fake.state.rootFolders.map((r) => r.path)).toEqual([`/data/media/${MEDIA_KIND[kind]}`]);
        const qb = client(fake)!;
        expect(qb).toMatchObject({ implementation: "QBittorrent", props: expect.objectContaining({ enable: true, protocol: "torrent" }) });
        expect(qb.values).toMatchObject({
            host: QB.host, port: QB.port, username: QB.username, password: QB.password, [KINDS[kind].categoryField]: MEDIA_KIND[kind],
        });
        expect(fake.state.mediaManagement.copyUsingHardlinks).toBe(true);
        const jf = connection(fake)!;
        expect(jf.implementation).toBe("MediaBrowser");
        expect(jf.values).toMatchObject({ host: JELLYFIN.host, port: JELLYFIN.port, apiKey: JELLYFIN.apiKey, updateLibrary: true, notify: false });
        const importTrigger = kind === "lidarr" ? "onReleaseImport" : "onDownload";
        expect(jf.props).toMatchObject({ [importTrigger]: true, onUpgrade: true, onRename: true });
        if (KINDS[kind].richRootFolders) {
            expect(fake.state.rootFolders[0]).toMatchObject({ name: expect.any(String), defaultQualityProfileId: 1, defaultMetadataProfileId: 1 });
        }
        // Secrets come back masked: the state holds the inputs, the app's read shows ********.
        const read = await fetch(`http://127.0.0.1:${fake.port}/api/${fake.apiVersion}/downloadclient`, { headers: { "X-Api-Key": API_KEY } });
        expect(JSON.stringify(await read.json())).not.toContain(QB.password);
        expect(observed(state).downloadClient?.credentialsRejected).toBe(false);
    });
});

describe.each(["sonarr", "radarr"] as const)("%s quality profile", (kind) => {
    test("a 1080p profile built from the app's schema (WEB and Bluray 720p-1080p, cutoff WEB 1080p), id in the outputs", async () => {
        const fake = await app(kind);
        const { state } = await up(host, inputsFor(fake));
        const profile = fake.state.qualityProfiles.find((p) => p.name === "1080p")!;
        expect(allowedNames(profile)).toEqual(
            kind === "sonarr"
                ? ["Bluray-1080p", "Bluray-720p", "WEBDL-1080p", "WEBDL-720p", "WEBRip-1080p", "WEBRip-720p"]
                : ["Bluray-1080p", "Bluray-720p", "WEBDL-1080p", "WEBDL-720p", "WEBRip-1080p", "WEBRip-720p"],
        );
        const cutoff = profile.items.find((i) => i.id === profile.cutoff || i.quality?.id === profile.cutoff)!;
        expect(cutoff.name).toBe("WEB 1080p");
        expect(profile.upgradeAllowed).toBe(true);
        expect(observed(state).qualityProfile).toEqual({ id: profile.id, name: "1080p", tuned: true });
        // "1080p" sorts before the built-in profiles: the add dialogs (sorted by name) preselect it.
        expect([...fake.state.qualityProfiles.map((p) => p.name)].sort((a, b) => a.localeCompare(b))[0]).toBe("1080p");
    });

    test("a same-named profile tuned otherwise is adopted and retuned, and stays after destroy", async () => {
        const fake = await app(kind);
        const existing = fake.behindBack.addQualityProfile("1080p");
        const { state } = await up(host, inputsFor(fake));
        expect(fake.state.qualityProfiles.filter((p) => p.name === "1080p").map((p) => p.id)).toEqual([existing.id]);
        expect(allowedNames(fake.state.qualityProfiles.find((p) => p.id === existing.id)!)).toContain("Bluray-1080p");
        await destroy(host, state);
        expect(fake.state.qualityProfiles.some((p) => p.id === existing.id)).toBe(true);
    });
});

test("the category field is the one the app's schema names (a build calling it otherwise works too)", async () => {
    const fake = await app("lidarr", { categoryField: "artistCategory" });
    await up(host, inputsFor(fake));
    expect(client(fake)!.values).toMatchObject({ artistCategory: "music" });
});

test("a second up with nothing changed writes nothing, even after a refresh", async () => {
    const fake = await app("sonarr");
    const first = await up(host, inputsFor(fake));
    const writes = fake.writes().length;
    expect(writes).toBeGreaterThan(0);

    const again = await up(host, inputsFor(fake), first.state);
    expect(again.operation).toBe("same");
    const refreshed = await refresh(host, first.state);
    const afterRefresh = await up(host, inputsFor(fake), refreshed);
    expect(afterRefresh.operation).toBe("same");
    expect(fake.writes().length).toBe(writes);
});

test("preview (diff) contacts no app, even when the inputs changed", async () => {
    const fake = await app("sonarr");
    const { state } = await up(host, inputsFor(fake));
    const requests = fake.log.length;
    const diff = await host.diff(state.id, state.props, inputsFor(fake, { rootFolderPath: "/data/media/shows" }));
    expect(diff.changes).toBe("some");
    expect((await host.diff(state.id, state.props, inputsFor(fake))).changes).toBe("none");
    expect(fake.log.length).toBe(requests);
});

test("changes behind the program's back are found by refresh and repaired by the next up", async () => {
    const fake = await app("radarr");
    const { state } = await up(host, inputsFor(fake));
    const clientId = client(fake)!.id;

    fake.behindBack.removeRootFolder("/data/media/movies");
    fake.behindBack.setHardlinks(false);
    fake.behindBack.setDownloadClientField("qBittorrent", "password", "typed-in-the-web-ui");
    const before = fake.writes().length;

    const refreshed = await refresh(host, state);
    expect(observed(refreshed)).toMatchObject({ rootFolder: null, hardlinks: false, downloadClient: { credentialsRejected: true } });
    expect(refreshed.inputs).toMatchObject({ rootFolderPath: "" });

    const repaired = await up(host, inputsFor(fake), refreshed);
    expect(repaired.operation).toBe("update");
    expect(fake.state.rootFolders.map((r) => r.path)).toEqual(["/data/media/movies"]);
    expect(fake.state.mediaManagement.copyUsingHardlinks).toBe(true);
    expect(client(fake)).toMatchObject({ id: clientId, values: expect.objectContaining({ password: QB.password }) });
    // Exactly the three repairs: root folder, hardlinks, download client; the profile and connection are untouched.
    expect(fake.writes().slice(before).map((w) => `${w.method} ${w.path.replace(/\d+$/, "N")}`).sort()).toEqual([
        "POST /api/v3/rootfolder", "PUT /api/v3/config/mediamanagement/N", "PUT /api/v3/downloadclient/N",
    ]);
    expect(observed(repaired.state)).toMatchObject({ hardlinks: true, downloadClient: { credentialsRejected: false } });
    expect((await up(host, inputsFor(fake), await refresh(host, repaired.state))).operation).toBe("same");
});

test("a new qBittorrent password in the inputs is written although the app shows it masked", async () => {
    const fake = await app("lidarr");
    const { state } = await up(host, inputsFor(fake));
    // Written even while qBittorrent still accepts the old one (the apps may be wired in any order).
    const next = await up(host, inputsFor(fake, { downloadClientPassword: "rotated-Pa55" }), state);
    expect(next.operation).toBe("update");
    expect(client(fake)!.values.password).toBe("rotated-Pa55");
    fake.options.qbittorrent = { ...QB, password: "rotated-Pa55" };
    const writes = fake.writes().length;
    expect((await up(host, inputsFor(fake, { downloadClientPassword: "rotated-Pa55" }), await refresh(host, next.state))).operation).toBe("same");
    expect(fake.writes().length).toBe(writes);
});

test("a new Jellyfin API key in the inputs is written (the stored one cannot be tested: Jellyfin 10.9+ has no /Notifications)", async () => {
    const fake = await app("sonarr");
    const { state } = await up(host, inputsFor(fake));
    const next = await up(host, inputsFor(fake, { jellyfinApiKey: "jellyfin-api-key-2" }), state);
    expect(next.operation).toBe("update");
    expect(connection(fake)!.values.apiKey).toBe("jellyfin-api-key-2");
    expect((await up(host, inputsFor(fake, { jellyfinApiKey: "jellyfin-api-key-2" }), await refresh(host, next.state))).operation).toBe("same");
});

test("existing objects are adopted (updated in place) and stay when the wiring is destroyed", async () => {
    const fake = await app("sonarr");
    const folder = fake.behindBack.addRootFolder("/data/media/tv");
    const clientId = fake.behindBack.addDownloadClient("qbittorrent", { host: "old-host", port: 9090, username: "admin", password: "old", tvCategory: "sonarr" });
    const writesBefore = fake.writes().length;

    const { state } = await up(host, inputsFor(fake));
    expect(fake.state.rootFolders.map((r) => r.id)).toEqual([folder.id]);
    expect(fake.state.downloadClients.items.map((c) => c.id)).toEqual([clientId]);
    expect(fake.state.downloadClients.items[0].values).toMatchObject({ host: QB.host, port: QB.port, password: QB.password, tvCategory: "tv" });
    expect(fake.writes().length).toBeGreaterThan(writesBefore);
    expect(state.props.created).not.toContain(`rootfolder:${folder.id}`);

    await destroy(host, state);
    expect(fake.state.rootFolders.map((r) => r.id)).toEqual([folder.id]);
    expect(fake.state.downloadClients.items.map((c) => c.id)).toEqual([clientId]);
    expect(fake.state.notifications.items).toEqual([]);
    expect(fake.state.qualityProfiles.some((p) => p.name === "1080p")).toBe(false);
});

test("an app switched off loses its wiring, and destroy leaves the app as it was before", async () => {
    const fake = await app("sonarr", { hardlinks: false });
    const before = fake.snapshot();
    const { state } = await up(host, inputsFor(fake));
    expect(fake.snapshot()).not.toEqual(before);
    await destroy(host, state);
    expect(fake.snapshot()).toEqual(before);
});

test("Jellyfin switched off removes the connection this resource created", async () => {
    const fake = await app("radarr");
    const { state } = await up(host, inputsFor(fake));
    expect(connection(fake)).toBeDefined();
    const { jellyfin: _j, jellyfinApiKey: _k, ...withoutJellyfin } = inputsFor(fake);
    const next = await up(host, withoutJellyfin, state);
    expect(next.operation).toBe("update");
    expect(connection(fake)).toBeUndefined();
    expect((await up(host, withoutJellyfin, next.state)).operation).toBe("same");
});

test("Jellyfin switched off leaves an adopted connection alone, without a diff on every later up", async () => {
    const fake = await app("sonarr");
    const id = fake.behindBack.addNotification("Jellyfin", "MediaBrowser", { host: "old", port: 8096, apiKey: "old-key" });
    const { state } = await up(host, inputsFor(fake));
    expect(connection(fake)).toMatchObject({ id, values: expect.objectContaining({ host: JELLYFIN.host }) });
    const { jellyfin: _j, jellyfinApiKey: _k, ...withoutJellyfin } = inputsFor(fake);
    const next = await up(host, withoutJellyfin, state);
    expect(connection(fake)?.id).toBe(id);
    expect((await up(host, withoutJellyfin, await refresh(host, next.state))).operation).toBe("same");
});

test("an unreachable app fails within the retry budget, with one line naming the app, the address and the step", async () => {
    const port = await closedPort();
    const { message, ms } = await failure(() => up(host, { ...registered.sonarr!, address: { host: "127.0.0.1", port, basePath: "" }, readyTimeoutSeconds: 1 }));
    expect(message).toContain(`Sonarr at 127.0.0.1:${port}: wait until ready failed`);
    expect(message.split("\n").filter((l) => l.includes("Sonarr at")).length).toBe(1);
    expect(ms).toBeLessThan(10_000);
});

test("a wrong API key fails clearly instead of wiring nothing", async () => {
    const fake = await app("radarr");
    const { message } = await failure(() => up(host, inputsFor(fake, { apiKey: "wrong" })));
    expect(message).toMatch(new RegExp(`Radarr at 127\\.0\\.0\\.1:${fake.port}: list root folders failed: .*401`));
});

test("a media folder missing on the host fails with the app's own reason, naming the step", async () => {
    const fake = await startServarr({ kind: "sonarr", apiKey: API_KEY, qbittorrent: QB, folders: ["/data"] });
    fakes.push(fake);
    const { message } = await failure(() => up(host, inputsFor(fake)));
    expect(message).toContain(`Sonarr at 127.0.0.1:${fake.port}: add root folder /data/media/tv failed`);
    expect(message).toContain("Path '/data/media/tv' does not exist");
});

test("credentials stay out of the serialized provider and are secret outputs", async () => {
    const reg = await registration("sonarr-secrets", () => new ServarrWiring("sonarr-secrets", args("sonarr")));
    const provider = JSON.stringify(reg.serializedProvider);
    for (const secret of [API_KEY, QB.password, JELLYFIN.apiKey]) expect(provider).not.toContain(secret);
    expect(wiringSecretOutputs(servarrImplementation)).toEqual(expect.arrayContaining(["connection", "apiKey", "downloadClientPassword", "jellyfinApiKey"]));
});
