/**
 * The host's watcher (components/host/homelab-watch.sh), run for real by bash on this machine: its probe is
 * replaced by a script that prints the verdicts of each round (the real probe's output format, see
 * scripts/status-probe.sh), its clock is set per round, and a local HTTP receiver stands for ntfy and a
 * webhook. What a user would notice: one message per change, a reminder, a grace for the forwarded port, no
 * flood from a flapping check, nothing lost while the receiver is down, the metrics node_exporter serves.
 * On a Debian host with the real probe: test/host/alerts.test.ts.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { WATCH_RUNNER } from "../../components/watcher";

jest.setTimeout(120_000);

interface Received { path: string; headers: http.IncomingHttpHeaders; body: string }

let dir: string;
let server: http.Server;
let port: number;
let received: Received[] = [];
let receiverUp = true;

beforeAll(async () => {
    server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c));
        req.on("end", () => {
            if (!receiverUp) {
                res.statusCode = 503;
                res.end("down");
                return;
            }
            received.push({ path: req.url ?? "", headers: req.headers, body });
            res.end("{}");
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
});
afterAll(() => server.close());

const T0 = 1_800_000_000;

beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-watch-"));
    for (const d of ["conf", "state", "metrics", "bin"]) fs.mkdirSync(path.join(dir, d));
    fs.writeFileSync(path.join(dir, "conf", "watch.env"), `REPEAT=21600\nPORT_GRACE=300\nFLAP_LIMIT=3\nMETRICS_DIR=${path.join(dir, "metrics")}\n`);
    fs.writeFileSync(path.join(dir, "conf", "alerts.env"),
        `NTFY_URL='http://127.0.0.1:${port}'\nNTFY_TOPIC='homelab-alerts'\nNTFY_TOKEN='tk_secret_token_x'\nWEBHOOK_URL='http://127.0.0.1:${port}/hook'\n`);
    // The probe of this test: prints what the round should see.
    fs.writeFileSync(path.join(dir, "bin", "probe"), `#!/bin/sh\ncat '${path.join(dir, "verdicts")}'\n`, { mode: 0o755 });
    // curl's arguments are recorded, to show that no token is ever on a command line.
    fs.writeFileSync(path.join(dir, "bin", "curl"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${path.join(dir, "curl-args")}'\nexec /usr/bin/curl "$@"\n`, { mode: 0o755 });
    received = [];
    receiverUp = true;
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const healthy = [
    "check\tvpn\ttunnel\tok\ttun0 up",
    "check\tvpn\tport\tok\tforwarded 51413, qBittorrent listening on it",
    "check\tbackups\tlast\tok\t5h 0m ago to /mnt/usb/homelab",
    "metric\thomelab_vpn_forwarded_port\t51413",
    "metric\thomelab_filesystem_free_bytes{filesystem=\"data\",path=\"/srv/homelab/data\"}\t429496729600",
];

/** One watcher round at a time `at`, with these verdicts instead of the healthy ones of the same check. */
function round(at: number, changes: Record<string, string> = {}): Promise<string> {
    const lines = healthy.map((l) => {
        const [kind, section, name] = l.split("\t");
        const change = kind === "check" ? changes[`${section}/${name}`] : undefined;
        return change === undefined ? l : `check\t${section}\t${name}\tbad\t${change}`;
    });
    fs.writeFileSync(path.join(dir, "verdicts"), lines.join("\n") + "\n");
    return watch(at, `${path.join(dir, "bin")}:${process.env.PATH}`);
}

/** Runs the watcher (asynchronously: the receiver answers from this process); resolves with its log. */
function watch(at: number, PATH = process.env.PATH): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn("bash", [WATCH_RUNNER, "run"], { env: {
            PATH, HOMELAB_WATCH_CONF: path.join(dir, "conf"), HOMELAB_WATCH_STATE: path.join(dir, "state"),
            HOMELAB_STATUS: path.join(dir, "bin", "probe"), HOMELAB_NOW: String(at),
        } });
        let log = "";
        child.stderr.on("data", (c: Buffer) => (log += c));
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve(log) : reject(new Error(`homelab-watch exited ${code}: ${log}`))));
    });
}

const webhooks = () => received.filter((r) => r.path === "/hook").map((r) => JSON.parse(r.body) as Record<string, string>);
const ntfys = () => received.filter((r) => r.path === "/homelab-alerts");

