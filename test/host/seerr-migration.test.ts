/**
 * Issue 12: `pulumi up` on a stack deployed today replaces Jellyseerr with Seerr and keeps the user's requests and
 * settings. On this machine's Docker engine (no registry, no test host needed: the step only uses the Docker CLI):
 * a config volume written the way Jellyseerr 2.7.3 writes it (as root: settings.json, db/db.sqlite3 with a
 * request, logs/ with its link), the old container still running on it; then the program's own steps, taken from
 * its graph under the mock engine: the `seerr-config` host step (its exact command string) and the Seerr container
 * created through test/host/engine.ts, with a stand-in image (test/host/standins/seerr-standin) that does to the
 * config what Seerr does at start, as uid 1000.
 *
 * Own names so that nothing else on the engine is touched: every container, volume and network the program
 * names gets the prefix `seerr-`, the network the subnet 10.215.0.0/24.
 */
import * as http from "http";
import { CapturedResource, ProgramRun } from "../../scripts/mock-engine";
import { CONTAINER, EngineRequest, NETWORK, REMOTE_IMAGE, StackOnEngine, VOLUME } from "./engine";
import { APPS_BASE, derive } from "./standins";
import { BRINGUP, must, run } from "./host";
import { programOptions } from "../support/fixtures";

jest.setTimeout(300_000);

const PREFIX = "seerr-";
const SUBNET = "10.215.0.0/24";
const VOLUME_NAME = "homelab-jellyseerr-config";
const OLD_CONTAINER = "jellyseerr";
const API_KEY = "jellyseerr-2.7.3-api-key-of-the-user";
const renamed = (name: string) => `${PREFIX}${name}`;

let program: ProgramRun;
let standIn: string;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mock = () => require("../../scripts/mock-engine") as typeof import("../../scripts/mock-engine");
const revealed = (r: CapturedResource) => mock().readableInputs(r.serializedInputs, true) as Record<string, unknown>;
const named = (name: string) => {
    const found = program.resources.find((r) => r.name === name);
    if (!found) throw new Error(`the program declares no ${name}`);
    return found;
};

/** Engine API calls to this machine's engine, with the program's names given this suite's prefix. */
const request: EngineRequest = (method, path, body, contentType) => new Promise((resolve, reject) => {
    const names = [VOLUME_NAME, "homelab", "seerr"];
    const rewrite = (text: string) => names.reduce((t, n) => t
        .replace(new RegExp(`"Name":"${n}"`, "g"), `"Name":"${renamed(n)}"`)
        .replace(new RegExp(`"${n}:/app/config`, "g"), `"${renamed(n)}:/app/config`), text);
    const url = path
        .replace(/^\/containers\/create\?name=seerr$/, `/containers/create?name=${renamed("seerr")}`)
        .replace(/^\/networks\/homelab\//, `/networks/${renamed("homelab")}/`);
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(rewrite(JSON.stringify(body)));
    const headers: Record<string, string | number> = { Host: "docker" };
    if (payload) {
        headers["Content-Type"] = contentType ?? "application/json";
        headers["Content-Length"] = payload.length;
    }
    const req = http.request({ socketPath: "/var/run/docker.sock", method, path: url, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
            const buf = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, body: buf, json: () => JSON.parse(buf.toString("utf8") || "null") });
        });
    });
    req.on("error", reject);
    req.end(payload);
});

function cleanUp(): void {
    run("docker", ["rm", "-f", renamed("seerr"), renamed(OLD_CONTAINER)]);
    run("docker", ["network", "rm", renamed("homelab")]);
    run("docker", ["volume", "rm", renamed(VOLUME_NAME)]);
}

