/**
 * Prowlarr wiring run as `pulumi up` runs it: the serialized providers of ProwlarrFlareSolverr and
 * ProwlarrApplication, in the real dynamic-provider host over gRPC, against a stateful Prowlarr fake.
 */
import {
    ProwlarrApplication, ProwlarrApplicationObserved, ProwlarrFlareSolverr, ProwlarrFlareSolverrObserved,
} from "../../components/wiring/prowlarr";
import { DynamicProviderHost, Props, registration, startDynamicProviderHost } from "../support/dynamic-provider-host";
import { FakeProwlarr, startProwlarr } from "./fakes/prowlarr";
import { closedPort, Deployed, destroy, failure, refresh, up } from "../support/wiring-lifecycle";

jest.setTimeout(60_000);

const API_KEY = "prowlarr-api-key-0123456789abcdef";
const SONARR = { baseUrl: "http://sonarr:8989", apiKey: "sonarr-api-key-1" };
const RADARR = { baseUrl: "http://radarr:7878", apiKey: "radarr-api-key-1" };
const PROWLARR_URL = "http://gluetun:9696";
const FLARESOLVERR_URL = "http://localhost:8191/";

let host: DynamicProviderHost;
let flareInputs: Props;
let sonarrInputs: Props;
let radarrInputs: Props;
const fakes: FakeProwlarr[] = [];

beforeAll(async () => {
    const base = { connection: { kind: "local" as const }, address: { host: "127.0.0.1", port: 1, basePath: "" }, apiKey: API_KEY };
    flareInputs = (await registration("prowlarr-flaresolverr", () => new ProwlarrFlareSolverr("prowlarr-flaresolverr", { ...base, flaresolverrUrl: FLARESOLVERR_URL }))).inputs;
    sonarrInputs = (await registration("prowlarr-sonarr", () => new ProwlarrApplication("prowlarr-sonarr", {
        ...base, implementation: "Sonarr", prowlarrUrl: PROWLARR_URL, baseUrl: SONARR.baseUrl, appApiKey: SONARR.apiKey,
    }))).inputs;
    radarrInputs = (await registration("prowlarr-radarr", () => new ProwlarrApplication("prowlarr-radarr", {
        ...base, implementation: "Radarr", prowlarrUrl: PROWLARR_URL, baseUrl: RADARR.baseUrl, appApiKey: RADARR.apiKey,
    }))).inputs;
    host = await startDynamicProviderHost({ name: "prowlarr" });
});

afterAll(async () => {
    await host?.stop();
    await Promise.all(fakes.map((f) => f.close()));
});

async function prowlarr(): Promise<FakeProwlarr> {
    const fake = await startProwlarr({ apiKey: API_KEY, apps: { Sonarr: SONARR, Radarr: RADARR }, flaresolverrUrl: FLARESOLVERR_URL });
    fakes.push(fake);
    return fake;
}

const at = (fake: FakeProwlarr, inputs: Props, extra: Props = {}): Props => ({
    ...inputs, address: { host: "127.0.0.1", port: fake.port, basePath: "" }, readyTimeoutSeconds: 2, ...extra,
});
const app = (fake: FakeProwlarr, name: string) => fake.state.applications.items.find((a) => a.name === name);
const proxy = (fake: FakeProwlarr) => fake.state.proxies.items.find((p) => p.name === "FlareSolverr");

async function deployAll(fake: FakeProwlarr): Promise<{ flare: Deployed; sonarr: Deployed; radarr: Deployed }> {
    return {
        flare: (await up(host, at(fake, flareInputs))).state,
        sonarr: (await up(host, at(fake, sonarrInputs))).state,
        radarr: (await up(host, at(fake, radarrInputs))).state,
    };
}

test("first deploy adds the flaresolverr tag, the FlareSolverr proxy carrying it, and one full-sync application per app", async () => {
    const fake = await prowlarr();
    const { flare, sonarr } = await deployAll(fake);

    expect(fake.state.tags.map((t) => t.label)).toEqual(["flaresolverr"]);
    const tagId = fake.state.tags[0].id;
    expect(proxy(fake)).toMatchObject({ implementation: "FlareSolverr", tags: [tagId], values: { host: FLARESOLVERR_URL, requestTimeout: 60 } });
    expect(app(fake, "Sonarr")).toMatchObject({
        implementation: "Sonarr", props: expect.objectContaining({ syncLevel: "fullSync" }),
        values: expect.objectContaining({ prowlarrUrl: PROWLARR_URL, baseUrl: SONARR.baseUrl, apiKey: SONARR.apiKey }),
    });
    expect(app(fake, "Radarr")).toMatchObject({
        implementation: "Radarr", values: expect.objectContaining({ baseUrl: RADARR.baseUrl, apiKey: RADARR.apiKey, syncCategories: expect.arrayContaining([2000]) }),
    });
    expect((flare.props.observed as ProwlarrFlareSolverrObserved).proxy?.tags).toEqual([tagId]);
    expect((sonarr.props.observed as ProwlarrApplicationObserved).application?.credentialsRejected).toBe(false);
});

test("a second up with nothing changed writes nothing, even after a refresh", async () => {
    const fake = await prowlarr();
    const first = await deployAll(fake);
    const writes = fake.writes().length;
    for (const [inputs, state] of [[flareInputs, first.flare], [sonarrInputs, first.sonarr], [radarrInputs, first.radarr]] as const) {
        expect((await up(host, at(fake, inputs), state)).operation).toBe("same");
        expect((await up(host, at(fake, inputs), await refresh(host, state))).operation).toBe("same");
    }
    expect(fake.writes().length).toBe(writes);
});

