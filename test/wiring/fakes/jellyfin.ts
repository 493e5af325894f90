/**
 * A stateful Jellyfin 10.11.11 written from its API code (jellyfin/jellyfin v10.11.11):
 * - `/Startup/*` and `/Library/VirtualFolders*` use the FirstTimeSetupOrElevated policy
 *   (Jellyfin.Api/Auth/FirstTimeSetupPolicy/FirstTimeSetupHandler.cs): open to anyone until the wizard is completed,
 *   then 401 without a token and 403 for a non-admin;
 * - `GET /Startup/User` creates the first user, an administrator without a password (UserManager.InitializeAsync),
 *   and returns only its Name (10.11 no longer returns the password hash); `POST /Startup/User` answers 404 with no
 *   first user, 400 for an empty password, and otherwise renames the first user and sets its password, never 403
 *   (Jellyfin.Api/Controllers/StartupController.cs UpdateStartupUser);
 * - `POST /Users/AuthenticateByName {Username, Pw}` needs Client, Device, DeviceId and Version in the MediaBrowser
 *   header; a user without a password signs in with an empty one (DefaultAuthenticationProvider.Authenticate);
 *   a login logs out that user's other sessions from the same DeviceId (SessionManager.GetAuthorizationToken);
 *   a refused login is logged as `Authentication request for <name> has been denied (IP: <client>).`;
 * - `GET /Devices?userId=` lists the devices holding a session (DevicesController, RequiresElevation);
 * - `POST /Library/VirtualFolders` answers 400 for a path that does not exist or a bad collection type, and, like
 *   Jellyfin, adds a numbered twin ("Movies2") when the name is taken;
 * - `POST /System/Configuration/network` replaces the whole section (fields left out fall back to defaults); it is
 *   stored at once, but KnownProxies reach the forwarded-headers options only when the server starts
 *   (Jellyfin.Server/Startup.cs ConfigureServices -> Extensions/ApiServiceCollectionExtensions.cs
 *   ConfigureForwardHeaders): the client address is X-Forwarded-For only from a proxy known at the last start;
 * - `POST /System/Restart` (SystemController.RestartApplication) stops the server and starts it again in-process
 *   (SystemManager.ShutdownInternal, Program.cs); meanwhile the setup server answers `/System/Info/Public` and
 *   `/health`, 503 to the rest (ServerSetupApp/SetupServer.cs); `/System/Ping` answers 200 only when serving;
 * - API keys (`/Auth/Keys`) authenticate as an administrator.
 * Writes (every state change except logins) are counted in `state.writes`.
 */
import type { FakeProvenance } from "./provenance";
import { randomUUID } from "node:crypto";
import { FakeReply, FakeRequest, reply, serveFake } from "./media-fake-http";

export interface FakeJellyfinUser { Id: string; Name: string; password: string; isAdministrator: boolean }
export interface FakeJellyfinLibrary { Name: string; CollectionType: string; Locations: string[]; ItemId: string }
export interface FakeApiKey { Id: number; AccessToken: string; AppName: string; DateCreated: string }

export const DEFAULT_NETWORK = {
    BaseUrl: "",
    EnableHttps: false,
    RequireHttps: false,
    InternalHttpPort: 8096,
    InternalHttpsPort: 8920,
    PublicHttpPort: 8096,
    PublicHttpsPort: 8920,
    AutoDiscovery: true,
    EnableUPnP: false,
    EnableIPv4: true,
    EnableIPv6: false,
    EnableRemoteAccess: true,
    LocalNetworkSubnets: [] as string[],
    LocalNetworkAddresses: [] as string[],
    KnownProxies: [] as string[],
    IgnoreVirtualInterfaces: true,
    VirtualInterfaceNames: ["veth"],
    EnablePublishedServerUriByRequest: false,
    PublishedServerUriBySubnet: [] as string[],
    RemoteIPFilter: [] as string[],
    IsRemoteIPFilterBlacklist: false,
};
export type FakeNetworkConfiguration = typeof DEFAULT_NETWORK;

const COLLECTION_TYPES = ["movies", "tvshows", "music", "musicvideos", "homevideos", "boxsets", "books", "mixed"];

export const JELLYFIN_VERSION = "10.11.11";

