/**
 * One stack on two Debian test hosts on the real engine (subnet 10.219.0.0/24, names `mh-*`) and a third LAN
 * address. The split: Gluetun, qBittorrent (in Gluetun's namespace), Prowlarr and the library managers on
 * `main`; FlareSolverr (outside the VPN, called by Prowlarr only), Jellyfin, Seerr and Caddy on `edge`; the
 * data root on a NAS both hosts mount (not mounted here: nothing reads media). Each host gets the firewall step
 * the program renders for it (run over SSH, as `remote.Command` does) and the Docker resources the program
 * declares on its provider (test/host/engine.ts, with the stand-in images). Then: every container on its host
 * and nothing else; real packets along every wired link that crosses hosts; the third address kept off the
 * peer-only port; the VPN namespace and its kill switch as on one host; one host rebooted; Seerr moved to
 * `main` by a second deploy, its config volume carried by the program's config-move step over real SSH.
 * What needs the Pulumi CLI and is not done here: the engine's own ordering of the second deploy (this suite
 * performs the steps the program's graph orders: new volume, move step, old container removed, new created).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { rawConfig } from "../support/fixtures";
import type { CapturedResource, ProgramRun } from "../../scripts/mock-engine";
import { AppId } from "../../components/catalog";
import { sshFilePaths } from "../../components/docker-host";
import { BRINGUP, BUSYBOX, exported, must, run } from "./host";
import { CONTAINER, engineIn, StackOnEngine } from "./engine";
import { buildStandIns, standInFor, StandIns } from "./standins";

jest.setTimeout(300_000);

const NET = "mh-net";
const SUBNET = "10.219.0.0/24";
const MAIN = { name: "mh-main", ip: "10.219.0.10", host: "main" };
const EDGE = { name: "mh-edge", ip: "10.219.0.11", host: "edge" };
const THIRD = { name: "mh-third", ip: "10.219.0.30" };
const HOSTS = [MAIN, EDGE];
/** Its own stack name: the ssh files it writes under ~/.ssh/homelab-media are this suite's alone. */
const STACK = "mh-suite";
const ON_EDGE = ["flaresolverr", "jellyfin", "seerr", "caddy"];
const ON_MAIN = ["gluetun", "qbittorrent", "prowlarr", "sonarr", "radarr", "lidarr", "bazarr"];
const DATA_ROOT = String(rawConfig().dataRoot);

type TestHost = typeof MAIN;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mock = () => require("../../scripts/mock-engine") as typeof import("../../scripts/mock-engine");

const timings: Record<string, number> = {};
let images: StandIns;
let first: ProgramRun;
let keyFiles: string[] = [];
let privateKey = "";
const hostKeys: Record<string, string> = {};

function revealed(r: CapturedResource): Record<string, unknown> {
    return mock().readableInputs(r.serializedInputs, true) as Record<string, unknown>;
}

function onHost(host: { name: string }, script: string, input?: string): string {
    return must("docker", ["exec", "-i", host.name, "bash", "-c", script], { input, timeoutMs: 120_000 });
}

/** The program with the two test hosts; `placement` beyond the suite's split. */
async function runTheProgram(placement: Record<string, string>): Promise<ProgramRun> {
    const raw = rawConfig({
        host: undefined,
        sshHostKey: undefined,
        lanBindAddress: undefined,
        sshPrivateKey: privateKey,
        lanSubnet: SUBNET,
        hosts: {
            main: { host: MAIN.ip, sshHostKey: hostKeys.main, lanBindAddress: MAIN.ip },
            edge: { host: EDGE.ip, sshHostKey: hostKeys.edge, lanBindAddress: EDGE.ip },
        },
        placement,
        indexersThroughVpn: false,
        storage: { type: "nfs", server: "10.219.0.5", export: "/volume1/media" },
    });
    // Each deploy is a fresh evaluation of the program: its own module registry.
    let result: ProgramRun | undefined;
    await jest.isolateModulesAsync(async () => {
        result = await mock().runProgram({
            config: Object.fromEntries(Object.entries(raw).map(([k, v]) => [`homelab:${k}`, v])),
            secretKeys: ["homelab:sshPrivateKey", "homelab:wireguardPrivateKey"],
            preview: false,
            revealSecrets: true,
            stack: STACK,
        });
    });
    return result!;
}

