/**
 * The Jellyfin, Seerr and Bazarr fakes answer like the apps' API definitions say: the scenario tests are only
 * as good as these refusals.
 */
import * as http from "node:http";
import { start as startJellyfin, FakeJellyfin } from "./fakes/jellyfin";
import { start as startSeerr, FakeSeerr } from "./fakes/seerr";
import { start as startBazarr, FakeBazarr, md5 } from "./fakes/bazarr";

interface Answer { status: number; body: string; headers: http.IncomingHttpHeaders }

function send(port: number, method: string, path: string, options: { headers?: Record<string, string>; json?: unknown; form?: Record<string, string> } = {}): Promise<Answer> {
    const body = options.json !== undefined ? JSON.stringify(options.json) : options.form ? new URLSearchParams(options.form).toString() : "";
    const type = options.json !== undefined ? "application/json" : options.form ? "application/x-www-form-urlencoded" : undefined;
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method, path, headers: { ...(type ? { "Content-Type": type } : {}), "Content-Length": Buffer.byteLength(body), ...options.headers } }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
        });
        req.on("error", reject);
        req.end(body);
    });
}

const CLIENT = 'MediaBrowser Client="test", Device="jest", DeviceId="jest-1", Version="1"';
const open: { close(): Promise<void> }[] = [];
afterAll(() => Promise.all(open.map((f) => f.close())));
const track = <T extends { close(): Promise<void> }>(fake: T) => (open.push(fake), fake);

async function wizardDone(): Promise<{ jf: FakeJellyfin; token: string }> {
    const jf = track(await startJellyfin());
    await send(jf.port, "GET", "/Startup/User");
    await send(jf.port, "POST", "/Startup/User", { json: { Name: "admin", Password: "pw" } });
    await send(jf.port, "POST", "/Startup/Complete");
    const login = await send(jf.port, "POST", "/Users/AuthenticateByName", { headers: { Authorization: CLIENT }, json: { Username: "admin", Pw: "pw" } });
    return { jf, token: (JSON.parse(login.body) as { AccessToken: string }).AccessToken };
}

describe("Jellyfin fake", () => {
    test("startup endpoints are open before the wizard is completed, 401 without a token and 403 for a non-admin after", async () => {
        const jf = track(await startJellyfin());
        expect((await send(jf.port, "GET", "/Startup/Configuration")).status).toBe(200);
        const { jf: done, token } = await wizardDone();
        expect((await send(done.port, "GET", "/Startup/Configuration")).status).toBe(401);
        expect((await send(done.port, "POST", "/Startup/User", { json: { Name: "x", Password: "y" } })).status).toBe(401);
        expect((await send(done.port, "GET", "/Startup/Configuration", { headers: { Authorization: `${CLIENT}, Token="${token}"` } })).status).toBe(200);
        done.state.users.push({ Id: "viewer", Name: "viewer", password: "v", isAdministrator: false });
        const viewer = await send(done.port, "POST", "/Users/AuthenticateByName", { headers: { Authorization: CLIENT }, json: { Username: "viewer", Pw: "v" } });
        const viewerToken = (JSON.parse(viewer.body) as { AccessToken: string }).AccessToken;
        expect((await send(done.port, "GET", "/Auth/Keys", { headers: { Authorization: `${CLIENT}, Token="${viewerToken}"` } })).status).toBe(403);
    });

    test("the first user's password can be set once; login needs the client header", async () => {
        const jf = track(await startJellyfin());
        expect((await send(jf.port, "POST", "/Startup/User", { json: { Name: "admin", Password: "pw" } })).status).toBe(404);
        await send(jf.port, "GET", "/Startup/User");
        expect((await send(jf.port, "POST", "/Startup/User", { json: { Name: "admin", Password: "" } })).status).toBe(400);
        expect((await send(jf.port, "POST", "/Startup/User", { json: { Name: "admin", Password: "pw" } })).status).toBe(204);
        expect((await send(jf.port, "POST", "/Startup/User", { json: { Name: "admin", Password: "other" } })).status).toBe(403);
        expect((await send(jf.port, "POST", "/Users/AuthenticateByName", { json: { Username: "admin", Pw: "pw" } })).status).toBe(400);
        expect((await send(jf.port, "POST", "/Users/AuthenticateByName", { headers: { Authorization: CLIENT }, json: { Username: "admin", Pw: "bad" } })).status).toBe(401);
    });

    test("libraries need an existing path; a taken name gets a numbered twin; the network section is replaced whole", async () => {
        const { jf, token } = await wizardDone();
        const auth = { Authorization: `${CLIENT}, Token="${token}"` };
        expect((await send(jf.port, "POST", "/Library/VirtualFolders?name=Films&collectionType=movies&paths=/nowhere", { headers: auth })).status).toBe(400);
        expect((await send(jf.port, "POST", "/Library/VirtualFolders?name=Films&collectionType=movies&paths=/data/media/movies", { headers: auth })).status).toBe(204);
        expect((await send(jf.port, "POST", "/Library/VirtualFolders?name=Films&collectionType=movies&paths=/data/media/movies", { headers: auth })).status).toBe(204);
        expect(jf.state.libraries.map((l) => l.Name)).toEqual(["Films", "Films2"]);
        jf.state.network.InternalHttpPort = 8097;
        expect((await send(jf.port, "POST", "/System/Configuration/network", { headers: auth, json: { KnownProxies: ["10.0.0.1"] } })).status).toBe(204);
        expect(jf.state.network.KnownProxies).toEqual(["10.0.0.1"]);
        expect(jf.state.network.InternalHttpPort).toBe(8096);
    });
});

