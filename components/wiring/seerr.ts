/**
 * Seerr wiring (Seerr 3.x, Jellyseerr's successor): initialised against Jellyfin with the program's admin (so the
 * public route opens only after it), its movie and show libraries enabled, the reverse proxy trusted, Sonarr and
 * Radarr added as the default servers with the 1080p profile.
 * Seerr's API key is fixed before first boot (env `API_KEY`); it works as `X-Api-Key` once Seerr has its
 * first user, i.e. after `POST /auth/jellyfin`. A Seerr initialised by another Jellyfin user fails.
 * Endpoints and required fields follow Seerr's routes (server/routes) and seerr-api.yml.
 *
 * Two things Seerr's code decides that the wiring must respect:
 * - `settings.network.trustProxy` is read once, at start (server/index.ts `server.enable('trust proxy')`): the
 *   wiring saves it (`POST /settings/network`) and Seerr reports `restartRequired` until it restarts; the
 *   program's `seerr-restart` host step restarts it.
 * - `PUT /settings/<sonarr|radarr>/<id>` stores the body as the whole entry (server/routes/settings/sonarr.ts):
 *   adopting an entry sends back everything it holds with only the program's fields changed, so the user's
 *   own fields (anime profile and folder, tags, external URL, ...) stay.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AppAddress, AppConnection } from "./core/types";
import { AppClient, WiringError } from "./core/client";
import { secretHash } from "./core/secrets";
import { WiringBaseInputs, WiringImplementation, wiringProvider, wiringSecretOutputs } from "./core/provider";
import { WiringResource } from "./core/resource";
import { WIRING_VERSION } from "./core/version";
import type { JellyfinCollectionType } from "./jellyfin";

const MEDIA_SERVER_NOT_CONFIGURED = 4;
const MEDIA_SERVER_JELLYFIN = 2;
/** Seerr sees only these Jellyfin libraries (it skips music, books and the like). */
const REQUESTABLE: readonly string[] = ["movies", "tvshows"];

/** A Sonarr or Radarr server as Seerr should know it. */
export interface SeerrDvr {
    /** Entry name in Seerr ("Sonarr"); entries are matched by it. */
    name: string;
    hostname: string;
    port: number;
    apiKey: string;
    useSsl: boolean;
    /** URL base of the app ("" at the root). */
    baseUrl: string;
    /** Quality profile (from the Servarr wiring: the 1080p profile). */
    profileId: number;
    profileName: string;
    /** Root folder inside the app (`/data/media/tv`). */
    rootFolder: string;
}

export interface SeerrInputs extends WiringBaseInputs {
    /** Seerr's own API key (set by the program through env `API_KEY`). */
    apiKey: string;
    /** Jellyfin as Seerr reaches it. */
    jellyfinHost: string;
    jellyfinPort: number;
    jellyfinUrlBase: string;
    jellyfinUseSsl: boolean;
    jellyfinAdminUser: string;
    jellyfinAdminPassword: string;
    /** Id of that admin in Jellyfin (JellyfinSetup's adminUserId): Seerr's owner must be this very user. */
    jellyfinAdminUserId: string;
    /** Jellyfin's libraries; the movie and show ones are enabled in Seerr. */
    libraries: { name: string; collectionType: JellyfinCollectionType }[];
    sonarr?: SeerrDvr;
    radarr?: SeerrDvr;
}

export interface SeerrDvrState {
    id: number;
    name: string;
    hostname: string;
    port: number;
    apiKeyHash: string;
    useSsl: boolean;
    baseUrl: string;
    activeProfileId: number;
    activeProfileName: string;
    activeDirectory: string;
    isDefault: boolean;
}

export interface SeerrState {
    initialized: boolean;
    /** Jellyfin user name and id of Seerr's owner (user 1). */
    owner: string;
    ownerId: string;
    jellyfinHost: string;
    jellyfinPort: number;
    jellyfinUrlBase: string;
    /** Names of the enabled libraries. */
    enabledLibraries: string[];
    /** `settings.network.trustProxy` as saved (it takes effect when Seerr starts). */
    trustProxy: boolean;
    /**
     * When this run saved trustProxy (ISO time; absent when it did not): the `seerr-restart` host step runs again
     * whenever it changes, and restarts Seerr if Seerr says a restart is required.
     */
    trustProxySavedAt?: string;
    sonarr?: SeerrDvrState;
    radarr?: SeerrDvrState;
}

