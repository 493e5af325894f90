/**
 * A stateful Seerr 3.1.0 (seerr-team/seerr at tag v3.1.0), written from its routes and OpenAPI definition
 * (seerr-api.yml, enforced by express-openapi-validator: a missing required body field answers 400, and so does
 * a read-only field such as a server entry's `id`):
 * - `GET /api/v1/settings/public` and `GET /api/v1/status` are open; every other `/settings` route needs an
 *   administrator: the `X-Api-Key` header equal to the API key (fixed by env `API_KEY`) acts as user 1, else the
 *   `connect.sid` session cookie; 403 otherwise (also with the right key while user 1 does not exist yet);
 * - `POST /api/v1/auth/jellyfin` really logs in to the Jellyfin it is pointed at (over HTTP), creates a Jellyfin API
 *   key named "Seerr" the first time and makes the first user the owner; it answers 500 when a hostname is
 *   sent once a server is set, and 500 without a hostname while none is set;
 * - `GET /api/v1/settings/jellyfin/library?sync=true` reads `/Library/MediaFolders` from that Jellyfin (movies and
 *   shows only) and, like the real route, disables every library not named in `enable` (it is a write);
 * - Sonarr/Radarr settings are stored as sent (API keys are returned in clear, as Seerr does); PUT replaces the
 *   whole entry with the body;
 * - `settings.network.trustProxy` takes effect only at start (`restart()` here): until then the client address
 *   is the peer's, and `GET /status` says `restartRequired`;
 * - a failed local sign-in is logged as Seerr's logger writes it (server/logger.ts), in `state.log`.
 * Writes (every state change except logins) are counted in `state.writes`.
 */
import { FakeProvenance } from "./provenance";

export const FAKE_OF: FakeProvenance = {
    app: "seerr",
    version: "v3.1.0",
    repository: "seerr-team/seerr",
    sources: [
        "seerr-api.yml: SonarrSettings, RadarrSettings (required fields; id readOnly), NetworkSettings, /auth/local, /auth/jellyfin",
        "server/index.ts: settings.network.trustProxy -> server.enable('trust proxy') once, at start",
        "server/utils/restartFlag.ts: RestartFlag.isSet (trustProxy saved != trustProxy at start)",
        "server/routes/index.ts: GET /status (restartRequired), GET /settings/public",
        "server/routes/settings/index.ts: GET/POST /network (lodash merge into settings.network), POST /initialize, GET /jellyfin/library",
        "server/routes/settings/sonarr.ts, radarr.ts: POST (id = last id + 1), PUT /:id (settings.sonarr[i] = { ...req.body, id }), DELETE /:id",
        "server/routes/auth.ts: POST /jellyfin (deviceId BOT_seerr, error answers), POST /local (Failed sign-in attempt using invalid Seerr password)",
        "server/api/jellyfin.ts: JellyfinAPI (Authorization MediaBrowser Client=\"Seerr\"), createApiToken('Seerr')",
        "server/middleware/auth.ts: checkUser (X-API-Key acts as user 1), isAuthenticated (403 body)",
        "server/logger.ts: hformat `${timestamp} [${level}][${label}]: ${message} ${JSON.stringify(metadata)}`",
        "server/routes/settings/notifications.ts: GET/POST /ntfy, /gotify (body stored as sent), /webhook (jsonPayload JSON-parsed, stored base64, read back decoded)",
        "server/lib/settings/index.ts: NotificationAgentNtfy, NotificationAgentGotify, NotificationAgentWebhook and their defaults",
        "seerr-api.yml: NtfySettings, GotifySettings, WebhookSettings (types: number, enabled: boolean, options' strings)",
        "server/lib/notifications/index.ts: Notification (the types bitmask), hasNotificationType (0 = every type)",
    ],
    assumed: ["the webhook's default jsonPayload is abridged to its first fields (the program keeps whatever Seerr holds)"],
};

import * as http from "node:http";
import { randomUUID } from "node:crypto";
import { FakeReply, FakeRequest, reply, serveFake } from "./media-fake-http";

