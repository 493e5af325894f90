/**
 * Wiring: the resources that connect the apps on deploy (qBittorrent categories, the library managers' root
 * folder and download client, Prowlarr's applications and FlareSolverr proxy, Jellyfin's first-run setup,
 * Jellyseerr's setup and servers, Bazarr's Sonarr/Radarr). Composed from the catalog and the enabled apps:
 * what is switched off has no wiring. Each resource depends on the containers it talks to and takes the
 * credentials it uses as inputs, so Pulumi orders it after them and replays it when a credential changes.
 *
 * Two kinds of address: the provider reaches an app at its fixed stack address from the Docker host (VPN
 * members at the gateway's); what is written INTO an app is the address as seen from that app.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AppId, appsWithRole, CATALOG, DATA_MOUNT_PATH, MediaKind } from "../catalog";
import { DeployTarget, HomelabConfig } from "../config";
import { addressFromVpnNamespace, appPort, isEnabled, isVpnMember, stackAddress, upstreamOf } from "../container";
import { wiringConstructors, WiringConstructors } from "./resources";
import type { AppAddress, AppConnection } from "./resources";

export type { AppAddress, AppConnection } from "./resources";

export interface WiringCredentials {
    qbittorrent: { user: string; password: pulumi.Output<string> };
    /** API keys of the Servarr apps that run. */
    apiKeys: Partial<Record<AppId, pulumi.Output<string>>>;
    jellyfinAdmin?: { user: string; password: pulumi.Output<string> };
    jellyseerrApiKey?: pulumi.Output<string>;
    bazarr?: { apiKey: pulumi.Output<string> };
}

export interface WiringArgs {
    cfg: HomelabConfig;
    /** The container of every app that runs (the gateway included). */
    containers: Partial<Record<AppId, docker.Container>>;
    credentials: WiringCredentials;
    /** Defaults to the app modules' resource classes; tests may pass their own. */
    constructors?: WiringConstructors;
}

/** How the dynamic provider reaches the Docker host's network for this deploy target. */
export function appConnection(target: DeployTarget): pulumi.Output<AppConnection> {
    if (target.kind === "local") return pulumi.output({ kind: "local" as const });
    const { host, port, user, hostKey } = target;
    return pulumi.secret(target.privateKey.apply((privateKey): AppConnection => ({ kind: "ssh", host, port, user, hostKey, privateKey })));
}

/** Where the provider reaches an app from the Docker host: its fixed stack address (members: the gateway's). */
export function appAddress(cfg: HomelabConfig, id: AppId): AppAddress {
    return { host: stackAddress(cfg, isVpnMember(cfg, id) ? "gluetun" : id), port: appPort(cfg, id), basePath: "" };
}

/**
 * How `client` reaches `server`, as written into `client`'s settings: the VPN namespace cannot resolve bridge
 * names (fixed addresses), bridge apps reach members through the gateway's alias.
 */
export function seenFrom(cfg: HomelabConfig, client: AppId, server: AppId): { host: string; port: number; url: string } {
    const hostPort = isVpnMember(cfg, client) ? addressFromVpnNamespace(cfg, server) : upstreamOf(cfg, server);
    const at = hostPort.lastIndexOf(":");
    return { host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)), url: `http://${hostPort}` };
}

/** The library managers that run, in catalog order. */
export function libraryApps(cfg: HomelabConfig): AppId[] {
    return appsWithRole("library").filter((id) => isEnabled(cfg, id));
}

const JELLYFIN_LIBRARIES: Record<MediaKind, { name: string; collectionType: string }> = {
    tv: { name: "Shows", collectionType: "tvshows" },
    movies: { name: "Movies", collectionType: "movies" },
    music: { name: "Music", collectionType: "music" },
    books: { name: "Books", collectionType: "books" },
};

const mediaKindOf = (id: AppId): MediaKind => CATALOG[id].mediaKind!;
const mediaFolder = (kind: MediaKind) => `${DATA_MOUNT_PATH}/media/${kind}`;
const torrentFolder = (kind: MediaKind) => `${DATA_MOUNT_PATH}/torrents/${kind}`;

/**
 * One wiring resource of the plan: the app whose API it calls, the apps whose containers must run first (the
 * app itself and those whose addresses it stores and tests), and what it sets, for the `wiring` output.
 */
export type WiringKind =
    | "qbittorrent" | "servarr" | "prowlarr-application" | "prowlarr-flaresolverr" | "jellyfin" | "jellyseerr" | "jellyseerr-server" | "bazarr";

