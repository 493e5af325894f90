/**
 * Wiring: the resources that connect the apps on deploy (qBittorrent categories, the library managers' root
 * folder and download client, Prowlarr's applications and FlareSolverr proxy, Jellyfin's first-run setup and
 * libraries, Seerr's sign-in, proxy trust and servers, Bazarr's Sonarr/Radarr). Composed from the catalog and the
 * enabled apps: what is switched off has no wiring. Each resource depends on the containers it talks to and
 * takes the credentials it uses as inputs, so Pulumi orders it after them and replays it when one changes.
 *
 * Two kinds of address: the provider reaches an app at its fixed stack address from the Docker host (VPN
 * members at the gateway's); what is written INTO an app is the address as seen from that app.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AppId, appsWithRole, CATALOG, DATA_MOUNT_PATH, MediaKind } from "../catalog";
import { HomelabConfig } from "../config";
import { addressSeenFrom, appPort, isEnabled, isVpnMember, proxySourceAddress, stackAddress } from "../container";
import { SERVARR_USER } from "../arr-suite";
import { AlertChannel, AlertTarget, alertConnectionName, SERVARR_ALERT_APPS, ServarrAlertApp } from "./alerts";
import { hostOf, hostView } from "../placement";
import { appConnection } from "./core/connection";
import type { JellyfinSetup, JellyfinWiring } from "./jellyfin";
import { AppAddress, AppConnection, JellyfinCollectionType, wiringConstructors, WiringConstructors } from "./resources";
import { hostStep } from "../host-step";
import type { SeerrWiring } from "./seerr";
import { SERVARR_KINDS, SERVARR_NAMES, ServarrKind, ServarrWiring } from "./servarr";
import { SERVARR_LOGIN_APPS, ServarrLoginApp } from "./servarr-login";

export interface WiringCredentials {
    qbittorrent: { user: string; password: pulumi.Output<string> };
    /** API keys of the Servarr apps that run. */
    apiKeys: Partial<Record<AppId, pulumi.Output<string>>>;
    /** The forms login of each Servarr app that runs (Sonarr, Radarr, Lidarr, Prowlarr). */
    servarrLogins: Partial<Record<AppId, { user: string; password: pulumi.Output<string> }>>;
    jellyfinAdmin?: { user: string; password: pulumi.Output<string> };
    seerrApiKey?: pulumi.Output<string>;
    bazarr?: { user: string; password: pulumi.Output<string>; apiKey: pulumi.Output<string> };
}

export interface WiringArgs {
    cfg: HomelabConfig;
    /** The container of every app that runs (the gateway included). */
    containers: Partial<Record<AppId, docker.Container>>;
    credentials: WiringCredentials;
    /** Defaults to the app modules' resource classes; tests may pass their own. */
    constructors?: WiringConstructors;
}

/** Where the provider reaches an app from its Docker host: its fixed stack address (members: the gateway's). */
export function appAddress(cfg: HomelabConfig, id: AppId): AppAddress {
    return { host: stackAddress(cfg, isVpnMember(cfg, id) ? "gluetun" : id), port: appPort(cfg, id), basePath: "" };
}

/**
 * How `client` reaches `server`, as written into `client`'s settings: the VPN namespace cannot resolve bridge
 * names (fixed addresses), bridge apps reach members through the gateway's alias.
 */
export function seenFrom(cfg: HomelabConfig, client: AppId, server: AppId): { host: string; port: number; url: string } {
    const hostPort = addressSeenFrom(cfg, client, server);
    const at = hostPort.lastIndexOf(":");
    return { host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)), url: `http://${hostPort}` };
}

/** The library managers that run, in catalog order. */
export function libraryApps(cfg: HomelabConfig): AppId[] {
    return appsWithRole("library").filter((id) => isEnabled(cfg, id));
}

/** The Servarr apps with a UI that run. */
export function servarrLoginApps(cfg: HomelabConfig): ServarrLoginApp[] {
    return (Object.keys(SERVARR_LOGIN_APPS) as ServarrLoginApp[]).filter((id) => isEnabled(cfg, id));
}

/** The library managers tell Jellyfin about imports (when their kind has Jellyfin triggers). */
function notifiesJellyfinOf(id: AppId): boolean {
    return SERVARR_KINDS[id as ServarrKind].jellyfinTriggers.length > 0;
}

