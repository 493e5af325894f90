/**
 * Jellyseerr wiring: initialised against Jellyfin with the program's admin (so the public route opens only after
 * it), its movie and show libraries enabled, Sonarr and Radarr added as the default servers with the 1080p profile.
 * Jellyseerr's API key is fixed before first boot (env `API_KEY`); it works as `X-Api-Key` once Jellyseerr has its
 * first user, i.e. after `POST /auth/jellyfin`. A Jellyseerr initialised by another Jellyfin user fails.
 * Endpoints and required fields follow Jellyseerr's routes and jellyseerr-api.yml.
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
/** Jellyseerr sees only these Jellyfin libraries (it skips music, books and the like). */
const REQUESTABLE: readonly string[] = ["movies", "tvshows"];

/** A Sonarr or Radarr server as Jellyseerr should know it. */
export interface JellyseerrDvr {
    /** Entry name in Jellyseerr ("Sonarr"); entries are matched by it. */
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

export interface JellyseerrInputs extends WiringBaseInputs {
    /** Jellyseerr's own API key (set by the program through env `API_KEY`). */
    apiKey: string;
    /** Jellyfin as Jellyseerr reaches it. */
    jellyfinHost: string;
    jellyfinPort: number;
    jellyfinUrlBase: string;
    jellyfinUseSsl: boolean;
    jellyfinAdminUser: string;
    jellyfinAdminPassword: string;
    /** Id of that admin in Jellyfin (JellyfinSetup's adminUserId): Jellyseerr's owner must be this very user. */
    jellyfinAdminUserId: string;
    /** Jellyfin's libraries; the movie and show ones are enabled in Jellyseerr. */
    libraries: { name: string; collectionType: JellyfinCollectionType }[];
    sonarr?: JellyseerrDvr;
    radarr?: JellyseerrDvr;
}

export interface JellyseerrDvrState {
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

export interface JellyseerrState {
    initialized: boolean;
    /** Jellyfin user name and id of Jellyseerr's owner (user 1). */
    owner: string;
    ownerId: string;
    jellyfinHost: string;
    jellyfinPort: number;
    jellyfinUrlBase: string;
    /** Names of the enabled libraries. */
    enabledLibraries: string[];
    sonarr?: JellyseerrDvrState;
    radarr?: JellyseerrDvrState;
}

type DvrKind = "sonarr" | "radarr";
const DVR_KINDS: readonly DvrKind[] = ["sonarr", "radarr"];

interface StoredDvr {
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

const keyHeader = (inputs: JellyseerrInputs) => ({ "X-Api-Key": inputs.apiKey });
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
const wantedLibraries = (inputs: JellyseerrInputs) => inputs.libraries.filter((l) => REQUESTABLE.includes(l.collectionType)).map((l) => l.name);

function dvrState(stored: StoredDvr): JellyseerrDvrState {
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

function dvrMatches(wanted: JellyseerrDvr, held: JellyseerrDvrState | undefined): boolean {
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

/** The body Jellyseerr's settings/<kind> routes require (jellyseerr-api.yml SonarrSettings / RadarrSettings). */
function dvrPayload(kind: DvrKind, wanted: JellyseerrDvr): Record<string, unknown> {
    const common = {
        name: wanted.name,
        hostname: wanted.hostname,
        port: wanted.port,
        apiKey: wanted.apiKey,
        useSsl: wanted.useSsl,
        baseUrl: wanted.baseUrl,
        activeProfileId: wanted.profileId,
        activeProfileName: wanted.profileName,
        activeDirectory: wanted.rootFolder,
        tags: [],
        is4k: false,
        isDefault: true,
        syncEnabled: true,
        preventSearch: false,
        tagRequests: false,
    };
    return kind === "sonarr" ? { ...common, enableSeasonFolders: true, seriesType: "standard", animeSeriesType: "anime" } : { ...common, minimumAvailability: "released" };
}

async function readDvr(c: AppClient, inputs: JellyseerrInputs, kind: DvrKind): Promise<StoredDvr[]> {
    return c.json<StoredDvr[]>(`read ${kind} servers`, { method: "GET", path: `/api/v1/settings/${kind}`, headers: keyHeader(inputs) });
}

async function observe(c: AppClient, inputs: JellyseerrInputs): Promise<JellyseerrState | undefined> {
    const pub = await c.json<{ initialized: boolean; mediaServerType: number }>("read public settings", { method: "GET", path: "/api/v1/settings/public" });
    if (!pub.initialized && pub.mediaServerType === MEDIA_SERVER_NOT_CONFIGURED) return undefined;
    const me = await c.call("read the owner", { method: "GET", path: "/api/v1/auth/me", headers: keyHeader(inputs) }, [200, 403]);
    if (me.status === 403) fail(c, "read the owner", "the API key is refused: Jellyseerr was not started with the program's API_KEY");
    const jellyfin = await c.json<JellyfinSettings>("read Jellyfin settings", { method: "GET", path: "/api/v1/settings/jellyfin", headers: keyHeader(inputs) });
    const state: JellyseerrState = {
        initialized: pub.initialized,
        owner: me.json<{ jellyfinUsername?: string }>().jellyfinUsername ?? "",
        ownerId: me.json<{ jellyfinUserId?: string }>().jellyfinUserId ?? "",
        jellyfinHost: jellyfin.ip,
        jellyfinPort: jellyfin.port,
        jellyfinUrlBase: jellyfin.urlBase ?? "",
        enabledLibraries: jellyfin.libraries.filter((l) => l.enabled).map((l) => l.name),
    };
    for (const kind of DVR_KINDS) {
        const name = inputs[kind]?.name;
        const stored = name === undefined ? undefined : (await readDvr(c, inputs, kind)).find((d) => d.name === name);
        if (stored) state[kind] = dvrState(stored);
    }
    return state;
}

/** Points an uninitialised Jellyseerr at Jellyfin by signing in with the admin (this also makes the admin its owner). */
async function signIn(c: AppClient, inputs: JellyseerrInputs): Promise<void> {
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
    if (res.status === 500) fail(c, "sign in with Jellyfin", `Jellyseerr answered 500: ${res.text.slice(0, 200)}`);
}

/** Fails unless Jellyseerr belongs to the program's admin on the configured Jellyfin: never adopt a stranger's server. */
function checkOwner(c: AppClient, inputs: JellyseerrInputs, held: JellyseerrState): void {
    if (held.ownerId !== inputs.jellyfinAdminUserId) {
        fail(c, "check the owner", `it was set up by Jellyfin user '${held.owner}' (${held.ownerId}), not by the program's admin '${inputs.jellyfinAdminUser}' (${inputs.jellyfinAdminUserId}); refusing to adopt this server`);
    }
    if (held.jellyfinHost !== inputs.jellyfinHost || held.jellyfinPort !== inputs.jellyfinPort || held.jellyfinUrlBase !== inputs.jellyfinUrlBase) {
        fail(c, "check the owner", `it is set up against Jellyfin at ${held.jellyfinHost}:${held.jellyfinPort}${held.jellyfinUrlBase}, not ${inputs.jellyfinHost}:${inputs.jellyfinPort}${inputs.jellyfinUrlBase}; refusing to adopt this server`);
    }
}

async function enableLibraries(c: AppClient, inputs: JellyseerrInputs): Promise<void> {
    const wanted = wantedLibraries(inputs);
    // sync=true re-reads Jellyfin's libraries (and disables all); enable=<ids> then enables exactly those listed.
    const synced = await c.json<{ id: string; name: string }[]>("sync libraries from Jellyfin", { method: "GET", path: "/api/v1/settings/jellyfin/library", headers: keyHeader(inputs), query: { sync: true } });
    const missing = wanted.filter((name) => !synced.some((l) => l.name === name));
    if (missing.length > 0) fail(c, "enable libraries", `Jellyfin has no library named ${missing.join(", ")}`);
    const ids = synced.filter((l) => wanted.includes(l.name)).map((l) => l.id);
    await c.call("enable libraries", { method: "GET", path: "/api/v1/settings/jellyfin/library", headers: keyHeader(inputs), query: { enable: ids.join(",") } });
}

async function convergeDvr(c: AppClient, inputs: JellyseerrInputs, kind: DvrKind, created: string[]): Promise<string[]> {
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
        await c.call(`add ${kind} server ${wanted.name}`, { method: "POST", path: `/api/v1/settings/${kind}`, headers: keyHeader(inputs), json: dvrPayload(kind, wanted) }, [201]);
        return next.includes(`${kind}:${wanted.name}`) ? next : [...next, `${kind}:${wanted.name}`];
    }
    if (!dvrMatches(wanted, dvrState(existing))) {
        await c.call(`update ${kind} server ${wanted.name}`, { method: "PUT", path: `/api/v1/settings/${kind}/${existing.id}`, headers: keyHeader(inputs), json: dvrPayload(kind, wanted) });
    }
    return next;
}

export const jellyseerrImplementation: WiringImplementation<JellyseerrInputs, JellyseerrState> = {
    app: "Jellyseerr",
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
            if (!held) fail(c, "sign in with Jellyfin", "Jellyseerr still has no media server");
        }
        checkOwner(c, inputs, held);
        if (!sameSet(held.enabledLibraries, wantedLibraries(inputs))) await enableLibraries(c, inputs);
        if (!held.initialized) await c.call("finish initialisation", { method: "POST", path: "/api/v1/settings/initialize", headers: keyHeader(inputs) });
        let next = created;
        for (const kind of DVR_KINDS) next = await convergeDvr(c, inputs, kind, next);
        const state = await observe(c, inputs);
        if (!state) fail(c, "read back", "Jellyseerr lost its media server");
        return { state, created: next };
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

const jellyseerrProvider = wiringProvider(jellyseerrImplementation);

export interface JellyseerrArgs {
    connection: pulumi.Input<AppConnection>;
    /** Jellyseerr's stack address, port and base path. */
    address: pulumi.Input<AppAddress>;
    /** Jellyseerr's API key, the same value the program passes as env `API_KEY` (secret). */
    apiKey: pulumi.Input<string>;
    /** Jellyfin as seen from Jellyseerr's container (stack address and port, URL base, TLS). */
    jellyfinHost: pulumi.Input<string>;
    jellyfinPort: pulumi.Input<number>;
    jellyfinUrlBase: pulumi.Input<string>;
    jellyfinUseSsl: pulumi.Input<boolean>;
    /** Jellyfin's admin (the one JellyfinSetup created), who becomes Jellyseerr's owner. */
    jellyfinAdminUser: pulumi.Input<string>;
    jellyfinAdminPassword: pulumi.Input<string>;
    /** JellyfinSetup's adminUserId: Jellyseerr's owner must be this user. */
    jellyfinAdminUserId: pulumi.Input<string>;
    /** Jellyfin's libraries (same list as JellyfinWiring's); movie and show libraries get enabled. */
    libraries: pulumi.Input<pulumi.Input<{ name: pulumi.Input<string>; collectionType: pulumi.Input<JellyfinCollectionType> }>[]>;
    /** Sonarr / Radarr as default servers; absent when the app is switched off. */
    sonarr?: pulumi.Input<JellyseerrDvr>;
    radarr?: pulumi.Input<JellyseerrDvr>;
    readyTimeoutSeconds?: pulumi.Input<number>;
}

/** Jellyseerr initialised against Jellyfin, libraries enabled, Sonarr/Radarr as defaults. Destroy removes only the servers it added. */
export class JellyseerrWiring extends WiringResource {
    /** What the app held after the last create/update/refresh (null under mocks). */
    declare public readonly observed: pulumi.Output<JellyseerrState | null>;
    declare public readonly created: pulumi.Output<string[]>;

    constructor(name: string, args: JellyseerrArgs, opts?: pulumi.CustomResourceOptions) {
        super("jellyseerr", jellyseerrProvider, name, { ...args, providerVersion: WIRING_VERSION, observed: undefined, created: undefined }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(jellyseerrImplementation)],
        });
    }
}
