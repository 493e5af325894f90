/**
 * qBittorrent 5.x behaviours the Debian qbittorrent-nox of test/wiring/qbittorrent.test.ts (4.5.x) does not have,
 * run against a thin stand-in that answers as 5.1.4's and 5.2.3's WebAPI code does (test/wiring/apps/
 * qbittorrent-5x-standin.ts names the upstream files). The catalog pins 5.2.3; 5.1.4 was the previous pin.
 */
import { openClient } from "../../components/wiring/core/client";
import { qbittorrentDesired, qbittorrentWiring, QbittorrentWiringInputs } from "../../components/wiring/qbittorrent";
import { WIRING_VERSION } from "../../components/wiring/core/version";
import { QbittorrentStandin, StandinVersion, startQbittorrentStandin } from "./apps/qbittorrent-5x-standin";

const CREDENTIALS = { username: "admin", password: "pw" };

function inputsFor(standin: QbittorrentStandin): QbittorrentWiringInputs {
    return {
        connection: { kind: "local" }, address: { host: "127.0.0.1", port: standin.port, basePath: "" }, providerVersion: WIRING_VERSION,
        ...CREDENTIALS, ...qbittorrentDesired(["tv", "movies"]),
    };
}

describe.each<StandinVersion>(["5.1.4", "5.2.3"])("qBittorrent %s", (version) => {
    let standin: QbittorrentStandin;
    beforeEach(async () => { standin = await startQbittorrentStandin(version, CREDENTIALS); });
    afterEach(async () => standin.close());

    test("the wiring signs in (200 Ok. up to 5.1, 204 with QBT_SID_<port> in 5.2) and creates the categories", async () => {
        const { client, close } = openClient("qBittorrent", { kind: "local" }, inputsFor(standin).address);
        try {
            const result = await qbittorrentWiring.converge(client, inputsFor(standin), undefined, []);
            expect(result.state.categories).toEqual({ tv: "/data/torrents/tv", movies: "/data/torrents/movies" });
            expect(result.created).toEqual(["category:movies", "category:tv"]);
        } finally {
            close();
        }
    });

    test("a category that appeared since it was observed, with the wanted path, is adopted (5.1 answers 409 to the unchanged edit)", async () => {
        const { client, close } = openClient("qBittorrent", { kind: "local" }, inputsFor(standin).address);
        try {
            const observed = await qbittorrentWiring.observe(client, inputsFor(standin));
            standin.categories.set("tv", "/data/torrents/tv");
            const result = await qbittorrentWiring.converge(client, inputsFor(standin), observed, []);
            expect(result.state.categories.tv).toBe("/data/torrents/tv");
            expect(result.created).toEqual(["category:movies"]);
            expect(standin.log).toContain(`POST /api/v2/torrents/editCategory ${version === "5.1.4" ? 409 : 200}`);
        } finally {
            close();
        }
    });

    test("a wrong password is refused with a one-line reason", async () => {
        const inputs = { ...inputsFor(standin), password: "wrong" };
        const { client, close } = openClient("qBittorrent", { kind: "local" }, inputs.address);
        try {
            await expect(qbittorrentWiring.observe(client, inputs)).rejects.toThrow(/the WebUI refused user admin/);
        } finally {
            close();
        }
    });
});
