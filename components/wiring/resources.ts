/**
 * The wiring resources as the program declares them: one small typed constructor per resource class, so the
 * composition (index.ts) does not depend on how each app module spells its class.
 *
 * Until the app modules land (branches wiring-core, wiring-servarr, wiring-media), each constructor declares
 * a dynamic resource whose provider refuses to run: a preview shows the plan, an `up` stops at the first
 * wiring resource with a message saying the wiring is not there yet.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AppAddress, AppConnection } from "./core/types";
import { WIRING_VERSION } from "./core/version";
import { QbittorrentWiring, QbittorrentWiringArgs } from "./qbittorrent";

export type { AppAddress, AppConnection };

// ---- what each resource is given (the shapes of the app modules' Args) ------------------------------------

export interface WiringBase {
    connection: pulumi.Input<AppConnection>;
    address: pulumi.Input<AppAddress>;
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

export type JellyfinCollectionType = "tvshows" | "movies" | "music" | "books";
export interface JellyfinLibrary { name: string; collectionType: JellyfinCollectionType; path: string }

export interface JellyfinSetupArgs extends WiringBase {
    adminUser: pulumi.Input<string>;
    adminPassword: pulumi.Input<string>;
}

export interface JellyfinWiringArgs extends JellyfinSetupArgs {
    libraries: JellyfinLibrary[];
    /** Proxies whose X-Forwarded-For Jellyfin believes (Caddy's stack address). */
    knownProxies: string[];
    /** Networks Jellyfin treats as local (the LAN); everyone else is remote. */
    localNetworkSubnets: string[];
    /** App name of the API key Jellyfin issues for the apps that call it. */
    apiKeyApp: string;
}

/** Sonarr or Radarr as Jellyseerr knows it. */
export interface JellyseerrDvr {
    name: string;
    hostname: string;
    port: number;
    apiKey: pulumi.Input<string>;
    useSsl: boolean;
    baseUrl: string;
    profileId: pulumi.Input<number>;
    profileName: pulumi.Input<string>;
    rootFolder: string;
}

export interface JellyseerrWiringArgs extends WiringBase {
    apiKey: pulumi.Input<string>;
    jellyfinHost: string;
    jellyfinPort: number;
    jellyfinUrlBase: string;
    jellyfinUseSsl: boolean;
    jellyfinAdminUser: pulumi.Input<string>;
    jellyfinAdminPassword: pulumi.Input<string>;
    /** JellyfinSetup's adminUserId: Jellyseerr's owner must be that user. */
    jellyfinAdminUserId: pulumi.Input<string>;
    libraries: { name: string; collectionType: JellyfinCollectionType }[];
    sonarr?: pulumi.Input<JellyseerrDvr>;
    radarr?: pulumi.Input<JellyseerrDvr>;
}

export interface BazarrServer { ip: string; port: number; baseUrl: string; ssl: boolean; apiKey: pulumi.Input<string> }
export interface BazarrWiringArgs extends WiringBase {
    apiKey: pulumi.Input<string>;
    authUsername: pulumi.Input<string>;
    authPassword: pulumi.Input<string>;
    sonarr?: pulumi.Input<BazarrServer>;
    radarr?: pulumi.Input<BazarrServer>;
}

type Make<A, R extends pulumi.CustomResource = pulumi.CustomResource> = (name: string, args: A, opts: pulumi.CustomResourceOptions) => R;

/** A library manager's wiring; its quality profile is what Jellyseerr requests with. */
export type ServarrWiringResource = pulumi.CustomResource & { qualityProfile?: pulumi.Output<{ id: number; name: string }> };
/** Jellyfin's setup; the admin's id is what Jellyseerr checks its owner against. */
export type JellyfinSetupResource = pulumi.CustomResource & { adminUserId?: pulumi.Output<string> };

export interface WiringConstructors {
    qbittorrent: Make<QbittorrentWiringArgs>;
    servarr: Make<ServarrWiringArgs, ServarrWiringResource>;
    prowlarrApplication: Make<ProwlarrApplicationArgs>;
    prowlarrFlareSolverr: Make<ProwlarrFlareSolverrArgs>;
    jellyfinSetup: Make<JellyfinSetupArgs, JellyfinSetupResource>;
    jellyfin: Make<JellyfinWiringArgs>;
    jellyseerr: Make<JellyseerrWiringArgs>;
    bazarr: Make<BazarrWiringArgs>;
}

/** Credential inputs of each resource: their outputs are secret too. */
const SECRET_OUTPUTS = [
    "connection", "password", "apiKey", "appApiKey", "adminPassword", "authPassword", "jellyfinAdminPassword", "downloadClient", "sonarr", "radarr",
];

/** Stands in for an app module that has not landed yet: declares the resource, refuses to run it. */
class PendingWiring extends pulumi.dynamic.Resource {
    declare public readonly observed: pulumi.Output<Record<string, unknown> | undefined>;

    constructor(app: string, name: string, args: WiringBase, opts: pulumi.CustomResourceOptions) {
        const provider: pulumi.dynamic.ResourceProvider = {
            async create() {
                throw new Error(`${app} wiring is not implemented in this build yet; set homelab:wiring to false to deploy without it`);
            },
        };
        super(provider, name, { ...args, providerVersion: WIRING_VERSION, observed: undefined, created: undefined }, {
            ...opts,
            additionalSecretOutputs: SECRET_OUTPUTS.filter((key) => key in args),
        });
    }
}

class PendingJellyfinSetup extends PendingWiring {
    public readonly adminUserId: pulumi.Output<string> = this.observed.apply((o) => String(o?.adminUserId ?? ""));
}

function pending<A extends WiringBase>(app: string): Make<A> {
    return (name, args, opts) => new PendingWiring(app, name, args, opts);
}

export const wiringConstructors: WiringConstructors = {
    qbittorrent: (name, args, opts) => new QbittorrentWiring(name, args, opts),
    servarr: pending("Servarr"),
    prowlarrApplication: pending("Prowlarr"),
    prowlarrFlareSolverr: pending("Prowlarr"),
    jellyfinSetup: (name, args, opts) => new PendingJellyfinSetup("Jellyfin", name, args, opts),
    jellyfin: pending("Jellyfin"),
    jellyseerr: pending("Jellyseerr"),
    bazarr: pending("Bazarr"),
};
