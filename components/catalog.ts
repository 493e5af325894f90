/**
 * The catalog of apps: the one place that says what each app is (image, port, health probe, where it lives
 * on the network, what data it needs, its proxy host name, its login-failure log). Containers, proxy routes,
 * firewall ports, Fail2Ban jails, outputs and the policy pack are all derived from it, so adding an app is
 * one entry here plus the component that owns it.
 */

export const APP_IDS = [
    "gluetun",
    "qbittorrent",
    "prowlarr",
    "flaresolverr",
    "sonarr",
    "radarr",
    "lidarr",
    "bazarr",
    "jellyfin",
    "seerr",
    "caddy",
] as const;
export type AppId = (typeof APP_IDS)[number];

/**
 * Where an app sits on the network:
 * - `gateway`: it is the VPN gateway;
 * - `vpn`: always inside the gateway's network namespace;
 * - `vpn-by-default`: inside the namespace unless `homelab:indexersThroughVpn` is false;
 * - `bridge`: on the stack's Docker network.
 */
export type Placement = "gateway" | "vpn" | "vpn-by-default" | "bridge";

/** What part of the data tree an app mounts: the whole tree read-write, only the media read-only, or nothing. */
export type DataNeed = "shared" | "media-readonly" | "none";

/** How the app learns which user to run as. */
export type Identity = "linuxserver-env" | "container-user" | "image-default";

/** How the healthcheck probes the app inside the image (with whatever the image ships). */
export type ProbeTool = "curl" | "wget" | "python" | "gluetun";

export type Fail2BanFilter = "servarr" | "jellyfin" | "qbittorrent" | "seerr";

/** What an app does in the stack; components and wiring pick their apps by role. */
export type AppRole =
    | "vpn-gateway" | "download-client" | "indexer" | "captcha-solver" | "library" | "subtitles"
    | "streaming" | "requests" | "reverse-proxy";

/** Media kinds of the hardlink layout: `torrents/<kind>` and `media/<kind>` under the data root. */
export const MEDIA_KINDS = ["tv", "movies", "music"] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

export interface AppSpec {
    id: AppId;
    title: string;
    role: AppRole;
    /** Library managers: the media kind they handle, also their qBittorrent category. */
    mediaKind?: MediaKind;
    /** Pinned image reference; overridable with `homelab:images`. */
    image: string;
    /** The port the app listens on inside its container (and, for LAN access, on the host). */
    port: number;
    /**
     * The app must listen on the same port it is published on (qBittorrent's WebUI checks it): a
     * `homelab:hostPorts` override then moves the app's own port too.
     */
    portFollowsHost?: boolean;
    /** `port` defaults to the app port, `host` to localhost (Caddy is probed on its admin API, bound to 127.0.0.1). */
    probe: { tool: ProbeTool; path: string; port?: number; host?: string };
    placement: Placement;
    data: DataNeed;
    /** Where the app keeps its state; a named volume is mounted there. Absent for stateless apps. */
    configPath?: string;
    /**
     * The app this one replaced and whose data it carries on (Seerr: Jellyseerr). Its config volume stays the
     * former app's, name and label unchanged (`homelab-<formerId>-config`), so a deployed stack's volume is
     * neither copied nor replaced; the former app's `homelab:*` keys are refused with the new name.
     */
    formerId?: string;
    identity: Identity;
    /**
     * `uid:gid` the image's own user writes its files as (`image-default` apps that do not run as root). The
     * config volume is handed to it before the app starts; absent: root.
     */
    imageUser?: string;
    /** Present for apps a user can switch on or off with `homelab:apps`; the value is the default. */
    optionalDefault?: boolean;
    /** Servarr apps: prefix of the `<PREFIX>__AUTH__*` variables that fix the API key and auth. */
    servarrPrefix?: string;
    /** Proxy host name under the stack's domain; absent for apps that are not browsed. */
    subdomain?: string;
    /** `public` routes are reachable from anywhere through the proxy, `lan` only from the LAN subnet. */
    exposure?: "public" | "lan";
    /**
     * Failed-login log, relative to the config volume, and the Fail2Ban filter that reads it. `link`: the app
     * keeps `file` as a symbolic link to its current (daily) log; Fail2Ban follows it across rotations and
     * never creates it (a regular file in its place would stop the app from making the link).
     */
    loginLog?: { file: string; filter: Fail2BanFilter; link?: boolean };
    /** Default memory limit in MiB; overridable with `homelab:memoryLimits`. */
    memoryMb: number;
}