export const FAKE_OF: FakeProvenance = {
    app: "jellyfin",
    version: JELLYFIN_VERSION,
    repository: "jellyfin/jellyfin",
    sources: [
        "Jellyfin.Api/Controllers/StartupController.cs: GetFirstUser, UpdateStartupUser, CompleteWizard, SetRemoteAccess",
        "Jellyfin.Api/Auth/FirstTimeSetupPolicy/FirstTimeSetupHandler.cs: HandleRequirementAsync",
        "Jellyfin.Server.Implementations/Users/UserManager.cs: InitializeAsync",
        "Jellyfin.Server.Implementations/Users/DefaultAuthenticationProvider.cs: Authenticate",
        "Emby.Server.Implementations/Session/SessionManager.cs: GetAuthorizationToken, AuthenticateNewSessionInternal",
        "Jellyfin.Api/Controllers/DevicesController.cs: GetDevices",
        "Jellyfin.Server/Extensions/ApiServiceCollectionExtensions.cs: AddJellyfinApi, ConfigureForwardHeaders",
        "Jellyfin.Server/Startup.cs: ConfigureServices, Configure (UseForwardedHeaders)",
        "Jellyfin.Api/Controllers/SystemController.cs: RestartApplication, PingSystem",
        "Emby.Server.Implementations/SystemManager.cs: ShutdownInternal",
        "Jellyfin.Server/ServerSetupApp/SetupServer.cs: /System/Info/Public, 503 elsewhere",
        "Jellyfin.Api/Controllers/LibraryStructureController.cs: AddVirtualFolder, AddMediaPath, RemoveVirtualFolder",
        "Jellyfin.Api/Controllers/ApiKeyController.cs: GetKeys, CreateKey, RevokeKey",
        "Jellyfin.Api/Controllers/ConfigurationController.cs: GetNamedConfiguration, UpdateNamedConfiguration",
    ],
    assumed: [
        "the forwarded-headers middleware takes the rightmost X-Forwarded-For entry from a known proxy (ASP.NET's ForwardedHeadersMiddleware, not Jellyfin's code)",
        "the restart's down time (300 ms here)",
    ],
};

export interface FakeJellyfinSession { userId: string; deviceId: string; appName: string }

export interface FakeJellyfinState {
    serverId: string;
    wizardCompleted: boolean;
    /** Name the first user gets when `GET /Startup/User` creates it (Jellyfin uses the process's user name). */
    firstUserName: string;
    users: FakeJellyfinUser[];
    startupConfiguration: Record<string, string>;
    libraries: FakeJellyfinLibrary[];
    apiKeys: FakeApiKey[];
    /** Session tokens from AuthenticateByName -> user and device. */
    sessions: Map<string, FakeJellyfinSession>;
    /** KnownProxies as the server read them at its last start (the forwarded-headers options). */
    proxiesAtStart: string[];
    /** True while a restart is under way (the setup server answers). */
    restarting: boolean;
    restarts: number;
    /** Jellyfin's log lines that name a client address (refused logins). */
    log: string[];
    network: FakeNetworkConfiguration;
    /** Directories that exist in the container (a library path must be one of them). */
    directories: string[];
    writes: string[];
}

export interface FakeJellyfin {
    port: number;
    state: FakeJellyfinState;
    close(): Promise<void>;
}

export interface FakeJellyfinOptions {
    directories?: string[];
    firstUserName?: string;
    /**
     * The network as Jellyfin's container sees it: the address a TCP peer on loopback stands for (e.g. a test's
     * "Caddy" connecting from 127.0.0.21 is Caddy's stack address). Others are seen as they are.
     */
    peers?: Record<string, string>;
}

/** Behind the program's back: a wizard completed by someone else, with their own admin. */
export function completeWizardAs(state: FakeJellyfinState, name: string, password: string): FakeJellyfinUser {
    const user: FakeJellyfinUser = { Id: randomUUID().replace(/-/g, ""), Name: name, password, isAdministrator: true };
    state.users.push(user);
    state.wizardCompleted = true;
    return user;
}

function parseAuthorization(req: FakeRequest): Record<string, string> {
    const header = String(req.headers["authorization"] ?? req.headers["x-emby-authorization"] ?? "");
    const fields: Record<string, string> = {};
    const match = /^(MediaBrowser|Emby)\s+(.*)$/i.exec(header.trim());
    if (match) {
        for (const part of match[2].split(",")) {
            const kv = /^\s*([A-Za-z]+)="?([^"]*)"?\s*$/.exec(part);
            if (kv) fields[kv[1]] = decodeURIComponent(kv[2]);
        }
    }
    const token = req.headers["x-emby-token"] ?? req.headers["x-mediabrowser-token"] ?? req.query.get("api_key") ?? req.query.get("ApiKey");
    if (token) fields.Token = String(token);
    return fields;
}

