/**
 * Jellyseerr's wiring run as `pulumi up` runs it: the serialized provider of JellyseerrWiring, in the real
 * dynamic-provider host over gRPC, against a stateful Jellyseerr fake that itself signs in to a Jellyfin fake.
 */
import { JellyseerrDvr, JellyseerrWiring, jellyseerrImplementation } from "../../components/wiring/jellyseerr";
import { wiringSecretOutputs } from "../../components/wiring/core/provider";
import { DynamicProviderHost, Props, registration, startDynamicProviderHost } from "../support/dynamic-provider-host";
import { completeWizardAs, FakeJellyfin, FakeJellyfinUser, start as startJellyfin } from "./fakes/jellyfin";
import { FakeJellyseerr, start as startJellyseerr } from "./fakes/jellyseerr";
import { closedPort, destroy, failure, refresh, up } from "../support/wiring-lifecycle";

jest.setTimeout(60_000);

const ADMIN = "admin";
const PASSWORD = "generated-Pa55word";
const API_KEY = "jellyseerr-api-key-fixed-by-the-program";
const LIBRARIES = [
    { name: "Shows", collectionType: "tvshows" as const },
    { name: "Movies", collectionType: "movies" as const },
    { name: "Music", collectionType: "music" as const },
];
const SONARR: JellyseerrDvr = { name: "Sonarr", hostname: "172.30.0.12", port: 8989, apiKey: "sonarr-key", useSsl: false, baseUrl: "", profileId: 7, profileName: "HD-1080p", rootFolder: "/data/media/tv" };
const RADARR: JellyseerrDvr = { name: "Radarr", hostname: "172.30.0.13", port: 7878, apiKey: "radarr-key", useSsl: false, baseUrl: "", profileId: 4, profileName: "HD-1080p", rootFolder: "/data/media/movies" };

