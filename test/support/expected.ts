/**
 * What the stack should look like, written down independently of the catalog (from the upstream docs in
 * FACTS.md), so a wrong catalog entry fails a test instead of being echoed back by it.
 */

/** WebUI ports of each app inside its container (and on the host unless overridden). */
export const APP_PORTS: Record<string, number> = {
    qbittorrent: 8080,
    prowlarr: 9696,
    flaresolverr: 8191,
    sonarr: 8989,
    radarr: 7878,
    lidarr: 8686,
    bazarr: 6767,
    jellyfin: 8096,
    seerr: 5055,
};

export const DEFAULT_APPS = [
    "gluetun", "qbittorrent", "prowlarr", "flaresolverr", "sonarr", "radarr", "lidarr", "bazarr", "jellyfin", "seerr", "caddy",
];

/** Apps that mount the whole data tree at /data (hardlinks between torrents/ and media/). */
export const SHARED_DATA_APPS = ["qbittorrent", "sonarr", "radarr", "lidarr", "bazarr"];

/** Servarr apps whose API key is fixed through `<APP>__AUTH__APIKEY`. */
export const SERVARR_APPS = ["prowlarr", "sonarr", "radarr", "lidarr"];

/** Gluetun's control server: never published. qBittorrent's torrent port: never published. */
export const NEVER_PUBLISHED = [8000, 6881];

/** An image reference pinned to a version tag (not latest) or a digest. */
export function isPinnedImage(ref: string): boolean {
    if (/@sha256:[0-9a-f]{64}$/.test(ref)) return true;
    const last = ref.split("/").pop() ?? "";
    const tag = last.includes(":") ? last.slice(last.indexOf(":") + 1) : "";
    return tag !== "" && tag !== "latest";
}

/**
 * The variables Gluetun v3.41.1 (the pinned version) reads that the program may set, each with the file of
 * qdm12/gluetun `internal/configuration/settings` at that tag that reads it. A name not read there is ignored
 * by Gluetun without a word: a renamed option would silently stop working.
 */
export const GLUETUN_VARIABLES: Record<string, string> = {
    VPN_SERVICE_PROVIDER: "provider.go", VPN_TYPE: "vpn.go", FIREWALL_OUTBOUND_SUBNETS: "firewall.go",
    HEALTH_RESTART_VPN: "health.go", HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH: "server.go",
    WIREGUARD_PRIVATE_KEY: "wireguard.go", OPENVPN_USER: "openvpn.go", OPENVPN_PASSWORD: "openvpn.go",
    SERVER_COUNTRIES: "serverselection.go", SERVER_CITIES: "serverselection.go", PORT_FORWARD_ONLY: "serverselection.go",
    VPN_PORT_FORWARDING: "portforward.go", VPN_PORT_FORWARDING_UP_COMMAND: "portforward.go",
    VPN_PORT_FORWARDING_DOWN_COMMAND: "portforward.go", TZ: "system.go", PUID: "system.go", PGID: "system.go",
};
