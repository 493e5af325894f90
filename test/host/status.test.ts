/**
 * Issue 9: `npm run status` and `npm run logs` against a real Debian 12 host, over SSH with the pinned host
 * key, as a user runs them (the CLIs, a stack file, the deploy key in ~/.ssh/homelab-media/). The stack's
 * containers are stand-ins (busybox, tagged with the catalog's pinned images, healthchecks, memory limits);
 * the VPN gateway's namespace gets a tunnel interface and routes like Gluetun's, and an address-echo service
 * on the test network answers with the caller's address, so the leak check sees real packets and real
 * routing. Its own host, network and names (homelab-daytwo-st*, 10.214.8.0/24).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { BRINGUP, BUSYBOX, REPO, Run, must, run, userMachine } from "./host";
import { CATALOG } from "../../components/catalog";
import { ECHO_CGI, FOREVER, STAND_IN_WGET } from "./daytwo";

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

jest.setTimeout(120_000);

const HOST = "homelab-daytwo-st";
const NET = "homelab-daytwo-stnet";
const SUBNET = "10.214.8.0/24";
const HOST_IP = "10.214.8.10";
const ECHO = { name: "homelab-daytwo-echo", ip: "10.214.8.30" };
const NOBODY_IP = "10.214.8.99";
/** The nested engine's network for the stand-ins: not masqueraded, so the "tunnel" has its own source address. */
const INNER = { name: "homelab-st", subnet: "172.31.99.0/24", gateway: "172.31.99.1", gluetun: "172.31.99.2" };
const STACK = "st";
const APPS = ["gluetun", "qbittorrent", "prowlarr", "sonarr", "radarr", "jellyfin", "caddy"] as const;
const IN_VPN = new Set<string>(["qbittorrent", "prowlarr"]);

let home: string;
let stackFile: string;
let hostKey: string;

function onHost(script: string): Run {
    return run("docker", ["exec", "-i", HOST, "bash", "-c", script]);
}
function mustOnHost(script: string): string {
    const r = onHost(script);
    if (r.status !== 0) throw new Error(`on host: ${script}\nexit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

function writeStackFile(file: string, overrides: Record<string, unknown> = {}): string {
    fs.writeFileSync(file, toYaml({ config: {
        "homelab:host": HOST_IP,
        "homelab:sshHostKey": hostKey,
        "homelab:sshPrivateKey": { secure: "v1:PLACEHOLDER" },
        "homelab:wireguardPrivateKey": { secure: "v1:PLACEHOLDER" },
        "homelab:lanSubnet": "10.214.8.0/25",
        "homelab:domain": "media.test",
        "homelab:ipEchoUrl": `http://${ECHO.ip}:8080/cgi-bin/ip`,
        "homelab:apps": { lidarr: false, bazarr: false, seerr: false, flaresolverr: false },
        ...overrides,
    } }));
    return file;
}

function cli(script: "status" | "logs", args: string[], file = stackFile): Run {
    return run(process.execPath, ["-r", path.join(REPO, "scripts", "register-ts.js"), path.join(REPO, "scripts", `${script}.ts`),
        ...args, "--stack", STACK, "--stack-file", file], { env: { ...process.env, HOME: home }, timeoutMs: 110_000 });
}

interface Line { section: string; name: string; ok: boolean; text: string }
function statusJson(file = stackFile): { status: number; ok: boolean; lines: Line[]; bad: string[] } {
    const r = cli("status", ["--json"], file);
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout) as { ok: boolean; lines: Line[] };
    return { status: r.status, ok: report.ok, lines: report.lines, bad: report.lines.filter((l) => !l.ok).map((l) => `${l.name}: ${l.text}`) };
}

/** A stand-in container for an app: its pinned image tag, a healthcheck, its memory limit, a first log line. */
function standIn(id: (typeof APPS)[number], image = CATALOG[id].image): string {
    const network = id === "gluetun" ? `--network ${INNER.name} --ip ${INNER.gluetun}` : IN_VPN.has(id) ? "--network container:gluetun" : `--network ${INNER.name}`;
    const main = id === "qbittorrent"
        ? `busybox nc -l -p 6881 & ${FOREVER}`
        : FOREVER;
    const tag = image === CATALOG[id].image ? `docker tag ${BUSYBOX} ${image} && ` : "";
    return `docker rm -f ${id} >/dev/null 2>&1; ${tag}docker run -d --name ${id} ${network} --memory ${CATALOG[id].memoryMb}m \
        --health-cmd true --health-interval 1s --health-start-period 0s --label homelab.app=${id} ${image} \
        sh -c 'echo "${id} started on port ${CATALOG[id].port}"; ${main}' >/dev/null${id === "gluetun" ? `
        docker exec -i gluetun sh -c "busybox mkdir -p /usr/local/bin && cat > /usr/local/bin/wget && busybox chmod 755 /usr/local/bin/wget" <<'WGET_EOF'
${STAND_IN_WGET}WGET_EOF` : ""}`;
}