type DvrKind = "sonarr" | "radarr";
const DVR_KINDS: readonly DvrKind[] = ["sonarr", "radarr"];

/** An entry as `GET /settings/<kind>` returns it: the program's fields, and whatever else the user set. */
interface StoredDvr extends Record<string, unknown> {
    id: number;
    name: string;
    hostname: string;
    port: number;
    apiKey: string;
    useSsl: boolean;
    baseUrl?: string;
    activeProfileId: number;
    activeProfileName: string;
    activeDirectory: string;
    isDefault: boolean;
}
interface JellyfinSettings { ip: string; port: number; urlBase?: string; useSsl?: boolean; libraries: { id: string; name: string; enabled: boolean }[] }

function fail(c: AppClient, step: string, reason: string): never {
    throw new WiringError(c.app, c.address, step, reason, false);
}

const keyHeader = (inputs: SeerrInputs) => ({ "X-Api-Key": inputs.apiKey });
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
const wantedLibraries = (inputs: SeerrInputs) => inputs.libraries.filter((l) => REQUESTABLE.includes(l.collectionType)).map((l) => l.name);

function dvrState(stored: StoredDvr): SeerrDvrState {
    return {
        id: stored.id,
        name: stored.name,
        hostname: stored.hostname,
        port: stored.port,
        apiKeyHash: secretHash(stored.apiKey),
        useSsl: stored.useSsl,
        baseUrl: stored.baseUrl ?? "",
        activeProfileId: stored.activeProfileId,
        activeProfileName: stored.activeProfileName,
        activeDirectory: stored.activeDirectory,
        isDefault: stored.isDefault,
    };
}

function dvrMatches(wanted: SeerrDvr, held: SeerrDvrState | undefined): boolean {
    return (
        held !== undefined &&
        held.hostname === wanted.hostname &&
        held.port === wanted.port &&
        held.apiKeyHash === secretHash(wanted.apiKey) &&
        held.useSsl === wanted.useSsl &&
        held.baseUrl === wanted.baseUrl &&
        held.activeProfileId === wanted.profileId &&
        held.activeProfileName === wanted.profileName &&
        held.activeDirectory === wanted.rootFolder &&
        held.isDefault
    );
}

/** The fields of an entry the program decides. */
function dvrManaged(wanted: SeerrDvr): Record<string, unknown> {
    return {
        name: wanted.name,
        hostname: wanted.hostname,
        port: wanted.port,
        apiKey: wanted.apiKey,
        useSsl: wanted.useSsl,
        baseUrl: wanted.baseUrl,
        activeProfileId: wanted.profileId,
        activeProfileName: wanted.profileName,
        activeDirectory: wanted.rootFolder,
        isDefault: true,
    };
}

/** A new entry: the body seerr-api.yml requires (SonarrSettings / RadarrSettings) with Seerr's UI defaults. */
function dvrNew(kind: DvrKind, wanted: SeerrDvr): Record<string, unknown> {
    const common = { tags: [], is4k: false, syncEnabled: true, preventSearch: false, tagRequests: false, ...dvrManaged(wanted) };
    return kind === "sonarr" ? { ...common, enableSeasonFolders: true, seriesType: "standard", animeSeriesType: "anime" } : { ...common, minimumAvailability: "released" };
}

/**
 * An adopted entry: PUT replaces the whole entry with the body, so the body is what the entry holds with the
 * program's fields changed. `id` stays out: it is read-only in seerr-api.yml and the validator refuses it.
 */
function dvrMerged(existing: StoredDvr, wanted: SeerrDvr): Record<string, unknown> {
    const held: Record<string, unknown> = { ...existing };
    delete held.id;
    return { ...held, ...dvrManaged(wanted) };
}

async function readDvr(c: AppClient, inputs: SeerrInputs, kind: DvrKind): Promise<StoredDvr[]> {
    return c.json<StoredDvr[]>(`read ${kind} servers`, { method: "GET", path: `/api/v1/settings/${kind}`, headers: keyHeader(inputs) });
}

