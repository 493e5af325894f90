/**
 * Jellyfin's wiring run as `pulumi up` runs it: the serialized providers of JellyfinSetup and JellyfinWiring, in the
 * real dynamic-provider host over gRPC, against a stateful Jellyfin fake.
 */
import * as http from "node:http";
import { JELLYFIN_DEVICES, JellyfinLibrary, JellyfinSetup, JellyfinWiring, jellyfinSetupImplementation, jellyfinWiringImplementation } from "../../components/wiring/jellyfin";
import { wiringSecretOutputs } from "../../components/wiring/core/provider";
import { DynamicProviderHost, Props, registration, startDynamicProviderHost } from "../support/dynamic-provider-host";
import { completeWizardAs, FakeJellyfin, start } from "./fakes/jellyfin";
import { closedPort, Deployed, destroy, failure, refresh, up } from "../support/wiring-lifecycle";

jest.setTimeout(60_000);

const ADMIN = "admin";
const PASSWORD = "generated-Pa55word";
const LIBRARIES: JellyfinLibrary[] = [
    { name: "Shows", collectionType: "tvshows", path: "/data/media/tv" },
    { name: "Movies", collectionType: "movies", path: "/data/media/movies" },
    { name: "Music", collectionType: "music", path: "/data/media/music" },
];
const PROXIES = ["172.30.0.254"];
const LAN = ["192.168.1.0/24"];
const APP = "homelab-media";

let host: DynamicProviderHost;
let setupInputs: Props;
let wiringInputs: Props;
const fakes: FakeJellyfin[] = [];

beforeAll(async () => {
    const placeholder = { connection: { kind: "local" as const }, address: { host: "127.0.0.1", port: 1, basePath: "" }, adminUser: ADMIN, adminPassword: PASSWORD };
    setupInputs = (await registration("jf-setup", () => new JellyfinSetup("jf-setup", placeholder))).inputs;
    wiringInputs = (await registration("jf-wiring", () => new JellyfinWiring("jf-wiring", { ...placeholder, libraries: LIBRARIES, knownProxies: PROXIES, localNetworkSubnets: LAN, apiKeyApp: APP }))).inputs;
    host = await startDynamicProviderHost({ name: "jellyfin" });
});

afterAll(async () => {
    await host?.stop();
    await Promise.all(fakes.map((f) => f.close()));
});

/** The test's reverse proxy connects from this loopback address, which Jellyfin's network sees as PROXIES[0]. */
const PROXY_SOCKET = "127.0.0.254";

async function jellyfin(): Promise<FakeJellyfin> {
    const fake = await start({ peers: { [PROXY_SOCKET]: PROXIES[0] } });
    fakes.push(fake);
    return fake;
}

const at = (fake: { port: number }) => ({ address: { host: "127.0.0.1", port: fake.port, basePath: "" }, readyTimeoutSeconds: 2 });
const setupFor = (fake: FakeJellyfin, extra: Props = {}) => ({ ...setupInputs, ...at(fake), ...extra });
const wiringFor = (fake: FakeJellyfin, extra: Props = {}) => ({ ...wiringInputs, ...at(fake), ...extra });

async function deploy(fake: FakeJellyfin): Promise<{ setup: Deployed; wiring: Deployed }> {
    const setup = (await up(host, setupFor(fake))).state;
    const wiring = (await up(host, wiringFor(fake))).state;
    return { setup, wiring };
}

const observed = (state: Deployed) => state.props.observed as { apiKey: string; adminUserId: string };
const libraryNames = (fake: FakeJellyfin) => fake.state.libraries.map((l) => l.Name).sort();

