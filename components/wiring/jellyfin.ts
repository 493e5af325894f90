/**
 * Jellyfin wiring, in two resources:
 * - `JellyfinSetup` runs the first-run wizard with the program's admin (so the public route can open only after
 *   it), or adopts a wizard already completed with that same admin; a wizard completed by anyone else fails;
 * - `JellyfinWiring` keeps one library per media kind, the proxy as known proxy and the LAN as local network (so
 *   internet users reached through Caddy count as remote), and an API key for the apps that call Jellyfin.
 * Endpoints and payloads follow Jellyfin's controllers (StartupController, LibraryStructureController,
 * ApiKeyController, ConfigurationController, UserController.AuthenticateByName).
 */
import * as pulumi from "@pulumi/pulumi";
import type { AppAddress, AppConnection } from "./core/types";
import { AppClient, WiringError } from "./core/client";
import { secretHash } from "./core/secrets";
import { WiringBaseInputs, WiringImplementation, wiringProvider, wiringSecretOutputs } from "./core/provider";
import { WiringResource } from "./core/resource";
import { WIRING_VERSION } from "./core/version";

/**
 * How this program introduces itself to Jellyfin. A login from a DeviceId logs out that device's other sessions of
 * the user (`SessionManager.GetAuthorizationToken`), so each resource is its own device: the two resources may
 * sign in at the same time (a `pulumi refresh` reads both) without revoking each other's token.
 */
export const JELLYFIN_DEVICES = { setup: "homelab-media-jellyfin-setup", wiring: "homelab-media-jellyfin-wiring" } as const;
type Device = (typeof JELLYFIN_DEVICES)[keyof typeof JELLYFIN_DEVICES];

function clientHeader(device: Device): string {
    return `MediaBrowser Client="homelab-media", Device="pulumi", DeviceId="${device}", Version="1.0.0"`;
}

export const JELLYFIN_COLLECTION_TYPES = ["tvshows", "movies", "music", "books"] as const;
export type JellyfinCollectionType = (typeof JELLYFIN_COLLECTION_TYPES)[number];

export interface JellyfinLibrary {
    /** Library name shown in Jellyfin ("Shows"). */
    name: string;
    collectionType: JellyfinCollectionType;
    /** Folder inside the Jellyfin container, `/data/media/<kind>`. */
    path: string;
}

interface JellyfinAdminInputs extends WiringBaseInputs {
    adminUser: string;
    adminPassword: string;
}

export type JellyfinSetupInputs = JellyfinAdminInputs;

export interface JellyfinSetupState {
    wizardCompleted: boolean;
    /** Id of the admin user; "" when the configured admin cannot log in. */
    adminUserId: string;
    adminUser: string;
    /** secretHash of the password the admin logged in with; "" when the login was refused. */
    adminPasswordHash: string;
}

export interface JellyfinWiringInputs extends JellyfinAdminInputs {
    libraries: JellyfinLibrary[];
    /** Addresses of the reverse proxies in front of Jellyfin (`KnownProxies`). */
    knownProxies: string[];
    /** Subnets whose clients are local (`LocalNetworkSubnets`); everyone else is remote. */
    localNetworkSubnets: string[];
    /** App name of the API key created for the apps that call Jellyfin. */
    apiKeyApp: string;
}

export interface JellyfinLibraryState { name: string; collectionType: string; paths: string[] }

export interface JellyfinWiringState {
    libraries: JellyfinLibraryState[];
    knownProxies: string[];
    localNetworkSubnets: string[];
    apiKeyApp: string;
    /** The API key of `apiKeyApp`, "" when Jellyfin holds none. */
    apiKey: string;
}

interface Session { token: string; userId: string; isAdministrator: boolean; device: Device }

function fail(c: AppClient, step: string, reason: string): never {
    throw new WiringError(c.app, c.address, step, reason, false);
}

function authHeaders(session: Session): Record<string, string> {
    return { Authorization: `${clientHeader(session.device)}, Token="${session.token}"` };
}

/**
 * While Jellyfin starts (and migrates its database) a setup server answers `/health` and `/System/Info/Public`
 * (with `StartupWizardCompleted: false`) and 503 to everything else (`ServerSetupApp/SetupServer.cs`):
 * `/System/Ping` answers 200 only once the real server runs (`SystemController.PingSystem`).
 */