/** The channels of `homelab:alerts` as the apps' notifications use them, with their tokens (secrets). */
export function alertTargets(cfg: HomelabConfig): { target: AlertTarget; token?: pulumi.Output<string> }[] {
    const { ntfy, gotify, webhook } = cfg.alerts;
    return [
        ...(ntfy ? [{ target: { channel: "ntfy" as const, url: ntfy.url, topic: ntfy.topic }, token: ntfy.token }] : []),
        ...(gotify ? [{ target: { channel: "gotify" as const, url: gotify.url }, token: gotify.token }] : []),
        ...(webhook ? [{ target: { channel: "webhook" as const, url: webhook } }] : []),
    ];
}

function describeTarget(target: AlertTarget): string {
    return target.channel === "ntfy" ? `ntfy ${target.url} topic ${target.topic}` : `${target.channel === "gotify" ? "Gotify" : "webhook"} ${target.url}`;
}

/** The apps with notifications of their own that reach the alert channels, in catalog order. */
function alertingServarrApps(cfg: HomelabConfig): ServarrAlertApp[] {
    return [...libraryApps(cfg), "prowlarr" as AppId].filter((id): id is ServarrAlertApp => id in SERVARR_ALERT_APPS && isEnabled(cfg, id));
}

/** Seerr and Bazarr know Sonarr and Radarr only. */
function sonarrAndRadarr(cfg: HomelabConfig): ("sonarr" | "radarr")[] {
    return (["sonarr", "radarr"] as const).filter((id) => isEnabled(cfg, id));
}

const JELLYFIN_LIBRARIES: Record<MediaKind, { name: string; collectionType: JellyfinCollectionType }> = {
    tv: { name: "Shows", collectionType: "tvshows" },
    movies: { name: "Movies", collectionType: "movies" },
    music: { name: "Music", collectionType: "music" },
};

/** Jellyfin's API key for the apps that call it is issued under this app name. */
export const JELLYFIN_API_KEY_APP = "homelab-media";

const mediaKindOf = (id: AppId): MediaKind => CATALOG[id].mediaKind!;
const mediaFolder = (kind: MediaKind) => `${DATA_MOUNT_PATH}/media/${kind}`;
const torrentFolder = (kind: MediaKind) => `${DATA_MOUNT_PATH}/torrents/${kind}`;

export type WiringKind =
    | "qbittorrent" | "servarr-login" | "servarr" | "prowlarr-application" | "prowlarr-flaresolverr" | "jellyfin-setup" | "jellyfin" | "seerr" | "bazarr"
    | "servarr-alerts" | "seerr-alerts";

/**
 * One wiring resource of the plan: the app whose API it calls, the apps whose containers must run first (the
 * app itself and those whose addresses it stores and tests), and what it sets, for the `wiring` output.
 */
export interface PlannedWiring {
    /** Unique in the plan; the resource is named `<component>-<key>`. */
    key: string;
    kind: WiringKind;
    app: AppId;
    /** For a Prowlarr application: the library manager. */
    target?: AppId;
    talksTo: AppId[];
    /** Keys of wiring resources of this plan that must have run first. */
    after: string[];
    /** A first-run setup (an administrator is created): public routes wait for it. */
    setup: boolean;
    /** For the apps' own notifications: the `homelab:alerts` channel they go to. */
    channel?: AlertChannel;
    /** The key the resource had before its app was renamed (its state is kept through an alias). */
    formerKey?: string;
    settings: string[];
}

