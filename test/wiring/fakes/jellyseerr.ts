/**
 * A stateful Jellyseerr (2.x) written from its routes and OpenAPI definition (jellyseerr-api.yml, enforced by
 * express-openapi-validator: a missing required body field answers 400):
 * - `GET /api/v1/settings/public` is open; every other `/settings` route needs an administrator: the `X-Api-Key`
 *   header equal to the API key (fixed by env `API_KEY`) acts as user 1, else the `connect.sid` session cookie;
 *   403 otherwise (also with the right key while user 1 does not exist yet);
 * - `POST /api/v1/auth/jellyfin` really logs in to the Jellyfin it is pointed at (over HTTP), creates a Jellyfin API
 *   key named "Jellyseerr" the first time and makes the first user the owner; it answers 500 when a hostname is
 *   sent once a server is set, and 500 without a hostname while none is set;
 * - `GET /api/v1/settings/jellyfin/library?sync=true` reads `/Library/MediaFolders` from that Jellyfin (movies and
 *   shows only) and, like the real route, disables every library not named in `enable` (it is a write);
 * - Sonarr/Radarr settings are stored as sent (API keys are returned in clear, as Jellyseerr does).
 * Writes (every state change except logins) are counted in `state.writes`.
 */
import * as http from "node:http";
import { randomUUID } from "node:crypto";
import { FakeReply, FakeRequest, reply, serveFake } from "./media-fake-http";
import type { FakeProvenance } from "./provenance";

/** Placeholder record at the Jellyseerr pin; the Seerr fake (seerr helper) replaces this module and its record. */
export const FAKE_OF: FakeProvenance = {
    app: "jellyseerr",
    version: "2.7.3",
    repository: "fallenbagel/jellyseerr",
    sources: ["server/routes/auth.ts: POST /auth/jellyfin", "server/routes/settings/index.ts, sonarr.ts, radarr.ts", "server/index.ts: trust proxy"],
    assumed: ["written before provenance was recorded; re-read when Seerr replaces Jellyseerr"],
};

export const NOT_CONFIGURED = 4;
export const JELLYFIN = 2;
const ADMIN_PERMISSION = 2;

export interface FakeSeerrLibrary { id: string; name: string; enabled: boolean; type: "movie" | "show" }
export interface FakeSeerrUser { id: number; jellyfinUserId: string; jellyfinUsername: string; email: string; permissions: number }
export type FakeDvr = Record<string, unknown> & { id: number; name: string };

export interface FakeJellyseerrState {
    apiKey: string;
    initialized: boolean;
    mediaServerType: number;
    jellyfin: { name: string; ip: string; port: number; useSsl: boolean; urlBase: string; externalHostname: string; libraries: FakeSeerrLibrary[]; serverId: string; apiKey: string };
    users: FakeSeerrUser[];
    sessions: Map<string, number>;
    sonarr: FakeDvr[];
    radarr: FakeDvr[];
    writes: string[];
}

export interface FakeJellyseerr {
    port: number;
    state: FakeJellyseerrState;
    close(): Promise<void>;
}

const REQUIRED_DVR = ["name", "hostname", "port", "apiKey", "useSsl", "activeProfileId", "activeProfileName", "activeDirectory", "is4k", "isDefault"];
const REQUIRED = { sonarr: [...REQUIRED_DVR, "enableSeasonFolders"], radarr: [...REQUIRED_DVR, "minimumAvailability"] };

interface Upstream { status: number; body: unknown }

/** One JSON call to the Jellyfin this Jellyseerr is pointed at. */
function jellyfinCall(base: { ip: string; port: number; urlBase: string }, method: string, path: string, token: string | undefined, body?: unknown): Promise<Upstream> {
    const payload = body === undefined ? "" : JSON.stringify(body);
    const auth = `MediaBrowser Client="Jellyseerr", Device="Jellyseerr", DeviceId="BOT_jellyseerr", Version="2.7.3"${token ? `, Token="${token}"` : ""}`;
    return new Promise((resolve, reject) => {
        const req = http.request(
            { host: base.ip, port: base.port, path: `${base.urlBase}${path}`, method, headers: { Authorization: auth, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    let parsed: unknown = text;
                    try {
                        parsed = text ? JSON.parse(text) : undefined;
                    } catch {
                        /* plain text */
                    }
                    resolve({ status: res.statusCode ?? 0, body: parsed });
                });
            },
        );
        req.on("error", reject);
        req.end(payload);
    });
}