const JELLYFIN_READY = { req: { method: "GET" as const, path: "/System/Ping" }, expect: [200] };

async function publicInfo(c: AppClient): Promise<{ StartupWizardCompleted?: boolean }> {
    return c.json("read public system info", { method: "GET", path: "/System/Info/Public" });
}

/** Logs the admin in; undefined when Jellyfin refuses the name or password. */
async function login(c: AppClient, inputs: Pick<JellyfinAdminInputs, "adminUser" | "adminPassword">, device: Device): Promise<Session | undefined> {
    const res = await c.call(
        `log in as ${inputs.adminUser}`,
        { method: "POST", path: "/Users/AuthenticateByName", headers: { Authorization: clientHeader(device) }, json: { Username: inputs.adminUser, Pw: inputs.adminPassword } },
        [200, 401],
    );
    if (res.status === 401) return undefined;
    const body = res.json<{ AccessToken: string; User: { Id: string; Policy?: { IsAdministrator?: boolean } } }>();
    return { token: body.AccessToken, userId: body.User.Id, isAdministrator: body.User.Policy?.IsAdministrator === true, device };
}

async function adminSession(c: AppClient, inputs: JellyfinAdminInputs, device: Device): Promise<Session> {
    const session = await login(c, inputs, device);
    if (!session) fail(c, "log in as the admin", `Jellyfin refused user '${inputs.adminUser}' with the configured password`);
    if (!session.isAdministrator) fail(c, "log in as the admin", `user '${inputs.adminUser}' is not an administrator`);
    return session;
}

// ---------------------------------------------------------------------------------------------------------------
// JellyfinSetup: the first-run wizard

/**
 * The wizard is open to anyone until it is completed (`FirstTimeSetupHandler`), and `POST /Startup/User` never
 * refuses: it renames the first user and sets its password (`StartupController.UpdateStartupUser`), while a token
 * someone obtained meanwhile stays valid (a password change revokes nothing). So before taking the first user
 * over, the program checks that nobody else touched it: the first user Jellyfin creates has no password and
 * signs in with an empty one (`DefaultAuthenticationProvider.Authenticate`); and before completing, that no
 * device other than this program's holds a session of it (`GET /Devices?userId=`).
 */
async function runWizard(c: AppClient, inputs: JellyfinSetupInputs): Promise<void> {
    const device = JELLYFIN_DEVICES.setup;
    const firstUser = await c.json<{ Name: string }>("read the first user", { method: "GET", path: "/Startup/User" });
    // Resumed: a wizard this program started (its admin already signs in).
    if (!(await login(c, inputs, device))) {
        const untouched = await login(c, { adminUser: firstUser.Name, adminPassword: "" }, device);
        if (!untouched) {
            fail(c, "set the admin user", `the first user '${firstUser.Name}' already has a password: someone else started the setup wizard; refusing to take over this server`);
        }
        await c.call("set the admin user", { method: "POST", path: "/Startup/User", json: { Name: inputs.adminUser, Password: inputs.adminPassword } }, [204]);
    }
    const session = await adminSession(c, inputs, device);
    const devices = await c.json<{ Items: { Id?: string; AppName?: string; LastUserName?: string }[] }>("list the admin's devices", {
        method: "GET", path: "/Devices", headers: authHeaders(session), query: { userId: session.userId },
    });
    const ours: string[] = Object.values(JELLYFIN_DEVICES);
    const others = devices.Items.filter((d) => !ours.includes(String(d.Id ?? "")));
    if (others.length > 0) {
        const who = others.map((d) => `${d.AppName ?? "?"} (device ${d.Id ?? "?"})`).join(", ");
        fail(c, "check the admin's sessions", `someone else signed in as the first user during the setup wizard: ${who}; refusing to complete the wizard on a server someone else can control (sign them out in Jellyfin's Dashboard > Devices, or start from a fresh config volume)`);
    }
    const current = await c.json<Record<string, string>>("read the startup configuration", { method: "GET", path: "/Startup/Configuration" });
    await c.call("save the startup configuration", { method: "POST", path: "/Startup/Configuration", json: current });
    // Internet users come through the proxy and, with KnownProxies set, count as remote: remote access stays on.
    await c.call("allow remote access", { method: "POST", path: "/Startup/RemoteAccess", json: { EnableRemoteAccess: true } });
    await c.call("complete the setup wizard", { method: "POST", path: "/Startup/Complete" });
}