type Caller = { kind: "anonymous" } | { kind: "user"; admin: boolean; userId?: string };

function identify(state: FakeJellyfinState, req: FakeRequest): Caller {
    const token = parseAuthorization(req).Token;
    if (!token) return { kind: "anonymous" };
    if (state.apiKeys.some((k) => k.AccessToken === token)) return { kind: "user", admin: true };
    const userId = state.sessions.get(token)?.userId;
    const user = state.users.find((u) => u.Id === userId);
    return user ? { kind: "user", admin: user.isAdministrator, userId: user.Id } : { kind: "anonymous" };
}

/** null when allowed, else the refusal (401 no/unknown token, 403 not an administrator). */
function authorize(state: FakeJellyfinState, req: FakeRequest, policy: "public" | "firstTimeSetupOrElevated" | "elevated" | "user"): FakeReply | null {
    if (policy === "public") return null;
    if (policy === "firstTimeSetupOrElevated" && !state.wizardCompleted) return null;
    const caller = identify(state, req);
    if (caller.kind === "anonymous") return reply(401);
    if (policy !== "user" && !caller.admin) return reply(403);
    return null;
}

function userDto(state: FakeJellyfinState, user: FakeJellyfinUser) {
    return { Id: user.Id, Name: user.Name, ServerId: state.serverId, HasPassword: user.password !== "", Policy: { IsAdministrator: user.isAdministrator } };
}

/**
 * The client's address as Jellyfin sees it: the TCP peer, or the rightmost X-Forwarded-For entry when the peer is a
 * proxy that was known when the server started (forwarded headers are off with no known proxies).
 */
function clientAddress(state: FakeJellyfinState, peers: Record<string, string>, req: FakeRequest): string {
    const peer = peers[req.remoteAddress] ?? req.remoteAddress;
    const forwarded = String(req.headers["x-forwarded-for"] ?? "").split(",").map((a) => a.trim()).filter((a) => a !== "");
    return state.proxiesAtStart.includes(peer) && forwarded.length > 0 ? forwarded[forwarded.length - 1] : peer;
}

const RESTART_DOWN_MS = 300;

