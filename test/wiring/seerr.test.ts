/**
 * Seerr's wiring run as `pulumi up` runs it: the serialized provider of SeerrWiring, in the real
 * dynamic-provider host over gRPC, against a stateful Seerr fake (v3.1.0, test/wiring/fakes/seerr.ts) that itself
 * signs in to a Jellyfin fake.
 */
import * as http from "node:http";
import { SeerrDvr, SeerrWiring, seerrImplementation } from "../../components/wiring/seerr";
import { wiringSecretOutputs } from "../../components/wiring/core/provider";
import { DynamicProviderHost, Props, registration, startDynamicProviderHost } from "../support/dynamic-provider-host";
import { completeWizardAs, FakeJellyfin, FakeJellyfinUser, start as startJellyfin } from "./fakes/jellyfin";
import { FakeSeerr, start as startSeerr } from "./fakes/seerr";
import { closedPort, destroy, failure, refresh, up } from "../support/wiring-lifecycle";

jest.setTimeout(60_000);

const ADMIN = "admin";
const PASSWORD = "generated-Pa55word";
const API_KEY = "seerr-api-key-fixed-by-the-program";
const LIBRARIES = [
    { name: "Shows", collectionType: "tvshows" as const },
    { name: "Movies", collectionType: "movies" as const },
    { name: "Music", collectionType: "music" as const },
];
const SONARR: SeerrDvr = { name: "Sonarr", hostname: "172.30.0.12", port: 8989, apiKey: "sonarr-key", useSsl: false, baseUrl: "", profileId: 7, profileName: "HD-1080p", rootFolder: "/data/media/tv" };
const RADARR: SeerrDvr = { name: "Radarr", hostname: "172.30.0.13", port: 7878, apiKey: "radarr-key", useSsl: false, baseUrl: "", profileId: 4, profileName: "HD-1080p", rootFolder: "/data/media/movies" };

let host: DynamicProviderHost;
let registered: Props;
const closers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
    registered = (await registration("seerr", () => new SeerrWiring("seerr", {
        connection: { kind: "local" },
        address: { host: "127.0.0.1", port: 1, basePath: "" },
        apiKey: API_KEY,
        jellyfinHost: "127.0.0.1",
        jellyfinPort: 1,
        jellyfinUrlBase: "",
        jellyfinUseSsl: false,
        jellyfinAdminUser: ADMIN,
        jellyfinAdminPassword: PASSWORD,
        jellyfinAdminUserId: "set-per-test",
        libraries: LIBRARIES,
        sonarr: SONARR,
        radarr: RADARR,
    }))).inputs;
    host = await startDynamicProviderHost({ name: "seerr" });
});

afterAll(async () => {
    await host?.stop();
    await Promise.all(closers.map((c) => c.close()));
});

interface Stack { jellyfin: FakeJellyfin; seerr: FakeSeerr; admin: FakeJellyfinUser; inputs(extra?: Props): Props }

/** A Jellyfin set up by the program (admin, three libraries) and a Seerr started with the program's API key. */
async function stack(): Promise<Stack> {
    const jellyfin = await startJellyfin();
    const seerr = await startSeerr({ apiKey: API_KEY });
    closers.push(jellyfin, seerr);
    const admin = completeWizardAs(jellyfin.state, ADMIN, PASSWORD);
    for (const [name, type, path] of [["Shows", "tvshows", "/data/media/tv"], ["Movies", "movies", "/data/media/movies"], ["Music", "music", "/data/media/music"]]) {
        jellyfin.state.libraries.push({ Name: name, CollectionType: type, Locations: [path], ItemId: `id-${name}` });
    }
    const inputs = (extra: Props = {}) => ({
        ...registered,
        address: { host: "127.0.0.1", port: seerr.port, basePath: "" },
        jellyfinPort: jellyfin.port,
        jellyfinAdminUserId: admin.Id,
        readyTimeoutSeconds: 2,
        ...extra,
    });
    return { jellyfin, seerr, admin, inputs };
}

