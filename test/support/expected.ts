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
    readarr: 8787,
    bazarr: 6767,
    jellyfin: 8096,
    seerr: 5055,
};

export const DEFAULT_APPS = [
    "gluetun", "qbittorrent", "prowlarr", "flaresolverr", "sonarr", "radarr", "lidarr", "bazarr", "jellyfin", "seerr", "caddy",
];

/** Apps that mount the whole data tree at /data (hardlinks between torrents/ and media/). */
export const SHARED_DATA_APPS = ["qbittorrent", "sonarr", "radarr", "lidarr", "readarr", "bazarr"];

/** Servarr apps whose API key is fixed through `<APP>__AUTH__APIKEY`. */
export const SERVARR_APPS = ["prowlarr", "sonarr", "radarr", "lidarr", "readarr"];

/** Gluetun's control server: never published. qBittorrent's torrent port: never published. */
export const NEVER_PUBLISHED = [8000, 6881];

/** An image reference pinned to a version tag (not latest) or a digest. */
export function isPinnedImage(ref: string): boolean {
    if (/@sha256:[0-9a-f]{64}$/.test(ref)) return true;
    const last = ref.split("/").pop() ?? "";
    const tag = last.includes(":") ? last.slice(last.indexOf(":") + 1) : "";
    return tag !== "" && tag !== "latest";
}