/** Jellyseerr 2.7.3's config folder as it leaves it: everything written by root (it ran as root). */
const JELLYSEERR_VOLUME = `
set -e
cd /app/config
mkdir -p db logs
touch DOCKER
cat > settings.json <<'JSON'
{
 "clientId": "6f1c1f5e-8d2a-4c39-9d5e-3c1c2f1a0b11",
 "main": { "apiKey": "${API_KEY}", "applicationTitle": "Jellyseerr", "mediaServerType": 2, "localLogin": true },
 "jellyfin": { "name": "home", "ip": "jellyfin", "port": 8096, "useSsl": false, "urlBase": "", "apiKey": "jf-key", "libraries": [] },
 "sonarr": [ { "id": 0, "name": "Sonarr", "hostname": "sonarr", "port": 8989, "activeAnimeDirectory": "/data/media/anime", "tags": [3] } ],
 "network": { "csrfProtection": false, "forceIpv4First": false, "trustProxy": false },
 "migrations": [ "0001_migrate_hostname" ]
}
JSON
sqlite3 db/db.sqlite3 <<'SQL'
PRAGMA journal_mode=WAL;
CREATE TABLE migrations (id INTEGER PRIMARY KEY, timestamp BIGINT NOT NULL, name VARCHAR NOT NULL);
INSERT INTO migrations (timestamp, name) VALUES (1745492372230, 'UpdateWebPush1745492372230');
CREATE TABLE user (id INTEGER PRIMARY KEY, email VARCHAR, jellyfinUsername VARCHAR, permissions INTEGER);
INSERT INTO user VALUES (1, 'admin', 'admin', 2);
CREATE TABLE media (id INTEGER PRIMARY KEY, mediaType VARCHAR, tmdbId INTEGER, status INTEGER);
INSERT INTO media VALUES (1, 'movie', 603, 2);
CREATE TABLE media_request (id INTEGER PRIMARY KEY, status INTEGER, type VARCHAR, mediaId INTEGER, requestedById INTEGER);
INSERT INTO media_request VALUES (1, 1, 'movie', 1, 1);
SQL
echo '2026-12-06T08:00:00.000Z [info][Server]: Server ready on port 5055 ' > logs/jellyseerr-2026-12-06.log
ln -s jellyseerr-2026-12-06.log logs/jellyseerr.log
`;

/** Owners of every file in the volume that is not `uid:gid`, as `path uid:gid` lines ("" when none). */
function notOwnedBy(owner: string): string {
    const [uid, gid] = owner.split(":");
    return must("docker", ["run", "--rm", "-v", `${renamed(VOLUME_NAME)}:/v`, APPS_BASE, "sh", "-c",
        `find /v \\( ! -user ${uid} -o ! -group ${gid} \\) -printf '%p %U:%G\\n'`]).trim();
}

/** The program's seerr-config step, its command string as declared, with this suite's names and the stand-in. */
function seerrConfigStep(): string {
    const create = String(revealed(named("homelab-streaming-seerr-config-owner")).create);
    return create
        .replace(`export VOLUME='${VOLUME_NAME}'`, `export VOLUME='${renamed(VOLUME_NAME)}'`)
        .replace(`export OLD_CONTAINER='${OLD_CONTAINER}'`, `export OLD_CONTAINER='${renamed(OLD_CONTAINER)}'`)
        .replace(/export IMAGE='[^']*'/, `export IMAGE='${standIn}'`);
}

