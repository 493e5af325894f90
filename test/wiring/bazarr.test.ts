/**
 * Bazarr's wiring run as `pulumi up` runs it: the serialized provider of BazarrWiring, in the real
 * dynamic-provider host over gRPC, against a stateful Bazarr fake.
 */
import { BazarrArrConnection, BazarrWiring, bazarrImplementation } from "../../components/wiring/bazarr";
import { wiringSecretOutputs } from "../../components/wiring/core/provider";
import { DynamicProviderHost, Props, registration, startDynamicProviderHost } from "../support/dynamic-provider-host";
import { FakeBazarr, md5, start } from "./fakes/bazarr";
import { closedPort, destroy, failure, refresh, up } from "../support/wiring-lifecycle";

jest.setTimeout(60_000);

const API_KEY = "bazarr-api-key-seeded-by-the-program";
const USER = "admin";
const PASSWORD = "generated-Pa55word";
const SONARR: BazarrArrConnection = { ip: "172.30.0.12", port: 8989, baseUrl: "/", ssl: false, apiKey: "sonarr-key" };
const RADARR: BazarrArrConnection = { ip: "172.30.0.13", port: 7878, baseUrl: "/", ssl: false, apiKey: "radarr-key" };

let host: DynamicProviderHost;
let registered: Props;
const fakes: FakeBazarr[] = [];

beforeAll(async () => {
    registered = (await registration("bazarr", () => new BazarrWiring("bazarr", {
        connection: { kind: "local" },
        address: { host: "127.0.0.1", port: 1, basePath: "" },
        apiKey: API_KEY,
        authUsername: USER,
        authPassword: PASSWORD,
        sonarr: SONARR,
        radarr: RADARR,
    }))).inputs;
    host = await startDynamicProviderHost({ name: "bazarr" });
});

afterAll(async () => {
    await host?.stop();
    await Promise.all(fakes.map((f) => f.close()));
});

async function bazarr(): Promise<FakeBazarr> {
    const fake = await start({ apiKey: API_KEY });
    fakes.push(fake);
    return fake;
}

const inputsFor = (fake: FakeBazarr, extra: Props = {}) => ({ ...registered, address: { host: "127.0.0.1", port: fake.port, basePath: "" }, readyTimeoutSeconds: 2, ...extra });

test("first deploy connects Sonarr and Radarr and turns forms authentication on", async () => {
    const fake = await bazarr();
    const { state } = await up(host, inputsFor(fake));

    const s = fake.state.settings;
    expect(s.general).toMatchObject({ use_sonarr: true, use_radarr: true });
    // "/" saved, "" held: url_sonarr/url_radarr rewrite the in-memory base URL (seen on a real Bazarr run from source).
    expect(s.sonarr).toMatchObject({ ip: SONARR.ip, port: 8989, base_url: "", ssl: false, apikey: SONARR.apiKey });
    expect(s.radarr).toMatchObject({ ip: RADARR.ip, port: 7878, base_url: "", ssl: false, apikey: RADARR.apiKey });
    expect(s.auth).toMatchObject({ type: "form", username: USER, password: md5(PASSWORD) });
    expect(state.props.created).toEqual(["sonarr", "radarr", "auth"]);
    expect(fake.state.writes).toHaveLength(1);
    expect(JSON.stringify(state.props.observed)).not.toContain(SONARR.apiKey);
});

test("a second up with nothing changed writes nothing, even after a refresh", async () => {
    const fake = await bazarr();
    const first = await up(host, inputsFor(fake));
    const writes = fake.state.writes.length;

    expect((await up(host, inputsFor(fake), first.state)).operation).toBe("same");
    expect((await up(host, inputsFor(fake), await refresh(host, first.state))).operation).toBe("same");
    expect(fake.state.writes.slice(writes)).toEqual([]);
});