export const NOT_CONFIGURED = 4;
export const JELLYFIN = 2;
const ADMIN_PERMISSION = 2;

export interface FakeSeerrLibrary { id: string; name: string; enabled: boolean; type: "movie" | "show" }
export interface FakeSeerrUser { id: number; jellyfinUserId: string; jellyfinUsername: string; email: string; permissions: number }
export type FakeDvr = Record<string, unknown> & { id: number; name: string };

export interface FakeSeerrState {
    apiKey: string;
    /** settings.network as saved (settings.json). */
    network: { csrfProtection: boolean; forceIpv4First: boolean; trustProxy: boolean; [key: string]: unknown };
    /** network.trustProxy as read when the process started: what decides the client address. */
    trustProxyAtStart: boolean;
    /** Lines Seerr's file logger would write (logs/seerr-YYYY-MM-DD.log). */
    log: string[];
    initialized: boolean;
    mediaServerType: number;
    jellyfin: { name: string; ip: string; port: number; useSsl: boolean; urlBase: string; externalHostname: string; libraries: FakeSeerrLibrary[]; serverId: string; apiKey: string };
    users: FakeSeerrUser[];
    sessions: Map<string, number>;
    sonarr: FakeDvr[];
    radarr: FakeDvr[];
    /** settings.notifications.agents of the three alert channels, as settings.json stores them. */
    notifications: Record<"ntfy" | "gotify" | "webhook", FakeAgent>;
    writes: string[];
}

export interface FakeAgent { enabled: boolean; embedPoster: boolean; types?: number; options: Record<string, unknown> }

export interface FakeSeerr {
    port: number;
    state: FakeSeerrState;
    /** What a container restart does to Seerr: settings are read again (trustProxy among them). */
    restart(): void;
    close(): Promise<void>;
}

const REQUIRED_DVR = ["name", "hostname", "port", "apiKey", "useSsl", "activeProfileId", "activeProfileName", "activeDirectory", "is4k", "isDefault"];
const REQUIRED = { sonarr: [...REQUIRED_DVR, "enableSeasonFolders"], radarr: [...REQUIRED_DVR, "minimumAvailability"] };

interface Upstream { status: number; body: unknown }