export interface PlannedWiring {
    /** Unique in the plan; the resource is named `<component>-<key>`. */
    key: string;
    kind: WiringKind;
    /** For per-app resources (a Prowlarr application, a Jellyseerr server): the other app. */
    target?: AppId;
    app: AppId;
    talksTo: AppId[];
    /** Wiring resources of this plan that must have run first. */
    after: string[];
    /** A first-run setup (an admin account is created): public routes wait for it. */
    setup: boolean;
    settings: string[];
}

/** What the program wires with this config (nothing when `homelab:wiring` is false). */
export function wiringPlan(cfg: HomelabConfig): PlannedWiring[] {
    if (!cfg.wiring) return [];
    const libraries = libraryApps(cfg);
    const plan: PlannedWiring[] = [{
        key: "qbittorrent", kind: "qbittorrent", app: "qbittorrent", talksTo: ["qbittorrent"], after: [], setup: false,
        settings: libraries.map((id) => `category ${mediaKindOf(id)} -> ${torrentFolder(mediaKindOf(id))}`),
    }];
    for (const id of libraries) {
        const kind = mediaKindOf(id);
        plan.push({
            key: id, kind: "servarr", app: id, talksTo: [id, "qbittorrent"], after: ["qbittorrent"], setup: false,
            settings: [`root folder ${mediaFolder(kind)}`, `download client qBittorrent at ${seenFrom(cfg, id, "qbittorrent").url} (category ${kind})`, "hardlinks instead of copies"],
        });
    }
    for (const id of libraries) {
        plan.push({
            key: `prowlarr-${id}`, kind: "prowlarr-application", target: id, app: "prowlarr", talksTo: ["prowlarr", id], after: [id], setup: false,
            settings: [`application ${CATALOG[id].title} at ${seenFrom(cfg, "prowlarr", id).url} (full sync; ${CATALOG[id].title} reaches Prowlarr at ${seenFrom(cfg, id, "prowlarr").url})`],
        });
    }
    if (isEnabled(cfg, "flaresolverr")) {
        plan.push({
            key: "prowlarr-flaresolverr", kind: "prowlarr-flaresolverr", target: "flaresolverr", app: "prowlarr", talksTo: ["prowlarr", "flaresolverr"], after: [], setup: false,
            settings: [`indexer proxy FlareSolverr at ${seenFrom(cfg, "prowlarr", "flaresolverr").url} (tag flaresolverr)`],
        });
    }
    plan.push({
        key: "jellyfin", kind: "jellyfin", app: "jellyfin", talksTo: ["jellyfin"], after: [], setup: true,
        settings: [
            `administrator ${cfg.jellyfinAdmin} (startup wizard completed)`,
            ...libraries.map((id) => `library ${JELLYFIN_LIBRARIES[mediaKindOf(id)].name} -> ${mediaFolder(mediaKindOf(id))}`),
            `known proxy ${stackAddress(cfg, "caddy")} (Caddy)`,
            `local network ${cfg.lanSubnet}`,
        ],
    });
    if (isEnabled(cfg, "jellyseerr")) {
        const servers = jellyseerrServers(cfg);
        plan.push({
            key: "jellyseerr", kind: "jellyseerr", app: "jellyseerr", talksTo: ["jellyseerr", "jellyfin"], after: ["jellyfin"], setup: true,
            settings: [`Jellyfin at ${seenFrom(cfg, "jellyseerr", "jellyfin").url}, signed in as ${cfg.jellyfinAdmin}, libraries enabled`],
        });
        for (const id of servers) {
            plan.push({
                key: `jellyseerr-${id}`, kind: "jellyseerr-server", target: id, app: "jellyseerr", talksTo: ["jellyseerr", id], after: ["jellyseerr", id], setup: false,
                settings: [`${CATALOG[id].title} at ${seenFrom(cfg, "jellyseerr", id).url}, root folder ${mediaFolder(mediaKindOf(id))}, default server`],
            });
        }
    }
    if (isEnabled(cfg, "bazarr")) {
        const servers = bazarrServers(cfg);
        plan.push({
            key: "bazarr", kind: "bazarr", app: "bazarr", talksTo: ["bazarr", ...servers], after: servers, setup: false,
            settings: servers.map((id) => `${CATALOG[id].title} at ${seenFrom(cfg, "bazarr", id).url}`),
        });
    }
    return plan;
}

/** Jellyseerr and Bazarr know Sonarr and Radarr only. */
function jellyseerrServers(cfg: HomelabConfig): ("sonarr" | "radarr")[] {
    return (["sonarr", "radarr"] as const).filter((id) => isEnabled(cfg, id));
}
const bazarrServers = jellyseerrServers;

