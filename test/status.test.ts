/**
 * `npm run status`: how the facts the probe collects on the host are judged (every problem on its own line,
 * a non-zero exit), and the CLIs' bad input without a host. The probe itself runs for real against the local
 * engine (local mode) in test/host/status-local.test.ts, and against a Debian host in test/host/status.test.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { rawConfig } from "./support/fixtures";
import { HomelabConfig, parseConfig } from "../components/config";
import { evaluateStatus, Facts, parseFacts, renderStatus, StatusLine } from "../scripts/status";
import { cli, CliRun } from "./support/cli";

const ROOT = path.join(__dirname, "..");
const NOW = 1_800_000_000;
const GIB = 1024 ** 3;

function config(overrides: Record<string, unknown> = {}): HomelabConfig {
    return parseConfig(rawConfig({ backup: { repository: "/mnt/usb/homelab" }, ...overrides }), () => true);
}

/** What the probe prints for a healthy stack. */
function healthyFacts(cfg: HomelabConfig): Facts {
    const lines = [`now\t${NOW}`];
    for (const id of cfg.enabledApps) {
        lines.push(`app.${id}\trunning|healthy|0|${new Date((NOW - 3 * 86_400 - 3600) * 1000).toISOString()}|sha256:${id}|${cfg.memoryMb[id] * 1024 * 1024}`);
        lines.push(`tags.${id}\t${cfg.images[id]}`);
        lines.push(`mem.${id}\t${Math.round(cfg.memoryMb[id] / 4)}MiB / ${cfg.memoryMb[id]}MiB`);
    }
    lines.push("vpn.links\tlo eth0 tun0 ", "vpn.route.1.1.1.1\t1.1.1.1 dev tun0 table 51820 src 10.2.0.2 uid 0",
        "vpn.route.8.8.8.8\t8.8.8.8 dev tun0 table 51820 src 10.2.0.2 uid 0", "vpn.route.9.9.9.9\t9.9.9.9 dev tun0 table 51820 src 10.2.0.2 uid 0",
        "vpn.listening\t8000 8080 6881 9696 ", "vpn.forwarded\t", "vpn.inside\t185.159.157.10", "vpn.host\t203.0.113.7",
        `storage.df\t${400 * GIB} ${2000 * GIB}`, "storage.devices\t2049 2049 ",
        "backup.installed\tyes", `backup.last\t${NOW - 5 * 3600}`, "backup.timer\tactive", "backup.repository\tok");
    return parseFacts(lines.join("\n"));
}

function bad(lines: StatusLine[]): string[] {
    return lines.filter((l) => !l.ok).map((l) => `${l.section}/${l.name}: ${l.text}`);
}

function withFacts(cfg: HomelabConfig, changes: Record<string, string | undefined>): StatusLine[] {
    const facts = healthyFacts(cfg);
    for (const [k, v] of Object.entries(changes)) {
        if (v === undefined) facts.delete(k);
        else facts.set(k, v);
    }
    return evaluateStatus(cfg, facts);
}

test("a healthy stack: every line ok, one line per app, on one screen", () => {
    const cfg = config();
    const lines = evaluateStatus(cfg, healthyFacts(cfg));
    expect(bad(lines)).toEqual([]);
    const screen = renderStatus("root@192.168.1.10:22", lines);
    expect(screen).toContain("ok  sonarr        running, healthy, 0 restarts, up 3d 1h, 4.0.19.2979-ls316, 256 / 1024 MiB");
    expect(screen).toContain("address       VPN 185.159.157.10, host 203.0.113.7");
    expect(screen).toContain("torrents/ and media/ on one filesystem");
    expect(screen).toContain("last          5h 0m ago to /mnt/usb/homelab");
    expect(screen.split("\n").length).toBeLessThanOrEqual(24);
    expect(screen.trim().split("\n").pop()).toBe("all good");
});

test("the leak check: the same public address inside and outside the VPN namespace is a leak", () => {
    const cfg = config();
    expect(bad(withFacts(cfg, { "vpn.inside": "203.0.113.7" }))).toEqual(["vpn/address: LEAK: the VPN namespace reaches the internet as the host (203.0.113.7)"]);
});

test("the leak check: a route from the namespace that avoids the tunnel is a leak, even with different addresses", () => {
    const cfg = config();
    expect(bad(withFacts(cfg, { "vpn.route.8.8.8.8": "8.8.8.8 via 172.30.0.1 dev eth0 src 172.30.0.10 uid 0" }))).toEqual([
        "vpn/routes: LEAK: a route from the VPN namespace avoids the tunnel: 8.8.8.8 via 172.30.0.1 dev eth0 src 172.30.0.10 uid 0"]);
});