async function observeSetup(c: AppClient, inputs: JellyfinSetupInputs): Promise<JellyfinSetupState | undefined> {
    const info = await publicInfo(c);
    if (!info.StartupWizardCompleted) return undefined;
    const session = await login(c, inputs, JELLYFIN_DEVICES.setup);
    if (!session || !session.isAdministrator) return { wizardCompleted: true, adminUserId: "", adminUser: inputs.adminUser, adminPasswordHash: "" };
    return { wizardCompleted: true, adminUserId: session.userId, adminUser: inputs.adminUser, adminPasswordHash: secretHash(inputs.adminPassword) };
}

export const jellyfinSetupImplementation: WiringImplementation<JellyfinSetupInputs, JellyfinSetupState> = {
    app: "Jellyfin",
    ready: JELLYFIN_READY,
    check: (inputs) => [
        ...(inputs.adminUser ? [] : ["adminUser must not be empty"]),
        ...(inputs.adminPassword ? [] : ["adminPassword must not be empty"]),
    ],
    observe: observeSetup,
    converge: async (c, inputs, _observed, created) => {
        const info = await publicInfo(c);
        if (!info.StartupWizardCompleted) await runWizard(c, inputs);
        const session = await login(c, inputs, JELLYFIN_DEVICES.setup);
        if (!session || !session.isAdministrator) {
            fail(c, "check the admin", `the setup wizard was completed without this program's admin '${inputs.adminUser}' (or its password was changed); refusing to adopt this server`);
        }
        const state: JellyfinSetupState = { wizardCompleted: true, adminUserId: session.userId, adminUser: inputs.adminUser, adminPasswordHash: secretHash(inputs.adminPassword) };
        // Nothing is listed as created: the wizard cannot be un-run, so destroy leaves Jellyfin set up with its
        // admin and never needs to reach it.
        return { state, created };
    },
    remove: async () => undefined,
    secretOutputs: ["adminPassword"],
    matches: (inputs, observed) =>
        observed.wizardCompleted &&
        observed.adminUserId !== "" &&
        observed.adminUser.toLowerCase() === inputs.adminUser.toLowerCase() &&
        observed.adminPasswordHash === secretHash(inputs.adminPassword),
};

// ---------------------------------------------------------------------------------------------------------------
// JellyfinWiring: libraries, network, API key

interface VirtualFolder { Name: string; CollectionType?: string; Locations?: string[] }
interface ApiKeyInfo { AccessToken: string; AppName: string }
type NetworkConfiguration = Record<string, unknown> & { KnownProxies?: string[]; LocalNetworkSubnets?: string[] };

const LIBRARY = "library:";
const NETWORK = "network:";
const API_KEY = "apikey:";

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

async function readWiring(c: AppClient, session: Session, apiKeyApp: string): Promise<JellyfinWiringState> {
    const headers = authHeaders(session);
    const folders = await c.json<VirtualFolder[]>("read libraries", { method: "GET", path: "/Library/VirtualFolders", headers });
    const network = await c.json<NetworkConfiguration>("read network settings", { method: "GET", path: "/System/Configuration/network", headers });
    const keys = await c.json<{ Items: ApiKeyInfo[] }>("read API keys", { method: "GET", path: "/Auth/Keys", headers });
    return {
        libraries: folders.map((f) => ({ name: f.Name, collectionType: f.CollectionType ?? "", paths: f.Locations ?? [] })),
        knownProxies: network.KnownProxies ?? [],
        localNetworkSubnets: network.LocalNetworkSubnets ?? [],
        apiKeyApp,
        apiKey: keys.Items.find((k) => k.AppName === apiKeyApp)?.AccessToken ?? "",
    };
}

function libraryMatches(wanted: JellyfinLibrary, held: JellyfinLibraryState | undefined): boolean {
    return held !== undefined && held.collectionType === wanted.collectionType && held.paths.includes(wanted.path);
}