/** Addresses to enter when wiring by hand, or that the wiring entered (`from -> to`). */
export function wiringLinks(cfg: HomelabConfig): Record<string, string> {
    const links: Record<string, string> = {};
    const libraries = libraryApps(cfg);
    for (const id of libraries) links[`${CATALOG[id].title} -> qBittorrent`] = `${seenFrom(cfg, id, "qbittorrent").url} (category ${mediaKindOf(id)})`;
    for (const id of libraries) links[`Prowlarr -> ${CATALOG[id].title}`] = seenFrom(cfg, "prowlarr", id).url;
    for (const id of libraries) links[`${CATALOG[id].title} -> Prowlarr`] = seenFrom(cfg, id, "prowlarr").url;
    if (isEnabled(cfg, "flaresolverr")) links["Prowlarr -> FlareSolverr"] = seenFrom(cfg, "prowlarr", "flaresolverr").url;
    if (isEnabled(cfg, "jellyseerr")) {
        links["Jellyseerr -> Jellyfin"] = seenFrom(cfg, "jellyseerr", "jellyfin").url;
        for (const id of jellyseerrServers(cfg)) links[`Jellyseerr -> ${CATALOG[id].title}`] = seenFrom(cfg, "jellyseerr", id).url;
    }
    if (isEnabled(cfg, "bazarr")) {
        for (const id of bazarrServers(cfg)) links[`Bazarr -> ${CATALOG[id].title}`] = seenFrom(cfg, "bazarr", id).url;
    }
    return links;
}

/** What is left to a person even with wiring on, by the app it is done in. */
const BY_HAND: { app: AppId; text: string }[] = [
    { app: "prowlarr", text: "Prowlarr: add your indexers (they are synced to every library manager); tag Cloudflare-protected ones `flaresolverr`" },
    { app: "bazarr", text: "Bazarr: choose subtitle providers and languages" },
    { app: "jellyseerr", text: "Jellyseerr: import or invite your Jellyfin users" },
];

export interface WiringSummary {
    automatic: boolean;
    /** What each app was set to, by app title (empty when wiring is off). */
    apps: Record<string, string[]>;
    links: Record<string, string>;
    byHand: string[];
}

/** The `wiring` stack output: what is wired where, never a credential. */
export function wiringSummary(cfg: HomelabConfig): WiringSummary {
    const apps: Record<string, string[]> = {};
    for (const step of wiringPlan(cfg)) (apps[CATALOG[step.app].title] ??= []).push(...step.settings);
    const left = BY_HAND.filter((item) => isEnabled(cfg, item.app)).map((item) => item.text);
    const byHand = cfg.wiring
        ? left
        : ["Everything: homelab:wiring is false. Enter the links below in each app (API keys: `pulumi stack output --show-secrets apiKeys`)", ...left];
    return { automatic: cfg.wiring, apps, links: wiringLinks(cfg), byHand };
}

export class Wiring extends pulumi.ComponentResource {
    /** Every wiring resource, keyed by its plan key ("sonarr", "prowlarr-sonarr", ...). */
    public readonly resources: Record<string, pulumi.CustomResource> = {};
    /** The first-run setups (Jellyfin's administrator, Jellyseerr's sign-in): public routes wait for them. */
    public readonly setups: pulumi.CustomResource[] = [];
    public readonly plan: PlannedWiring[];

    constructor(name: string, args: WiringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:wiring:Wiring", name, {}, opts);
        const { cfg, containers, credentials } = args;
        const make = args.constructors ?? wiringConstructors;
        const connection = appConnection(cfg.target);
        this.plan = wiringPlan(cfg);
        for (const step of this.plan) {
            const dependsOn = [
                ...step.talksTo.flatMap((id) => containersReaching(cfg, id).map((c) => containers[c])),
                ...step.after.map((key) => this.resources[key]),
            ].filter((r): r is docker.Container | pulumi.CustomResource => r !== undefined);
            const base = { connection, address: appAddress(cfg, step.app) };
            const resource = declare(make, `${name}-${step.key}`, step, base, cfg, credentials, { parent: this, dependsOn });
            this.resources[step.key] = resource;
            if (step.setup) this.setups.push(resource);
        }
        this.registerOutputs({ resources: this.resources });
    }
}

/** The containers that must run for an app to answer: members answer only while the gateway runs. */
function containersReaching(cfg: HomelabConfig, id: AppId): AppId[] {
    return isVpnMember(cfg, id) ? ["gluetun", id] : [id];
}