test("tunnel down, no answer through it, host address unknown", () => {
    const cfg = config();
    expect(bad(withFacts(cfg, { "vpn.links": "lo eth0 " }))).toEqual(["vpn/tunnel: tun0 is down (interfaces up: lo eth0)"]);
    expect(bad(withFacts(cfg, { "vpn.inside": "ERROR wget: download timed out" }))).toEqual([
        "vpn/address: no answer from https://api.ipify.org inside the VPN namespace (wget: download timed out)"]);
    expect(bad(withFacts(cfg, { "vpn.host": "ERROR curl: (6) Could not resolve host" }))).toEqual([
        "vpn/address: VPN 185.159.157.10, but the host's own address is unknown (https://api.ipify.org: curl: (6) Could not resolve host)"]);
    expect(bad(withFacts(cfg, { "vpn.links": "ERROR gluetun is not running" }))[0]).toBe("vpn/tunnel: gluetun is not running");
});

test("tunnel down: one problem, not three (no route out is the kill switch holding; nothing answers inside)", () => {
    const cfg = config();
    const unreachable = Object.fromEntries(["1.1.1.1", "8.8.8.8", "9.9.9.9"].map((a) => [`vpn.route.${a}`, "RTNETLINK answers: Network is unreachable"]));
    const lines = withFacts(cfg, { "vpn.links": "lo eth0 ", ...unreachable, "vpn.inside": "ERROR wget: bad address" });
    expect(bad(lines)).toEqual(["vpn/tunnel: tun0 is down (interfaces up: lo eth0)"]);
    expect(lines.find((l) => l.name === "address")!.text).toBe("not checked while tun0 is down (nothing answers inside the VPN namespace)");
    // Answering as the host while the tunnel is down is still a leak.
    expect(bad(withFacts(cfg, { "vpn.links": "lo eth0 ", ...unreachable, "vpn.inside": "203.0.113.7" }))).toEqual([
        "vpn/tunnel: tun0 is down (interfaces up: lo eth0)", "vpn/address: LEAK: the VPN namespace reaches the internet as the host (203.0.113.7)"]);
});

test("port forwarding: the forwarded port must be qBittorrent's listening port", () => {
    const cfg = config({ vpnPortForwarding: true });
    expect(bad(withFacts(cfg, { "vpn.forwarded": "51413", "vpn.listening": "8080 51413" }))).toEqual([]);
    expect(bad(withFacts(cfg, { "vpn.forwarded": "51413", "vpn.listening": "8080 6881" }))).toEqual([
        "vpn/port: forwarded 51413, but qBittorrent does not listen on it (listening: 8080 6881)"]);
    expect(bad(withFacts(cfg, { "vpn.forwarded": "" }))).toEqual(["vpn/port: no forwarded port yet (Gluetun's /tmp/gluetun/forwarded_port is empty)"]);
});

test("apps: stopped, unhealthy, crash-looping, a tag other than the pin, memory near the limit, missing", () => {
    const cfg = config();
    const started = new Date((NOW - 60) * 1000).toISOString();
    expect(bad(withFacts(cfg, { "app.radarr": "exited|unhealthy|0|x|sha256:r|1073741824" }))).toEqual([
        "apps/radarr: is exited; (exited, unhealthy, 0 restarts, 6.2.1.10461-ls308, 256 / 1024 MiB)"]);
    expect(bad(withFacts(cfg, { "app.radarr": `running|unhealthy|0|${started}|sha256:r|1073741824` }))).toEqual([
        "apps/radarr: is unhealthy; (running, unhealthy, 0 restarts, up 1m 0s, 6.2.1.10461-ls308, 256 / 1024 MiB)"]);
    expect(bad(withFacts(cfg, { "app.sonarr": `running|starting|9|${started}|sha256:s|1073741824` }))).toEqual([
        "apps/sonarr: restarted 9 times (crash loop? npm run logs -- sonarr); (running, starting, 9 restarts, up 1m 0s, 4.0.19.2979-ls316, 256 / 1024 MiB)"]);
    expect(bad(withFacts(cfg, { "tags.sonarr": "lscr.io/linuxserver/sonarr:4.0.14" }))[0]).toMatch(
        /^apps\/sonarr: runs lscr.io\/linuxserver\/sonarr:4.0.14, pinned lscr.io\/linuxserver\/sonarr:4.0.19.2979-ls316 \(pulumi up\)/);
    expect(bad(withFacts(cfg, { "mem.jellyfin": "3.9GiB / 4GiB" }))[0]).toMatch(/^apps\/jellyfin: uses 98% of its memory limit \(homelab:memoryLimits.jellyfin\)/);
    expect(bad(withFacts(cfg, { "app.caddy": "missing" }))).toEqual(["apps/caddy: no container (pulumi up creates it)"]);
});