test("a check that fails: one alert per channel with the reason, nothing on the next runs, one recovery", async () => {
    await round(T0);
    expect(received).toEqual([]);
    await round(T0 + 60, { "vpn/tunnel": "tun0 is down (interfaces up: lo eth0)" });
    expect(webhooks()).toEqual([{
        check: "vpn/tunnel", state: "failing", kind: "alert", reason: "tun0 is down (interfaces up: lo eth0)", host: os.hostname(),
        time: new Date((T0 + 60) * 1000).toISOString().replace(/\.000Z$/, "Z"),
    }]);
    expect(ntfys()).toHaveLength(1);
    expect(ntfys()[0]).toMatchObject({ body: "tun0 is down (interfaces up: lo eth0)" });
    expect(ntfys()[0].headers).toMatchObject({ title: `FAILING: vpn/tunnel on ${os.hostname()}`, authorization: "Bearer tk_secret_token_x", priority: "high" });
    for (let i = 2; i <= 5; i++) await round(T0 + 60 * i, { "vpn/tunnel": "tun0 is down (interfaces up: lo eth0)" });
    expect(received).toHaveLength(2);
    await round(T0 + 400);
    await round(T0 + 460);
    expect(webhooks().map((w) => `${w.check} ${w.kind} ${w.state}`)).toEqual(["vpn/tunnel alert failing", "vpn/tunnel recovery ok"]);
    expect(ntfys()).toHaveLength(2);
    expect(fs.readFileSync(path.join(dir, "curl-args"), "utf8")).not.toContain("tk_secret_token_x");
});

test("a check that stays failing: a reminder every alerts.repeat, not more", async () => {
    const down = { "backups/last": "3d 0h ago to /mnt/usb/homelab (older than the daily schedule allows: journalctl -u homelab-backup)" };
    for (const t of [T0, T0 + 3 * 3600, T0 + 6 * 3600 - 60, T0 + 6 * 3600, T0 + 6 * 3600 + 1800, T0 + 7 * 3600]) await round(t, down);
    expect(webhooks().map((w) => w.kind)).toEqual(["alert", "reminder"]);
});

test("the forwarded port: no alert on the first samples, one after the grace period", async () => {
    const differs = { "vpn/port": "forwarded 51413, but qBittorrent does not listen on it (listening: 6881)" };
    await round(T0);
    for (let t = T0 + 60; t <= T0 + 300; t += 60) await round(t, differs);
    expect(received).toEqual([]);
    await round(T0 + 360, differs);
    await round(T0 + 420, differs);
    expect(webhooks().map((w) => `${w.check} ${w.kind}`)).toEqual(["vpn/port alert"]);
    // Back in line within the grace: nothing at all.
    received = [];
    await round(T0 + 480);
    await round(T0 + 540, differs);
    await round(T0 + 600);
    expect(webhooks().map((w) => `${w.check} ${w.kind}`)).toEqual(["vpn/port recovery"]);
});

test("a flapping check does not flood: at most three messages an hour, and the last state gets through", async () => {
    for (let i = 0; i < 12; i++) await round(T0 + 300 * i, i % 2 === 1 ? { "vpn/tunnel": "tun0 is down" } : {});
    expect(webhooks().length).toBeLessThanOrEqual(3);
    for (let t = T0 + 3600; t <= T0 + 4800; t += 600) await round(t);
    const states = webhooks().map((w) => w.state);
    expect(states[states.length - 1]).toBe("ok");
    expect(states.length).toBeLessThanOrEqual(6);
});

test("the receiver down: the alert is kept and delivered once on a later run; a failure that is over by then is dropped", async () => {
    await round(T0);
    receiverUp = false;
    const log = await round(T0 + 60, { "vpn/tunnel": "tun0 is down" });
    expect(log).toMatch(/not delivered, kept for the next run/);
    await round(T0 + 120, { "vpn/tunnel": "tun0 is down" });
    expect(fs.readdirSync(path.join(dir, "state", "outbox", "webhook"))).toEqual(["vpn_tunnel.json", "vpn_tunnel.reason"]);
    receiverUp = true;
    await round(T0 + 180, { "vpn/tunnel": "tun0 is down" });
    await round(T0 + 240, { "vpn/tunnel": "tun0 is down" });
    expect(webhooks().map((w) => `${w.check} ${w.kind}`)).toEqual(["vpn/tunnel alert"]);
    expect(ntfys()).toHaveLength(1);
    // Down again, and the backup fails and recovers before it comes back: nothing to say about it.
    receiverUp = false;
    await round(T0 + 300, { "vpn/tunnel": "tun0 is down", "backups/last": "the last run failed" });
    await round(T0 + 360, { "vpn/tunnel": "tun0 is down" });
    receiverUp = true;
    await round(T0 + 420, { "vpn/tunnel": "tun0 is down" });
    expect(webhooks().map((w) => `${w.check} ${w.kind}`)).toEqual(["vpn/tunnel alert"]);
});

test("no channel configured: the journal only, and the metrics", async () => {
    fs.writeFileSync(path.join(dir, "conf", "alerts.env"), "");
    const log = await round(T0, { "vpn/tunnel": "tun0 is down" });
    expect(log).toContain("homelab-watch: vpn/tunnel: alert (failing): tun0 is down");
    expect(received).toEqual([]);
});

