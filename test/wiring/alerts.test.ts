/**
 * The apps' own notifications to the alert channels (components/wiring/alerts.ts), run as `pulumi up` runs them:
 * the serialized providers of ServarrAlerts and SeerrAlerts in the real dynamic-provider host over gRPC, against
 * the stateful fakes of Sonarr, Lidarr, Prowlarr and Seerr at their pinned versions.
 */
import { SeerrAlerts, SeerrAlertsObserved, SEERR_REQUEST_TYPES, ServarrAlerts, ServarrAlertsObserved } from "../../components/wiring/alerts";
import { DynamicProviderHost, Props, registration, startDynamicProviderHost } from "../support/dynamic-provider-host";
import { destroy, failure, refresh, up } from "../support/wiring-lifecycle";
import { FakeProwlarr, startProwlarr } from "./fakes/prowlarr";
import { FakeSeerr, start as startSeerr, DEFAULT_WEBHOOK_TEMPLATE } from "./fakes/seerr";
import { FakeServarr, startServarr } from "./fakes/servarr";
import { MASK } from "./fakes/servarr-http";

jest.setTimeout(60_000);

const KEY = "app-api-key-0123456789abcdef";
const NTFY = { channel: "ntfy" as const, url: "https://ntfy.example.org", topic: "homelab-alerts" };
const GOTIFY = { channel: "gotify" as const, url: "https://gotify.example.org" };
const WEBHOOK = { channel: "webhook" as const, url: "https://hooks.example.org/homelab" };
const TOKEN = "tk_ntfy_secret_token";

let host: DynamicProviderHost;
const inputs: Record<string, Props> = {};
const closers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
    const base = { connection: { kind: "local" as const }, address: { host: "127.0.0.1", port: 1, basePath: "" }, apiKey: KEY };
    inputs.sonarrNtfy = (await registration("sonarr-ntfy", () => new ServarrAlerts("sonarr-ntfy", { ...base, app: "sonarr", target: NTFY, token: TOKEN }))).inputs;
    inputs.lidarrGotify = (await registration("lidarr-gotify", () => new ServarrAlerts("lidarr-gotify", { ...base, app: "lidarr", target: GOTIFY, token: "gotify-app-token" }))).inputs;
    inputs.prowlarrWebhook = (await registration("prowlarr-webhook", () => new ServarrAlerts("prowlarr-webhook", { ...base, app: "prowlarr", target: WEBHOOK }))).inputs;
    inputs.seerrNtfy = (await registration("seerr-ntfy", () => new SeerrAlerts("seerr-ntfy", { ...base, target: NTFY, token: TOKEN }))).inputs;
    inputs.seerrWebhook = (await registration("seerr-webhook", () => new SeerrAlerts("seerr-webhook", { ...base, target: WEBHOOK }))).inputs;
    host = await startDynamicProviderHost({ name: "alerts" });
});

afterAll(async () => {
    await host?.stop();
    await Promise.all(closers.map((c) => c.close()));
});

/** The channels do not answer from inside the apps (a deploy must not need them: the apps would test them). */
const nothingAnswers = () => false;

async function servarr(kind: "sonarr" | "lidarr"): Promise<FakeServarr> {
    const fake = await startServarr({ kind, apiKey: KEY, reach: nothingAnswers });
    closers.push(fake);
    return fake;
}
async function prowlarr(): Promise<FakeProwlarr> {
    const fake = await startProwlarr({ apiKey: KEY, reach: nothingAnswers });
    closers.push(fake);
    return fake;
}
/** A Seerr whose owner exists (the Seerr wiring signed in), so its API key works. */
async function seerr(): Promise<FakeSeerr> {
    const fake = await startSeerr({ apiKey: KEY });
    fake.state.users.push({ id: 1, jellyfinUserId: "u1", jellyfinUsername: "admin", email: "admin", permissions: 2 });
    closers.push(fake);
    return fake;
}

const at = (port: number, props: Props, extra: Props = {}): Props => ({ ...props, address: { host: "127.0.0.1", port, basePath: "" }, readyTimeoutSeconds: 2, ...extra });
const connections = (fake: FakeServarr | FakeProwlarr) => fake.state.notifications.items;

test("Sonarr: an ntfy connection for imports and health issues, created without a test message, its token masked", async () => {
    const fake = await servarr("sonarr");
    const { state } = await up(host, at(fake.port, inputs.sonarrNtfy));
    expect(connections(fake)).toEqual([expect.objectContaining({
        name: "homelab alerts (ntfy)", implementation: "Ntfy",
        values: expect.objectContaining({ serverUrl: NTFY.url, topics: [NTFY.topic], accessToken: TOKEN, priority: 3 }),
        props: expect.objectContaining({ onDownload: true, onUpgrade: true, onManualInteractionRequired: true, onHealthIssue: true, includeHealthWarnings: true, onHealthRestored: true, onGrab: false }),
    })]);
    // Created switched off, then switched on with forceSave: the app never ran the connection's test (which would
    // fail here: the channel does not answer) nor sent a test message.
    expect(fake.log.filter((l) => l.path.includes("notification") && l.method !== "GET").map((l) => `${l.method} ${l.status}`)).toEqual(["POST 201", "PUT 202"]);
    const read = await fetch(`http://127.0.0.1:${fake.port}/api/v3/notification`, { headers: { "X-Api-Key": KEY } }).then((r) => r.json() as Promise<{ fields: { name: string; value: unknown }[] }[]>);
    expect(read[0].fields.find((f) => f.name === "accessToken")?.value).toBe(MASK);
    expect(JSON.stringify(state.props.observed)).not.toContain(TOKEN);
    expect((state.props.observed as ServarrAlertsObserved).connection).toMatchObject({ target: NTFY, tokenStale: false });
});