async function convergeLibraries(c: AppClient, inputs: JellyfinWiringInputs, session: Session, held: JellyfinLibraryState[], created: string[]): Promise<string[]> {
    const headers = authHeaders(session);
    let next = [...created];
    for (const wanted of inputs.libraries) {
        const existing = held.find((l) => l.name === wanted.name);
        if (!existing) {
            await c.call(`add library ${wanted.name}`, {
                method: "POST",
                path: "/Library/VirtualFolders",
                headers,
                query: { name: wanted.name, collectionType: wanted.collectionType, paths: wanted.path, refreshLibrary: true },
                json: { LibraryOptions: {} },
            });
            if (!next.includes(LIBRARY + wanted.name)) next.push(LIBRARY + wanted.name);
        } else if (existing.collectionType !== wanted.collectionType) {
            fail(c, `adopt library ${wanted.name}`, `it holds ${existing.collectionType || "mixed"} content, expected ${wanted.collectionType}; rename or remove it in Jellyfin`);
        } else if (!existing.paths.includes(wanted.path)) {
            await c.call(`add ${wanted.path} to library ${wanted.name}`, { method: "POST", path: "/Library/VirtualFolders/Paths", headers, json: { Name: wanted.name, PathInfo: { Path: wanted.path } } });
        }
    }
    for (const entry of created.filter((e) => e.startsWith(LIBRARY))) {
        const name = entry.slice(LIBRARY.length);
        if (inputs.libraries.some((l) => l.name === name)) continue;
        await c.call(`remove library ${name}`, { method: "DELETE", path: "/Library/VirtualFolders", headers, query: { name, refreshLibrary: true } }, [204, 404]);
        next = next.filter((e) => e !== entry);
    }
    return next;
}

/** Saves the network section with the given lists; Jellyfin replaces the whole section, so it is read first. */
async function saveNetwork(c: AppClient, session: Session, step: string, knownProxies: string[], localNetworkSubnets: string[]): Promise<NetworkConfiguration> {
    const headers = authHeaders(session);
    const current = await c.json<NetworkConfiguration>("read network settings", { method: "GET", path: "/System/Configuration/network", headers });
    await c.call(step, { method: "POST", path: "/System/Configuration/network", headers, json: { ...current, KnownProxies: knownProxies, LocalNetworkSubnets: localNetworkSubnets } });
    return current;
}

async function convergeNetwork(c: AppClient, inputs: JellyfinWiringInputs, session: Session, held: JellyfinWiringState, created: string[]): Promise<string[]> {
    if (sameSet(held.knownProxies, inputs.knownProxies) && sameSet(held.localNetworkSubnets, inputs.localNetworkSubnets)) return created;
    const before = await saveNetwork(c, session, "set known proxies and local networks", inputs.knownProxies, inputs.localNetworkSubnets);
    if (created.some((e) => e.startsWith(NETWORK))) return created;
    // Remember what Jellyfin held before the first change, so destroy can put it back.
    return [...created, NETWORK + JSON.stringify({ KnownProxies: before.KnownProxies ?? [], LocalNetworkSubnets: before.LocalNetworkSubnets ?? [] })];
}

/** `proxies-applied:<json>`: the known proxies Jellyfin was last restarted with, i.e. the ones it applies. */
const PROXIES_APPLIED = "proxies-applied:";
const RESTART_BUDGET_MS = 60_000;

/**
 * Jellyfin builds its forwarded-headers options once, when the server starts (`Startup.ConfigureServices` ->
 * `AddJellyfinApi` -> `ConfigureForwardHeaders` in Extensions/ApiServiceCollectionExtensions.cs): known proxies
 * saved at run time are stored but not applied. So after they change the program restarts Jellyfin
 * (`POST /System/Restart`: the server stops 100 ms later and starts again in the same process,
 * `SystemManager.ShutdownInternal`, Program.cs), waits until it is gone and back, and records what it applies.
 */