/** What the program wires with this config (nothing when `homelab:wiring` is false). */
export function wiringPlan(cfg: HomelabConfig): PlannedWiring[] {
    if (!cfg.wiring) return [];
    const libraries = libraryApps(cfg);
    const step = (s: Omit<PlannedWiring, "after" | "setup"> & Partial<PlannedWiring>): PlannedWiring => ({ after: [], setup: false, ...s });
    const plan: PlannedWiring[] = [step({
        key: "qbittorrent", kind: "qbittorrent", app: "qbittorrent", talksTo: ["qbittorrent"],
        settings: libraries.map((id) => `category ${mediaKindOf(id)} -> ${torrentFolder(mediaKindOf(id))}`),
    })];
    plan.push(step({
        key: "jellyfin-setup", kind: "jellyfin-setup", app: "jellyfin", talksTo: ["jellyfin"], setup: true,
        settings: [`administrator ${cfg.jellyfinAdmin} (startup wizard completed)`],
    }));
    plan.push(step({
        key: "jellyfin", kind: "jellyfin", app: "jellyfin", talksTo: ["jellyfin"], after: ["jellyfin-setup"],
        settings: [
            ...libraries.map((id) => `library ${JELLYFIN_LIBRARIES[mediaKindOf(id)].name} -> ${mediaFolder(mediaKindOf(id))}`),
            `known proxy ${proxySourceAddress(cfg, "jellyfin")} (Caddy)`,
            `local network ${cfg.lanSubnet}`,
            `API key "${JELLYFIN_API_KEY_APP}"`,
        ],
    }));
    for (const id of servarrLoginApps(cfg)) {
        plan.push(step({ key: `${id}-login`, kind: "servarr-login", app: id, talksTo: [id], settings: [`forms login ${SERVARR_USER} with a generated password`] }));
    }
    for (const id of libraries) {
        const kind = mediaKindOf(id);
        const notifiesJellyfin = notifiesJellyfinOf(id);
        plan.push(step({
            key: id, kind: "servarr", app: id, talksTo: [id, "qbittorrent", ...(notifiesJellyfin ? ["jellyfin" as const] : [])],
            after: ["qbittorrent", ...(notifiesJellyfin ? ["jellyfin"] : [])],
            settings: [
                `root folder ${mediaFolder(kind)}`,
                `download client qBittorrent at ${seenFrom(cfg, id, "qbittorrent").url} (category ${kind})`,
                "hardlinks instead of copies",
                ...(SERVARR_KINDS[id as ServarrKind].qualityProfile ? [`quality profile ${SERVARR_NAMES.qualityProfile}`] : []),
                ...(notifiesJellyfin ? [`Jellyfin at ${seenFrom(cfg, id, "jellyfin").url} told about imports`] : []),
            ],
        }));
    }
    for (const id of libraries) {
        plan.push(step({
            key: `prowlarr-${id}`, kind: "prowlarr-application", target: id, app: "prowlarr", talksTo: ["prowlarr", id], after: [id],
            settings: [`application ${CATALOG[id].title} at ${seenFrom(cfg, "prowlarr", id).url} (full sync; it reaches Prowlarr at ${seenFrom(cfg, id, "prowlarr").url})`],
        }));
    }
    if (isEnabled(cfg, "flaresolverr")) {
        plan.push(step({
            key: "prowlarr-flaresolverr", kind: "prowlarr-flaresolverr", app: "prowlarr", talksTo: ["prowlarr", "flaresolverr"],
            settings: [`indexer proxy FlareSolverr at ${seenFrom(cfg, "prowlarr", "flaresolverr").url} for indexers tagged flaresolverr`],
        }));
    }
    if (isEnabled(cfg, "seerr")) {
        const servers = sonarrAndRadarr(cfg);
        plan.push(step({
            key: "seerr", kind: "seerr", app: "seerr", formerKey: CATALOG.seerr.formerId, talksTo: ["seerr", "jellyfin", ...servers],
            after: ["jellyfin-setup", "jellyfin", ...servers], setup: true,
            settings: [
                `Jellyfin at ${seenFrom(cfg, "seerr", "jellyfin").url}, owner ${cfg.jellyfinAdmin}, movie and show libraries enabled`,
                `reverse proxy trusted (client addresses from X-Forwarded-For; Seerr restarted once to apply it)`,
                ...servers.map((id) => `${CATALOG[id].title} at ${seenFrom(cfg, "seerr", id).url} (default server, root folder ${mediaFolder(mediaKindOf(id))})`),
            ],
        }));
    }
    if (isEnabled(cfg, "bazarr")) {
        const servers = sonarrAndRadarr(cfg);
        plan.push(step({
            key: "bazarr", kind: "bazarr", app: "bazarr", talksTo: ["bazarr", ...servers], after: servers,
            settings: ["forms login", ...servers.map((id) => `${CATALOG[id].title} at ${seenFrom(cfg, "bazarr", id).url}`)],
        }));
    }
    for (const { target } of alertTargets(cfg)) {
        for (const id of alertingServarrApps(cfg)) {
            const what = id === "prowlarr" ? "health issues" : "imports and health issues";
            plan.push(step({
                key: `${id}-alerts-${target.channel}`, kind: "servarr-alerts", app: id, channel: target.channel, talksTo: [id],
                settings: [`connection "${alertConnectionName(target.channel)}": ${what} to ${describeTarget(target)}`],
            }));
        }
        if (isEnabled(cfg, "seerr")) {
            plan.push(step({
                key: `seerr-alerts-${target.channel}`, kind: "seerr-alerts", app: "seerr", channel: target.channel, talksTo: ["seerr"], after: ["seerr"],
                settings: [`request notifications to ${describeTarget(target)}`],
            }));
        }
    }
    return plan;
}