test("an application's URL edited and the proxy deleted behind the program's back are found by refresh and repaired", async () => {
    const fake = await prowlarr();
    const first = await deployAll(fake);
    const sonarrId = app(fake, "Sonarr")!.id;
    fake.behindBack.setApplicationField("Sonarr", "baseUrl", "http://localhost:8989");
    fake.behindBack.setApplicationField("Sonarr", "apiKey", "pasted-wrong-key"); // rewritten along with the URL
    fake.behindBack.removeProxy("FlareSolverr");

    const sonarr = await refresh(host, first.sonarr);
    expect((sonarr.props.observed as ProwlarrApplicationObserved).application).toMatchObject({ baseUrl: "http://localhost:8989" });
    expect(sonarr.inputs).toMatchObject({ baseUrl: "http://localhost:8989" }); // shown against the program's in the next preview
    const flare = await refresh(host, first.flare);
    expect((flare.props.observed as ProwlarrFlareSolverrObserved).proxy).toBeNull();

    expect((await up(host, at(fake, sonarrInputs), sonarr)).operation).toBe("update");
    expect(app(fake, "Sonarr")).toMatchObject({ id: sonarrId, values: expect.objectContaining({ baseUrl: SONARR.baseUrl, apiKey: SONARR.apiKey }) });
    expect((await up(host, at(fake, flareInputs), flare)).operation).toBe("update");
    expect(proxy(fake)).toMatchObject({ tags: [fake.state.tags[0].id] });
    expect(fake.state.tags).toHaveLength(1);
});

test("an app API key edited in Prowlarr's UI (masked on read) is found by refresh through Prowlarr's own test, and rewritten", async () => {
    const fake = await prowlarr();
    const { radarr } = await deployAll(fake);
    fake.behindBack.setApplicationField("Radarr", "apiKey", "pasted-wrong-key");
    const refreshed = await refresh(host, radarr);
    expect((refreshed.props.observed as ProwlarrApplicationObserved).application?.credentialsRejected).toBe(true);
    expect((await up(host, at(fake, radarrInputs), refreshed)).operation).toBe("update");
    expect(app(fake, "Radarr")!.values.apiKey).toBe(RADARR.apiKey);
});

test("an existing tag and application of the same names are adopted, and stay after destroy", async () => {
    const fake = await prowlarr();
    const tag = fake.behindBack.addTag("flaresolverr");
    const appId = fake.behindBack.addApplication("Sonarr", "Sonarr", { baseUrl: "http://old:8989", apiKey: "old", prowlarrUrl: "http://old:9696" });
    const { flare, sonarr } = await deployAll(fake);
    expect(fake.state.tags.map((t) => t.id)).toEqual([tag.id]);
    expect(fake.state.applications.items.filter((a) => a.implementation === "Sonarr").map((a) => a.id)).toEqual([appId]);
    expect(app(fake, "Sonarr")).toMatchObject({ props: expect.objectContaining({ syncLevel: "fullSync" }), values: expect.objectContaining({ baseUrl: SONARR.baseUrl }) });

    await destroy(host, sonarr);
    await destroy(host, flare);
    expect(app(fake, "Sonarr")?.id).toBe(appId);
    expect(fake.state.tags.map((t) => t.id)).toEqual([tag.id]);
    expect(proxy(fake)).toBeUndefined(); // the proxy was ours
});

test("an app switched off loses its application; FlareSolverr switched off loses proxy and tag; Prowlarr is as before", async () => {
    const fake = await prowlarr();
    const before = fake.snapshot();
    const { flare, sonarr, radarr } = await deployAll(fake);
    await destroy(host, radarr);
    expect(app(fake, "Radarr")).toBeUndefined();
    expect(app(fake, "Sonarr")).toBeDefined();
    await destroy(host, flare);
    expect(fake.state.tags).toEqual([]);
    expect(proxy(fake)).toBeUndefined();
    await destroy(host, sonarr);
    expect(fake.snapshot()).toEqual(before);
});

test("a new app API key in the inputs is written although Prowlarr shows it masked", async () => {
    const fake = await prowlarr();
    const { sonarr } = await deployAll(fake);
    const next = await up(host, at(fake, sonarrInputs, { appApiKey: "sonarr-api-key-2" }), sonarr);
    expect(next.operation).toBe("update");
    expect(app(fake, "Sonarr")!.values.apiKey).toBe("sonarr-api-key-2");
});

test("an unreachable Prowlarr fails within the retry budget, with one line naming the app, the address and the step", async () => {
    const port = await closedPort();
    const { message, ms } = await failure(() => up(host, { ...sonarrInputs, address: { host: "127.0.0.1", port, basePath: "" }, readyTimeoutSeconds: 1 }));
    expect(message).toContain(`Prowlarr at 127.0.0.1:${port}: wait until ready failed`);
    expect(ms).toBeLessThan(10_000);
});

test("credentials stay out of the serialized providers", async () => {
    const reg = await registration("prowlarr-secrets", () => new ProwlarrApplication("prowlarr-secrets", {
        connection: { kind: "local" }, address: { host: "127.0.0.1", port: 1, basePath: "" }, apiKey: API_KEY,
        implementation: "Lidarr", prowlarrUrl: PROWLARR_URL, baseUrl: "http://lidarr:8686", appApiKey: "lidarr-secret-key",
    }));
    const provider = JSON.stringify(reg.serializedProvider);
    expect(provider).not.toContain(API_KEY);
    expect(provider).not.toContain("lidarr-secret-key");
});