async function readNetwork(c: AppClient, inputs: SeerrInputs): Promise<{ trustProxy?: boolean }> {
    return c.json<{ trustProxy?: boolean }>("read network settings", { method: "GET", path: "/api/v1/settings/network", headers: keyHeader(inputs) });
}

/**
 * Trusts the reverse proxy (`X-Forwarded-For`), so Seerr logs and rate-limits the real client. The route merges
 * the body into the saved network settings (server/routes/settings/index.ts `POST /network`).
 */
async function trustProxy(c: AppClient, inputs: SeerrInputs): Promise<void> {
    const saved = await c.json<{ trustProxy?: boolean }>("trust the reverse proxy", { method: "POST", path: "/api/v1/settings/network", headers: keyHeader(inputs), json: { trustProxy: true } });
    if (saved.trustProxy !== true) fail(c, "trust the reverse proxy", "Seerr did not keep network.trustProxy");
}

async function observe(c: AppClient, inputs: SeerrInputs): Promise<SeerrState | undefined> {
    const pub = await c.json<{ initialized: boolean; mediaServerType: number }>("read public settings", { method: "GET", path: "/api/v1/settings/public" });
    if (!pub.initialized && pub.mediaServerType === MEDIA_SERVER_NOT_CONFIGURED) return undefined;
    const me = await c.call("read the owner", { method: "GET", path: "/api/v1/auth/me", headers: keyHeader(inputs) }, [200, 403]);
    if (me.status === 403) fail(c, "read the owner", "the API key is refused: Seerr was not started with the program's API_KEY");
    const jellyfin = await c.json<JellyfinSettings>("read Jellyfin settings", { method: "GET", path: "/api/v1/settings/jellyfin", headers: keyHeader(inputs) });
    const state: SeerrState = {
        initialized: pub.initialized,
        owner: me.json<{ jellyfinUsername?: string }>().jellyfinUsername ?? "",
        ownerId: me.json<{ jellyfinUserId?: string }>().jellyfinUserId ?? "",
        jellyfinHost: jellyfin.ip,
        jellyfinPort: jellyfin.port,
        jellyfinUrlBase: jellyfin.urlBase ?? "",
        enabledLibraries: jellyfin.libraries.filter((l) => l.enabled).map((l) => l.name),
        trustProxy: (await readNetwork(c, inputs)).trustProxy === true,
    };
    for (const kind of DVR_KINDS) {
        const name = inputs[kind]?.name;
        const stored = name === undefined ? undefined : (await readDvr(c, inputs, kind)).find((d) => d.name === name);
        if (stored) state[kind] = dvrState(stored);
    }
    return state;
}

/** Points an uninitialised Seerr at Jellyfin by signing in with the admin (this also makes the admin its owner). */
async function signIn(c: AppClient, inputs: SeerrInputs): Promise<void> {
    const res = await c.call(
        "sign in with Jellyfin",
        {
            method: "POST",
            path: "/api/v1/auth/jellyfin",
            json: {
                username: inputs.jellyfinAdminUser,
                password: inputs.jellyfinAdminPassword,
                hostname: inputs.jellyfinHost,
                port: inputs.jellyfinPort,
                urlBase: inputs.jellyfinUrlBase,
                useSsl: inputs.jellyfinUseSsl,
                email: inputs.jellyfinAdminUser,
                serverType: MEDIA_SERVER_JELLYFIN,
            },
        },
        [200, 401, 403, 500],
    );
    if (res.status === 401) fail(c, "sign in with Jellyfin", `Jellyfin at ${inputs.jellyfinHost}:${inputs.jellyfinPort} refused user '${inputs.jellyfinAdminUser}'`);
    if (res.status === 403) fail(c, "sign in with Jellyfin", `'${inputs.jellyfinAdminUser}' is not a Jellyfin administrator`);
    if (res.status === 500) fail(c, "sign in with Jellyfin", `Seerr answered 500: ${res.text.slice(0, 200)}`);
}