/** Addresses to enter when wiring by hand, or that the wiring entered (`from -> to`). */
export function wiringLinks(cfg: HomelabConfig): Record<string, string> {
    const links: Record<string, string> = {};
    const libraries = libraryApps(cfg);
    const title = (id: AppId) => CATALOG[id].title;
    for (const id of libraries) links[`${title(id)} -> qBittorrent`] = `${seenFrom(cfg, id, "qbittorrent").url} (category ${mediaKindOf(id)})`;
    for (const id of libraries) links[`Prowlarr -> ${title(id)}`] = seenFrom(cfg, "prowlarr", id).url;
    for (const id of libraries) links[`${title(id)} -> Prowlarr`] = seenFrom(cfg, id, "prowlarr").url;
    if (isEnabled(cfg, "flaresolverr")) links["Prowlarr -> FlareSolverr"] = seenFrom(cfg, "prowlarr", "flaresolverr").url;
    if (isEnabled(cfg, "seerr")) {
        links["Seerr -> Jellyfin"] = seenFrom(cfg, "seerr", "jellyfin").url;
        for (const id of sonarrAndRadarr(cfg)) links[`Seerr -> ${title(id)}`] = seenFrom(cfg, "seerr", id).url;
    }
    if (isEnabled(cfg, "bazarr")) {
        for (const id of sonarrAndRadarr(cfg)) links[`Bazarr -> ${title(id)}`] = seenFrom(cfg, "bazarr", id).url;
    }
    return links;
}

/** What is left to a person even with wiring on, by the app it is done in. */
const BY_HAND: { app: AppId; text: string }[] = [
    { app: "prowlarr", text: "Prowlarr: add your indexers (they are synced to every library manager); tag Cloudflare-protected ones `flaresolverr`" },
    { app: "bazarr", text: "Bazarr: choose subtitle providers and languages" },
    { app: "seerr", text: "Seerr: import or invite your Jellyfin users" },
];

export interface WiringSummary {
    automatic: boolean;
    /** What each app is set to, by app title (empty when wiring is off). */
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

/** The containers that must run for an app to answer: members answer only while the gateway runs. */
function containersReaching(cfg: HomelabConfig, id: AppId): AppId[] {
    return isVpnMember(cfg, id) ? ["gluetun", id] : [id];
}

function required<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`the wiring needs ${what}`);
    return value;
}

export class Wiring extends pulumi.ComponentResource {
    /** Every wiring resource, keyed by its plan key ("sonarr", "prowlarr-sonarr", "jellyfin-setup", ...). */
    public readonly resources: Record<string, pulumi.CustomResource> = {};
    /** The first-run setups (Jellyfin's administrator, Seerr's owner and its restart): public routes wait for them. */
    public readonly setups: pulumi.CustomResource[] = [];
    public readonly plan: PlannedWiring[];

    private readonly cfg: HomelabConfig;
    private readonly credentials: WiringCredentials;
    private readonly make: WiringConstructors;