const FIRST_PLACEMENT = { flaresolverr: "edge", jellyfin: "edge", seerr: "edge", caddy: "edge" };

const providerOf = (r: CapturedResource) => r.provider.replace(/::[^:]*$/, "");
const hostProvider = (program: ProgramRun, host: TestHost) =>
    program.resources.find((r) => r.type === "pulumi:providers:docker" && r.name === (host === MAIN ? "homelab-docker" : `homelab-docker-${host.host}`))!.urn;

/** The program's Docker resources on one host's provider, as a StackOnEngine on that test host's engine. */
function stackOn(program: ProgramRun, host: TestHost, only?: (r: CapturedResource) => boolean): StackOnEngine {
    const provider = hostProvider(program, host);
    const resources = program.resources.filter((r) => r.urn === provider || (r.type.startsWith("docker:") && providerOf(r) === provider && (!only || only(r))));
    const declared = (app: AppId) => String(revealed(program.resources.find((r) => r.type === "docker:index/remoteImage:RemoteImage" && r.name.endsWith(`-${app}-image`))!).name);
    return new StackOnEngine(resources, revealed, (r) => mock().mockResourceId(r.name), standInFor(images, declared), engineIn(host.name));
}

function command(program: ProgramRun, type: string, name: string): CapturedResource {
    const found = program.resources.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} ${name}`);
    return found;
}

/** Runs a captured command's create on this machine, as `command.local.Command` does (`/bin/sh -c`). */
function runLocally(step: CapturedResource): { status: number; stdout: string; stderr: string } {
    return run("/bin/sh", ["-c", String(revealed(step).create)], { timeoutMs: 120_000 });
}

function containersOn(host: TestHost): string[] {
    return onHost(host, "docker ps -a --format '{{.Names}}'").trim().split("\n").filter(Boolean).sort();
}

/** The status line of an HTTP answer fetched inside a container (busybox nc), or what went wrong. */
function fetchFrom(host: TestHost, container: string, url: string): string {
    const { hostname, port, pathname } = new URL(url);
    // HTTP/1.1 as a client sends it; nc's input stays open a second so a slower server (qBittorrent) can answer.
    const request = `(printf 'GET ${pathname} HTTP/1.1\\r\\nHost: ${hostname}:${port}\\r\\nConnection: close\\r\\n\\r\\n'; sleep 1) | nc -w 5 ${hostname} ${port} 2>&1 | head -n 1`;
    const r = run("docker", ["exec", host.name, "docker", "exec", container, "sh", "-c", request]);
    return r.stdout.trim() || `(nothing: exit ${r.status} ${r.stderr.trim()})`;
}

function cleanup(): void {
    for (const c of [MAIN.name, EDGE.name, THIRD.name]) run("docker", ["rm", "-f", c]);
    run("docker", ["network", "rm", NET]);
    for (const file of keyFiles) fs.rmSync(file, { force: true });
}

beforeAll(async () => {
    const start = Date.now();
    cleanup();
    must("bash", [BRINGUP, "image"], { timeoutMs: 480_000 });
    images = buildStandIns();
    must("docker", ["network", "create", "--subnet", SUBNET, NET]);
    for (const host of HOSTS) must("bash", [BRINGUP, "up", host.name, NET, host.ip], { timeoutMs: 300_000 });
    must("docker", ["run", "-d", "--name", THIRD.name, "--network", NET, "--ip", THIRD.ip, BUSYBOX, "sleep", "3600"]);
    for (const host of HOSTS) must("bash", ["-c", `docker save ${images.all.join(" ")} | docker exec -i ${host.name} docker load -q`], { timeoutMs: 300_000 });
    timings["hosts up"] = (Date.now() - start) / 1000;

    // The deploying machine: one deploy key authorized on both hosts, each host's own key pinned.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mh-key-"));
    must("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "homelab-multihost", "-f", path.join(dir, "key")]);
    privateKey = fs.readFileSync(path.join(dir, "key"), "utf8");
    for (const host of HOSTS) {
        onHost(host, "install -d -m 700 /root/.ssh && cat > /root/.ssh/authorized_keys", fs.readFileSync(path.join(dir, "key.pub"), "utf8"));
        hostKeys[host.host] = onHost(host, "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub").trim();
    }
    fs.rmSync(dir, { recursive: true, force: true });
    first = await runTheProgram(FIRST_PLACEMENT);
    // The files the program's providers write where their ssh options point (the tests run without local files).
    for (const host of HOSTS) {
        const files = sshFilePaths(STACK, host === MAIN ? "" : `-${host.host}`);
        const at = (f: string) => f.replace(/^~\//, `${os.homedir()}/`);
        fs.mkdirSync(path.dirname(at(files.identity)), { recursive: true, mode: 0o700 });
        fs.writeFileSync(at(files.knownHosts), `${host.ip} ${hostKeys[host.host]}\n`, { mode: 0o600 });
        fs.writeFileSync(at(files.identity), privateKey, { mode: 0o600 });
        keyFiles.push(at(files.knownHosts), at(files.identity));
    }

    // Each host's firewall step over SSH, then the data root the containers bind, then its Docker resources.
    for (const host of HOSTS) {
        const firewall = command(first, "command:remote:Command", host === MAIN ? "homelab-host-firewall" : `homelab-host-${host.host}-firewall`);
        onHost(host, "bash -s", String(revealed(firewall).create));
        onHost(host, `mkdir -p ${DATA_ROOT} && chown 1000:1000 ${DATA_ROOT}`);
    }
    const s = Date.now();
    for (const host of HOSTS) await stackOn(first, host).createAll();
    timings["stacks created"] = (Date.now() - s) / 1000;
}, 900_000);

afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(`multihost suite: timings (s): ${JSON.stringify(timings)}`);
    if (!process.env.HOMELAB_TEST_KEEP) cleanup();
});

test("shellcheck passes on the config-move step and the status probe", () => {
    const r = run("shellcheck", ["-s", "bash", path.join(__dirname, "..", "..", "components", "host", "config-move.sh"), path.join(__dirname, "..", "..", "scripts", "status-probe.sh")]);
    expect(r.stdout + r.stderr).toBe("");
});

test("every container runs on the host its placement names, and nothing else runs on either host", () => {
    expect(containersOn(MAIN)).toEqual([...ON_MAIN].sort());
    expect(containersOn(EDGE)).toEqual([...ON_EDGE].sort());
    for (const host of HOSTS) {
        expect(onHost(host, "docker ps --filter status=running --format '{{.Names}}' | wc -l").trim()).toBe(String(host === MAIN ? ON_MAIN.length : ON_EDGE.length));
    }
});

test("with real packets: each app reaches every upstream it is wired to on the other host", () => {
    const links = (first.outputs.wiring as { links: Record<string, string> }).links;
    const routes = first.outputs.proxyRoutes as string[];
    const crossing: [TestHost, string, string][] = [];
    const titles: Record<string, string> = { Seerr: "seerr", Prowlarr: "prowlarr", Sonarr: "sonarr", Radarr: "radarr", Lidarr: "lidarr", Bazarr: "bazarr", Jellyfin: "jellyfin" };
    for (const [link, target] of Object.entries(links)) {
        const client = titles[link.split(" -> ")[0]];
        const url = target.split(" ")[0];
        const host = ON_EDGE.includes(client) ? EDGE : MAIN;
        const other = host === MAIN ? EDGE : MAIN;
        if (url.startsWith(`http://${other.ip}:`)) crossing.push([host, client, url]);
    }
    for (const route of routes) {
        const upstream = route.split(" -> ")[1].split(" ")[0];
        if (upstream.startsWith(`${MAIN.ip}:`)) crossing.push([EDGE, "caddy", `http://${upstream}/`]);
    }
    // Seerr -> Sonarr and Radarr, Prowlarr -> FlareSolverr, the library managers -> Jellyfin, Caddy -> main's WebUIs.
    expect(crossing.length).toBeGreaterThanOrEqual(9);
    const answers = crossing.map(([host, client, url]) => `${client} -> ${url}: ${fetchFrom(host, client, url)}`);
    for (const answer of answers) expect(answer).toMatch(/: HTTP\/1\.[01] \d{3}/);
});