function caller(state: FakeJellyseerrState, req: FakeRequest): FakeSeerrUser | undefined {
    if (req.headers["x-api-key"] === state.apiKey) return state.users.find((u) => u.id === 1);
    const sid = /(?:^|;\s*)connect\.sid=([^;]+)/.exec(String(req.headers.cookie ?? ""))?.[1];
    const userId = sid ? state.sessions.get(sid) : undefined;
    return state.users.find((u) => u.id === userId);
}

const forbidden = () => reply(403, { status: 403, error: "You do not have permission to access this endpoint" });

async function signInWithJellyfin(state: FakeJellyseerrState, req: FakeRequest): Promise<FakeReply> {
    const body = req.json<{ username?: string; password?: string; hostname?: string; port?: number; urlBase?: string; useSsl?: boolean; email?: string; serverType?: number }>();
    if (!body || body.username === undefined || body.password === undefined) return reply(400, { message: "request/body must have required property 'username' and 'password'" });
    if (!body.username) return reply(500, { error: "You must provide an username" });
    if (state.jellyfin.ip !== "" && body.hostname) return reply(500, { error: "Jellyfin hostname already configured" });
    if (state.jellyfin.ip === "" && !body.hostname) return reply(500, { error: "No hostname provided." });
    const base = state.jellyfin.ip !== "" ? state.jellyfin : { ip: body.hostname ?? "", port: body.port ?? 8096, urlBase: body.urlBase ?? "" };
    let login: Upstream;
    try {
        login = await jellyfinCall(base, "POST", "/Users/AuthenticateByName", undefined, { Username: body.username, Pw: body.password });
    } catch {
        return reply(500, { message: "Something went wrong." });
    }
    if (login.status === 401) return reply(401, { message: "INVALID_CREDENTIALS" });
    if (login.status !== 200) return reply(500, { message: "Something went wrong." });
    const account = login.body as { User: { Id: string; Name: string; ServerId: string; Policy: { IsAdministrator: boolean } }; AccessToken: string };
    let user = state.users.find((u) => u.jellyfinUserId === account.User.Id);
    const missingAdminUser = !user && state.users.length === 0;
    if (missingAdminUser || state.mediaServerType === NOT_CONFIGURED) {
        if (!account.User.Policy.IsAdministrator) return reply(403, { message: "NOT_ADMIN" });
        if (body.serverType !== JELLYFIN && body.serverType !== 3) return reply(500, { message: "NO_ADMIN_USER" });
        state.mediaServerType = body.serverType;
        await jellyfinCall(base, "POST", "/Auth/Keys?App=Jellyseerr", account.AccessToken);
        const keys = (await jellyfinCall(base, "GET", "/Auth/Keys", account.AccessToken)).body as { Items: { AppName: string; AccessToken: string }[] };
        const info = (await jellyfinCall(base, "GET", "/System/Info/Public", undefined)).body as { ServerName: string };
        state.jellyfin = {
            ...state.jellyfin,
            name: info.ServerName,
            serverId: account.User.ServerId,
            ip: body.hostname ?? "",
            port: body.port ?? 8096,
            urlBase: body.urlBase ?? "",
            useSsl: body.useSsl ?? false,
            apiKey: [...keys.Items].reverse().find((k) => k.AppName === "Jellyseerr")?.AccessToken ?? "",
        };
        state.writes.push("POST /auth/jellyfin (server set)");
    }
    if (!user) {
        user = { id: state.users.length + 1, jellyfinUserId: account.User.Id, jellyfinUsername: account.User.Name, email: body.email || account.User.Name, permissions: missingAdminUser ? ADMIN_PERMISSION : 0 };
        state.users.push(user);
    }
    const sid = randomUUID();
    state.sessions.set(sid, user.id);
    return { status: 200, json: user, headers: { "set-cookie": `connect.sid=${sid}; Path=/; HttpOnly` } };
}

async function syncLibraries(state: FakeJellyseerrState, req: FakeRequest): Promise<FakeReply> {
    if (req.query.get("sync")) {
        const folders = await jellyfinCall(state.jellyfin, "GET", "/Library/MediaFolders", state.jellyfin.apiKey);
        if (folders.status !== 200) return reply(404, { message: "SYNC_ERROR_NO_LIBRARIES" });
        const items = (folders.body as { Items: { Id: string; Name: string; CollectionType: string; Type: string }[] }).Items;
        const excluded = ["music", "books", "musicvideos", "homevideos", "boxsets"];
        const found = items.filter((i) => i.Type === "CollectionFolder" && !excluded.includes(i.CollectionType));
        if (found.length === 0) return reply(404, { message: "SYNC_ERROR_NO_LIBRARIES" });
        state.jellyfin.libraries = found.map((i) => ({
            id: i.Id,
            name: i.Name,
            type: i.CollectionType === "movies" ? "movie" : "show",
            enabled: state.jellyfin.libraries.find((l) => l.id === i.Id && l.name === i.Name)?.enabled ?? false,
        }));
    }
    const enable = (req.query.get("enable") ?? "").split(",");
    state.jellyfin.libraries = state.jellyfin.libraries.map((l) => ({ ...l, enabled: enable.includes(l.id) }));
    state.writes.push("GET /settings/jellyfin/library");
    return reply(200, state.jellyfin.libraries);
}