    constructor(name: string, args: WiringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:wiring:Wiring", name, {}, opts);
        this.cfg = args.cfg;
        this.credentials = args.credentials;
        this.make = args.constructors ?? wiringConstructors;
        // One SSH connection per host: the provider reaches each app from the host it runs on.
        const connections = new Map(this.cfg.hosts.map((host) => [host.name, appConnection(host)]));
        this.plan = wiringPlan(this.cfg);
        for (const step of this.plan) {
            const containers = [...new Set(step.talksTo.flatMap((id) => containersReaching(this.cfg, id)))];
            const dependsOn: pulumi.Resource[] = [
                ...containers.map((id) => required(args.containers[id], `the ${CATALOG[id].title} container (for ${step.key})`)),
                ...step.after.map((key) => required(this.resources[key], `the ${key} wiring first (for ${step.key})`)),
            ];
            const connection = connections.get(hostOf(this.cfg, step.app).name)!;
            // Without the alias a renamed resource would be created anew and the old one deleted, and a wiring
            // resource's delete removes what it added (Seerr's Sonarr and Radarr entries).
            const aliases = step.formerKey ? [{ name: `${name}-${step.formerKey}` }] : undefined;
            const resource = this.declare(`${name}-${step.key}`, step, { connection, address: appAddress(this.cfg, step.app) }, { parent: this, dependsOn, aliases });
            this.resources[step.key] = resource;
            if (step.setup) this.setups.push(resource);
            if (step.kind === "seerr") this.setups.push(this.seerrRestart(`${name}-seerr-restart`, resource as SeerrWiring));
        }
        this.registerOutputs({ resources: this.resources });
    }

    /**
     * Seerr applies network.trustProxy only when it starts: this host step restarts it after the wiring saved
     * it (it checks Seerr's own `restartRequired`, so running it again is harmless).
     */
    private seerrRestart(name: string, seerr: SeerrWiring): pulumi.CustomResource {
        return hostStep(name, hostView(this.cfg, hostOf(this.cfg, "seerr")), "seerr-restart", { CONTAINER: "seerr", PORT: appPort(this.cfg, "seerr"), WAIT_SECONDS: 180 }, {
            parent: this,
            dependsOn: [seerr],
            triggers: [seerr.observed.apply((o) => o?.trustProxySavedAt ?? "")],
        });
    }

    private apiKey(id: AppId): pulumi.Output<string> {
        return required(this.credentials.apiKeys[id], `the API key of ${CATALOG[id].title}`);
    }

