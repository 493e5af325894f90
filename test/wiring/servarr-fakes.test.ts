/**
 * The Servarr and Prowlarr fakes answer as the apps' API code does: the scenario tests are only as good as
 * this. Plain HTTP against the fakes, no wiring code involved.
 */
import { FakeProwlarr, startProwlarr } from "./fakes/prowlarr";
import { FakeServarr, startServarr } from "./fakes/servarr";

const KEY = "fake-api-key";
let sonarr: FakeServarr;
let readarr: FakeServarr;
let prowlarr: FakeProwlarr;

beforeAll(async () => {
    sonarr = await startServarr({ kind: "sonarr", apiKey: KEY, qbittorrent: { host: "localhost", port: 8080, username: "admin", password: "s3cret" } });
    readarr = await startServarr({ kind: "readarr", apiKey: KEY });
    prowlarr = await startProwlarr({ apiKey: KEY, flaresolverrUrl: "http://localhost:8191/" });
});
afterAll(async () => Promise.all([sonarr.close(), readarr.close(), prowlarr.close()]));

async function call(fake: { port: number }, method: string, path: string, body?: unknown, key: string | null = KEY) {
    const res = await fetch(`http://127.0.0.1:${fake.port}${path}`, {
        method, headers: { ...(key === null ? {} : { "X-Api-Key": key }), ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

test("/ping is anonymous, the API answers 401 without a valid X-Api-Key", async () => {
    expect((await call(sonarr, "GET", "/ping", undefined, null)).status).toBe(200);
    expect((await call(sonarr, "GET", "/api/v3/rootfolder", undefined, null)).status).toBe(401);
    expect((await call(sonarr, "GET", "/api/v3/rootfolder", undefined, "wrong")).status).toBe(401);
    expect((await call(sonarr, "GET", "/api/v3/rootfolder")).status).toBe(200);
});

test("root folders: 201 on create, 400 with {propertyName, errorMessage} for a missing or duplicate path, 200 on delete", async () => {
    expect(await call(sonarr, "POST", "/api/v3/rootfolder", { path: "/data/media/nope" })).toMatchObject({
        status: 400, body: [{ propertyName: "Path", errorMessage: "Path '/data/media/nope' does not exist" }],
    });
    const created = await call(sonarr, "POST", "/api/v3/rootfolder", { path: "/data/media/tv/" });
    expect(created).toMatchObject({ status: 201, body: { path: "/data/media/tv", accessible: true } });
    expect((await call(sonarr, "POST", "/api/v3/rootfolder", { path: "/data/media/tv" })).status).toBe(400);
    expect((await call(sonarr, "DELETE", `/api/v3/rootfolder/${created.body.id}`)).status).toBe(200);
});

test("Readarr root folders need a name and existing default profiles; its qBittorrent category field is musicCategory", async () => {
    const bad = await call(readarr, "POST", "/api/v1/rootfolder", { path: "/data/media/books" });
    expect(bad.status).toBe(400);
    expect(bad.body.map((f: { propertyName: string }) => f.propertyName).sort()).toEqual(["DefaultMetadataProfileId", "DefaultQualityProfileId", "Name"]);
    const schema = await call(readarr, "GET", "/api/v1/downloadclient/schema");
    const fields = schema.body.find((t: { implementation: string }) => t.implementation === "QBittorrent").fields.map((f: { name: string }) => f.name);
    expect(fields).toContain("musicCategory");
    expect(fields).not.toContain("bookCategory");
    const notifications = await call(readarr, "GET", "/api/v1/notification/schema");
    expect(notifications.body.map((t: { implementation: string }) => t.implementation)).not.toContain("MediaBrowser");
});

test("download clients: unknown field names are refused, secrets masked on read, ******** keeps the stored value, 202 on update", async () => {
    const [template] = (await call(sonarr, "GET", "/api/v3/downloadclient/schema")).body;
    const withValue = (name: string, value: unknown) => template.fields.map((f: { name: string; value: unknown }) => (f.name === name ? { ...f, value } : f));
    const unknown = await call(sonarr, "POST", "/api/v3/downloadclient?forceSave=true", { ...template, name: "qb", fields: [...template.fields, { name: "bookCategory", value: "x" }] });
    expect(unknown).toMatchObject({ status: 400, body: [{ propertyName: "fields[bookCategory]" }] });

    const fields = withValue("password", "s3cret").map((f: { name: string; value: unknown }) => (f.name === "username" ? { ...f, value: "admin" } : f));
    const created = await call(sonarr, "POST", "/api/v3/downloadclient?forceSave=true", { ...template, name: "qb", fields });
    expect(created.status).toBe(201);
    expect(created.body.fields.find((f: { name: string }) => f.name === "password").value).toBe("********");
    const updated = await call(sonarr, "PUT", `/api/v3/downloadclient/${created.body.id}?forceSave=true`, { ...created.body, fields: created.body.fields.map((f: { name: string; value: unknown }) => (f.name === "host" ? { ...f, value: "gluetun" } : f)) });
    expect(updated.status).toBe(202);
    expect(sonarr.state.downloadClients.items[0].values).toMatchObject({ host: "gluetun", password: "s3cret" });
    // A field left out falls back to its default, as the app builds fresh settings from the fields it gets.
    await call(sonarr, "PUT", `/api/v3/downloadclient/${created.body.id}?forceSave=true`, { ...created.body, fields: [] });
    expect(sonarr.state.downloadClients.items[0].values).toMatchObject({ host: "localhost", password: null, tvCategory: "tv-sonarr" });
    expect((await call(sonarr, "DELETE", `/api/v3/downloadclient/${created.body.id}`))).toMatchObject({ status: 200, body: {} });
});

test("media management: the PUT stores the whole resource, so a partial body is refused", async () => {
    expect((await call(sonarr, "PUT", "/api/v3/config/mediamanagement/1", { id: 1, copyUsingHardlinks: true })).status).toBe(400);
    const current = (await call(sonarr, "GET", "/api/v3/config/mediamanagement")).body;
    expect((await call(sonarr, "PUT", "/api/v3/config/mediamanagement/1", { ...current, copyUsingHardlinks: false })).status).toBe(202);
    expect(sonarr.state.mediaManagement.copyUsingHardlinks).toBe(false);
});

test("quality profiles: the schema holds every quality once (WEB groups from id 1000); invalid cutoffs are refused", async () => {
    const schema = (await call(sonarr, "GET", "/api/v3/qualityprofile/schema")).body;
    expect(schema.items.filter((i: { quality?: unknown }) => !i.quality).map((i: { id: number; name: string }) => [i.id, i.name]))
        .toEqual([[1000, "WEB 480p"], [1001, "WEB 720p"], [1002, "WEB 1080p"], [1003, "WEB 2160p"]]);
    const refused = await call(sonarr, "POST", "/api/v3/qualityprofile", { ...schema, name: "x" });
    expect(refused.body.map((f: { errorMessage: string }) => f.errorMessage)).toEqual(
        expect.arrayContaining(["Must contain at least one allowed quality", "Cutoff must be an allowed quality or group"]),
    );
});

test("Prowlarr: tags are lower-cased and unique, a tag in use cannot be deleted (409), applications need valid URLs", async () => {
    const tag = await call(prowlarr, "POST", "/api/v1/tag", { label: "FlareSolverr" });
    expect(tag).toMatchObject({ status: 201, body: { label: "flaresolverr" } });
    expect((await call(prowlarr, "POST", "/api/v1/tag", { label: "flaresolverr" })).body.id).toBe(tag.body.id);
    expect((await call(prowlarr, "POST", "/api/v1/tag", { label: "no spaces" })).status).toBe(400);

    const proxy = (await call(prowlarr, "GET", "/api/v1/indexerproxy/schema")).body.find((t: { implementation: string }) => t.implementation === "FlareSolverr");
    const created = await call(prowlarr, "POST", "/api/v1/indexerproxy?forceSave=true", { ...proxy, name: "FS", tags: [tag.body.id] });
    expect(created.status).toBe(201);
    expect((await call(prowlarr, "DELETE", `/api/v1/tag/${tag.body.id}`)).status).toBe(409);

    const sonarrApp = (await call(prowlarr, "GET", "/api/v1/applications/schema")).body.find((t: { implementation: string }) => t.implementation === "Sonarr");
    const bad = await call(prowlarr, "POST", "/api/v1/applications?forceSave=true", {
        ...sonarrApp, name: "Sonarr", syncLevel: "fullSync",
        fields: sonarrApp.fields.map((f: { name: string; value: unknown }) => (f.name === "baseUrl" ? { ...f, value: "sonarr:8989" } : f)),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.map((f: { propertyName: string }) => f.propertyName)).toEqual(expect.arrayContaining(["BaseUrl", "ApiKey"]));
});

describe("ProviderControllerBase: creating an enabled provider runs its connection test whatever forceSave says", () => {
    const reachable = new Set<string>();
    let app: FakeServarr;
    let indexers: FakeProwlarr;
    beforeAll(async () => {
        const reach = (host: string, port: number) => reachable.has(`${host}:${port}`);
        app = await startServarr({ kind: "radarr", apiKey: KEY, reach, qbittorrent: { host: "gluetun", port: 8080, username: "admin", password: "pw" } });
        indexers = await startProwlarr({ apiKey: KEY, reach, flaresolverrUrl: "http://localhost:8191/" });
    });
    afterAll(async () => Promise.all([app.close(), indexers.close()]));

    test("a download client whose qBittorrent does not answer is refused on create, even with forceSave; PUT with forceSave is not tested", async () => {
        const [template] = (await call(app, "GET", "/api/v3/downloadclient/schema")).body;
        const body = {
            ...template, name: "qBittorrent",
            fields: template.fields.map((f: { name: string; value: unknown }) => ({ ...f, value: ({ host: "gluetun", username: "admin", password: "pw" } as Record<string, unknown>)[f.name] ?? f.value })),
        };
        expect(await call(app, "POST", "/api/v3/downloadclient?forceSave=true", body)).toMatchObject({ status: 400, body: [{ propertyName: "Host" }] });
        expect((await call(app, "POST", "/api/v3/downloadclient?forceSave=true", { ...body, enable: false })).status).toBe(201);
        reachable.add("gluetun:8080");
        const created = await call(app, "POST", "/api/v3/downloadclient", { ...body, name: "qBittorrent 2" });
        expect(created.status).toBe(201);
        reachable.delete("gluetun:8080");
        expect((await call(app, "PUT", `/api/v3/downloadclient/${created.body.id}?forceSave=true`, { ...created.body, priority: 2 })).status).toBe(202);
        expect((await call(app, "PUT", `/api/v3/downloadclient/${created.body.id}`, { ...created.body, priority: 3 })).status).toBe(400);
    });

    test("a tagged FlareSolverr proxy is enabled and tested on create; untagged it is saved untested", async () => {
        const tag = await call(indexers, "POST", "/api/v1/tag", { label: "flaresolverr" });
        const proxy = (await call(indexers, "GET", "/api/v1/indexerproxy/schema")).body.find((t: { implementation: string }) => t.implementation === "FlareSolverr");
        expect(await call(indexers, "POST", "/api/v1/indexerproxy?forceSave=true", { ...proxy, name: "FS", tags: [tag.body.id] })).toMatchObject({ status: 400, body: [{ propertyName: "Host" }] });
        expect((await call(indexers, "POST", "/api/v1/indexerproxy?forceSave=true", { ...proxy, name: "FS untagged", tags: [] })).status).toBe(201);
        reachable.add("localhost:8191");
        expect((await call(indexers, "POST", "/api/v1/indexerproxy", { ...proxy, name: "FS", tags: [tag.body.id] })).status).toBe(201);
    });

    test("a Prowlarr application is tested against the app at its baseUrl", async () => {
        const sonarrApp = (await call(indexers, "GET", "/api/v1/applications/schema")).body.find((t: { implementation: string }) => t.implementation === "Sonarr");
        const body = { ...sonarrApp, name: "Sonarr", syncLevel: "fullSync", fields: sonarrApp.fields.map((f: { name: string; value: unknown }) => (f.name === "apiKey" ? { ...f, value: "k" } : f)) };
        expect(await call(indexers, "POST", "/api/v1/applications?forceSave=true", body)).toMatchObject({ status: 400, body: [{ propertyName: "BaseUrl" }] });
    });
});

describe("the forms login (HostConfigController, UserService, AuthenticationController)", () => {
    async function signIn(fake: { port: number }, username: string, password: string): Promise<string> {
        const res = await fetch(`http://127.0.0.1:${fake.port}/login?returnUrl=/`, {
            method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ username, password }).toString(),
        });
        expect(res.status).toBe(302);
        return res.headers.get("location") ?? "";
    }

    test("with no user every login fails; PUT config/host upserts the user, lower-cased; the password comes back as a hash", async () => {
        for (const fake of [sonarr, prowlarr]) {
            const api = fake === sonarr ? "/api/v3" : "/api/v1";
            expect(await signIn(fake, "admin", "")).toMatch(/loginFailed=true/);
            expect(await signIn(fake, "admin", "anything")).toMatch(/loginFailed=true/);
            const host = await call(fake, "GET", `${api}/config/host`);
            expect(host.body).toMatchObject({ id: 1, username: "", password: "", authenticationMethod: "forms", authenticationRequired: "enabled" });
            const mismatch = await call(fake, "PUT", `${api}/config/host/1`, { ...host.body, username: "Admin", password: "pw1", passwordConfirmation: "pw2" });
            expect(mismatch).toMatchObject({ status: 400, body: [{ propertyName: "PasswordConfirmation", errorMessage: "Must match Password" }] });
            const empty = await call(fake, "PUT", `${api}/config/host/1`, { ...host.body, username: "", password: "", passwordConfirmation: "" });
            expect(empty.body.map((f: { propertyName: string }) => f.propertyName).sort()).toEqual(["Password", "Username"]);
            expect((await call(fake, "PUT", `${api}/config/host/1`, { ...host.body, username: "Admin", password: "pw1", passwordConfirmation: "pw1" })).status).toBe(202);
            expect(await signIn(fake, "admin", "pw1")).toBe("/");
            expect(await signIn(fake, "admin", "pw2")).toMatch(/loginFailed=true/);
            const after = await call(fake, "GET", `${api}/config/host`);
            expect(after.body.username).toBe("admin");
            expect(after.body.password).not.toBe("pw1");
            // Sending the stored hash back keeps the password (IsMatchingPassword, Upsert).
            expect((await call(fake, "PUT", `${api}/config/host/1`, { ...after.body, passwordConfirmation: "" })).status).toBe(202);
            expect(await signIn(fake, "admin", "pw1")).toBe("/");
        }
    });
});