export const CATALOG: Readonly<Record<AppId, AppSpec>> = {
    gluetun: {
        id: "gluetun",
        role: "vpn-gateway",
        title: "Gluetun",
        image: "qmcgaw/gluetun:v3.41.1",
        port: 8000,
        probe: { tool: "gluetun", path: "" },
        placement: "gateway",
        data: "none",
        configPath: "/gluetun",
        identity: "image-default",
        memoryMb: 256,
    },
    qbittorrent: {
        id: "qbittorrent",
        role: "download-client",
        title: "qBittorrent",
        image: "lscr.io/linuxserver/qbittorrent:5.2.3_v2.0.13-ls469",
        port: 8080,
        portFollowsHost: true,
        probe: { tool: "curl", path: "/api/v2/app/version" },
        placement: "vpn",
        data: "shared",
        configPath: "/config",
        identity: "linuxserver-env",
        subdomain: "qbittorrent",
        exposure: "lan",
        loginLog: { file: "qBittorrent/logs/qbittorrent.log", filter: "qbittorrent" },
        memoryMb: 1024,
    },
    prowlarr: {
        id: "prowlarr",
        role: "indexer",
        title: "Prowlarr",
        image: "lscr.io/linuxserver/prowlarr:2.5.2.5491-ls155",
        port: 9696,
        probe: { tool: "curl", path: "/ping" },
        placement: "vpn-by-default",
        data: "none",
        configPath: "/config",
        identity: "linuxserver-env",
        servarrPrefix: "PROWLARR",
        subdomain: "prowlarr",
        exposure: "lan",
        loginLog: { file: "logs/prowlarr.txt", filter: "servarr" },
        memoryMb: 512,
    },
    flaresolverr: {
        id: "flaresolverr",
        role: "captcha-solver",
        title: "FlareSolverr",
        image: "ghcr.io/flaresolverr/flaresolverr:v3.5.0",
        port: 8191,
        probe: { tool: "python", path: "/health" },
        placement: "vpn-by-default",
        data: "none",
        identity: "image-default",
        optionalDefault: true,
        memoryMb: 1024,
    },
    sonarr: {
        id: "sonarr",
        role: "library", mediaKind: "tv",
        title: "Sonarr",
        image: "lscr.io/linuxserver/sonarr:4.0.19.2979-ls316",
        port: 8989,
        probe: { tool: "curl", path: "/ping" },
        placement: "bridge",
        data: "shared",
        configPath: "/config",
        identity: "linuxserver-env",
        servarrPrefix: "SONARR",
        subdomain: "sonarr",
        exposure: "lan",
        loginLog: { file: "logs/sonarr.txt", filter: "servarr" },
        memoryMb: 1024,
    },
    radarr: {
        id: "radarr",
        role: "library", mediaKind: "movies",
        title: "Radarr",
        image: "lscr.io/linuxserver/radarr:6.2.1.10461-ls308",
        port: 7878,
        probe: { tool: "curl", path: "/ping" },
        placement: "bridge",
        data: "shared",
        configPath: "/config",
        identity: "linuxserver-env",
        servarrPrefix: "RADARR",
        subdomain: "radarr",
        exposure: "lan",
        loginLog: { file: "logs/radarr.txt", filter: "servarr" },
        memoryMb: 1024,
    },
    lidarr: {
        id: "lidarr",
        role: "library", mediaKind: "music",
        title: "Lidarr",
        image: "lscr.io/linuxserver/lidarr:3.1.0.4875-ls38",
        port: 8686,
        probe: { tool: "curl", path: "/ping" },
        placement: "bridge",
        data: "shared",
        configPath: "/config",
        identity: "linuxserver-env",
        optionalDefault: true,
        servarrPrefix: "LIDARR",
        subdomain: "lidarr",
        exposure: "lan",
        loginLog: { file: "logs/lidarr.txt", filter: "servarr" },
        memoryMb: 768,
    },
    bazarr: {
        id: "bazarr",
        role: "subtitles",
        title: "Bazarr",
        image: "lscr.io/linuxserver/bazarr:v1.6.0-ls360",
        port: 6767,
        probe: { tool: "curl", path: "/" },
        placement: "bridge",
        data: "shared",
        configPath: "/config",
        identity: "linuxserver-env",
        optionalDefault: true,
        subdomain: "bazarr",
        exposure: "lan",
        memoryMb: 512,
    },
    jellyfin: {
        id: "jellyfin",
        role: "streaming",
        title: "Jellyfin",
        image: "jellyfin/jellyfin:10.11.11",
        port: 8096,
        // Not /health: while 10.11 starts (and while it migrates a 10.10 database) a setup server answers
        // /health with 200 ("Degraded") and every API path with 503; /System/Ping only the real server answers.
        probe: { tool: "curl", path: "/System/Ping" },
        placement: "bridge",
        data: "media-readonly",
        configPath: "/config",
        identity: "container-user",
        subdomain: "jellyfin",
        exposure: "public",
        loginLog: { file: "log/*.log", filter: "jellyfin" },
        memoryMb: 4096,
    },
    seerr: {
        id: "seerr",
        role: "requests",
        title: "Seerr",
        // Jellyseerr and Overseerr merged into Seerr (seerr-team/seerr); it migrates a Jellyseerr config on start.
        image: "ghcr.io/seerr-team/seerr:v3.1.0",
        port: 5055,
        // node:22-alpine base: busybox wget, no curl (Dockerfile).
        probe: { tool: "wget", path: "/api/v1/status" },
        placement: "bridge",
        data: "none",
        configPath: "/app/config",
        // Jellyseerr's volume, carried over as it is (docs/migration-guide.mdx: same config folder, owned by 1000).
        formerId: "jellyseerr",
        identity: "image-default",
        // Dockerfile: USER node:node (1000:1000 in node:alpine).
        imageUser: "1000:1000",
        optionalDefault: true,
        subdomain: "requests",
        exposure: "public",
        // server/logger.ts: logs/seerr-YYYY-MM-DD.log, with the link logs/seerr.log pointed at it (createSymlink).
        loginLog: { file: "logs/seerr.log", filter: "seerr", link: true },
        memoryMb: 512,
    },
    caddy: {
        id: "caddy",
        role: "reverse-proxy",
        title: "Caddy",
        image: "caddy:2.11.4-alpine",
        port: 443,
        probe: { tool: "wget", path: "/config/", port: 2019, host: "127.0.0.1" },
        placement: "bridge",
        data: "none",
        configPath: "/config",
        identity: "image-default",
        memoryMb: 256,
    },
};