    private declare(
        name: string,
        step: PlannedWiring,
        base: { connection: pulumi.Output<AppConnection>; address: AppAddress },
        opts: pulumi.CustomResourceOptions,
    ): pulumi.CustomResource {
        const { cfg, credentials, make } = this;
        const libraries = libraryApps(cfg);
        switch (step.kind) {
            case "qbittorrent":
                return make.qbittorrent(name, {
                    ...base,
                    username: credentials.qbittorrent.user,
                    password: credentials.qbittorrent.password,
                    kinds: libraries.map(mediaKindOf),
                }, opts);
            case "servarr-login": {
                const login = required(credentials.servarrLogins[step.app], `the login of ${CATALOG[step.app].title}`);
                return make.servarrLogin(name, {
                    ...base, app: step.app as ServarrLoginApp, apiKey: this.apiKey(step.app), username: login.user, password: login.password,
                }, opts);
            }
            case "servarr": {
                // Root folder, qBittorrent as download client (with the app's category), hardlinks, Jellyfin told.
                const id = step.app as ServarrKind;
                const qbittorrent = seenFrom(cfg, id, "qbittorrent");
                const jellyfin = notifiesJellyfinOf(id) ? seenFrom(cfg, id, "jellyfin") : undefined;
                return make.servarr(name, {
                    ...base,
                    kind: id,
                    apiKey: this.apiKey(id),
                    rootFolderPath: mediaFolder(mediaKindOf(id)),
                    downloadClient: { host: qbittorrent.host, port: qbittorrent.port, username: credentials.qbittorrent.user, category: mediaKindOf(id) },
                    downloadClientPassword: credentials.qbittorrent.password,
                    jellyfin: jellyfin && { host: jellyfin.host, port: jellyfin.port },
                    jellyfinApiKey: jellyfin && (this.resources.jellyfin as JellyfinWiring).apiKey,
                }, opts);
            }
            case "prowlarr-application": {
                const target = step.target!;
                return make.prowlarrApplication(name, {
                    ...base,
                    apiKey: this.apiKey("prowlarr"),
                    name: CATALOG[target].title,
                    implementation: CATALOG[target].title as "Sonarr" | "Radarr" | "Lidarr",
                    prowlarrUrl: seenFrom(cfg, target, "prowlarr").url,
                    baseUrl: seenFrom(cfg, "prowlarr", target).url,
                    appApiKey: this.apiKey(target),
                }, opts);
            }
            case "prowlarr-flaresolverr":
                return make.prowlarrFlareSolverr(name, {
                    ...base, apiKey: this.apiKey("prowlarr"), flaresolverrUrl: `${seenFrom(cfg, "prowlarr", "flaresolverr").url}/`, tag: "flaresolverr",
                }, opts);
            case "jellyfin-setup": {
                const admin = required(credentials.jellyfinAdmin, "the Jellyfin administrator");
                return make.jellyfinSetup(name, { ...base, adminUser: admin.user, adminPassword: admin.password }, opts);
            }
            case "jellyfin": {
                const admin = required(credentials.jellyfinAdmin, "the Jellyfin administrator");
                return make.jellyfin(name, {
                    ...base,
                    adminUser: admin.user,
                    adminPassword: admin.password,
                    libraries: this.jellyfinLibraries(),
                    knownProxies: [proxySourceAddress(cfg, "jellyfin")],
                    localNetworkSubnets: [cfg.lanSubnet],
                    apiKeyApp: JELLYFIN_API_KEY_APP,
                }, opts);
            }
            case "seerr": {
                const admin = required(credentials.jellyfinAdmin, "the Jellyfin administrator");
                const setup = this.resources["jellyfin-setup"] as JellyfinSetup;
                const jellyfin = seenFrom(cfg, "seerr", "jellyfin");
                const dvr = (id: "sonarr" | "radarr") => {
                    if (!isEnabled(cfg, id)) return undefined;
                    const at = seenFrom(cfg, "seerr", id);
                    // The quality profile the Servarr wiring set up (known once it ran; a preview shows it unknown).
                    const servarr = this.resources[id] as ServarrWiring;
                    return pulumi.output({
                        name: CATALOG[id].title, hostname: at.host, port: at.port, apiKey: this.apiKey(id), useSsl: false, baseUrl: "",
                        profileId: servarr.qualityProfileId.apply((profileId) => profileId ?? 0),
                        profileName: servarr.qualityProfileName.apply((profileName) => profileName ?? SERVARR_NAMES.qualityProfile),
                        rootFolder: mediaFolder(mediaKindOf(id)),
                    });
                };
                return make.seerr(name, {
                    ...base,
                    apiKey: required(credentials.seerrApiKey, "Seerr's API key"),
                    jellyfinHost: jellyfin.host,
                    jellyfinPort: jellyfin.port,
                    jellyfinUrlBase: "",
                    jellyfinUseSsl: false,
                    jellyfinAdminUser: admin.user,
                    jellyfinAdminPassword: admin.password,
                    jellyfinAdminUserId: setup.adminUserId,
                    libraries: this.jellyfinLibraries().map(({ name: library, collectionType }) => ({ name: library, collectionType })),
                    sonarr: dvr("sonarr"),
                    radarr: dvr("radarr"),
                }, opts);
            }
            case "servarr-alerts":
            case "seerr-alerts": {
                const { target, token } = alertTargets(cfg).find((t) => t.target.channel === step.channel)!;
                if (step.kind === "seerr-alerts") {
                    return make.seerrAlerts(name, { ...base, apiKey: required(credentials.seerrApiKey, "Seerr's API key"), target, token }, opts);
                }
                return make.servarrAlerts(name, { ...base, app: step.app as ServarrAlertApp, apiKey: this.apiKey(step.app), target, token }, opts);
            }
            case "bazarr": {
                const bazarr = required(credentials.bazarr, "Bazarr's API key and login");
                const server = (id: "sonarr" | "radarr") => {
                    if (!isEnabled(cfg, id)) return undefined;
                    const at = seenFrom(cfg, "bazarr", id);
                    return pulumi.output({ ip: at.host, port: at.port, baseUrl: "", ssl: false, apiKey: this.apiKey(id) });
                };
                return make.bazarr(name, {
                    ...base,
                    apiKey: bazarr.apiKey,
                    authUsername: bazarr.user,
                    authPassword: bazarr.password,
                    sonarr: server("sonarr"),
                    radarr: server("radarr"),
                }, opts);
            }
        }
    }

    private jellyfinLibraries() {
        return libraryApps(this.cfg).map((id) => ({ ...JELLYFIN_LIBRARIES[mediaKindOf(id)], path: mediaFolder(mediaKindOf(id)) }));
    }
}