test("first deploy completes the wizard with the program's admin and wires libraries, network and an API key", async () => {
    const fake = await jellyfin();
    fake.state.network.InternalHttpPort = 8097;
    const { setup, wiring } = await deploy(fake);

    expect(fake.state.wizardCompleted).toBe(true);
    const admin = fake.state.users.find((u) => u.Name === ADMIN);
    expect(admin).toMatchObject({ password: PASSWORD, isAdministrator: true });
    expect(observed(setup).adminUserId).toBe(admin?.Id);
    expect(setup.props.created).toEqual([]);
    expect(fake.state.network.EnableRemoteAccess).toBe(true);

    expect(fake.state.libraries.map((l) => [l.Name, l.CollectionType, l.Locations])).toEqual(LIBRARIES.map((l) => [l.name, l.collectionType, [l.path]]));
    expect(fake.state.network.KnownProxies).toEqual(PROXIES);
    expect(fake.state.network.LocalNetworkSubnets).toEqual(LAN);
    // Jellyfin replaces the whole network section: the other settings are kept.
    expect(fake.state.network.InternalHttpPort).toBe(8097);
    const key = fake.state.apiKeys.find((k) => k.AppName === APP);
    expect(observed(wiring).apiKey).toBe(key?.AccessToken);
});

test("a second up with nothing changed writes nothing, even after a refresh", async () => {
    const fake = await jellyfin();
    const { setup, wiring } = await deploy(fake);
    const writes = fake.state.writes.length;

    expect((await up(host, setupFor(fake), setup)).operation).toBe("same");
    expect((await up(host, wiringFor(fake), wiring)).operation).toBe("same");
    expect((await up(host, setupFor(fake), await refresh(host, setup))).operation).toBe("same");
    expect((await up(host, wiringFor(fake), await refresh(host, wiring))).operation).toBe("same");
    expect(fake.state.writes.slice(writes)).toEqual([]);
});

test("a library removed and known proxies cleared behind the program's back are found by refresh and repaired", async () => {
    const fake = await jellyfin();
    const { wiring } = await deploy(fake);
    fake.state.libraries = fake.state.libraries.filter((l) => l.Name !== "Movies");
    fake.state.network = { ...fake.state.network, KnownProxies: [] };
    const writes = fake.state.writes.length;

    const refreshed = await refresh(host, wiring);
    // What the next preview shows against the program's inputs.
    expect(refreshed.inputs).toMatchObject({ knownProxies: [], libraries: LIBRARIES.filter((l) => l.name !== "Movies") });
    const repaired = await up(host, wiringFor(fake), refreshed);

    expect(repaired.operation).toBe("update");
    expect(libraryNames(fake)).toEqual(["Movies", "Music", "Shows"]);
    expect(fake.state.network.KnownProxies).toEqual(PROXIES);
    expect(fake.state.writes.slice(writes)).toEqual(["POST /Library/VirtualFolders Movies", "POST /System/Configuration/network"]);
});

test("a wizard already completed with the same admin, an existing library and an existing key are adopted", async () => {
    const fake = await jellyfin();
    const admin = completeWizardAs(fake.state, ADMIN, PASSWORD);
    fake.state.libraries.push({ Name: "Movies", CollectionType: "movies", Locations: ["/data/media/movies"], ItemId: "existing" });
    fake.state.apiKeys.push({ Id: 1, AccessToken: "existing-key", AppName: APP, DateCreated: "2026-01-01T00:00:00Z" });

    const { setup, wiring } = await deploy(fake);

    expect(fake.state.writes.filter((w) => w.includes("/Startup/"))).toEqual([]);
    expect(observed(setup).adminUserId).toBe(admin.Id);
    expect(setup.props.created).toEqual([]);
    expect(observed(wiring).apiKey).toBe("existing-key");
    expect(wiring.props.created).not.toContain("library:Movies");
    expect(libraryNames(fake)).toEqual(["Movies", "Music", "Shows"]);

    await destroy(host, wiring);
    expect(libraryNames(fake)).toEqual(["Movies"]);
    expect(fake.state.apiKeys.map((k) => k.AccessToken)).toEqual(["existing-key"]);
});

