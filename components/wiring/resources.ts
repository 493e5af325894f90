/**
 * The wiring resources as the program declares them: one small typed constructor per resource class, so the
 * composition (index.ts) does not depend on how each app module spells its class.
 *
 * Until the app modules land (branches wiring-core, wiring-servarr, wiring-media), each constructor declares
 * a dynamic resource whose provider refuses to run: a preview shows the plan, an `up` stops at the first
 * wiring resource with a message saying the wiring is not there yet.
 */
import * as pulumi from "@pulumi/pulumi";

// ---- from the wiring contract (components/wiring/core/types.ts once wiring-core lands) -------------------

/** How the provider reaches the Docker host's network: directly (local mode) or through an SSH tunnel. */
export type AppConnection =
    | { kind: "local" }
    | { kind: "ssh"; host: string; port: number; user: string; hostKey: string; privateKey: string };
/** Where an app listens, as seen from the Docker host (its fixed stack address and port). */
export interface AppAddress { host: string; port: number; basePath: string }

// ---- what each resource is given ------------------------------------------------------------------------

export interface WiringBase {
    connection: pulumi.Input<AppConnection>;
    address: AppAddress;
}

export interface QbittorrentWiringArgs extends WiringBase {
    username: string;
    password: pulumi.Input<string>;
    categories: { name: string; savePath: string }[];
}

export interface ServarrWiringArgs extends WiringBase {
    app: "sonarr" | "radarr" | "lidarr" | "readarr";
    apiKey: pulumi.Input<string>;
    rootFolder: string;
    downloadClient: { name: string; host: string; port: number; username: string; password: pulumi.Input<string>; category: string };
}

export interface ProwlarrApplicationArgs extends WiringBase {
    apiKey: pulumi.Input<string>;
    name: string;
    /** Servarr implementation name: Sonarr, Radarr, Lidarr, Readarr. */
    implementation: string;
    /** How the application reaches Prowlarr. */
    prowlarrUrl: string;
    /** How Prowlarr reaches the application. */
    baseUrl: string;
    appApiKey: pulumi.Input<string>;
}

export interface ProwlarrFlareSolverrArgs extends WiringBase {
    apiKey: pulumi.Input<string>;
    /** How Prowlarr reaches FlareSolverr, e.g. http://localhost:8191/. */
    host: string;
    /** Indexers with this tag use the proxy. */
    tag: string;
}

export interface JellyfinWiringArgs extends WiringBase {
    adminUser: string;
    adminPassword: pulumi.Input<string>;
    libraries: { name: string; collectionType: string; paths: string[] }[];
    /** Proxies whose X-Forwarded-For Jellyfin believes (Caddy's stack address). */
    knownProxies: string[];
    /** Networks Jellyfin treats as local (the LAN). */
    localNetworks: string[];
}

export interface JellyseerrWiringArgs extends WiringBase {
    apiKey: pulumi.Input<string>;
    jellyfin: { hostname: string; port: number; useSsl: boolean; urlBase: string; username: string; password: pulumi.Input<string>; email: string };
}

export interface JellyseerrServerArgs extends WiringBase {
    apiKey: pulumi.Input<string>;
    kind: "sonarr" | "radarr";
    name: string;
    hostname: string;
    port: number;
    useSsl: boolean;
    baseUrl: string;
    serverApiKey: pulumi.Input<string>;
    activeDirectory: string;
    is4k: boolean;
    isDefault: boolean;
}

export interface BazarrServer { ip: string; port: number; baseUrl: string; ssl: boolean; apiKey: pulumi.Input<string> }
export interface BazarrWiringArgs extends WiringBase {
    apiKey: pulumi.Input<string>;
    sonarr?: BazarrServer;
    radarr?: BazarrServer;
}

type Make<A> = (name: string, args: A, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource;

export interface WiringConstructors {
    qbittorrent: Make<QbittorrentWiringArgs>;
    servarr: Make<ServarrWiringArgs>;
    prowlarrApplication: Make<ProwlarrApplicationArgs>;
    prowlarrFlareSolverr: Make<ProwlarrFlareSolverrArgs>;
    jellyfin: Make<JellyfinWiringArgs>;
    jellyseerr: Make<JellyseerrWiringArgs>;
    jellyseerrServer: Make<JellyseerrServerArgs>;
    bazarr: Make<BazarrWiringArgs>;
}

/** Credential inputs of each resource: their outputs are secret too. */
const SECRET_OUTPUTS = ["connection", "password", "apiKey", "appApiKey", "adminPassword", "serverApiKey", "downloadClient", "jellyfin", "sonarr", "radarr"];

/** Stands in for an app module that has not landed yet: declares the resource, refuses to run it. */
function pending<A extends WiringBase>(app: string): Make<A> {
    const provider: pulumi.dynamic.ResourceProvider = {
        async create() {
            throw new Error(`${app} wiring is not implemented in this build yet; set homelab:wiring to false to deploy without it`);
        },
    };
    return (name, args, opts) =>
        new (class extends pulumi.dynamic.Resource {})(provider, name, { ...args, observed: undefined, created: undefined }, {
            ...opts,
            additionalSecretOutputs: SECRET_OUTPUTS.filter((key) => key in args),
        });
}

export const wiringConstructors: WiringConstructors = {
    qbittorrent: pending("qBittorrent"),
    servarr: pending("Servarr"),
    prowlarrApplication: pending("Prowlarr"),
    prowlarrFlareSolverr: pending("Prowlarr"),
    jellyfin: pending("Jellyfin"),
    jellyseerr: pending("Jellyseerr"),
    jellyseerrServer: pending("Jellyseerr"),
    bazarr: pending("Bazarr"),
};