/** A local sign-in through the reverse proxy: the proxy connects from 127.0.0.1 and forwards the client's address. */
function proxiedSignIn(seerr: FakeSeerr, client: string): Promise<number> {
    const body = JSON.stringify({ email: "bob@example.org", password: "guess" });
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port: seerr.port, path: "/api/v1/auth/local", method: "POST", headers: {
            "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "X-Forwarded-For": client,
        } }, (res) => { res.resume(); res.on("end", () => resolve(res.statusCode ?? 0)); });
        req.on("error", reject);
        req.end(body);
    });
}
const loggedIp = (seerr: FakeSeerr) => JSON.parse(/\{.*\}$/.exec(seerr.state.log[seerr.state.log.length - 1])?.[0] ?? "{}").ip;

const enabled = (seerr: FakeSeerr) => seerr.state.jellyfin.libraries.filter((l) => l.enabled).map((l) => l.name).sort();

test("first deploy initialises Seerr against Jellyfin with the admin, enables its libraries and adds Sonarr and Radarr as defaults", async () => {
    const s = await stack();
    const { state } = await up(host, s.inputs());

    expect(s.seerr.state.initialized).toBe(true);
    expect(s.seerr.state.users[0]).toMatchObject({ id: 1, jellyfinUserId: s.admin.Id, jellyfinUsername: ADMIN });
    expect(s.seerr.state.jellyfin).toMatchObject({ ip: "127.0.0.1", port: s.jellyfin.port });
    // Seerr made itself a Jellyfin API key with the admin's session.
    expect(s.jellyfin.state.apiKeys.map((k) => k.AppName)).toEqual(["Seerr"]);
    expect(enabled(s.seerr)).toEqual(["Movies", "Shows"]);
    expect(s.seerr.state.sonarr).toEqual([expect.objectContaining({ name: "Sonarr", hostname: SONARR.hostname, apiKey: SONARR.apiKey, activeProfileId: 7, activeProfileName: "HD-1080p", activeDirectory: "/data/media/tv", isDefault: true, is4k: false })]);
    expect(s.seerr.state.radarr).toEqual([expect.objectContaining({ name: "Radarr", activeProfileId: 4, activeDirectory: "/data/media/movies", isDefault: true, minimumAvailability: "released" })]);
    expect(state.props.created).toEqual(["sonarr:Sonarr", "radarr:Radarr"]);
    // Secrets never land in the observed state in clear.
    expect(JSON.stringify(state.props.observed)).not.toContain(SONARR.apiKey);
});

