/**
 * The hardlink layout: the download clients and every *arr app that imports from them mount the same host
 * directory at the same container path, /data, so an import is a hardlink or a rename instead of a copy.
 *
 * Bazarr is not required to mount /data (it only reads media and writes subtitles next to it); if it does,
 * it must use the same root, so the paths Sonarr/Radarr report are valid in Bazarr without path mappings.
 * Jellyfin mounts only /data/media (read-only) and is not checked here.
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { ContainerView, MountView, containersOf, describe, isUnder, mountsOf, normalizePath } from "./graph";

export const DATA_PATH = "/data";
/** Container paths of a split layout, which silently turns every import into a copy. */
export const SPLIT_PATHS = ["/downloads", "/tv", "/movies", "/music", "/books", "/torrents", "/usenet", "/completed", "/incomplete", "/media"];

function participates(c: ContainerView): "required" | "optional" | undefined {
    if (c.role === "download-client" || c.role === "arr") return "required";
    const basename = c.image?.basename ?? c.app ?? "";
    return basename === "bazarr" ? "optional" : undefined;
}

function sourceKey(m: MountView): string | undefined {
    if (m.hostPath) return `host path ${normalizePath(m.hostPath)}`;
    if (m.volumeName) return `volume ${m.volumeName}`;
    return undefined;
}

export const mediaHardlinkLayout: StackValidationPolicy = {
    name: "media-hardlink-layout",
    description:
        "Download clients and *arr apps (Sonarr, Radarr, Lidarr, Readarr) mount one host directory at /data (Bazarr too if it mounts /data), with no separate /downloads, /tv or /movies mounts, so imports are hardlinks.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const sources = new Map<string, ContainerView[]>();
        for (const c of containersOf(args.resources)) {
            const role = participates(c);
            if (!role) continue;
            const mounts = mountsOf(c);
            const data = mounts.filter((m) => m.containerPath !== undefined && normalizePath(m.containerPath) === DATA_PATH);
            for (const m of mounts) {
                const target = m.containerPath ? normalizePath(m.containerPath) : undefined;
                if (target && SPLIT_PATHS.some((p) => isUnder(target, p))) {
                    reportViolation(
                        `${describe(c)} mounts ${target}: a split layout, so every import becomes a full copy instead of a hardlink. Mount the data root at ${DATA_PATH} only and use ${DATA_PATH}/torrents/... and ${DATA_PATH}/media/... inside it.`,
                        c.urn,
                    );
                }
            }
            if (data.length === 0) {
                if (role === "required") {
                    reportViolation(`${describe(c)} does not mount the shared data root at ${DATA_PATH}. Add \`{ hostPath: <data root>, containerPath: "${DATA_PATH}" }\`, the same in the download client and every *arr app.`, c.urn);
                }
                continue;
            }
            for (const m of data) {
                const key = sourceKey(m);
                if (key === undefined) continue; // computed during preview: checked on update
                sources.set(key, [...(sources.get(key) ?? []), c]);
            }
        }
        if (sources.size > 1) {
            const [majority] = [...sources.entries()].sort((a, b) => b[1].length - a[1].length)[0];
            for (const [key, containers] of sources) {
                if (key === majority) continue;
                for (const c of containers) {
                    reportViolation(
                        `${describe(c)} mounts ${key} at ${DATA_PATH}, but the others use ${majority}: hardlinks cannot cross the two, so imports become copies. Mount the same host directory at ${DATA_PATH} everywhere.`,
                        c.urn,
                    );
                }
            }
        }
    },
};