test("storage: low free space, torrents/ and media/ on two filesystems", () => {
    const cfg = config();
    expect(bad(withFacts(cfg, { "storage.df": `${GIB} ${100 * GIB}` }))).toEqual([
        "storage/free: 1.0 GiB free of 100.0 GiB under /srv/homelab/data (less than 5.0 GiB)"]);
    expect(bad(withFacts(cfg, { "storage.devices": "2049 2050" }))).toEqual([
        "storage/hardlinks: torrents/ and media/ are not on one filesystem: imports are copies, not hardlinks (2049 2050)"]);
});

test("backups: off is said (not a failure); none yet, too old, not installed, timer stopped are failures", () => {
    const off = config({ backup: undefined });
    const offLines = evaluateStatus(off, healthyFacts(off));
    expect(offLines.filter((l) => l.section === "backups")).toEqual([{ section: "backups", name: "last", ok: true, text: "off (homelab:backup.repository is not set)" }]);
    const cfg = config();
    expect(bad(withFacts(cfg, { "backup.last": "" }))).toEqual(["backups/last: no good backup yet to /mnt/usb/homelab"]);
    expect(bad(withFacts(cfg, { "backup.last": String(NOW - 3 * 86_400) }))).toEqual([
        "backups/last: 3d 0h ago to /mnt/usb/homelab (older than the daily schedule allows: journalctl -u homelab-backup)"]);
    expect(bad(withFacts(cfg, { "backup.installed": "no" }))).toEqual(["backups/last: configured but not installed on the host (pulumi up)"]);
    expect(bad(withFacts(cfg, { "backup.timer": "inactive" }))).toEqual(["backups/timer: homelab-backup.timer is inactive"]);
    expect(bad(withFacts(cfg, { "backup.repository": "ERROR wrong password for the backup repository /mnt/usb/homelab (it was initialised with another password)" }))).toEqual([
        "backups/repository: wrong password for the backup repository /mnt/usb/homelab (it was initialised with another password)"]);
});

test("storage: a small filesystem counts by its tenth; the config volumes on another filesystem; the fill forecast", () => {
    const cfg = config();
    // 64 MiB: 5 GiB can never be free, a tenth can.
    expect(bad(withFacts(cfg, { "storage.df": `${40 * 1024 ** 2} ${64 * 1024 ** 2} 2049` }))).toEqual([]);
    expect(bad(withFacts(cfg, { "storage.df": `${3 * 1024 ** 2} ${64 * 1024 ** 2} 2049` }))).toEqual([
        "storage/free: 3 MiB free of 64 MiB under /srv/homelab/data (less than 6 MiB)"]);
    expect(bad(withFacts(cfg, { "storage.df": `${400 * GIB} ${2000 * GIB} 2049`, "storage.config.df": `${GIB} ${30 * GIB} 2051` }))).toEqual([
        "storage/config free: 1.0 GiB free of 30.0 GiB under /var/lib/docker/volumes (less than 3.0 GiB)"]);
    // The watcher's oldest sample of the last day: 100 GiB more free a day ago, 400 GiB free now: 4 days left.
    expect(bad(withFacts(cfg, { "storage.df": `${400 * GIB} ${2000 * GIB} 2049`, "storage.sample.data": `${NOW - 86_400} ${500 * GIB}` }))).toEqual([
        "storage/free forecast: full in about 4d 0h at the rate of the last 1d 0h"]);
    const steady = withFacts(cfg, { "storage.df": `${400 * GIB} ${2000 * GIB} 2049`, "storage.sample.data": `${NOW - 86_400} ${410 * GIB}` });
    expect(steady.find((l) => l.name === "free forecast")).toEqual({ section: "storage", name: "free forecast", ok: true,
        text: "not full within 7 days at the rate of the last 1d 0h" });
    // Less than an hour of samples says nothing yet.
    expect(withFacts(cfg, { "storage.sample.data": `${NOW - 600} ${500 * GIB}` }).find((l) => l.name === "free forecast")).toBeUndefined();
});

test("backups: a failed last run is named; the LAN bind address that no longer answers is named", () => {
    const cfg = config();
    expect(bad(withFacts(cfg, { "backup.result": "exit-code" }))).toEqual(["backups/run: the last run failed (exit-code): journalctl -u homelab-backup"]);
    expect(bad(withFacts(cfg, { "lan.reach": "ok 192.168.1.10:8989" }))).toEqual([]);
    expect(bad(withFacts(cfg, { "lan.reach": "ERROR 192.168.1.10:8989 does not answer" }))).toEqual(["network/lan: 192.168.1.10:8989 does not answer"]);
});