async function standInReport(): Promise<Record<string, string>> {
    const end = Date.now() + 60_000;
    let logs = "";
    while (Date.now() < end) {
        logs = run("docker", ["logs", renamed("seerr")]).stdout;
        if (logs.includes("standin=ready")) return Object.fromEntries(logs.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the stand-in did not report: ${logs}`);
}

beforeAll(async () => {
    must("bash", [BRINGUP, "apps-base"], { timeoutMs: 480_000 });
    standIn = derive("seerr-standin", "seerr-standin", "/usr/local/bin/seerr-standin");
    cleanUp();
    // The default remote stack, on this suite's subnet and without a LAN bind address (nothing published here).
    const options = programOptions({ dockerSubnet: SUBNET, lanBindAddress: undefined });
    program = await mock().runProgram({ ...options, preview: false, revealSecrets: true });
});

afterAll(() => cleanUp());

test("a Jellyseerr 2.7.3 volume becomes Seerr's: requests and settings kept, the uid-1000 process can write, twice is a no-op", async () => {
    // Today's stack: Jellyseerr's volume, written by Jellyseerr as root, and Jellyseerr still running on it.
    must("docker", ["volume", "create", renamed(VOLUME_NAME)]);
    must("docker", ["run", "--rm", "-v", `${renamed(VOLUME_NAME)}:/app/config`, APPS_BASE, "bash", "-c", JELLYSEERR_VOLUME]);
    must("docker", ["run", "-d", "--name", renamed(OLD_CONTAINER), "-v", `${renamed(VOLUME_NAME)}:/app/config`, APPS_BASE, "sleep", "3600"]);
    expect(notOwnedBy("1000:1000")).toMatch(/^\/v 0:0$/m);
    expect(notOwnedBy("1000:1000")).toMatch(/^\/v\/db\/db\.sqlite3 0:0$/m);

    // pulumi up: the seerr-config step first (the Seerr container depends on it) ...
    expect(named("homelab-streaming-seerr").dependencies).toContain(named("homelab-streaming-seerr-config-owner").urn);
    const first = must("bash", ["-c", seerrConfigStep()]);
    expect(first).toContain(`homelab: stopped ${renamed(OLD_CONTAINER)}`);
    expect(first).toMatch(new RegExp(`${renamed(VOLUME_NAME)} on .*: (\\d+) file\\(s\\) handed to 1000:1000`));
    expect(Number(/: (\d+) file\(s\)/.exec(first)?.[1])).toBeGreaterThanOrEqual(8);
    expect(must("docker", ["container", "inspect", "-f", "{{.State.Running}}", renamed(OLD_CONTAINER)]).trim()).toBe("false");
    expect(notOwnedBy("1000:1000")).toBe("");
    // ... again (an update of the step): nothing left to change, nothing stopped.
    const second = must("bash", ["-c", seerrConfigStep()]);
    expect(second).toMatch(/: 0 file\(s\) handed to 1000:1000/);
    expect(second).not.toContain("stopped");

    // ... then the Seerr container exactly as declared (engine translation), on the same volume.
    const kept = [named("homelab-streaming-seerr"), named("homelab-streaming-seerr-image"), named("homelab-streaming-seerr-config"), named("homelab-network")];
    expect(kept.map((r) => r.type)).toEqual([CONTAINER, REMOTE_IMAGE, VOLUME, NETWORK]);
    expect(revealed(named("homelab-streaming-seerr-config")).name).toBe(VOLUME_NAME);
    const stack = new StackOnEngine(kept, revealed, (r) => `${r.name}-id`, () => ({ image: standIn }), request);
    await stack.createNetworksAndVolumes();
    await stack.createContainer(named("homelab-streaming-seerr"));

    const report = await standInReport();
    expect(report).toEqual({
        uid: "1000:1000",
        apiKey: API_KEY,
        "settings.old.json": "ok",
        "settings.json": "ok",
        requests: "1",
        migration: "ok",
        log: "ok",
        standin: "ready",
    });
    // Seerr's process is the image's user, under Docker's init, with the user's settings saved back.
    const inspect = await stack.inspect(renamed("seerr")) as { Config: { User: string }; HostConfig: { Init: boolean } };
    expect(inspect.Config.User).toBe("1000:1000");
    expect(inspect.HostConfig.Init).toBe(true);
    const settings = JSON.parse(must("docker", ["exec", renamed("seerr"), "cat", "/app/config/settings.json"]));
    expect(settings.main.apiKey).toBe(API_KEY);
    expect(settings.sonarr[0]).toMatchObject({ activeAnimeDirectory: "/data/media/anime", tags: [3] });
    expect(must("docker", ["exec", renamed("seerr"), "sqlite3", "/app/config/db/db.sqlite3", "SELECT type, status FROM media_request;"]).trim()).toBe("movie|1");
    expect(notOwnedBy("1000:1000")).toBe("");
});