function dvrRoutes(state: FakeJellyseerrState, kind: "sonarr" | "radarr", req: FakeRequest, rest: string): FakeReply {
    const list = state[kind];
    if (rest === "" && req.method === "GET") return reply(200, list);
    if (rest === "" && req.method === "POST") {
        const body = req.json<Record<string, unknown>>();
        const missing = REQUIRED[kind].filter((f) => body?.[f] === undefined);
        if (!body || missing.length > 0) return reply(400, { message: `request/body must have required property '${missing[0]}'` });
        const last = list[list.length - 1];
        const created: FakeDvr = { ...body, name: String(body.name), id: last ? last.id + 1 : 0 };
        if (body.isDefault) list.filter((d) => d.is4k === body.is4k).forEach((d) => (d.isDefault = false));
        list.push(created);
        state.writes.push(`POST /settings/${kind}`);
        return reply(201, created);
    }
    const id = Number(rest.slice(1));
    const index = list.findIndex((d) => d.id === id);
    if (req.method === "PUT") {
        if (index < 0) return reply(404, { status: "404", message: "Settings instance not found" });
        const body = req.json<Record<string, unknown>>();
        const missing = REQUIRED[kind].filter((f) => body?.[f] === undefined);
        if (!body || missing.length > 0) return reply(400, { message: `request/body must have required property '${missing[0]}'` });
        if (body.isDefault) list.filter((d) => d.is4k === body.is4k).forEach((d) => (d.isDefault = false));
        list[index] = { ...body, name: String(body.name), id };
        state.writes.push(`PUT /settings/${kind}/${id}`);
        return reply(200, list[index]);
    }
    if (req.method === "DELETE") {
        if (index < 0) return reply(404, { status: "404", message: "Settings instance not found" });
        const [removed] = list.splice(index, 1);
        state.writes.push(`DELETE /settings/${kind}/${id}`);
        return reply(200, removed);
    }
    return reply(404);
}

async function handle(state: FakeJellyseerrState, req: FakeRequest): Promise<FakeReply> {
    const path = req.path.replace(/^\/api\/v1/, "");
    if (req.method === "GET" && path === "/status") return reply(200, { version: "2.7.3" });
    if (req.method === "GET" && path === "/settings/public") {
        return reply(200, { initialized: state.initialized, mediaServerType: state.mediaServerType, applicationTitle: "Jellyseerr", localLogin: true, mediaServerLogin: true });
    }
    if (req.method === "POST" && path === "/auth/jellyfin") return signInWithJellyfin(state, req);

    const user = caller(state, req);
    if (req.method === "GET" && path === "/auth/me") return user ? reply(200, user) : forbidden();
    if (!path.startsWith("/settings")) return reply(404);
    if (!user || (user.permissions & ADMIN_PERMISSION) === 0) return forbidden();

    if (req.method === "GET" && path === "/settings/jellyfin") return reply(200, structuredClone(state.jellyfin));
    if (req.method === "GET" && path === "/settings/jellyfin/library") return syncLibraries(state, req);
    if (req.method === "POST" && path === "/settings/initialize") {
        state.initialized = true;
        state.writes.push("POST /settings/initialize");
        return reply(200, { initialized: true });
    }
    const dvr = /^\/settings\/(sonarr|radarr)(\/\d+)?$/.exec(path);
    if (dvr) return dvrRoutes(state, dvr[1] as "sonarr" | "radarr", req, dvr[2] ?? "");
    return reply(404);
}

export async function start(options: { apiKey: string }): Promise<FakeJellyseerr> {
    const state: FakeJellyseerrState = {
        apiKey: options.apiKey,
        initialized: false,
        mediaServerType: NOT_CONFIGURED,
        jellyfin: { name: "", ip: "", port: 8096, useSsl: false, urlBase: "", externalHostname: "", libraries: [], serverId: "", apiKey: "" },
        users: [],
        sessions: new Map(),
        sonarr: [],
        radarr: [],
        writes: [],
    };
    const server = await serveFake((req) => handle(state, req));
    return { port: server.port, state, close: server.close };
}