test("a wizard completed with another admin fails clearly and is not adopted", async () => {
    const fake = await jellyfin();
    completeWizardAs(fake.state, "someone", "their-password");

    const { message } = await failure(() => up(host, setupFor(fake)));

    expect(message).toMatch(new RegExp(`^Jellyfin at 127\\.0\\.0\\.1:${fake.port}: check the admin failed: the setup wizard was completed without this program's admin 'admin'`));
    expect(message.split("\n")).toHaveLength(1);
    expect(fake.state.writes).toEqual([]);
});

test("a wizard started by someone else (first user already has a password) fails clearly", async () => {
    const fake = await jellyfin();
    fake.state.users.push({ Id: "u1", Name: "abc", password: "their-password", isAdministrator: true });

    const { message } = await failure(() => up(host, setupFor(fake)));

    expect(message).toContain(`Jellyfin at 127.0.0.1:${fake.port}: set the admin user failed: the first user 'abc' already has a password`);
    expect(fake.state.wizardCompleted).toBe(false);
});

test("a wizard this program started but did not finish (admin already set) is resumed, not refused", async () => {
    const fake = await jellyfin();
    fake.state.users.push({ Id: "u1", Name: ADMIN, password: PASSWORD, isAdministrator: true });

    const { state } = await up(host, setupFor(fake));

    expect(fake.state.wizardCompleted).toBe(true);
    expect(fake.state.writes.filter((w) => w.includes("/Startup/User"))).toEqual([]);
    expect(observed(state).adminUserId).toBe("u1");
});

test("a media kind switched off loses its library", async () => {
    const fake = await jellyfin();
    const { wiring } = await deploy(fake);

    const next = await up(host, wiringFor(fake, { libraries: LIBRARIES.filter((l) => l.name !== "Music") }), wiring);

    expect(next.operation).toBe("update");
    expect(libraryNames(fake)).toEqual(["Movies", "Shows"]);
    expect(next.state.props.created).not.toContain("library:Music");
});

test("an unreachable Jellyfin fails in bounded time with one line naming app, address and step", async () => {
    const port = await closedPort();
    const { message, ms } = await failure(() => up(host, { ...setupInputs, address: { host: "127.0.0.1", port, basePath: "" }, readyTimeoutSeconds: 1 }));

    expect(message).toMatch(new RegExp(`^Jellyfin at 127\\.0\\.0\\.1:${port}: wait until ready failed: not ready after \\d+ tries in 1 s: .*ECONNREFUSED`));
    expect(message.split("\n")).toHaveLength(1);
    expect(ms).toBeLessThan(10_000);
});

test("destroy removes the libraries and key it created and restores the network; the wizard stays completed", async () => {
    const fake = await jellyfin();
    fake.state.network = { ...fake.state.network, KnownProxies: ["10.0.0.1"] };
    const { setup, wiring } = await deploy(fake);

    await destroy(host, wiring);
    await fake.close(); // destroying the setup never needs Jellyfin
    await destroy(host, setup);

    expect(fake.state.libraries).toEqual([]);
    expect(fake.state.apiKeys).toEqual([]);
    expect(fake.state.network.KnownProxies).toEqual(["10.0.0.1"]);
    expect(fake.state.network.LocalNetworkSubnets).toEqual([]);
    expect(fake.state.wizardCompleted).toBe(true);
    expect(fake.state.users.map((u) => u.Name)).toEqual([ADMIN]);
});

test("credentials and the API key are secret outputs; preview (diff) contacts no app", async () => {
    const reg = await registration("jf-wiring-secrets", () => new JellyfinWiring("jf-wiring-secrets", {
        connection: { kind: "local" }, address: { host: "127.0.0.1", port: 1, basePath: "" }, adminUser: ADMIN, adminPassword: PASSWORD,
        libraries: LIBRARIES, knownProxies: PROXIES, localNetworkSubnets: LAN, apiKeyApp: APP,
    }));
    expect(wiringSecretOutputs(jellyfinWiringImplementation)).toEqual(expect.arrayContaining(["connection", "adminPassword", "observed"]));
    expect(wiringSecretOutputs(jellyfinSetupImplementation)).toEqual(expect.arrayContaining(["connection", "adminPassword"]));
    expect(JSON.stringify(reg.serializedProvider)).not.toContain(PASSWORD);

    const fake = await jellyfin();
    const { wiring } = await deploy(fake);
    await fake.close();
    const diff = await host.diff(wiring.id, wiring.props, { ...wiring.props, knownProxies: ["172.30.0.253"] });
    expect(diff.changes).toBe("some");
});