async function waitHealthy(): Promise<void> {
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
        const states = onHost(`docker inspect -f '{{.State.Health.Status}}' ${APPS.join(" ")}`).stdout.trim().split("\n");
        if (states.length === APPS.length && states.every((s) => s === "healthy")) return;
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error("stand-ins did not turn healthy");
}

/**
 * Gluetun's namespace: a tunnel interface (a veth pair: the test kernel may lack the dummy and tun modules;
 * what goes in leaves nowhere, like a tunnel with nothing behind it), the default route through it, the stack's and the LAN's subnets direct. */
function tunnelUp(): void {
    mustOnHost(`set -e; pid=$(docker inspect -f '{{.State.Pid}}' gluetun)
        nsenter -t $pid -n ip link add tun0 type veth peer name tun0-far
        nsenter -t $pid -n ip addr add 10.2.0.2/32 dev tun0
        nsenter -t $pid -n ip link set tun0-far up
        nsenter -t $pid -n ip link set tun0 up
        nsenter -t $pid -n ip route replace default dev tun0
        nsenter -t $pid -n ip route add ${SUBNET} via ${INNER.gateway}`);
}

beforeAll(async () => {
    const start = Date.now();
    must("bash", [BRINGUP, "image"], { timeoutMs: 480_000 });
    must("bash", [BRINGUP, "busybox", BUSYBOX]);
    for (const c of [HOST, ECHO.name]) run("docker", ["rm", "-f", c]);
    run("docker", ["network", "rm", NET]);
    must("docker", ["network", "create", "--subnet", SUBNET, NET]);
    must("bash", [BRINGUP, "up", HOST, NET, HOST_IP]);
    // The address-echo service: answers with the caller's address; reaches the stand-ins' subnet through the host.
    must("docker", ["run", "-d", "--name", ECHO.name, "--network", NET, "--ip", ECHO.ip, "--cap-add", "NET_ADMIN", BUSYBOX, "sh", "-c", FOREVER]);
    must("docker", ["exec", "-i", ECHO.name, "sh", "-c", "busybox mkdir -p /www/cgi-bin && cat > /www/cgi-bin/ip && busybox chmod 755 /www/cgi-bin/ip"],
        { input: ECHO_CGI });
    must("docker", ["exec", ECHO.name, "busybox", "ip", "route", "add", INNER.subnet, "via", HOST_IP]);
    must("docker", ["exec", ECHO.name, "busybox", "httpd", "-p", "8080", "-h", "/www"]);
    ({ home, hostKey } = userMachine(HOST, STACK, "homelab-daytwo-st-"));
    stackFile = writeStackFile(path.join(home, `Pulumi.${STACK}.yaml`));
    must("bash", ["-c", `docker save ${BUSYBOX} | docker exec -i ${HOST} docker load -q`]);
    mustOnHost(`set -e; mkdir -p /srv/homelab/data/torrents /srv/homelab/data/media
        docker network create -o com.docker.network.bridge.enable_ip_masquerade=false --subnet ${INNER.subnet} --gateway ${INNER.gateway} ${INNER.name} >/dev/null
        ${APPS.map((id) => standIn(id)).join("\n")}`);
    tunnelUp();
    await waitHealthy();
    // eslint-disable-next-line no-console
    console.log(`status suite bring-up: ${((Date.now() - start) / 1000).toFixed(1)} s`);
}, 600_000);

afterAll(() => {
    if (process.env.HOMELAB_TEST_KEEP) return;
    for (const c of [HOST, ECHO.name]) run("docker", ["rm", "-f", c]);
    run("docker", ["network", "rm", NET]);
    if (home) fs.rmSync(home, { recursive: true, force: true });
});

test("shellcheck passes on the status probe", () => {
    const r = run("shellcheck", ["-s", "bash", path.join(REPO, "scripts", "status-probe.sh")]);
    expect(r.stdout + r.stderr).toBe("");
});