test("metrics for node_exporter: every check up or down and since when, the probe's values, in the text format", async () => {
    await round(T0);
    await round(T0 + 60, { "vpn/tunnel": "tun0 is down" });
    const text = fs.readFileSync(path.join(dir, "metrics", "homelab.prom"), "utf8");
    expect(text).toContain('homelab_check_up{check="vpn/tunnel"} 0\n');
    expect(text).toContain('homelab_check_up{check="vpn/port"} 1\n');
    expect(text).toContain(`homelab_check_since_seconds{check="vpn/tunnel"} ${T0 + 60}\n`);
    expect(text).toContain(`homelab_check_since_seconds{check="vpn/port"} ${T0}\n`);
    expect(text).toContain("homelab_vpn_forwarded_port 51413\n");
    expect(text).toContain(`homelab_watch_last_run_timestamp_seconds ${T0 + 60}\n`);
    const lint = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(lint.stderr).not.toMatch(/error/i);
    // The free-space samples the probe's fill forecast reads.
    expect(fs.readFileSync(path.join(dir, "state", "disk-samples"), "utf8")).toBe(`${T0} data 429496729600\n${T0 + 60} data 429496729600\n`);
});

test("a probe that gives no verdicts is itself an alert", async () => {
    fs.writeFileSync(path.join(dir, "bin", "probe"), "#!/bin/sh\necho 'APPS: parameter not set' >&2\nexit 1\n", { mode: 0o755 });
    await round(T0);
    expect(webhooks().map((w) => `${w.check} ${w.reason}`)).toEqual(["watch/probe homelab-status gave no verdicts (exit 1): APPS: parameter not set"]);
});

test("the README's Prometheus rules parse with promtool, and every metric they name is one the real probe and watcher write", async () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Alerts and metrics"));
    const rules = section.match(/```yaml\n(groups:[\s\S]*?)```/)![1];
    fs.writeFileSync(path.join(dir, "rules.yml"), rules);
    const check = spawnSync("promtool", ["check", "rules", path.join(dir, "rules.yml")], { encoding: "utf8" });
    expect([check.status, check.stderr]).toEqual([0, ""]);
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    // The real probe judges a stack with everything on (Gluetun on this host, port forwarding, backups, the LAN bind address,
    // config volumes on their own filesystem, a day of samples), and the watcher writes the metrics.
    const facts = [
        `now\t${T0}`, `app.gluetun\trunning|healthy|0|2027-01-15T00:00:00Z|sha256:g|268435456`, "tags.gluetun\tqmcgaw/gluetun:v3.41.1",
        "mem.gluetun\t40MiB / 256MiB", `app.sonarr\trunning|healthy|0|2027-01-15T00:00:00Z|sha256:s|1073741824`, "tags.sonarr\tlscr.io/linuxserver/sonarr:4.0.15",
        "mem.sonarr\t300MiB / 1GiB", "vpn.links\tlo eth0 tun0", "vpn.route.1.1.1.1\t1.1.1.1 dev tun0", "vpn.inside\t185.159.157.10", "vpn.host\t203.0.113.7",
        "vpn.forwarded\t51413", "vpn.listening\t51413", `storage.df\t${400 * 1024 ** 3} ${2000 * 1024 ** 3} 2049`, "storage.devices\t2049 2049",
        `storage.sample.data\t${T0 - 86_400} ${500 * 1024 ** 3}`, `storage.config.df\t${20 * 1024 ** 3} ${30 * 1024 ** 3} 2051`, `storage.sample.config\t${T0 - 86_400} ${20 * 1024 ** 3}`,
        "backup.installed\tyes", `backup.last\t${T0 - 3600}`, "backup.timer\tactive", "backup.result\tsuccess", "backup.repository\tok", "lan.reach\tok 192.168.1.10:8989",
    ];
    fs.writeFileSync(path.join(dir, "facts"), facts.join("\n") + "\n");
    const env = "APPS='gluetun sonarr' PINS='gluetun=qmcgaw/gluetun:v3.41.1\nsonarr=lscr.io/linuxserver/sonarr:4.0.15' GATEWAY=gluetun TUNNEL=tun0 ECHO_URL=http://echo PROBE_ADDRESSES=1.1.1.1 " +
        "PORT_FORWARDING=yes DATA_ROOT=/srv/homelab/data BACKUP_REPOSITORY=/mnt/usb LAN_BIND=192.168.1.10";
    fs.writeFileSync(path.join(dir, "bin", "probe"), `#!/bin/sh\n${env} exec bash '${path.join(__dirname, "..", "..", "scripts", "status-probe.sh")}' judge < '${path.join(dir, "facts")}'\n`, { mode: 0o755 });
    await watch(T0);
    const written = fs.readFileSync(path.join(dir, "metrics", "homelab.prom"), "utf8");
    const writtenNames = new Set(written.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/[{ ]/)[0]));
    const named = new Set(rules.match(/homelab_[a-z_]+/g));
    expect([...named].filter((n) => !writtenNames.has(n))).toEqual([]);
    // And the README lists every metric there is.
    expect([...writtenNames].filter((n) => !section.includes(`\`${n}`))).toEqual([]);
});