function handle(state: FakeJellyfinState, peers: Record<string, string>, req: FakeRequest): FakeReply {
    const { method, path } = req;
    const write = (what: string) => state.writes.push(`${method} ${what}`);

    if (method === "GET" && path === "/System/Info/Public") {
        // The setup server answers it too, with StartupWizardCompleted false.
        const completed = state.wizardCompleted && !state.restarting;
        return reply(200, { Id: state.serverId, ServerName: "fake-jellyfin", Version: JELLYFIN_VERSION, ProductName: "Jellyfin Server", LocalAddress: "", StartupWizardCompleted: completed });
    }
    if (state.restarting) return { status: 503, text: "Server is still starting up", headers: { "Retry-After": "1" } };
    if (method === "GET" && path === "/System/Ping") return reply(200, "Jellyfin Server");

    if (method === "POST" && path === "/System/Restart") {
        const refused = authorize(state, req, "elevated");
        if (refused) return refused;
        // ShutdownInternal: stops 100 ms later; the next StartServer builds the forwarded-headers options anew.
        setTimeout(() => {
            state.restarting = true;
            setTimeout(() => {
                state.proxiesAtStart = [...state.network.KnownProxies];
                state.restarts++;
                state.restarting = false;
            }, RESTART_DOWN_MS).unref();
        }, 100).unref();
        return reply(204);
    }

    if (method === "GET" && path === "/Devices") {
        const refused = authorize(state, req, "elevated");
        if (refused) return refused;
        const userId = req.query.get("userId");
        const devices = new Map<string, FakeJellyfinSession>();
        for (const session of state.sessions.values()) if (!userId || session.userId === userId) devices.set(session.deviceId, session);
        const items = [...devices.values()].map((d) => ({
            Id: d.deviceId, Name: d.deviceId, AppName: d.appName, LastUserId: d.userId,
            LastUserName: state.users.find((u) => u.Id === d.userId)?.Name ?? "",
        }));
        return reply(200, { Items: items, TotalRecordCount: items.length, StartIndex: 0 });
    }

    if (path.startsWith("/Startup/")) {
        const refused = authorize(state, req, "firstTimeSetupOrElevated");
        if (refused) return refused;
        if (path === "/Startup/Configuration") {
            if (method === "GET") return reply(200, state.startupConfiguration);
            const body = req.json<Record<string, string>>();
            if (!body) return reply(400, { title: "A non-empty request body is required." });
            state.startupConfiguration = { ServerName: body.ServerName ?? "", UICulture: body.UICulture ?? "", MetadataCountryCode: body.MetadataCountryCode ?? "", PreferredMetadataLanguage: body.PreferredMetadataLanguage ?? "" };
            write(path);
            return reply(204);
        }
        if (path === "/Startup/User" || path === "/Startup/FirstUser") {
            if (method === "GET") {
                if (state.users.length === 0) state.users.push({ Id: randomUUID().replace(/-/g, ""), Name: state.firstUserName, password: "", isAdministrator: true });
                return reply(200, { Name: state.users[0].Name });
            }
            const first = state.users[0];
            if (!first) return reply(404);
            const body = req.json<{ Name?: string; Password?: string }>() ?? {};
            if (!body.Password || !body.Password.trim()) return reply(400, "Password must not be empty");
            if (body.Name) first.Name = body.Name;
            first.password = body.Password;
            write(path);
            return reply(204);
        }
        if (path === "/Startup/RemoteAccess" && method === "POST") {
            const body = req.json<{ EnableRemoteAccess?: boolean }>();
            if (!body || typeof body.EnableRemoteAccess !== "boolean") return reply(400, { errors: { EnableRemoteAccess: ["The EnableRemoteAccess field is required."] } });
            state.network = { ...state.network, EnableRemoteAccess: body.EnableRemoteAccess };
            write(path);
            return reply(204);
        }
        if (path === "/Startup/Complete" && method === "POST") {
            state.wizardCompleted = true;
            write(path);
            return reply(204);
        }
        return reply(404);
    }

    if (method === "POST" && path === "/Users/AuthenticateByName") {
        const auth = parseAuthorization(req);
        if (!auth.Client || !auth.DeviceId || !auth.Device || !auth.Version) return reply(400, "Client, Device, DeviceId and Version are required");
        const body = req.json<{ Username?: string; Pw?: string }>();
        if (!body) return reply(400);
        const user = state.users.find((u) => u.Name.toLowerCase() === String(body.Username ?? "").toLowerCase());
        if (!user || user.password !== (body.Pw ?? "")) {
            state.log.push(`Authentication request for ${String(body.Username ?? "")} has been denied (IP: ${clientAddress(state, peers, req)}).`);
            return reply(401, "Invalid username or password entered.");
        }
        // GetAuthorizationToken: the user's existing sessions on this device are logged out first.
        for (const [token, session] of state.sessions) {
            if (session.userId === user.Id && session.deviceId === auth.DeviceId) state.sessions.delete(token);
        }
        const token = randomUUID().replace(/-/g, "");
        state.sessions.set(token, { userId: user.Id, deviceId: auth.DeviceId, appName: auth.Client });
        return reply(200, { User: userDto(state, user), AccessToken: token, ServerId: state.serverId });
    }

    if (path === "/Library/VirtualFolders" || path === "/Library/VirtualFolders/Paths") {
        const refused = authorize(state, req, "firstTimeSetupOrElevated");
        if (refused) return refused;
        if (path === "/Library/VirtualFolders/Paths" && method === "POST") {
            const body = req.json<{ Name?: string; Path?: string; PathInfo?: { Path?: string } }>();
            const library = state.libraries.find((l) => l.Name === body?.Name);
            const target = body?.PathInfo?.Path ?? body?.Path;
            if (!body?.Name || !target) return reply(400);
            if (!library) return reply(404);
            if (!state.directories.includes(target)) return reply(400, `The path does not exist: ${target}`);
            if (!library.Locations.includes(target)) library.Locations.push(target);
            write(`${path} ${body.Name}`);
            return reply(204);
        }
        if (path === "/Library/VirtualFolders/Paths" && method === "DELETE") {
            const library = state.libraries.find((l) => l.Name === req.query.get("name"));
            if (!library) return reply(404);
            library.Locations = library.Locations.filter((p) => p !== req.query.get("path"));
            write(`${path} ${library.Name}`);
            return reply(204);
        }
        if (method === "GET") return reply(200, state.libraries.map((l) => ({ ...l, Locations: [...l.Locations], LibraryOptions: {} })));
        if (method === "POST") {
            const name = req.query.get("name") ?? "";
            if (!/^(?:\S(?:.*\S)?)$/.test(name)) return reply(400, { errors: { name: ["Library name cannot be empty or have leading/trailing spaces."] } });
            const collectionType = req.query.get("collectionType") ?? "";
            if (collectionType && !COLLECTION_TYPES.includes(collectionType)) return reply(400, { errors: { collectionType: [`The value '${collectionType}' is not valid.`] } });
            const paths = (req.query.get("paths") ?? "").split(",").filter((p) => p !== "");
            const missing = paths.find((p) => !state.directories.includes(p));
            if (missing) return reply(400, `The specified path does not exist: ${missing}.`);
            let finalName = name;
            for (let n = 2; state.libraries.some((l) => l.Name === finalName); n++) finalName = `${name}${n}`;
            state.libraries.push({ Name: finalName, CollectionType: collectionType, Locations: paths, ItemId: randomUUID().replace(/-/g, "") });
            write(`${path} ${finalName}`);
            return reply(204);
        }
        if (method === "DELETE") {
            const index = state.libraries.findIndex((l) => l.Name === req.query.get("name"));
            if (index < 0) return reply(404);
            state.libraries.splice(index, 1);
            write(`${path} ${req.query.get("name")}`);
            return reply(204);
        }
        return reply(405);
    }

    if (method === "GET" && path === "/Library/MediaFolders") {
        const refused = authorize(state, req, "elevated");
        if (refused) return refused;
        const items = state.libraries.map((l) => ({ Id: l.ItemId, Name: l.Name, CollectionType: l.CollectionType, Type: "CollectionFolder" }));
        return reply(200, { Items: items, TotalRecordCount: items.length, StartIndex: 0 });
    }

    if (path === "/Auth/Keys" || path.startsWith("/Auth/Keys/")) {
        const refused = authorize(state, req, "elevated");
        if (refused) return refused;
        if (method === "GET" && path === "/Auth/Keys") return reply(200, { Items: state.apiKeys.map((k) => ({ ...k })), TotalRecordCount: state.apiKeys.length, StartIndex: 0 });
        if (method === "POST" && path === "/Auth/Keys") {
            const app = req.query.get("app") ?? req.query.get("App");
            if (!app) return reply(400, { errors: { app: ["The app field is required."] } });
            const id = state.apiKeys.reduce((max, k) => Math.max(max, k.Id), 0) + 1;
            state.apiKeys.push({ Id: id, AccessToken: randomUUID().replace(/-/g, ""), AppName: app, DateCreated: new Date().toISOString() });
            write(`${path} ${app}`);
            return reply(204);
        }
        if (method === "DELETE") {
            const key = decodeURIComponent(path.slice("/Auth/Keys/".length));
            state.apiKeys = state.apiKeys.filter((k) => k.AccessToken !== key);
            write("/Auth/Keys/{key}");
            return reply(204);
        }
        return reply(405);
    }

    if (path === "/System/Configuration/network") {
        const refused = authorize(state, req, method === "GET" ? "user" : "elevated");
        if (refused) return refused;
        if (method === "GET") return reply(200, structuredClone(state.network));
        const body = req.json<Partial<FakeNetworkConfiguration>>();
        if (!body) return reply(400, "Body doesn't contain a valid configuration");
        state.network = { ...structuredClone(DEFAULT_NETWORK), ...body };
        write(path);
        return reply(204);
    }

    return reply(404);
}

export async function start(options: FakeJellyfinOptions = {}): Promise<FakeJellyfin> {
    const state: FakeJellyfinState = {
        serverId: randomUUID().replace(/-/g, ""),
        wizardCompleted: false,
        firstUserName: options.firstUserName ?? "abc",
        users: [],
        startupConfiguration: { ServerName: "", UICulture: "en-US", MetadataCountryCode: "US", PreferredMetadataLanguage: "en" },
        libraries: [],
        apiKeys: [],
        sessions: new Map(),
        proxiesAtStart: [],
        restarting: false,
        restarts: 0,
        log: [],
        network: structuredClone(DEFAULT_NETWORK),
        directories: options.directories ?? ["/data/media/tv", "/data/media/movies", "/data/media/music", "/data/media/books"],
        writes: [],
    };
    state.proxiesAtStart = [...state.network.KnownProxies];
    const peers = options.peers ?? {};
    const server = await serveFake((req) => handle(state, peers, req));
    return { port: server.port, state, close: server.close };
}