function required<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`wiring needs ${what}`);
    return value;
}

function declare(
    make: WiringConstructors,
    name: string,
    step: PlannedWiring,
    base: { connection: pulumi.Output<AppConnection>; address: AppAddress },
    cfg: HomelabConfig,
    credentials: WiringCredentials,
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
    const apiKey = (id: AppId) => required(credentials.apiKeys[id], `the API key of ${CATALOG[id].title}`);
    const libraries = libraryApps(cfg);
    const target = step.target!;
    switch (step.kind) {
        case "qbittorrent":
            return make.qbittorrent(name, {
                ...base,
                username: credentials.qbittorrent.user,
                password: credentials.qbittorrent.password,
                categories: libraries.map((id) => ({ name: mediaKindOf(id), savePath: torrentFolder(mediaKindOf(id)) })),
            }, opts);
        case "prowlarr-flaresolverr":
            return make.prowlarrFlareSolverr(name, { ...base, apiKey: apiKey("prowlarr"), host: `${seenFrom(cfg, "prowlarr", "flaresolverr").url}/`, tag: "flaresolverr" }, opts);
        case "prowlarr-application":
            return make.prowlarrApplication(name, {
                ...base,
                apiKey: apiKey("prowlarr"),
                name: CATALOG[target].title,
                implementation: CATALOG[target].title,
                prowlarrUrl: seenFrom(cfg, target, "prowlarr").url,
                baseUrl: seenFrom(cfg, "prowlarr", target).url,
                appApiKey: apiKey(target),
            }, opts);
        case "jellyfin": {
            const admin = required(credentials.jellyfinAdmin, "the Jellyfin administrator");
            return make.jellyfin(name, {
                ...base,
                adminUser: admin.user,
                adminPassword: admin.password,
                libraries: libraries.map((id) => ({ ...JELLYFIN_LIBRARIES[mediaKindOf(id)], paths: [mediaFolder(mediaKindOf(id))] })),
                knownProxies: [stackAddress(cfg, "caddy")],
                localNetworks: [cfg.lanSubnet],
            }, opts);
        }
        case "jellyseerr": {
            const admin = required(credentials.jellyfinAdmin, "the Jellyfin administrator");
            const jellyfin = seenFrom(cfg, "jellyseerr", "jellyfin");
            return make.jellyseerr(name, {
                ...base,
                apiKey: required(credentials.jellyseerrApiKey, "Jellyseerr's API key"),
                jellyfin: { hostname: jellyfin.host, port: jellyfin.port, useSsl: false, urlBase: "", username: admin.user, password: admin.password, email: `jellyfin-admin@${cfg.domain}` },
            }, opts);
        }
        case "jellyseerr-server": {
            const server = seenFrom(cfg, "jellyseerr", target);
            return make.jellyseerrServer(name, {
                ...base,
                apiKey: required(credentials.jellyseerrApiKey, "Jellyseerr's API key"),
                kind: target as "sonarr" | "radarr",
                name: CATALOG[target].title,
                hostname: server.host,
                port: server.port,
                useSsl: false,
                baseUrl: "",
                serverApiKey: apiKey(target),
                activeDirectory: mediaFolder(mediaKindOf(target)),
                is4k: false,
                isDefault: true,
            }, opts);
        }
        case "bazarr": {
            const server = (id: "sonarr" | "radarr") => {
                if (!isEnabled(cfg, id)) return undefined;
                const at = seenFrom(cfg, "bazarr", id);
                return { ip: at.host, port: at.port, baseUrl: "", ssl: false, apiKey: apiKey(id) };
            };
            return make.bazarr(name, {
                ...base,
                apiKey: required(credentials.bazarr, "Bazarr's API key").apiKey,
                sonarr: server("sonarr"),
                radarr: server("radarr"),
            }, opts);
        }
        case "servarr": {
            // A library manager: root folder, qBittorrent as download client, hardlinks.
            const id = step.app;
            const qbittorrent = seenFrom(cfg, id, "qbittorrent");
            return make.servarr(name, {
                ...base,
                app: id as ServarrApp,
                apiKey: apiKey(id),
                rootFolder: mediaFolder(mediaKindOf(id)),
                downloadClient: {
                    name: "qBittorrent",
                    host: qbittorrent.host,
                    port: qbittorrent.port,
                    username: credentials.qbittorrent.user,
                    password: credentials.qbittorrent.password,
                    category: mediaKindOf(id),
                },
            }, opts);
        }
    }
}

type ServarrApp = "sonarr" | "radarr" | "lidarr" | "readarr";
