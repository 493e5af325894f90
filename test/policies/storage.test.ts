/** media-hardlink-layout: one data root at /data in the download client and the *arr apps. */
import { Graph, judge, syntheticStack } from "./fixtures";

const POLICY = "media-hardlink-layout";
const volumes = (g: Graph, app: string) => g.container(app).serializedInputs.volumes as Array<Record<string, unknown>>;

describe(POLICY, () => {
    let g: Graph;
    beforeEach(() => {
        g = syntheticStack("preview");
    });

    it("catches an *arr app whose /data is another host directory", async () => {
        volumes(g, "radarr")[1].hostPath = "/mnt/other/data";
        const verdict = await judge(g.resources);
        expect(verdict.failed).toEqual([POLICY]);
        expect(verdict.mandatory[0].urn).toBe(g.container("radarr").urn);
        expect(verdict.mandatory[0].message).toContain("/mnt/other/data");
    });

    it("catches a split /downloads mount in the client", async () => {
        volumes(g, "qbittorrent").push({ hostPath: "/srv/downloads", containerPath: "/downloads" });
        expect((await judge(g.resources)).mandatory[0].message).toContain("split layout");
    });

    it("catches an *arr app without /data", async () => {
        volumes(g, "sonarr").splice(1, 1, { hostPath: "/srv/homelab/data/media/tv", containerPath: "/tv" });
        const verdict = await judge(g.resources);
        expect(verdict.failed).toEqual([POLICY]);
        expect(verdict.mandatory).toHaveLength(2);
    });

    it("does not require Bazarr to mount /data, but holds it to the same root when it does", async () => {
        volumes(g, "bazarr").splice(1, 1);
        expect((await judge(g.resources)).all).toEqual([]);
        volumes(g, "bazarr").push({ hostPath: "/srv/subtitles", containerPath: "/data" });
        expect((await judge(g.resources)).failed).toEqual([POLICY]);
    });

    it("ignores Jellyfin's read-only /data/media", async () => {
        expect(volumes(g, "jellyfin")[1].containerPath).toBe("/data/media");
        expect((await judge(g.resources)).all).toEqual([]);
    });
});