test("docker's memory sizes, as the probe reads them", () => {
    const cfg = config();
    const memoryOf = (usage: string) => withFacts(cfg, { "mem.sonarr": usage }).find((l) => l.name === "sonarr")!.text;
    expect(memoryOf("312.5MiB / 1GiB")).toMatch(/, 313 \/ 1024 MiB$/);
    expect(memoryOf("1000MiB / 1GiB")).toMatch(/^uses 98% of its memory limit/);
    expect(memoryOf("0B / 1GiB")).toMatch(/, 0 \/ 1024 MiB$/);
    expect(memoryOf("n/a")).toMatch(new RegExp(`, ${cfg.images.sonarr.split(":")[1].replace(/\./g, "\\.")}$`));
});

// ---- the CLIs, for real (child processes, started together: each loads the program's modules) ---------------


/** A stack of the user's own: the example with its placeholders replaced, as README "Deploy" makes it. */
function ownStackFile(dir: string): string {
    const example = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const file = path.join(dir, "Pulumi.home.yaml");
    fs.writeFileSync(file, example
        .replace(/secure: v1:PLACEHOLDER-set-with-pulumi-config-set-secret/g, "secure: v1:bm90LWEtcmVhbC1jaXBoZXJ0ZXh0")
        .replace(/^(\s*homelab:sshHostKey:).*$/m, "$1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHomeLabOwnHostKeyForTheCliTests0123456789ab"));
    return file;
}

// More bad input (unknown apps for restore, disabled apps for logs, host key, unreachable host) in test/host/.
describe("bad input: one line, non-zero exit, before any host is contacted", () => {
    const cases: [string, string[], RegExp][] = [
        ["logs", ["sabnzbd"], /^homelab: unknown app "sabnzbd": this stack runs gluetun, qbittorrent, /],
        ["logs", ["sonar"], /^homelab: unknown app "sonar" \(did you mean `sonarr`\?\): this stack runs /],
        ["restore", ["sonarr"], /^homelab: backups are off for stack home \(homelab:backup.repository is not set\): nothing to restore$/],
        ["status", ["--verbose"], /^status: unknown option --verbose \(npm run status -- --help\)$/],
        ["status", [], /^homelab: no deploy key at .*\.ssh\/homelab-media\/home\.key: `pulumi up` writes it/],
    ];
    let home: string;
    let runs: CliRun[];
    beforeAll(async () => {
        home = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-status-"));
        const stackFile = ownStackFile(home);
        runs = await Promise.all(cases.map(([script, args]) => cli(script, [...args, "--stack-file", stackFile], { HOME: home, PULUMI_STACK: "" })));
    }, 60_000);
    afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

    test.each(cases.map((c, i) => [c[0], c[1], c[2], i] as const))("%s %j", (_script, _args, line, i) => {
        expect(runs[i].status).not.toBe(0);
        expect(runs[i].stdout).toBe("");
        expect(runs[i].stderr.trim().split("\n")).toEqual([expect.stringMatching(line)]);
    });
});

test("local mode with an unreachable Docker engine: one line saying so, with Docker's own error", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-status-nodocker-"));
    const stackFile = path.join(dir, "Pulumi.local.yaml");
    fs.writeFileSync(stackFile, toYaml({ config: { "homelab:wireguardPrivateKey": { secure: "v1:x" }, "homelab:dataRoot": path.join(dir, "data") } }));
    const socket = `unix://${path.join(dir, "no-engine.sock")}`;
    try {
        const [status, logs] = await Promise.all([
            cli("status", ["--stack-file", stackFile], { HOME: dir, DOCKER_HOST: socket, PULUMI_STACK: "" }),
            cli("logs", ["sonarr", "--stack-file", stackFile], { HOME: dir, DOCKER_HOST: socket, PULUMI_STACK: "" }),
        ]);
        expect([status.status, status.stdout]).toEqual([2, ""]);
        expect(status.stderr.trim().split("\n")).toEqual([
            expect.stringMatching(new RegExp(`^homelab: the Docker engine on local cannot be reached, so nothing about the apps is known: .*Cannot connect to the Docker daemon at ${socket}`)),
        ]);
        expect([logs.status, logs.stdout]).toEqual([2, ""]);
        expect(logs.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^homelab: the Docker engine on .* cannot be reached: .*Cannot connect to the Docker daemon/)]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}, 60_000);
