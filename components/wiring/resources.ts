/**
 * The wiring resources as the program declares them: one small typed constructor per resource class, so the
 * composition (index.ts) names what it needs and each app module keeps its own class.
 */
import * as pulumi from "@pulumi/pulumi";
import { SeerrAlerts, SeerrAlertsArgs, ServarrAlerts, ServarrAlertsArgs } from "./alerts";
import { BazarrArgs, BazarrWiring } from "./bazarr";
import { JellyfinSetup, JellyfinSetupArgs, JellyfinWiring, JellyfinWiringArgs } from "./jellyfin";
import { ProwlarrApplication, ProwlarrApplicationArgs, ProwlarrFlareSolverr, ProwlarrFlareSolverrArgs } from "./prowlarr";
import { QbittorrentWiring, QbittorrentWiringArgs } from "./qbittorrent";
import { SeerrArgs, SeerrWiring } from "./seerr";
import { ServarrWiring, ServarrWiringArgs } from "./servarr";
import { ServarrLogin, ServarrLoginArgs } from "./servarr-login";

export type { AppAddress, AppConnection } from "./core/types";
export type { JellyfinCollectionType } from "./jellyfin";

type Make<A, R extends pulumi.CustomResource = pulumi.CustomResource> = (name: string, args: A, opts: pulumi.CustomResourceOptions) => R;

export interface WiringConstructors {
    qbittorrent: Make<QbittorrentWiringArgs>;
    servarr: Make<ServarrWiringArgs, ServarrWiring>;
    servarrLogin: Make<ServarrLoginArgs>;
    prowlarrApplication: Make<ProwlarrApplicationArgs>;
    prowlarrFlareSolverr: Make<ProwlarrFlareSolverrArgs>;
    jellyfinSetup: Make<JellyfinSetupArgs, JellyfinSetup>;
    jellyfin: Make<JellyfinWiringArgs, JellyfinWiring>;
    seerr: Make<SeerrArgs, SeerrWiring>;
    bazarr: Make<BazarrArgs>;
    servarrAlerts: Make<ServarrAlertsArgs>;
    seerrAlerts: Make<SeerrAlertsArgs>;
}

export const wiringConstructors: WiringConstructors = {
    qbittorrent: (name, args, opts) => new QbittorrentWiring(name, args, opts),
    servarr: (name, args, opts) => new ServarrWiring(name, args, opts),
    servarrLogin: (name, args, opts) => new ServarrLogin(name, args, opts),
    prowlarrApplication: (name, args, opts) => new ProwlarrApplication(name, args, opts),
    prowlarrFlareSolverr: (name, args, opts) => new ProwlarrFlareSolverr(name, args, opts),
    jellyfinSetup: (name, args, opts) => new JellyfinSetup(name, args, opts),
    jellyfin: (name, args, opts) => new JellyfinWiring(name, args, opts),
    seerr: (name, args, opts) => new SeerrWiring(name, args, opts),
    bazarr: (name, args, opts) => new BazarrWiring(name, args, opts),
    servarrAlerts: (name, args, opts) => new ServarrAlerts(name, args, opts),
    seerrAlerts: (name, args, opts) => new SeerrAlerts(name, args, opts),
};