describe("Seerr fake", () => {
    async function initialised(): Promise<{ jf: FakeJellyfin; seerr: FakeSeerr }> {
        const { jf } = await wizardDone();
        const seerr = track(await startSeerr({ apiKey: "k" }));
        const signIn = await send(seerr.port, "POST", "/api/v1/auth/jellyfin", { json: { username: "admin", password: "pw", hostname: "127.0.0.1", port: jf.port, urlBase: "", useSsl: false, email: "admin", serverType: 2 } });
        expect(signIn.status).toBe(200);
        expect(String(signIn.headers["set-cookie"])).toContain("connect.sid=");
        return { jf, seerr };
    }

    test("refuses /auth/jellyfin with a hostname once a server is set, and without one before", async () => {
        const fresh = track(await startSeerr({ apiKey: "k" }));
        expect((await send(fresh.port, "POST", "/api/v1/auth/jellyfin", { json: { username: "admin", password: "pw" } })).status).toBe(500);
        expect((await send(fresh.port, "POST", "/api/v1/auth/jellyfin", { json: { username: "admin" } })).status).toBe(400);
        const { jf, seerr } = await initialised();
        const again = await send(seerr.port, "POST", "/api/v1/auth/jellyfin", { json: { username: "admin", password: "pw", hostname: "127.0.0.1", port: jf.port, serverType: 2 } });
        expect(again.status).toBe(500);
        expect(again.body).toContain("Jellyfin hostname already configured");
    });

    test("the API key works only once the owner exists; settings need it; required DVR fields are enforced", async () => {
        const fresh = track(await startSeerr({ apiKey: "k" }));
        expect((await send(fresh.port, "GET", "/api/v1/settings/jellyfin", { headers: { "X-Api-Key": "k" } })).status).toBe(403);
        const { seerr } = await initialised();
        expect((await send(seerr.port, "GET", "/api/v1/settings/jellyfin", { headers: { "X-Api-Key": "k" } })).status).toBe(200);
        expect((await send(seerr.port, "GET", "/api/v1/settings/jellyfin", { headers: { "X-Api-Key": "wrong" } })).status).toBe(403);
        const partial = await send(seerr.port, "POST", "/api/v1/settings/radarr", { headers: { "X-Api-Key": "k" }, json: { name: "Radarr", hostname: "h", port: 1, apiKey: "a", useSsl: false, activeProfileId: 1, activeProfileName: "p", activeDirectory: "/m", is4k: false, isDefault: true } });
        expect(partial.status).toBe(400);
        expect(JSON.parse(partial.body).message).toBe("request.body should have required property 'minimumAvailability'");
    });

    // As the real Seerr v3.1.0 answered them when the wiring ran against it (express-openapi-validator).
    test("no key and no session: 401 before any route; a server entry's id is read-only; PUT replaces the whole entry", async () => {
        const { seerr } = await initialised();
        const anonymous = await send(seerr.port, "GET", "/api/v1/settings/sonarr");
        expect(anonymous.status).toBe(401);
        expect(JSON.parse(anonymous.body).message).toBe("cookie 'connect.sid' required");
        const entry = { name: "Sonarr", hostname: "h", port: 1, apiKey: "a", useSsl: false, activeProfileId: 1, activeProfileName: "p", activeDirectory: "/m", is4k: false, isDefault: true, enableSeasonFolders: true, tags: [3] };
        expect((await send(seerr.port, "POST", "/api/v1/settings/sonarr", { headers: { "X-Api-Key": "k" }, json: entry })).status).toBe(201);
        const withId = await send(seerr.port, "PUT", "/api/v1/settings/sonarr/0", { headers: { "X-Api-Key": "k" }, json: { ...entry, id: 0 } });
        expect(withId.status).toBe(400);
        expect(JSON.parse(withId.body).message).toBe("request.body.id is read-only");
        const { tags: _tags, ...withoutTags } = entry;
        expect((await send(seerr.port, "PUT", "/api/v1/settings/sonarr/0", { headers: { "X-Api-Key": "k" }, json: withoutTags })).status).toBe(200);
        expect(seerr.state.sonarr).toEqual([{ ...withoutTags, id: 0 }]);
    });

    test("network.trustProxy is saved by POST /settings/network (merged) and applied only when Seerr restarts", async () => {
        const { seerr } = await initialised();
        const saved = await send(seerr.port, "POST", "/api/v1/settings/network", { headers: { "X-Api-Key": "k" }, json: { trustProxy: true } });
        expect(JSON.parse(saved.body)).toMatchObject({ trustProxy: true, csrfProtection: false, proxy: { enabled: false }, apiRequestTimeout: 10000 });
        expect(JSON.parse((await send(seerr.port, "GET", "/api/v1/status")).body).restartRequired).toBe(true);
        const before = await send(seerr.port, "POST", "/api/v1/auth/local", { headers: { "X-Forwarded-For": "203.0.113.7" }, json: { email: "a@b.c", password: "x" } });
        expect(before.status).toBe(403);
        expect(seerr.state.log.at(-1)).toContain('{"ip":"127.0.0.1","email":"a@b.c"}');
        seerr.restart();
        expect(JSON.parse((await send(seerr.port, "GET", "/api/v1/status")).body).restartRequired).toBe(false);
        await send(seerr.port, "POST", "/api/v1/auth/local", { headers: { "X-Forwarded-For": "203.0.113.7" }, json: { email: "a@b.c", password: "x" } });
        expect(seerr.state.log.at(-1)).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[warn\]\[API\]: Failed sign-in attempt using invalid Seerr password \{"ip":"203\.0\.113\.7","email":"a@b\.c"\}$/);
    });
});