/** One JSON call to the Jellyfin this Seerr is pointed at. */
function jellyfinCall(base: { ip: string; port: number; urlBase: string }, method: string, path: string, token: string | undefined, body?: unknown): Promise<Upstream> {
    const payload = body === undefined ? "" : JSON.stringify(body);
    // server/api/jellyfin.ts: the admin always logs in as device BOT_seerr.
    const auth = `MediaBrowser Client="Seerr", Device="Seerr", DeviceId="BOT_seerr", Version="3.1.0"${token ? `, Token="${token}"` : ""}`;
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

function caller(state: FakeSeerrState, req: FakeRequest): FakeSeerrUser | undefined {
    if (req.headers["x-api-key"] === state.apiKey) return state.users.find((u) => u.id === 1);
    const sid = /(?:^|;\s*)connect\.sid=([^;]+)/.exec(String(req.headers.cookie ?? ""))?.[1];
    const userId = sid ? state.sessions.get(sid) : undefined;
    return state.users.find((u) => u.id === userId);
}

const forbidden = () => reply(403, { status: 403, error: "You do not have permission to access this endpoint" });

async function signInWithJellyfin(state: FakeSeerrState, req: FakeRequest): Promise<FakeReply> {
    const body = req.json<{ username?: string; password?: string; hostname?: string; port?: number; urlBase?: string; useSsl?: boolean; email?: string; serverType?: number }>();
    const absent = ["username", "password"].filter((f) => (body as Record<string, unknown> | undefined)?.[f] === undefined);
    if (!body || absent.length > 0) return invalidBody(absent);
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
        // auth.ts: jellyfinClient.createApiToken('Seerr'), the newest key of that name.
        await jellyfinCall(base, "POST", "/Auth/Keys?App=Seerr", account.AccessToken);
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
            apiKey: [...keys.Items].reverse().find((k) => k.AppName === "Seerr")?.AccessToken ?? "",
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

async function syncLibraries(state: FakeSeerrState, req: FakeRequest): Promise<FakeReply> {
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

/**
 * express-openapi-validator 4.13.8's answer to a body without required fields (index.ts error handler: message and
 * errors), as the real Seerr v3.1.0 gave it here: every missing field, in the schema's order.
 */
function invalidBody(missing: string[]): FakeReply {
    return reply(400, {
        message: missing.map((f) => `request.body should have required property '${f}'`).join(", "),
        errors: missing.map((f) => ({ path: `.body.${f}`, message: `should have required property '${f}'`, errorCode: "required.openapi.validation" })),
    });
}

/** seerr-api.yml SonarrSettings / RadarrSettings as the validator applies them: required fields, read-only `id`. */
function invalidDvrBody(kind: "sonarr" | "radarr", body: Record<string, unknown> | undefined): FakeReply | undefined {
    const missing = REQUIRED[kind].filter((f) => body?.[f] === undefined);
    if (!body || missing.length > 0) return invalidBody(missing);
    if (body.id !== undefined) return reply(400, { message: "request.body.id is read-only", errors: [{ path: ".body.id", message: "is read-only", errorCode: "readOnly.openapi.validation" }] });
    return undefined;
}

function dvrRoutes(state: FakeSeerrState, kind: "sonarr" | "radarr", req: FakeRequest, rest: string): FakeReply {
    const list = state[kind];
    if (rest === "" && req.method === "GET") return reply(200, list);
    if (rest === "" && req.method === "POST") {
        const body = req.json<Record<string, unknown>>();
        const invalid = invalidDvrBody(kind, body);
        if (invalid || !body) return invalid ?? reply(400);
        // sonarr.ts POST /: id = last entry's id + 1 (0 for the first).
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
        const invalid = invalidDvrBody(kind, body);
        if (invalid || !body) return invalid ?? reply(400);
        if (body.isDefault) list.filter((d) => d.is4k === body.is4k).forEach((d) => (d.isDefault = false));
        // sonarr.ts PUT /:id: settings.sonarr[index] = { ...req.body, id }: the body replaces the whole entry.
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

/** seerr-api.yml NtfySettings/GotifySettings/WebhookSettings: the validator checks the types of what is sent. */
function invalidAgentBody(body: Record<string, unknown> | undefined): FakeReply | undefined {
    const wrong: string[] = [];
    if (body?.enabled !== undefined && typeof body.enabled !== "boolean") wrong.push("enabled should be boolean");
    if (body?.types !== undefined && typeof body.types !== "number") wrong.push("types should be number");
    const options = body?.options as Record<string, unknown> | undefined;
    for (const key of ["url", "topic", "token", "username", "password", "webhookUrl", "authHeader", "jsonPayload"]) {
        if (options?.[key] !== undefined && typeof options[key] !== "string") wrong.push(`options.${key} should be string`);
    }
    if (wrong.length === 0) return undefined;
    return reply(400, { message: wrong.map((w) => `request.body.${w}`).join(", "), errors: wrong.map((w) => ({ path: `.body.${w.split(" ")[0]}`, message: w, errorCode: "type.openapi.validation" })) });
}

/**
 * notifications.ts: ntfy and Gotify store the body as the whole agent and answer it (tokens in clear); the webhook
 * JSON-parses `options.jsonPayload` (500 with the parser's message when it is not JSON text), stores it base64 and
 * answers GET with it decoded and parsed.
 */
function notificationRoutes(state: FakeSeerrState, kind: "ntfy" | "gotify" | "webhook", req: FakeRequest): FakeReply {
    const held = state.notifications[kind];
    if (req.method === "GET") {
        if (kind !== "webhook") return reply(200, structuredClone(held));
        const jsonPayload = JSON.parse(Buffer.from(String(held.options.jsonPayload), "base64").toString("utf8"));
        return reply(200, { enabled: held.enabled, embedPoster: held.embedPoster, types: held.types, options: { ...held.options, jsonPayload, supportVariables: held.options.supportVariables ?? false } });
    }
    if (req.method !== "POST") return reply(404);
    const body = req.json<Record<string, unknown>>();
    const invalid = invalidAgentBody(body);
    if (invalid) return invalid;
    if (kind === "webhook") {
        const options = (body?.options ?? {}) as Record<string, unknown>;
        try {
            JSON.parse(options.jsonPayload as string);
        } catch (e) {
            return reply(500, { message: (e as Error).message });
        }
        state.notifications.webhook = {
            enabled: body?.enabled as boolean, embedPoster: body?.embedPoster as boolean, types: body?.types as number,
            options: { jsonPayload: Buffer.from(String(options.jsonPayload)).toString("base64"), webhookUrl: options.webhookUrl, authHeader: options.authHeader, supportVariables: options.supportVariables ?? false },
        };
    } else {
        state.notifications[kind] = structuredClone(body ?? {}) as unknown as FakeAgent;
    }
    state.writes.push(`POST /settings/notifications/${kind}`);
    return reply(200, structuredClone(state.notifications[kind]));
}

/** lib/settings/index.ts's default webhook payload (abridged), as stored: base64 of a JSON string. */
export const DEFAULT_WEBHOOK_TEMPLATE = '{\n  "notification_type": "{{notification_type}}",\n  "event": "{{event}}",\n  "subject": "{{subject}}",\n  "message": "{{message}}"\n}';

/**
 * req.ip: with `trust proxy` (only when settings.network.trustProxy was true at start, server/index.ts) Express
 * takes the leftmost X-Forwarded-For address, else the peer's.
 */
function clientIp(state: FakeSeerrState, req: FakeRequest): string {
    const forwarded = String(req.headers["x-forwarded-for"] ?? "").split(",")[0].trim();
    return state.trustProxyAtStart && forwarded ? forwarded : req.remoteAddress;
}

/** server/logger.ts hformat, as written to logs/seerr-YYYY-MM-DD.log (no colours in the file). */
function logLine(level: string, label: string, message: string, metadata: Record<string, unknown>): string {
    return `${new Date().toISOString()} [${level}][${label}]: ${message} ${JSON.stringify(metadata)}`;
}

/** auth.ts POST /local: this fake has no local users, so every sign-in fails as a wrong password does. */
function localSignIn(state: FakeSeerrState, req: FakeRequest): FakeReply {
    const body = req.json<{ email?: string; password?: string }>();
    const absent = ["email", "password"].filter((f) => (body as Record<string, unknown> | undefined)?.[f] === undefined);
    if (!body || absent.length > 0) return invalidBody(absent);
    state.log.push(logLine("warn", "API", "Failed sign-in attempt using invalid Seerr password", { ip: clientIp(state, req), email: body.email }));
    return reply(403, { message: "Access denied." });
}

async function handle(state: FakeSeerrState, req: FakeRequest): Promise<FakeReply> {
    const path = req.path.replace(/^\/api\/v1/, "");
    // routes/index.ts GET /status: restartRequired is RestartFlag.isSet() (network settings changed since start).
    if (req.method === "GET" && path === "/status") return reply(200, { version: "3.1.0", commitTag: "local", updateAvailable: false, commitsBehind: 0, restartRequired: state.network.trustProxy !== state.trustProxyAtStart });
    if (req.method === "POST" && path === "/auth/local") return localSignIn(state, req);
    if (req.method === "GET" && path === "/settings/public") {
        return reply(200, { initialized: state.initialized, mediaServerType: state.mediaServerType, applicationTitle: "Seerr", localLogin: true, mediaServerLogin: true });
    }
    if (req.method === "POST" && path === "/auth/jellyfin") return signInWithJellyfin(state, req);

    // seerr-api.yml security (cookieAuth or apiKey), checked by the validator before any route: a request with
    // neither the X-Api-Key header nor the session cookie is refused with 401 (a wrong key passes on to a 403).
    if (req.headers["x-api-key"] === undefined && !/(?:^|;\s*)connect\.sid=/.test(String(req.headers.cookie ?? ""))) {
        return reply(401, { message: "cookie 'connect.sid' required", errors: [{ path: `/api/v1${path}`, message: "cookie 'connect.sid' required" }] });
    }
    const user = caller(state, req);
    if (req.method === "GET" && path === "/auth/me") return user ? reply(200, user) : forbidden();
    if (!path.startsWith("/settings")) return reply(404);
    if (!user || (user.permissions & ADMIN_PERMISSION) === 0) return forbidden();

    if (req.method === "GET" && path === "/settings/jellyfin") return reply(200, structuredClone(state.jellyfin));
    if (req.method === "GET" && path === "/settings/network") return reply(200, structuredClone(state.network));
    if (req.method === "POST" && path === "/settings/network") {
        // settings/index.ts POST /network: settings.network = merge(settings.network, req.body); applied at start only.
        const body = req.json<Record<string, unknown>>() ?? {};
        state.network = { ...state.network, ...body } as FakeSeerrState["network"];
        state.writes.push("POST /settings/network");
        return reply(200, structuredClone(state.network));
    }
    if (req.method === "GET" && path === "/settings/jellyfin/library") return syncLibraries(state, req);
    if (req.method === "POST" && path === "/settings/initialize") {
        state.initialized = true;
        state.writes.push("POST /settings/initialize");
        return reply(200, { initialized: true });
    }
    const agent = /^\/settings\/notifications\/(ntfy|gotify|webhook)$/.exec(path);
    if (agent) return notificationRoutes(state, agent[1] as "ntfy" | "gotify" | "webhook", req);
    const dvr = /^\/settings\/(sonarr|radarr)(\/\d+)?$/.exec(path);
    if (dvr) return dvrRoutes(state, dvr[1] as "sonarr" | "radarr", req, dvr[2] ?? "");
    return reply(404);
}

export async function start(options: { apiKey: string }): Promise<FakeSeerr> {
    const state: FakeSeerrState = {
        apiKey: options.apiKey,
        // lib/settings/index.ts defaults (GET /settings/network on a fresh Seerr v3.1.0 answered exactly this).
        network: {
            csrfProtection: false, forceIpv4First: false, trustProxy: false,
            proxy: { enabled: false, hostname: "", port: 8080, useSsl: false, user: "", password: "", bypassFilter: "", bypassLocalAddresses: true },
            dnsCache: { enabled: false, forceMinTtl: 0, forceMaxTtl: -1 },
            apiRequestTimeout: 10000,
        },
        trustProxyAtStart: false,
        log: [],
        initialized: false,
        mediaServerType: NOT_CONFIGURED,
        jellyfin: { name: "", ip: "", port: 8096, useSsl: false, urlBase: "", externalHostname: "", libraries: [], serverId: "", apiKey: "" },
        users: [],
        sessions: new Map(),
        sonarr: [],
        radarr: [],
        // lib/settings/index.ts defaults.
        notifications: {
            ntfy: { enabled: false, embedPoster: true, types: 0, options: { url: "", topic: "" } },
            gotify: { enabled: false, embedPoster: false, types: 0, options: { url: "", token: "", priority: 0 } },
            webhook: { enabled: false, embedPoster: true, types: 0, options: { webhookUrl: "", jsonPayload: Buffer.from(JSON.stringify(DEFAULT_WEBHOOK_TEMPLATE)).toString("base64") } },
        },
        writes: [],
    };
    const server = await serveFake((req) => handle(state, req));
    const restart = () => {
        // Sessions live in the database (connect-typeorm in server/index.ts): they survive the restart.
        state.trustProxyAtStart = state.network.trustProxy;
    };
    return { port: server.port, state, restart, close: server.close };
}