test("Lidarr: Gotify for release imports, import failures and health; a second up writes nothing; a new token is written", async () => {
    const fake = await servarr("lidarr");
    const first = (await up(host, at(fake.port, inputs.lidarrGotify))).state;
    expect(connections(fake)[0]).toMatchObject({
        implementation: "Gotify", values: expect.objectContaining({ server: GOTIFY.url, appToken: "gotify-app-token" }),
        props: expect.objectContaining({ onReleaseImport: true, onUpgrade: true, onImportFailure: true, onHealthIssue: true, onHealthRestored: true }),
    });
    const writes = fake.writes().length;
    expect((await up(host, at(fake.port, inputs.lidarrGotify), first)).operation).toBe("same");
    expect((await up(host, at(fake.port, inputs.lidarrGotify), await refresh(host, first))).operation).toBe("same");
    expect(fake.writes().length).toBe(writes);
    // The app masks the token, so only the changed input tells: the connection is rewritten with the new one.
    expect((await up(host, at(fake.port, inputs.lidarrGotify, { token: "rotated-token" }), first)).operation).toBe("update");
    expect(connections(fake)).toHaveLength(1);
    expect(connections(fake)[0].values.appToken).toBe("rotated-token");
});

test("an existing connection of the same name is updated, not duplicated; delete leaves an adopted one alone", async () => {
    const fake = await servarr("sonarr");
    const id = fake.behindBack.addNotification("homelab alerts (ntfy)", "Ntfy", { serverUrl: "https://old.example.org", topics: ["old"] });
    const { state } = await up(host, at(fake.port, inputs.sonarrNtfy));
    expect(connections(fake)).toHaveLength(1);
    expect(connections(fake)[0]).toMatchObject({ id, values: expect.objectContaining({ serverUrl: NTFY.url, topics: [NTFY.topic] }) });
    await destroy(host, state);
    expect(connections(fake)).toHaveLength(1);
});

test("a connection edited behind the program's back is found by refresh and repaired; one it created is removed on delete", async () => {
    const fake = await servarr("sonarr");
    const first = (await up(host, at(fake.port, inputs.sonarrNtfy))).state;
    connections(fake)[0].values.topics = ["someone-else"];
    connections(fake)[0].props.onHealthIssue = false;
    const refreshed = await refresh(host, first);
    expect(refreshed.inputs).toMatchObject({ target: { ...NTFY, topic: "someone-else" } });
    const repaired = await up(host, at(fake.port, inputs.sonarrNtfy), refreshed);
    expect(repaired.operation).toBe("update");
    expect(connections(fake)[0]).toMatchObject({ values: expect.objectContaining({ topics: [NTFY.topic] }), props: expect.objectContaining({ onHealthIssue: true }) });
    await destroy(host, repaired.state);
    expect(connections(fake)).toEqual([]);
});

test("Prowlarr: a webhook for health issues only (Prowlarr has no imports)", async () => {
    const fake = await prowlarr();
    await up(host, at(fake.port, inputs.prowlarrWebhook));
    expect(connections(fake)).toEqual([expect.objectContaining({
        implementation: "Webhook", values: expect.objectContaining({ url: WEBHOOK.url, method: 1 }),
        props: expect.objectContaining({ onHealthIssue: true, includeHealthWarnings: true, onHealthRestored: true, onGrab: false, onApplicationUpdate: false }),
    })]);
});

test("what the app refuses is reported naming the field: an ntfy topic the apps reserve", async () => {
    const fake = await servarr("sonarr");
    const { message } = await failure(() => up(host, at(fake.port, inputs.sonarrNtfy, { target: { ...NTFY, topic: "announcements" } })));
    expect(message).toContain("Invalid topic");
});

test("Seerr: the ntfy agent on for request notifications, with the token; a second up writes nothing; delete switches it off", async () => {
    const fake = await seerr();
    const first = (await up(host, at(fake.port, inputs.seerrNtfy))).state;
    expect(fake.state.notifications.ntfy).toEqual({
        enabled: true, embedPoster: true, types: SEERR_REQUEST_TYPES,
        options: { url: NTFY.url, topic: NTFY.topic, authMethodToken: true, token: TOKEN, authMethodUsernamePassword: false },
    });
    // pending 2, approved 4, available 8, failed 16, declined 64, auto-approved 128, auto-requested 4096: no issues, no test type.
    expect(SEERR_REQUEST_TYPES).toBe(4318);
    expect(JSON.stringify(first.props.observed)).not.toContain(TOKEN);
    const writes = fake.state.writes.length;
    expect((await up(host, at(fake.port, inputs.seerrNtfy), first)).operation).toBe("same");
    expect(fake.state.writes.length).toBe(writes);
    await destroy(host, first);
    expect(fake.state.notifications.ntfy).toMatchObject({ enabled: false, options: { url: NTFY.url } });
});

test("Seerr: the webhook agent keeps its payload template (sent back as JSON text, as the UI does)", async () => {
    const fake = await seerr();
    const { state } = await up(host, at(fake.port, inputs.seerrWebhook));
    expect((state.props.observed as SeerrAlertsObserved)).toEqual({ enabled: true, types: SEERR_REQUEST_TYPES, target: WEBHOOK, tokenHash: expect.any(String) });
    const stored = fake.state.notifications.webhook;
    expect(stored).toMatchObject({ enabled: true, types: SEERR_REQUEST_TYPES, options: { webhookUrl: WEBHOOK.url } });
    expect(JSON.parse(Buffer.from(String(stored.options.jsonPayload), "base64").toString("utf8"))).toBe(DEFAULT_WEBHOOK_TEMPLATE);
    expect((await up(host, at(fake.port, inputs.seerrWebhook), state)).operation).toBe("same");
});
