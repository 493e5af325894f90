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
    "readarr",
    "bazarr",
    "jellyfin",
    "jellyseerr",
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

export type Fail2BanFilter = "servarr" | "jellyfin" | "qbittorrent" | "jellyseerr";

/** What an app does in the stack; components and wiring pick their apps by role. */
export type AppRole =
    | "vpn-gateway" | "download-client" | "indexer" | "captcha-solver" | "library" | "subtitles"
    | "streaming" | "requests" | "reverse-proxy";

/** Media kinds of the hardlink layout: `torrents/<kind>` and `media/<kind>` under the data root. */
export const MEDIA_KINDS = ["tv", "movies", "music", "books"] as const;
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
    identity: Identity;
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
        image: "lscr.io/linuxserver/qbittorrent:5.1.4",
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
        image: "lscr.io/linuxserver/prowlarr:2.3.0",
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
        image: "ghcr.io/flaresolverr/flaresolverr:v3.3.21",
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
        image: "lscr.io/linuxserver/sonarr:4.0.15",
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
        image: "lscr.io/linuxserver/radarr:5.21.1",
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
        image: "lscr.io/linuxserver/lidarr:2.13.3",
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
    readarr: {
        id: "readarr",
        role: "library", mediaKind: "books",
        title: "Readarr",
        // Retired upstream in mid-2025: the last published build, kept for people who still run it.
        image: "lscr.io/linuxserver/readarr:develop-0.4.18.2805-ls157",
        port: 8787,
        probe: { tool: "curl", path: "/ping" },
        placement: "bridge",
        data: "shared",
        configPath: "/config",
        identity: "linuxserver-env",
        optionalDefault: false,
        servarrPrefix: "READARR",
        subdomain: "readarr",
        exposure: "lan",
        loginLog: { file: "logs/readarr.txt", filter: "servarr" },
        memoryMb: 768,
    },
    bazarr: {
        id: "bazarr",
        role: "subtitles",
        title: "Bazarr",
        image: "lscr.io/linuxserver/bazarr:v1.6.0-ls356",
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
        image: "jellyfin/jellyfin:10.10.7",
        port: 8096,
        probe: { tool: "curl", path: "/health" },
        placement: "bridge",
        data: "media-readonly",
        configPath: "/config",
        identity: "container-user",
        subdomain: "jellyfin",
        exposure: "public",
        loginLog: { file: "log/*.log", filter: "jellyfin" },
        memoryMb: 4096,
    },
    jellyseerr: {
        id: "jellyseerr",
        role: "requests",
        title: "Jellyseerr",
        image: "fallenbagel/jellyseerr:2.7.3",
        port: 5055,
        probe: { tool: "wget", path: "/api/v1/status" },
        placement: "bridge",
        data: "none",
        configPath: "/app/config",
        identity: "image-default",
        optionalDefault: true,
        subdomain: "requests",
        exposure: "public",
        // 2.x writes logs/jellyseerr-YYYY-MM-DD.log and points this link at it (and deletes a regular overseerr.log).
        loginLog: { file: "logs/jellyseerr.log", filter: "jellyseerr", link: true },
        memoryMb: 512,
    },
    caddy: {
        id: "caddy",
        role: "reverse-proxy",
        title: "Caddy",
        image: "caddy:2.10.0-alpine",
        port: 443,
        probe: { tool: "wget", path: "/config/", port: 2019, host: "127.0.0.1" },
        placement: "bridge",
        data: "none",
        configPath: "/config",
        identity: "image-default",
        memoryMb: 256,
    },
};

/** Container path of the shared data tree, identical in the download client and every *arr app. */
export const DATA_MOUNT_PATH = "/data";

/** Gluetun's health server inside its namespace: members probe it so they turn unhealthy with the tunnel. */
export const GLUETUN_HEALTH_URL = "http://127.0.0.1:9999";

/** qBittorrent's torrent listening port inside the namespace; never published on the host. */
export const TORRENTING_PORT = 6881;

export const PROXY_PORTS = [80, 443] as const;

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