async function applyKnownProxies(c: AppClient, inputs: JellyfinWiringInputs, session: Session, created: string[], proxiesWritten: boolean): Promise<string[]> {
    const applied = created.find((e) => e.startsWith(PROXIES_APPLIED));
    const inEffect = applied !== undefined && sameSet(JSON.parse(applied.slice(PROXIES_APPLIED.length)) as string[], inputs.knownProxies);
    // Written now: the running server may hold anything (someone else may have changed and restarted it).
    if (inEffect && !proxiesWritten) return created;
    await c.call("restart Jellyfin so that it applies the known proxies", { method: "POST", path: "/System/Restart", headers: authHeaders(session) }, [204]);
    const deadline = Date.now() + RESTART_BUDGET_MS;
    for (;;) {
        const up = await c.call("wait for Jellyfin to stop", JELLYFIN_READY.req, JELLYFIN_READY.expect).then(() => true, () => false);
        if (!up) break;
        if (Date.now() > deadline) fail(c, "restart Jellyfin", `it still answered ${RESTART_BUDGET_MS / 1000} s after the restart was asked for`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await c.waitReady("wait for Jellyfin after its restart", JELLYFIN_READY.req, JELLYFIN_READY.expect);
    return [...created.filter((e) => !e.startsWith(PROXIES_APPLIED)), PROXIES_APPLIED + JSON.stringify([...inputs.knownProxies].sort())];
}

async function revokeKeys(c: AppClient, session: Session, app: string): Promise<void> {
    const headers = authHeaders(session);
    const keys = await c.json<{ Items: ApiKeyInfo[] }>("read API keys", { method: "GET", path: "/Auth/Keys", headers });
    for (const key of keys.Items.filter((k) => k.AppName === app)) {
        await c.call(`revoke the API key of ${app}`, { method: "DELETE", path: `/Auth/Keys/${encodeURIComponent(key.AccessToken)}`, headers });
    }
}

async function convergeApiKey(c: AppClient, inputs: JellyfinWiringInputs, session: Session, held: JellyfinWiringState, created: string[]): Promise<string[]> {
    let next = [...created];
    for (const entry of created.filter((e) => e.startsWith(API_KEY) && e !== API_KEY + inputs.apiKeyApp)) {
        await revokeKeys(c, session, entry.slice(API_KEY.length));
        next = next.filter((e) => e !== entry);
    }
    if (held.apiKey !== "") return next;
    await c.call(`create an API key for ${inputs.apiKeyApp}`, { method: "POST", path: "/Auth/Keys", headers: authHeaders(session), query: { app: inputs.apiKeyApp } });
    return next.includes(API_KEY + inputs.apiKeyApp) ? next : [...next, API_KEY + inputs.apiKeyApp];
}

export const jellyfinWiringImplementation: WiringImplementation<JellyfinWiringInputs, JellyfinWiringState> = {
    app: "Jellyfin",
    ready: JELLYFIN_READY,
    check: (inputs) => [
        ...(inputs.apiKeyApp ? [] : ["apiKeyApp must not be empty"]),
        ...inputs.libraries.filter((l) => !JELLYFIN_COLLECTION_TYPES.includes(l.collectionType)).map((l) => `library ${l.name}: collectionType must be one of ${JELLYFIN_COLLECTION_TYPES.join(", ")}`),
        ...inputs.libraries.filter((l, i) => inputs.libraries.findIndex((o) => o.name === l.name) !== i).map((l) => `library ${l.name} is listed twice`),
    ],
    observe: async (c, inputs) => readWiring(c, await adminSession(c, inputs, JELLYFIN_DEVICES.wiring), inputs.apiKeyApp),
    converge: async (c, inputs, _observed, created) => {
        const session = await adminSession(c, inputs, JELLYFIN_DEVICES.wiring);
        let held = await readWiring(c, session, inputs.apiKeyApp);
        let next = await convergeLibraries(c, inputs, session, held.libraries, created);
        next = await convergeNetwork(c, inputs, session, held, next);
        const proxiesWritten = !sameSet(held.knownProxies, inputs.knownProxies);
        next = await convergeApiKey(c, inputs, session, held, next);
        // Tokens live in the database: the session outlives the restart.
        next = await applyKnownProxies(c, inputs, session, next, proxiesWritten);
        held = await readWiring(c, session, inputs.apiKeyApp);
        if (held.apiKey === "") fail(c, `read back the API key of ${inputs.apiKeyApp}`, "Jellyfin lists no key for it after creating one");
        return { state: held, created: next };
    },
    remove: async (c, inputs, created) => {
        if (created.length === 0) return;
        const session = await adminSession(c, inputs, JELLYFIN_DEVICES.wiring);
        const headers = authHeaders(session);
        for (const entry of created) {
            if (entry.startsWith(LIBRARY)) {
                const name = entry.slice(LIBRARY.length);
                await c.call(`remove library ${name}`, { method: "DELETE", path: "/Library/VirtualFolders", headers, query: { name, refreshLibrary: false } }, [204, 404]);
            } else if (entry.startsWith(API_KEY)) {
                await revokeKeys(c, session, entry.slice(API_KEY.length));
            } else if (entry.startsWith(NETWORK)) {
                const before = JSON.parse(entry.slice(NETWORK.length)) as { KnownProxies: string[]; LocalNetworkSubnets: string[] };
                await saveNetwork(c, session, "restore known proxies and local networks", before.KnownProxies, before.LocalNetworkSubnets);
            }
        }
    },
    // After a refresh, the preview shows which libraries are missing and what the network lists hold now.
    refreshedInputs: (inputs, observed) => ({
        ...inputs,
        libraries: inputs.libraries.filter((l) => libraryMatches(l, observed.libraries.find((h) => h.name === l.name))),
        knownProxies: observed.knownProxies,
        localNetworkSubnets: observed.localNetworkSubnets,
    }),
    matches: (inputs, observed) =>
        inputs.libraries.every((l) => libraryMatches(l, observed.libraries.find((h) => h.name === l.name))) &&
        sameSet(observed.knownProxies, inputs.knownProxies) &&
        sameSet(observed.localNetworkSubnets, inputs.localNetworkSubnets) &&
        observed.apiKeyApp === inputs.apiKeyApp &&
        observed.apiKey !== "",
    // observed holds the API key.
    secretOutputs: ["adminPassword", "observed"],
};

// ---------------------------------------------------------------------------------------------------------------
// Resource classes

const jellyfinSetupProvider = wiringProvider(jellyfinSetupImplementation);
const jellyfinWiringProvider = wiringProvider(jellyfinWiringImplementation);

interface JellyfinAdminArgs {
    /** How the provider reaches the Docker host's network. */
    connection: pulumi.Input<AppConnection>;
    /** Jellyfin's stack address, port and base path. */
    address: pulumi.Input<AppAddress>;
    /** Admin user name (the program's default: `admin`). */
    adminUser: pulumi.Input<string>;
    /** Admin password, generated by the program (secret). */
    adminPassword: pulumi.Input<string>;
    /** Bound of the wait for Jellyfin to answer, in seconds (framework default when absent). */
    readyTimeoutSeconds?: pulumi.Input<number>;
}

export type JellyfinSetupArgs = JellyfinAdminArgs;

export interface JellyfinWiringArgs extends JellyfinAdminArgs {
    /** One library per enabled media kind, on `/data/media/<kind>`. */
    libraries: pulumi.Input<pulumi.Input<JellyfinLibrary>[]>;
    /** The proxy's address(es) (Caddy on the stack network). */
    knownProxies: pulumi.Input<pulumi.Input<string>[]>;
    /** The LAN subnet(s) whose clients count as local. */
    localNetworkSubnets: pulumi.Input<pulumi.Input<string>[]>;
    /** App name of the API key for the apps that call Jellyfin. */
    apiKeyApp: pulumi.Input<string>;
}

/** Completes Jellyfin's first-run wizard with the program's admin. Destroy leaves the wizard completed and the admin. */
export class JellyfinSetup extends WiringResource {
    /** What the app held after the last create/update/refresh (null under mocks). */
    declare public readonly observed: pulumi.Output<JellyfinSetupState | null>;
    declare public readonly created: pulumi.Output<string[]>;
    /** Id of the admin user. */
    public readonly adminUserId: pulumi.Output<string>;

    constructor(name: string, args: JellyfinSetupArgs, opts?: pulumi.CustomResourceOptions) {
        super("jellyfin-setup", jellyfinSetupProvider, name, { ...args, providerVersion: WIRING_VERSION, observed: undefined, created: undefined }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(jellyfinSetupImplementation)],
        });
        this.adminUserId = this.observed.apply((o) => o?.adminUserId ?? "");
    }
}

/** Libraries, known proxies / local networks and the API key of a set-up Jellyfin. */
export class JellyfinWiring extends WiringResource {
    /** What the app held after the last create/update/refresh (null under mocks). */
    declare public readonly observed: pulumi.Output<JellyfinWiringState | null>;
    declare public readonly created: pulumi.Output<string[]>;
    /** API key for the apps that call Jellyfin (secret). */
    public readonly apiKey: pulumi.Output<string>;

    constructor(name: string, args: JellyfinWiringArgs, opts?: pulumi.CustomResourceOptions) {
        super("jellyfin", jellyfinWiringProvider, name, { ...args, providerVersion: WIRING_VERSION, observed: undefined, created: undefined }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(jellyfinWiringImplementation)],
        });
        this.apiKey = pulumi.secret(this.observed.apply((o) => o?.apiKey ?? ""));
    }
}