/**
 * The upstream app version in a pinned image reference, without a leading "v": the tag's leading dotted number
 * (`lscr.io/linuxserver/sonarr:4.0.19.2979-ls316` -> 4.0.19.2979, `...qbittorrent:5.2.3_v2.0.13-ls469` -> 5.2.3,
 * `...bazarr:v1.6.0-ls360` -> 1.6.0, `caddy:2.11.4-alpine` -> 2.11.4); undefined for a tag without one.
 */
export function upstreamVersion(image: string): string | undefined {
    const name = image.split("@")[0];
    const lastSlash = name.lastIndexOf("/");
    const colon = name.indexOf(":", lastSlash + 1);
    if (colon < 0) return undefined;
    return /^v?(\d+(?:\.\d+)*)/.exec(name.slice(colon + 1))?.[1];
}

/** Container path of the shared data tree, identical in the download client and every *arr app. */
export const DATA_MOUNT_PATH = "/data";

/** Gluetun's health server inside its namespace: members probe it so they turn unhealthy with the tunnel. */
export const GLUETUN_HEALTH_URL = "http://127.0.0.1:9999";

/** qBittorrent's torrent listening port inside the namespace; never published on the host. */
export const TORRENTING_PORT = 6881;

export const PROXY_PORTS = [80, 443] as const;

export interface RetiredApp {
    /** What happened to it and to what it left behind: the text of the config error that names it. */
    reason: string;
    /**
     * The app that followed it in APP_IDS: its fixed address stays reserved there, so no other app's address
     * moves (addresses live on in app settings seeded once, e.g. qBittorrent's trusted proxy).
     */
    slotBefore: AppId;
}

/**
 * Apps this stack deployed once and that were retired upstream. Config that still names one fails with its
 * reason (`homelab:apps.<id>: false` is accepted: it asks for what the stack does anyway).
 */
export const RETIRED_APPS: ReadonlyMap<string, RetiredApp> = new Map([
    ["readarr", {
        reason: "Readarr was retired upstream (repository archived in June 2025, image no longer published) and is no longer deployed; " +
            "its config volume homelab-readarr-config and the books folders of the data tree are kept as they are",
        slotBefore: "bazarr",
    }],
]);

/** An app's fixed-address slot on the stack network: its catalog position, counting the slots retired apps keep. */
export function addressSlot(id: AppId): number {
    const position = APP_IDS.indexOf(id);
    const reserved = [...RETIRED_APPS.values()].filter((r) => APP_IDS.indexOf(r.slotBefore) <= position).length;
    return position + reserved;
}

/** The host device Jellyfin's hardware transcoding needs (VA-API / QSV). */
export const JELLYFIN_GPU_DEVICE = "/dev/dri";

export const OPTIONAL_APPS: readonly AppId[] = APP_IDS.filter((id) => CATALOG[id].optionalDefault !== undefined);

/** Whether an app lives in Gluetun's network namespace, given `homelab:indexersThroughVpn`. */
export function livesInVpnNamespace(id: AppId, indexersThroughVpn: boolean): boolean {
    const placement = CATALOG[id].placement;
    return placement === "vpn" || (placement === "vpn-by-default" && indexersThroughVpn);
}

/** The port an app listens on in its container (or namespace): its own port, unless that follows its host port. */
export function listenPortFor(id: AppId, hostPort: number): number {
    return CATALOG[id].portFollowsHost ? hostPort : CATALOG[id].port;
}

export function appsWithRole(...roles: AppRole[]): AppId[] {
    return APP_IDS.filter((id) => roles.includes(CATALOG[id].role));
}

/** Apps that were replaced: former app id (an old `homelab:*` key) -> the app that carries on its data. */
export const RENAMED_APPS: Readonly<Record<string, AppId>> = Object.fromEntries(
    APP_IDS.flatMap((id) => (CATALOG[id].formerId === undefined ? [] : [[CATALOG[id].formerId, id]])),
);