test("a third address on the LAN cannot reach the cross-host API port; the WebUIs keep today's LAN rule", () => {
    const edgeFirewall = String(revealed(command(first, "command:remote:Command", "homelab-host-edge-firewall")).create);
    expect(exported(edgeFirewall, "PEER_PORTS")).toBe(`8191@${MAIN.ip}`);
    const from = (port: number) => run("docker", ["exec", THIRD.name, "sh", "-c", `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${EDGE.ip} ${port} 2>&1 | head -n 1`]).stdout.trim();
    expect(from(8191)).toMatch(/timed out|^$/);
    expect(from(8096)).toMatch(/^HTTP\/1\.[01] \d{3}/);
    expect(fetchFrom(MAIN, "prowlarr", `http://${EDGE.ip}:8191/health`)).toMatch(/HTTP\/1\.[01] 200/);
});

test("the VPN namespace and its kill switch are those of one host: qBittorrent inside Gluetun's namespace on main", () => {
    const gluetunId = onHost(MAIN, "docker inspect -f '{{.Id}}' gluetun").trim();
    expect(onHost(MAIN, "docker inspect -f '{{.HostConfig.NetworkMode}}' qbittorrent").trim()).toBe(`container:${gluetunId}`);
    const namespace = `nsenter -t "$(docker inspect -f '{{.State.Pid}}' gluetun)" -n`;
    expect(onHost(MAIN, `${namespace} ip route get 1.1.1.1`)).toMatch(/dev tun0/);
    expect(onHost(MAIN, `${namespace} iptables -S OUTPUT`)).toMatch(/^-P OUTPUT DROP$/m);
});