let host: DynamicProviderHost;
let registered: Props;
const closers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
    registered = (await registration("seerr", () => new JellyseerrWiring("seerr", {
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
    host = await startDynamicProviderHost({ name: "jellyseerr" });
});

afterAll(async () => {
    await host?.stop();
    await Promise.all(closers.map((c) => c.close()));
});

interface Stack { jellyfin: FakeJellyfin; seerr: FakeJellyseerr; admin: FakeJellyfinUser; inputs(extra?: Props): Props }

/** A Jellyfin set up by the program (admin, three libraries) and a Jellyseerr started with the program's API key. */
async function stack(): Promise<Stack> {
    const jellyfin = await startJellyfin();
    const seerr = await startJellyseerr({ apiKey: API_KEY });
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

const enabled = (seerr: FakeJellyseerr) => seerr.state.jellyfin.libraries.filter((l) => l.enabled).map((l) => l.name).sort();

test("first deploy initialises Jellyseerr against Jellyfin with the admin, enables its libraries and adds Sonarr and Radarr as defaults", async () => {
    const s = await stack();
    const { state } = await up(host, s.inputs());

    expect(s.seerr.state.initialized).toBe(true);
    expect(s.seerr.state.users[0]).toMatchObject({ id: 1, jellyfinUserId: s.admin.Id, jellyfinUsername: ADMIN });
    expect(s.seerr.state.jellyfin).toMatchObject({ ip: "127.0.0.1", port: s.jellyfin.port });
    // Jellyseerr made itself a Jellyfin API key with the admin's session.
    expect(s.jellyfin.state.apiKeys.map((k) => k.AppName)).toEqual(["Jellyseerr"]);
    expect(enabled(s.seerr)).toEqual(["Movies", "Shows"]);
    expect(s.seerr.state.sonarr).toEqual([expect.objectContaining({ name: "Sonarr", hostname: SONARR.hostname, apiKey: SONARR.apiKey, activeProfileId: 7, activeProfileName: "HD-1080p", activeDirectory: "/data/media/tv", isDefault: true, is4k: false })]);
    expect(s.seerr.state.radarr).toEqual([expect.objectContaining({ name: "Radarr", activeProfileId: 4, activeDirectory: "/data/media/movies", isDefault: true, minimumAvailability: "released" })]);
    expect(state.props.created).toEqual(["sonarr:Sonarr", "radarr:Radarr"]);
    // Secrets never land in the observed state in clear.
    expect(JSON.stringify(state.props.observed)).not.toContain(SONARR.apiKey);
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

test("a Jellyseerr set up by another Jellyfin user fails clearly and is not adopted", async () => {
    const s = await stack();
    const stranger = completeWizardAs(s.jellyfin.state, "someone", "their-password");
    s.seerr.state.mediaServerType = 2;
    s.seerr.state.jellyfin = { ...s.seerr.state.jellyfin, ip: "127.0.0.1", port: s.jellyfin.port };
    s.seerr.state.users.push({ id: 1, jellyfinUserId: stranger.Id, jellyfinUsername: "someone", email: "x@example.org", permissions: 2 });
    s.seerr.state.initialized = true;

    const { message } = await failure(() => up(host, s.inputs()));

    expect(message).toMatch(new RegExp(`^Jellyseerr at 127\\.0\\.0\\.1:${s.seerr.port}: check the owner failed: it was set up by Jellyfin user 'someone'`));
    expect(message.split("\n")).toHaveLength(1);
    expect(s.seerr.state.writes).toEqual([]);
});

test("a Jellyseerr this program signed in to but did not finish initialising is resumed", async () => {
    const s = await stack();
    s.seerr.state.mediaServerType = 2;
    s.seerr.state.jellyfin = { ...s.seerr.state.jellyfin, ip: "127.0.0.1", port: s.jellyfin.port, apiKey: "jf-key" };
    s.jellyfin.state.apiKeys.push({ Id: 1, AccessToken: "jf-key", AppName: "Jellyseerr", DateCreated: "2026-01-01T00:00:00Z" });
    s.seerr.state.users.push({ id: 1, jellyfinUserId: s.admin.Id, jellyfinUsername: ADMIN, email: ADMIN, permissions: 2 });

    await up(host, s.inputs());

    expect(s.seerr.state.initialized).toBe(true);
    expect(s.seerr.state.writes).not.toContain("POST /auth/jellyfin (server set)");
    expect(enabled(s.seerr)).toEqual(["Movies", "Shows"]);
});

test("Radarr switched off loses its entry in Jellyseerr", async () => {
    const s = await stack();
    const first = await up(host, s.inputs());

    const next = await up(host, s.inputs({ radarr: undefined }), first.state);

    expect(next.operation).toBe("update");
    expect(s.seerr.state.radarr).toEqual([]);
    expect(s.seerr.state.sonarr.map((d) => d.name)).toEqual(["Sonarr"]);
    expect(next.state.props.created).toEqual(["sonarr:Sonarr"]);
});

test("an unreachable Jellyseerr fails in bounded time with one line naming app, address and step", async () => {
    const s = await stack();
    const port = await closedPort();
    const { message, ms } = await failure(() => up(host, s.inputs({ address: { host: "127.0.0.1", port, basePath: "" }, readyTimeoutSeconds: 1 })));

    expect(message).toMatch(new RegExp(`^Jellyseerr at 127\\.0\\.0\\.1:${port}: wait until ready failed: not ready after \\d+ tries in 1 s: .*ECONNREFUSED`));
    expect(message.split("\n")).toHaveLength(1);
    expect(ms).toBeLessThan(10_000);
});

test("a wrong Jellyfin password fails the sign-in clearly", async () => {
    const s = await stack();
    const { message } = await failure(() => up(host, s.inputs({ jellyfinAdminPassword: "wrong" })));
    expect(message).toBe(`Jellyseerr at 127.0.0.1:${s.seerr.port}: sign in with Jellyfin failed: Jellyfin at 127.0.0.1:${s.jellyfin.port} refused user 'admin'`);
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
    expect(wiringSecretOutputs(jellyseerrImplementation)).toEqual(expect.arrayContaining(["connection", "apiKey", "jellyfinAdminPassword", "sonarr", "radarr"]));
});