/** A sign-in with a wrong password, sent by the proxy on behalf of `client` (X-Forwarded-For), as Caddy sends it. */
function failedLoginThroughProxy(fake: FakeJellyfin, client: string): Promise<number> {
    const body = JSON.stringify({ Username: ADMIN, Pw: "wrong" });
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: "127.0.0.1", port: fake.port, method: "POST", path: "/Users/AuthenticateByName", localAddress: PROXY_SOCKET,
            headers: {
                "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "X-Forwarded-For": client,
                Authorization: 'MediaBrowser Client="web", Device="browser", DeviceId="browser-1", Version="10.11.11"',
            },
        }, (res) => { res.resume(); res.on("end", () => resolve(res.statusCode ?? 0)); });
        req.on("error", reject);
        req.end(body);
    });
}

test("the known proxy takes effect on the first deploy: a client through the proxy is seen with its forwarded address", async () => {
    const fake = await jellyfin();
    await deploy(fake);

    expect(await failedLoginThroughProxy(fake, "203.0.113.7")).toBe(401);
    // The line Jellyfin's Fail2Ban jail reads: the internet client, not the proxy (which the jail never bans).
    expect(fake.state.log.at(-1)).toBe(`Authentication request for ${ADMIN} has been denied (IP: 203.0.113.7).`);
    expect(fake.state.restarts).toBe(1);
});

test("known proxies are applied by one restart, and an up with nothing changed restarts nothing", async () => {
    const fake = await jellyfin();
    const { wiring } = await deploy(fake);
    expect(wiring.props.created).toContain(`proxies-applied:${JSON.stringify(PROXIES)}`);

    expect((await up(host, wiringFor(fake), await refresh(host, wiring))).operation).toBe("same");
    expect(fake.state.restarts).toBe(1);
    const moved = await up(host, wiringFor(fake, { knownProxies: ["172.30.0.253"] }), wiring);
    expect(moved.operation).toBe("update");
    expect(fake.state.proxiesAtStart).toEqual(["172.30.0.253"]);
    expect(fake.state.restarts).toBe(2);
});

test("each resource signs in as its own device, so one never logs the other out (SessionManager revokes per device)", async () => {
    const fake = await jellyfin();
    const { setup, wiring } = await deploy(fake);
    const devices = new Set([...fake.state.sessions.values()].map((s) => s.deviceId));
    expect(devices).toEqual(new Set(Object.values(JELLYFIN_DEVICES)));
    // A `pulumi refresh` reads both at once, repeatedly: no 401 from a token the other one's login revoked.
    for (let i = 0; i < 5; i++) await Promise.all([refresh(host, setup), refresh(host, wiring)]);
});

test("a half-finished wizard someone else signed in to (a token survives the password change) is refused, not completed", async () => {
    const fake = await jellyfin();
    // Someone opened the wizard first and signed in as the first user, who has no password yet.
    await new Promise<void>((resolve, reject) => {
        const get = http.request({ host: "127.0.0.1", port: fake.port, path: "/Startup/User" }, (res) => { res.resume(); res.on("end", () => resolve()); });
        get.on("error", reject);
        get.end();
    });
    const theirs = fake.state.users[0];
    fake.state.sessions.set("their-token", { userId: theirs.Id, deviceId: "their-laptop", appName: "Jellyfin Web" });

    const { message } = await failure(() => up(host, setupFor(fake)));

    expect(message).toContain("check the admin's sessions failed: someone else signed in as the first user during the setup wizard: Jellyfin Web (device their-laptop)");
    expect(fake.state.wizardCompleted).toBe(false);
    expect(fake.state.writes.filter((w) => w.includes("/Startup/Complete"))).toEqual([]);
});