test("a healthy stack: one screen, every line ok, exit 0", () => {
    const start = Date.now();
    const r = cli("status", []);
    const seconds = (Date.now() - start) / 1000;
    expect([r.status, r.stderr]).toEqual([0, ""]);
    const screen = r.stdout.trim().split("\n");
    expect(screen[0]).toBe(`homelab status of root@${HOST_IP}:22`);
    expect(screen.length).toBeLessThanOrEqual(24);
    for (const id of APPS) {
        expect(screen).toContainEqual(expect.stringMatching(new RegExp(
            `^  ok  ${id} +running, healthy, 0 restarts, up \\d+m \\d+s, ${CATALOG[id].image.split(":").pop()!.replace(/\./g, "\\.")}, \\d+ / ${CATALOG[id].memoryMb} MiB$`)));
    }
    expect(screen).toContain("  ok  tunnel       tun0 up");
    expect(screen).toContain("  ok  routes       every public route goes through tun0");
    expect(screen).toContain(`  ok  address      VPN ${INNER.gluetun}, host ${HOST_IP}`);
    expect(screen).toContain("  ok  port         no port forwarding; qBittorrent listening on 6881");
    expect(screen).toContainEqual(expect.stringMatching(/^ {2}ok {2}free +[\d.]+ GiB free of [\d.]+ GiB under \/srv\/homelab\/data$/));
    expect(screen).toContain("  ok  hardlinks    torrents/ and media/ on one filesystem");
    expect(screen).toContain("  ok  last         off (homelab:backup.repository is not set)");
    expect(screen[screen.length - 1]).toBe("all good");
    // eslint-disable-next-line no-console
    console.log(`npm run status over SSH: ${seconds.toFixed(1)} s\n${r.stdout}`);
});

test("the leak check: traffic leaving as the host, and a route around the tunnel, are named; exit 1", () => {
    // As if the kill switch were gone: the namespace's default route back on eth0, its traffic masqueraded.
    mustOnHost(`pid=$(docker inspect -f '{{.State.Pid}}' gluetun)
        nsenter -t $pid -n ip route replace default via ${INNER.gateway} dev eth0
        iptables -t nat -I POSTROUTING -s ${INNER.subnet} ! -d ${INNER.subnet} -j MASQUERADE`);
    try {
        const s = statusJson();
        expect([s.status, s.ok]).toEqual([1, false]);
        expect(s.bad).toEqual([
            `routes: LEAK: a route from the VPN namespace avoids the tunnel: ${["1.1.1.1", "8.8.8.8", "9.9.9.9"].map((a) => `${a} via ${INNER.gateway} dev eth0 src ${INNER.gluetun} uid 0`).join("; ")}`,
            `address: LEAK: the VPN namespace reaches the internet as the host (${HOST_IP})`,
        ]);
    } finally {
        mustOnHost(`pid=$(docker inspect -f '{{.State.Pid}}' gluetun)
            nsenter -t $pid -n ip route replace default dev tun0
            iptables -t nat -D POSTROUTING -s ${INNER.subnet} ! -d ${INNER.subnet} -j MASQUERADE`);
    }
    expect(statusJson().ok).toBe(true);
});

test("apps and storage: a stopped app, an image other than the pin, torrents/ and media/ apart; exit 1", () => {
    // An older radarr image (its own image id, tagged only with the old tag).
    mustOnHost(`docker rm -f old >/dev/null 2>&1; set -e; docker run --name old ${BUSYBOX} sh -c : && docker commit old lscr.io/linuxserver/radarr:5.20.0 >/dev/null && docker rm old >/dev/null
        docker stop -t 1 jellyfin >/dev/null; ${standIn("radarr", "lscr.io/linuxserver/radarr:5.20.0")}; mount -t tmpfs tmpfs /srv/homelab/data/media`);
    try {
        const s = statusJson();
        expect(s.status).toBe(1);
        expect(s.bad).toEqual([
            expect.stringMatching(new RegExp(`^radarr: runs lscr\\.io/linuxserver/radarr:5\\.20\\.0, pinned ${escaped(CATALOG.radarr.image)} \\(pulumi up\\); \\(running, `)),
            expect.stringMatching(new RegExp(`^jellyfin: is exited; \\(exited, \\w+, 0 restarts, ${escaped(CATALOG.jellyfin.image.split(":")[1])}(, 0 / 4096 MiB)?\\)$`)),
            expect.stringMatching(/^hardlinks: torrents\/ and media\/ are not on one filesystem: imports are copies, not hardlinks \(\d+ \d+\)$/),
        ]);
    } finally {
        mustOnHost(`umount /srv/homelab/data/media; docker start jellyfin >/dev/null; ${standIn("radarr")}`);
    }
});