test("Sonarr's API key changed behind the program's back is found by refresh and repaired", async () => {
    const fake = await bazarr();
    const first = await up(host, inputsFor(fake));
    fake.state.settings.sonarr.apikey = "changed-by-hand";

    const repaired = await up(host, inputsFor(fake), await refresh(host, first.state));

    expect(repaired.operation).toBe("update");
    expect(fake.state.settings.sonarr.apikey).toBe(SONARR.apiKey);
    expect(fake.state.writes.at(-1)).toContain("sonarr.apikey");
    expect(fake.state.writes.at(-1)).not.toContain("auth.password");
});

test("a Sonarr connection already in place is adopted and left connected on destroy", async () => {
    const fake = await bazarr();
    fake.state.settings.general.use_sonarr = true;
    fake.state.settings.sonarr = { ...fake.state.settings.sonarr, ip: SONARR.ip, apikey: SONARR.apiKey };

    const { state } = await up(host, inputsFor(fake));
    expect(state.props.created).toEqual(["radarr", "auth"]);

    await destroy(host, state);
    expect(fake.state.settings.general).toMatchObject({ use_sonarr: true, use_radarr: false });
});

test("Radarr switched off is disconnected", async () => {
    const fake = await bazarr();
    const first = await up(host, inputsFor(fake));

    const next = await up(host, inputsFor(fake, { radarr: undefined }), first.state);

    expect(next.operation).toBe("update");
    expect(fake.state.settings.general).toMatchObject({ use_sonarr: true, use_radarr: false });
    expect(next.state.props.created).toEqual(["sonarr", "auth"]);
});

test("a wrong API key fails clearly", async () => {
    const fake = await bazarr();
    const { message } = await failure(() => up(host, inputsFor(fake, { apiKey: "not-the-seeded-one" })));
    expect(message).toBe(`Bazarr at 127.0.0.1:${fake.port}: read settings failed: the API key is refused: Bazarr was not started with the program's config.yaml auth.apikey`);
    expect(fake.state.writes).toEqual([]);
});

test("an unreachable Bazarr fails in bounded time with one line naming app, address and step", async () => {
    const port = await closedPort();
    const { message, ms } = await failure(() => up(host, { ...registered, address: { host: "127.0.0.1", port, basePath: "" }, readyTimeoutSeconds: 1 }));

    expect(message).toMatch(new RegExp(`^Bazarr at 127\\.0\\.0\\.1:${port}: wait until ready failed: not ready after \\d+ tries in 1 s: .*ECONNREFUSED`));
    expect(message.split("\n")).toHaveLength(1);
    expect(ms).toBeLessThan(10_000);
});

test("destroy disconnects Sonarr and Radarr; forms authentication stays on", async () => {
    const fake = await bazarr();
    const first = await up(host, inputsFor(fake));

    await destroy(host, first.state);

    expect(fake.state.settings.general).toMatchObject({ use_sonarr: false, use_radarr: false });
    expect(fake.state.settings.auth).toMatchObject({ type: "form", username: USER });
});

test("credentials are secret outputs", () => {
    expect(wiringSecretOutputs(bazarrImplementation)).toEqual(expect.arrayContaining(["connection", "apiKey", "authPassword", "sonarr", "radarr"]));
});

test("while Sonarr cannot be reached, Bazarr's settings save does not answer (its SignalR start loop), so the wiring runs after Sonarr's", async () => {
    const reachable = new Set<string>();
    const fake = await start({ apiKey: API_KEY, reach: (host, port) => reachable.has(`${host}:${port}`) });
    fakes.push(fake);
    const pending = up(host, { ...inputsFor(fake), readyTimeoutSeconds: 2 });
    for (let i = 0; i < 40 && fake.state.blocked === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.state.blocked).toBe(1);
    reachable.add(`${SONARR.ip}:${SONARR.port}`).add(`${RADARR.ip}:${RADARR.port}`);
    expect((await pending).operation).toBe("create");
    expect(fake.state.blocked).toBe(0);
});