describe("Bazarr fake", () => {
    const key = { "X-API-KEY": "b" };
    let bazarr: FakeBazarr;
    beforeEach(async () => {
        bazarr = track(await startBazarr({ apiKey: "b" }));
    });

    test("401 without the API key", async () => {
        expect((await send(bazarr.port, "GET", "/api/system/settings")).status).toBe(401);
    });

    test("406 on a boolean that is not lowercase, and nothing is changed", async () => {
        const res = await send(bazarr.port, "POST", "/api/system/settings", { headers: key, form: { "settings-sonarr-ip": "10.0.0.2", "settings-general-use_sonarr": "True" } });
        expect(res.status).toBe(406);
        expect(bazarr.state.settings.sonarr.ip).toBe("127.0.0.1");
        expect(bazarr.state.writes).toEqual([]);
    });

    test("a JSON body is accepted and ignored", async () => {
        const res = await send(bazarr.port, "POST", "/api/system/settings", { headers: key, json: { "settings-general-use_sonarr": "true" } });
        expect(res.status).toBe(204);
        expect(bazarr.state.settings.general.use_sonarr).toBe(false);
    });

    test("the password is stored and returned as its MD5 digest; the port is cast to a number", async () => {
        await send(bazarr.port, "POST", "/api/system/settings", { headers: key, form: { "settings-auth-password": "secret", "settings-sonarr-port": "8990" } });
        const settings = JSON.parse((await send(bazarr.port, "GET", "/api/system/settings", { headers: key })).body) as { auth: { password: string }; sonarr: { port: number } };
        expect(settings.auth.password).toBe(md5("secret"));
        expect(settings.sonarr.port).toBe(8990);
    });
});