test("backups configured but not installed, and the tunnel down: named", () => {
    const file = writeStackFile(path.join(home, "backup.yaml"), { "homelab:backup": { repository: "/srv/backup" } });
    mustOnHost("pid=$(docker inspect -f '{{.State.Pid}}' gluetun); nsenter -t $pid -n ip link set tun0 down");
    try {
        const s = statusJson(file);
        expect(s.status).toBe(1);
        expect(s.bad).toEqual(expect.arrayContaining([
            "tunnel: tun0 is down (interfaces up: lo tun0-far eth0)",
            "last: configured but not installed on the host (pulumi up)",
        ]));
    } finally {
        mustOnHost("pid=$(docker inspect -f '{{.State.Pid}}' gluetun); nsenter -t $pid -n ip link set tun0 up; nsenter -t $pid -n ip route replace default dev tun0");
    }
});

test("port forwarding: the forwarded port against qBittorrent's listening port in the namespace", () => {
    const file = writeStackFile(path.join(home, "pf.yaml"), { "homelab:vpnPortForwarding": true });
    const portLine = () => statusJson(file).lines.find((l) => l.name === "port");
    expect(portLine()).toMatchObject({ ok: false, text: "no forwarded port yet (Gluetun's /tmp/gluetun/forwarded_port is empty)" });
    mustOnHost("docker exec gluetun sh -c 'busybox mkdir -p /tmp/gluetun && echo 51413 > /tmp/gluetun/forwarded_port'");
    expect(portLine()).toMatchObject({ ok: false, text: "forwarded 51413, but qBittorrent does not listen on it (listening: 6881)" });
    mustOnHost("docker exec -d qbittorrent busybox nc -l -p 51413");
    expect(portLine()).toMatchObject({ ok: true, text: "forwarded 51413, qBittorrent listening on it" });
});

test("logs: an app's logs from the host, and --follow streams", async () => {
    const r = cli("logs", ["sonarr", "--tail", "5"]);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z sonarr started on port 8989\n$/);
    const child = spawn(process.execPath, ["-r", path.join(REPO, "scripts", "register-ts.js"), path.join(REPO, "scripts", "logs.ts"), "caddy", "--follow",
        "--stack", STACK, "--stack-file", stackFile], { env: { ...process.env, HOME: home } });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c));
    const closed = new Promise((resolve) => child.on("close", resolve));
    await new Promise((r) => setTimeout(r, 4000));
    mustOnHost("docker exec caddy sh -c 'echo live line > /proc/1/fd/1'");
    const end = Date.now() + 20_000;
    while (Date.now() < end && !out.includes("live line")) await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGTERM");
    await closed;
    expect(out).toContain("caddy started on port 443");
    expect(out).toContain("live line");
});

test("bad input: wrong host key, unreachable host, app without a container: one line, non-zero, nothing changed", () => {
    const before = mustOnHost("docker ps --format '{{.Names}} {{.Status}}' | sed 's/Up .*/Up/' | sort; iptables-save -t nat | grep -v '^#' | sed -E 's/\\[[0-9]+:[0-9]+\\]//'");
    const refused = (r: Run, line: RegExp) => {
        expect(r.status).not.toBe(0);
        expect(r.stdout).toBe("");
        expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(line)]);
    };
    const other = mustOnHost("rm -f /tmp/other*; ssh-keygen -q -t ed25519 -N '' -f /tmp/other >/dev/null; cut -d' ' -f1,2 /tmp/other.pub").trim();
    const wrongKey = writeStackFile(path.join(home, "wrong-key.yaml"), { "homelab:sshHostKey": other });
    refused(cli("status", [], wrongKey), /^homelab: the host key of 10\.214\.8\.10:22 does not match homelab:sshHostKey: refused, nothing was done$/);
    refused(cli("logs", ["sonarr"], wrongKey), /^homelab: the host key of 10\.214\.8\.10:22 does not match homelab:sshHostKey: refused, nothing was done$/);
    const unreachable = writeStackFile(path.join(home, "unreachable.yaml"), { "homelab:host": NOBODY_IP });
    refused(cli("status", [], unreachable), /^homelab: cannot reach 10\.214\.8\.99:22 over SSH \(.+\): nothing was done$/);
    refused(cli("logs", ["lidarr"]), /^homelab: lidarr is not enabled in stack st \(homelab:apps\.lidarr\)$/);
    mustOnHost("docker rm -f prowlarr >/dev/null");
    refused(cli("logs", ["prowlarr"]), /^homelab: there is no container prowlarr on homelab-daytwo-st \(pulumi up creates it\)$/);
    mustOnHost(standIn("prowlarr"));
    expect(mustOnHost("docker ps --format '{{.Names}} {{.Status}}' | sed 's/Up .*/Up/' | sort; iptables-save -t nat | grep -v '^#' | sed -E 's/\\[[0-9]+:[0-9]+\\]//'")).toBe(before);
});
