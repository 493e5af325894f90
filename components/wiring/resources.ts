/**
 * The wiring resources as the program declares them: one small typed constructor per resource class, so the
 * composition (index.ts) does not depend on how each app module spells its class.
 *
 * Until the Servarr and Prowlarr modules land (branch wiring-servarr), their constructors declare a dynamic
 * resource whose provider refuses to run: a preview shows the plan, an `up` stops at that resource with a
 * message saying the wiring is not there yet.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AppAddress, AppConnection } from "./core/types";
import { WIRING_VERSION } from "./core/version";
import { BazarrArgs, BazarrWiring } from "./bazarr";
import { JellyfinSetup, JellyfinSetupArgs, JellyfinWiring, JellyfinWiringArgs } from "./jellyfin";
import { JellyseerrArgs, JellyseerrWiring } from "./jellyseerr";
import { QbittorrentWiring, QbittorrentWiringArgs } from "./qbittorrent";

export type { JellyfinCollectionType } from "./jellyfin";

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

type Make<A, R extends pulumi.CustomResource = pulumi.CustomResource> = (name: string, args: A, opts: pulumi.CustomResourceOptions) => R;

/** A library manager's wiring; its quality profile is what Jellyseerr requests with. */
export type ServarrWiringResource = pulumi.CustomResource & { qualityProfile?: pulumi.Output<{ id: number; name: string }> };

export interface WiringConstructors {
    qbittorrent: Make<QbittorrentWiringArgs>;
    servarr: Make<ServarrWiringArgs, ServarrWiringResource>;
    prowlarrApplication: Make<ProwlarrApplicationArgs>;
    prowlarrFlareSolverr: Make<ProwlarrFlareSolverrArgs>;
    jellyfinSetup: Make<JellyfinSetupArgs, JellyfinSetup>;
    jellyfin: Make<JellyfinWiringArgs>;
    jellyseerr: Make<JellyseerrArgs>;
    bazarr: Make<BazarrArgs>;
}

/** Credential inputs of each resource: their outputs are secret too. */
const SECRET_OUTPUTS = ["connection", "apiKey", "appApiKey", "downloadClient"];

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

function pending<A extends WiringBase>(app: string): Make<A> {
    return (name, args, opts) => new PendingWiring(app, name, args, opts);
}

export const wiringConstructors: WiringConstructors = {
    qbittorrent: (name, args, opts) => new QbittorrentWiring(name, args, opts),
    servarr: pending("Servarr"),
    prowlarrApplication: pending("Prowlarr"),
    prowlarrFlareSolverr: pending("Prowlarr"),
    jellyfinSetup: (name, args, opts) => new JellyfinSetup(name, args, opts),
    jellyfin: (name, args, opts) => new JellyfinWiring(name, args, opts),
    jellyseerr: (name, args, opts) => new JellyseerrWiring(name, args, opts),
    bazarr: (name, args, opts) => new BazarrWiring(name, args, opts),
};