/** Fails unless Seerr belongs to the program's admin on the configured Jellyfin: never adopt a stranger's server. */
function checkOwner(c: AppClient, inputs: SeerrInputs, held: SeerrState): void {
    if (held.ownerId !== inputs.jellyfinAdminUserId) {
        fail(c, "check the owner", `it was set up by Jellyfin user '${held.owner}' (${held.ownerId}), not by the program's admin '${inputs.jellyfinAdminUser}' (${inputs.jellyfinAdminUserId}); refusing to adopt this server`);
    }
    if (held.jellyfinHost !== inputs.jellyfinHost || held.jellyfinPort !== inputs.jellyfinPort || held.jellyfinUrlBase !== inputs.jellyfinUrlBase) {
        fail(c, "check the owner", `it is set up against Jellyfin at ${held.jellyfinHost}:${held.jellyfinPort}${held.jellyfinUrlBase}, not ${inputs.jellyfinHost}:${inputs.jellyfinPort}${inputs.jellyfinUrlBase}; refusing to adopt this server`);
    }
}

async function enableLibraries(c: AppClient, inputs: SeerrInputs): Promise<void> {
    const wanted = wantedLibraries(inputs);
    // sync=true re-reads Jellyfin's libraries (and disables all); enable=<ids> then enables exactly those listed.
    const synced = await c.json<{ id: string; name: string }[]>("sync libraries from Jellyfin", { method: "GET", path: "/api/v1/settings/jellyfin/library", headers: keyHeader(inputs), query: { sync: true } });
    const missing = wanted.filter((name) => !synced.some((l) => l.name === name));
    if (missing.length > 0) fail(c, "enable libraries", `Jellyfin has no library named ${missing.join(", ")}`);
    const ids = synced.filter((l) => wanted.includes(l.name)).map((l) => l.id);
    await c.call("enable libraries", { method: "GET", path: "/api/v1/settings/jellyfin/library", headers: keyHeader(inputs), query: { enable: ids.join(",") } });
}

async function convergeDvr(c: AppClient, inputs: SeerrInputs, kind: DvrKind, created: string[]): Promise<string[]> {
    const wanted = inputs[kind];
    const stored = await readDvr(c, inputs, kind);
    let next = [...created];
    for (const entry of created.filter((e) => e.startsWith(`${kind}:`) && e !== `${kind}:${wanted?.name}`)) {
        const gone = stored.find((d) => d.name === entry.slice(kind.length + 1));
        if (gone) await c.call(`remove ${kind} server ${gone.name}`, { method: "DELETE", path: `/api/v1/settings/${kind}/${gone.id}`, headers: keyHeader(inputs) }, [200, 404]);
        next = next.filter((e) => e !== entry);
    }
    if (!wanted) return next;
    const existing = stored.find((d) => d.name === wanted.name);
    if (!existing) {
        await c.call(`add ${kind} server ${wanted.name}`, { method: "POST", path: `/api/v1/settings/${kind}`, headers: keyHeader(inputs), json: dvrNew(kind, wanted) }, [201]);
        return next.includes(`${kind}:${wanted.name}`) ? next : [...next, `${kind}:${wanted.name}`];
    }
    if (!dvrMatches(wanted, dvrState(existing))) {
        await c.call(`update ${kind} server ${wanted.name}`, { method: "PUT", path: `/api/v1/settings/${kind}/${existing.id}`, headers: keyHeader(inputs), json: dvrMerged(existing, wanted) });
    }
    return next;
}