test("defect 6: the first deploy makes Seerr trust the proxy; once Seerr restarts, a proxied failed sign-in is logged with the client's address", async () => {
    const s = await stack();
    const { state } = await up(host, s.inputs());

    expect(s.seerr.state.network.trustProxy).toBe(true);
    expect(s.seerr.state.writes).toContain("POST /settings/network");
    // Saved, not applied: Seerr reads it at start and says a restart is required; the seerr-restart step runs on this.
    expect(typeof (state.props.observed as { trustProxySavedAt?: string }).trustProxySavedAt).toBe("string");
    expect(await proxiedSignIn(s.seerr, "203.0.113.50")).toBe(403);
    expect(loggedIp(s.seerr)).toBe("127.0.0.1");

    s.seerr.restart();

    expect(await proxiedSignIn(s.seerr, "203.0.113.50")).toBe(403);
    expect(loggedIp(s.seerr)).toBe("203.0.113.50");
    expect(s.seerr.state.log[s.seerr.state.log.length - 1]).toMatch(/\[warn\]\[API\]: Failed sign-in attempt using invalid Seerr password \{"ip":"203\.0\.113\.50"/);
});

test("proxy trust turned off behind the program's back is found by refresh and saved again, with a new restart stamp", async () => {
    const s = await stack();
    const first = await up(host, s.inputs());
    const stamp = (first.state.props.observed as { trustProxySavedAt?: string }).trustProxySavedAt;
    s.seerr.state.network.trustProxy = false;

    const refreshed = await refresh(host, first.state);
    expect((refreshed.props.observed as { trustProxy: boolean }).trustProxy).toBe(false);
    const repaired = await up(host, s.inputs(), refreshed);

    expect(repaired.operation).toBe("update");
    expect(s.seerr.state.network.trustProxy).toBe(true);
    const again = (repaired.state.props.observed as { trustProxySavedAt?: string }).trustProxySavedAt;
    expect(again).toEqual(expect.any(String));
    expect(again).not.toBe(stamp);
});

test("a second up with nothing changed writes nothing, even after a refresh", async () => {
    const s = await stack();
    const first = await up(host, s.inputs());
    const writes = s.seerr.state.writes.length;

    expect((await up(host, s.inputs(), first.state)).operation).toBe("same");
    expect((await up(host, s.inputs(), await refresh(host, first.state))).operation).toBe("same");
    expect(s.seerr.state.writes.slice(writes)).toEqual([]);
});

test("Sonarr removed and a library disabled behind the program's back are found by refresh and repaired", async () => {
    const s = await stack();
    const first = await up(host, s.inputs());
    s.seerr.state.sonarr = [];
    s.seerr.state.jellyfin.libraries = s.seerr.state.jellyfin.libraries.map((l) => ({ ...l, enabled: l.name !== "Movies" }));
    const writes = s.seerr.state.writes.length;

    const repaired = await up(host, s.inputs(), await refresh(host, first.state));

    expect(repaired.operation).toBe("update");
    expect(s.seerr.state.sonarr.map((d) => d.name)).toEqual(["Sonarr"]);
    expect(enabled(s.seerr)).toEqual(["Movies", "Shows"]);
    expect(s.seerr.state.writes.slice(writes)).toEqual(["GET /settings/jellyfin/library", "GET /settings/jellyfin/library", "POST /settings/sonarr"]);
});

test("an existing Sonarr entry of the same name is adopted (updated in place, left on destroy)", async () => {
    const s = await stack();
    const first = await up(host, s.inputs({ sonarr: undefined }));
    s.seerr.state.sonarr.push({ id: 0, name: "Sonarr", hostname: "old-host", port: 8989, apiKey: "old", useSsl: false, activeProfileId: 1, activeProfileName: "Any", activeDirectory: "/tv", is4k: false, isDefault: true, enableSeasonFolders: true });

    const next = await up(host, s.inputs(), await refresh(host, first.state));

    expect(next.state.props.created).toEqual(["radarr:Radarr"]);
    expect(s.seerr.state.sonarr).toEqual([expect.objectContaining({ id: 0, hostname: SONARR.hostname, apiKey: SONARR.apiKey, activeProfileId: 7 })]);
    await destroy(host, next.state);
    expect(s.seerr.state.sonarr.map((d) => d.name)).toEqual(["Sonarr"]);
    expect(s.seerr.state.radarr).toEqual([]);
});

test("defect 7: adopting a Sonarr entry keeps the user's own fields (anime profile and folder, tags, external URL)", async () => {
    const s = await stack();
    const first = await up(host, s.inputs({ sonarr: undefined }));
    const users = {
        activeAnimeProfileId: 9, activeAnimeProfileName: "Anime-1080p", activeAnimeDirectory: "/data/media/anime", animeTags: [4],
        tags: [3], externalUrl: "https://sonarr.example.org", seriesType: "standard", animeSeriesType: "anime", syncEnabled: false, preventSearch: true,
        tagRequests: true, overrideRule: [2], activeLanguageProfileId: 1,
    };
    s.seerr.state.sonarr.push({ id: 0, name: "Sonarr", hostname: "old-host", port: 8989, apiKey: "old", useSsl: false, activeProfileId: 1, activeProfileName: "Any", activeDirectory: "/tv", is4k: false, isDefault: true, enableSeasonFolders: false, ...users });

    await up(host, s.inputs(), await refresh(host, first.state));

    expect(s.seerr.state.writes).toContain("PUT /settings/sonarr/0");
    expect(s.seerr.state.sonarr).toEqual([{
        id: 0, ...users, is4k: false, enableSeasonFolders: false,
        name: "Sonarr", hostname: SONARR.hostname, port: SONARR.port, apiKey: SONARR.apiKey, useSsl: false, baseUrl: "",
        activeProfileId: 7, activeProfileName: "HD-1080p", activeDirectory: "/data/media/tv", isDefault: true,
    }]);
});

test("a Seerr set up by another Jellyfin user fails clearly and is not adopted", async () => {
    const s = await stack();
    const stranger = completeWizardAs(s.jellyfin.state, "someone", "their-password");
    s.seerr.state.mediaServerType = 2;
    s.seerr.state.jellyfin = { ...s.seerr.state.jellyfin, ip: "127.0.0.1", port: s.jellyfin.port };
    s.seerr.state.users.push({ id: 1, jellyfinUserId: stranger.Id, jellyfinUsername: "someone", email: "x@example.org", permissions: 2 });
    s.seerr.state.initialized = true;

    const { message } = await failure(() => up(host, s.inputs()));

    expect(message).toMatch(new RegExp(`^Seerr at 127\\.0\\.0\\.1:${s.seerr.port}: check the owner failed: it was set up by Jellyfin user 'someone'`));
    expect(message.split("\n")).toHaveLength(1);
    expect(s.seerr.state.writes).toEqual([]);
});

test("a Seerr this program signed in to but did not finish initialising is resumed", async () => {
    const s = await stack();
    s.seerr.state.mediaServerType = 2;
    s.seerr.state.jellyfin = { ...s.seerr.state.jellyfin, ip: "127.0.0.1", port: s.jellyfin.port, apiKey: "jf-key" };
    s.jellyfin.state.apiKeys.push({ Id: 1, AccessToken: "jf-key", AppName: "Seerr", DateCreated: "2026-01-01T00:00:00Z" });
    s.seerr.state.users.push({ id: 1, jellyfinUserId: s.admin.Id, jellyfinUsername: ADMIN, email: ADMIN, permissions: 2 });

    await up(host, s.inputs());

    expect(s.seerr.state.initialized).toBe(true);
    expect(s.seerr.state.writes).not.toContain("POST /auth/jellyfin (server set)");
    expect(enabled(s.seerr)).toEqual(["Movies", "Shows"]);
});

test("Radarr switched off loses its entry in Seerr", async () => {
    const s = await stack();
    const first = await up(host, s.inputs());

    const next = await up(host, s.inputs({ radarr: undefined }), first.state);

    expect(next.operation).toBe("update");
    expect(s.seerr.state.radarr).toEqual([]);
    expect(s.seerr.state.sonarr.map((d) => d.name)).toEqual(["Sonarr"]);
    expect(next.state.props.created).toEqual(["sonarr:Sonarr"]);
});

test("an unreachable Seerr fails in bounded time with one line naming app, address and step", async () => {
    const s = await stack();
    const port = await closedPort();
    const { message, ms } = await failure(() => up(host, s.inputs({ address: { host: "127.0.0.1", port, basePath: "" }, readyTimeoutSeconds: 1 })));

    expect(message).toMatch(new RegExp(`^Seerr at 127\\.0\\.0\\.1:${port}: wait until ready failed: not ready after \\d+ tries in 1 s: .*ECONNREFUSED`));
    expect(message.split("\n")).toHaveLength(1);
    expect(ms).toBeLessThan(10_000);
});

test("a wrong Jellyfin password fails the sign-in clearly", async () => {
    const s = await stack();
    const { message } = await failure(() => up(host, s.inputs({ jellyfinAdminPassword: "wrong" })));
    expect(message).toBe(`Seerr at 127.0.0.1:${s.seerr.port}: sign in with Jellyfin failed: Jellyfin at 127.0.0.1:${s.jellyfin.port} refused user 'admin'`);
    expect(s.seerr.state.initialized).toBe(false);
});

test("destroy removes the Sonarr and Radarr entries it added; the initialisation stays", async () => {
    const s = await stack();
    const first = await up(host, s.inputs());

    await destroy(host, first.state);

    expect(s.seerr.state.sonarr).toEqual([]);
    expect(s.seerr.state.radarr).toEqual([]);
    expect(s.seerr.state.initialized).toBe(true);
});

test("credentials are secret outputs", () => {
    expect(wiringSecretOutputs(seerrImplementation)).toEqual(expect.arrayContaining(["connection", "apiKey", "jellyfinAdminPassword", "sonarr", "radarr"]));
});