test("edge rebooted: its apps come back, main's are untouched", () => {
    const startedOnMain = onHost(MAIN, "docker inspect -f '{{.Name}} {{.State.StartedAt}}' $(docker ps -q)");
    const s = Date.now();
    must("docker", ["restart", EDGE.name], { timeoutMs: 120_000 });
    let running: string[] = [];
    while (Date.now() - s < 180_000) {
        const r = run("docker", ["exec", EDGE.name, "docker", "ps", "--filter", "status=running", "--format", "{{.Names}}"]);
        running = r.stdout.trim().split("\n").filter(Boolean).sort();
        if (running.length === ON_EDGE.length) break;
        must("sleep", ["2"]);
    }
    timings["edge reboot -> apps back"] = (Date.now() - s) / 1000;
    expect(running).toEqual([...ON_EDGE].sort());
    expect(onHost(MAIN, "docker inspect -f '{{.Name}} {{.State.StartedAt}}' $(docker ps -q)")).toBe(startedOnMain);
    expect(fetchFrom(EDGE, "seerr", `http://${MAIN.ip}:8989/`)).toMatch(/HTTP\/1\.[01] \d{3}/);
});

describe("Seerr moved from edge to main by a second deploy", () => {
    let second: ProgramRun;
    const seerrVolume = "homelab-jellyseerr-config";
    const moveStep = (program: ProgramRun) => command(program, "command:local:Command", "homelab-streaming-seerr-config-move");

    beforeAll(async () => {
        // What Seerr keeps in its config volume (written from the host: the stand-in serves a port, nothing more).
        onHost(EDGE, `cd /var/lib/docker/volumes/${seerrVolume}/_data && mkdir -p db && echo requests > db/db.sqlite3 && echo settings > settings.json && chown -R 1000:1000 .`);
        second = await runTheProgram({ ...FIRST_PLACEMENT, seerr: "main" });
    });

    test("the graph moves Seerr's container, volume and image to main's provider; its move step runs again (its host changed)", () => {
        for (const name of ["homelab-streaming-seerr", "homelab-streaming-seerr-config", "homelab-streaming-seerr-image"]) {
            const before = first.resources.find((r) => r.name === name)!;
            const after = second.resources.find((r) => r.name === name)!;
            expect([name, before.urn === after.urn, providerOf(before) === hostProvider(first, EDGE), providerOf(after) === hostProvider(second, MAIN)]).toEqual([name, true, true, true]);
        }
        expect(revealed(moveStep(first)).triggers).toEqual(["edge"]);
        expect(revealed(moveStep(second)).triggers).toEqual(["main"]);
        expect(container(second, "seerr").dependencies).toContain(moveStep(second).urn);
    });

    test("new volume on main, the move step over SSH, the old container removed, the new one running with the config", async () => {
        const onMain = stackOn(second, MAIN, (r) => /^homelab-streaming-seerr(-config|-image)?$/.test(r.name));
        await onMain.createNetworksAndVolumes();
        const moved = runLocally(moveStep(second));
        expect(moved.stderr).toBe("");
        expect(moved.stdout).toMatch(new RegExp(`moved seerr's config volume ${seerrVolume} from edge to main`));
        onHost(EDGE, "docker rm -f seerr >/dev/null");
        await onMain.createContainer(container(second, "seerr"));
        expect(containersOn(EDGE)).toEqual(ON_EDGE.filter((id) => id !== "seerr").sort());
        expect(onHost(MAIN, "docker inspect -f '{{.State.Status}}' seerr").trim()).toBe("running");
        expect(onHost(MAIN, "docker exec seerr cat /app/config/settings.json /app/config/db/db.sqlite3")).toBe("settings\nrequests\n");
        // The old files are set aside on edge, so the volume is found on one host only.
        expect(onHost(EDGE, `find /var/lib/docker/volumes/${seerrVolume}/_data -mindepth 1 | wc -l`).trim()).toBe("0");
        expect(onHost(EDGE, `cat /var/lib/homelab/moved/${seerrVolume}.*/settings.json`)).toBe("settings\n");
        expect((second.outputs.wiring as { links: Record<string, string> }).links["Seerr -> Sonarr"]).toMatch(/^http:\/\/(sonarr|172\.30\.0\.\d+):8989$/);
        expect(fetchFrom(MAIN, "seerr", (second.outputs.wiring as { links: Record<string, string> }).links["Seerr -> Sonarr"])).toMatch(/HTTP\/1\.[01] \d{3}/);
    });

    test("moving it back onto a host whose copy of the volume holds files is refused with the reason; nothing is stopped", async () => {
        onHost(EDGE, `echo stale > /var/lib/docker/volumes/${seerrVolume}/_data/settings.json`);
        const third = await runTheProgram(FIRST_PLACEMENT);
        const refused = runLocally(moveStep(third));
        expect(refused.status).not.toBe(0);
        expect(refused.stderr).toMatch(new RegExp(`seerr cannot move from main to edge: edge already has a config volume ${seerrVolume} with files, which the move would overwrite`));
        expect(onHost(MAIN, "docker inspect -f '{{.State.Status}}' seerr").trim()).toBe("running");
        expect(onHost(MAIN, "docker exec seerr cat /app/config/settings.json")).toBe("settings\n");
    });
});

function container(program: ProgramRun, app: string): CapturedResource {
    const found = program.resources.filter((r) => r.type === CONTAINER && revealed(r).name === app);
    if (found.length !== 1) throw new Error(`expected one container named ${app}, found ${found.length}`);
    return found[0];
}