export const seerrImplementation: WiringImplementation<SeerrInputs, SeerrState> = {
    app: "Seerr",
    ready: { req: { method: "GET", path: "/api/v1/settings/public" }, expect: [200] },
    secretOutputs: ["apiKey", "jellyfinAdminPassword", "sonarr", "radarr"],
    check: (inputs) => [
        ...(inputs.apiKey ? [] : ["apiKey must not be empty"]),
        ...(inputs.jellyfinAdminUser && inputs.jellyfinAdminPassword ? [] : ["jellyfinAdminUser and jellyfinAdminPassword must not be empty"]),
        ...DVR_KINDS.filter((kind) => inputs[kind] !== undefined && !inputs[kind]?.name).map((kind) => `${kind}.name must not be empty`),
    ],
    observe,
    converge: async (c, inputs, _observed, created) => {
        let held = await observe(c, inputs);
        if (!held) {
            await signIn(c, inputs);
            held = await observe(c, inputs);
            if (!held) fail(c, "sign in with Jellyfin", "Seerr still has no media server");
        }
        checkOwner(c, inputs, held);
        if (!sameSet(held.enabledLibraries, wantedLibraries(inputs))) await enableLibraries(c, inputs);
        const savedAt = held.trustProxy ? undefined : new Date().toISOString();
        if (!held.trustProxy) await trustProxy(c, inputs);
        if (!held.initialized) await c.call("finish initialisation", { method: "POST", path: "/api/v1/settings/initialize", headers: keyHeader(inputs) });
        let next = created;
        for (const kind of DVR_KINDS) next = await convergeDvr(c, inputs, kind, next);
        const state = await observe(c, inputs);
        if (!state) fail(c, "read back", "Seerr lost its media server");
        return { state: savedAt === undefined ? state : { ...state, trustProxySavedAt: savedAt }, created: next };
    },
    // Initialisation cannot be undone: destroy removes only the Sonarr/Radarr entries this resource added.
    remove: async (c, inputs, created) => {
        for (const kind of DVR_KINDS) {
            const names = created.filter((e) => e.startsWith(`${kind}:`)).map((e) => e.slice(kind.length + 1));
            if (names.length === 0) continue;
            for (const stored of (await readDvr(c, inputs, kind)).filter((d) => names.includes(d.name))) {
                await c.call(`remove ${kind} server ${stored.name}`, { method: "DELETE", path: `/api/v1/settings/${kind}/${stored.id}`, headers: keyHeader(inputs) }, [200, 404]);
            }
        }
    },
    matches: (inputs, observed) =>
        observed.initialized &&
        observed.trustProxy &&
        observed.ownerId === inputs.jellyfinAdminUserId &&
        observed.jellyfinHost === inputs.jellyfinHost &&
        observed.jellyfinPort === inputs.jellyfinPort &&
        observed.jellyfinUrlBase === inputs.jellyfinUrlBase &&
        sameSet(observed.enabledLibraries, wantedLibraries(inputs)) &&
        DVR_KINDS.every((kind) => {
            const wanted = inputs[kind];
            return wanted === undefined || dvrMatches(wanted, observed[kind]);
        }),
};

const seerrProvider = wiringProvider(seerrImplementation);

export interface SeerrArgs {
    connection: pulumi.Input<AppConnection>;
    /** Seerr's stack address, port and base path. */
    address: pulumi.Input<AppAddress>;
    /** Seerr's API key, the same value the program passes as env `API_KEY` (secret). */
    apiKey: pulumi.Input<string>;
    /** Jellyfin as seen from Seerr's container (stack address and port, URL base, TLS). */
    jellyfinHost: pulumi.Input<string>;
    jellyfinPort: pulumi.Input<number>;
    jellyfinUrlBase: pulumi.Input<string>;
    jellyfinUseSsl: pulumi.Input<boolean>;
    /** Jellyfin's admin (the one JellyfinSetup created), who becomes Seerr's owner. */
    jellyfinAdminUser: pulumi.Input<string>;
    jellyfinAdminPassword: pulumi.Input<string>;
    /** JellyfinSetup's adminUserId: Seerr's owner must be this user. */
    jellyfinAdminUserId: pulumi.Input<string>;
    /** Jellyfin's libraries (same list as JellyfinWiring's); movie and show libraries get enabled. */
    libraries: pulumi.Input<pulumi.Input<{ name: pulumi.Input<string>; collectionType: pulumi.Input<JellyfinCollectionType> }>[]>;
    /** Sonarr / Radarr as default servers; absent when the app is switched off. */
    sonarr?: pulumi.Input<SeerrDvr>;
    radarr?: pulumi.Input<SeerrDvr>;
    readyTimeoutSeconds?: pulumi.Input<number>;
}

/** Seerr initialised against Jellyfin, libraries enabled, Sonarr/Radarr as defaults. Destroy removes only the servers it added. */
export class SeerrWiring extends WiringResource {
    /** What the app held after the last create/update/refresh (null under mocks). */
    declare public readonly observed: pulumi.Output<SeerrState | null>;
    declare public readonly created: pulumi.Output<string[]>;

    constructor(name: string, args: SeerrArgs, opts?: pulumi.CustomResourceOptions) {
        super("seerr", seerrProvider, name, { ...args, providerVersion: WIRING_VERSION, observed: undefined, created: undefined }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(seerrImplementation)],
        });
    }
}
