/**
 * The host's watcher (components/host/homelab-watch.sh), run for real by bash on this machine: its probe is
 * replaced by a script that prints the verdicts of each round (the real probe's output format, see
 * scripts/status-probe.sh), its clock is set per round, and a local HTTP receiver stands for ntfy and a
 * webhook. What a user would notice: one message per change, a reminder, a grace for the forwarded port, no
 * flood from a flapping check, nothing lost while the receiver is down, the metrics node_exporter serves.
 * On a Debian host with the real probe: test/host/alerts.test.ts.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { WATCH_RUNNER } from "../components/watcher";

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
function round(at: number, changes: Record<string, string> = {}): string {
    const lines = healthy.map((l) => {
        const [kind, section, name] = l.split("\t");
        const change = kind === "check" ? changes[`${section}/${name}`] : undefined;
        return change === undefined ? l : `check\t${section}\t${name}\tbad\t${change}`;
    });
    fs.writeFileSync(path.join(dir, "verdicts"), lines.join("\n") + "\n");
    const r = spawnSync("bash", [WATCH_RUNNER, "run"], {
        encoding: "utf8",
        env: {
            PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, HOMELAB_WATCH_CONF: path.join(dir, "conf"),
            HOMELAB_WATCH_STATE: path.join(dir, "state"), HOMELAB_STATUS: path.join(dir, "bin", "probe"), HOMELAB_NOW: String(at),
        },
    });
    expect(r.status).toBe(0);
    return r.stderr;
}

const webhooks = () => received.filter((r) => r.path === "/hook").map((r) => JSON.parse(r.body) as Record<string, string>);
const ntfys = () => received.filter((r) => r.path === "/homelab-alerts");

test("a check that fails: one alert per channel with the reason, nothing on the next runs, one recovery", () => {
    round(T0);
    expect(received).toEqual([]);
    round(T0 + 60, { "vpn/tunnel": "tun0 is down (interfaces up: lo eth0)" });
    expect(webhooks()).toEqual([{
        check: "vpn/tunnel", state: "failing", kind: "alert", reason: "tun0 is down (interfaces up: lo eth0)", host: os.hostname(),
        time: new Date((T0 + 60) * 1000).toISOString().replace(/\.000Z$/, "Z"),
    }]);
    expect(ntfys()).toHaveLength(1);
    expect(ntfys()[0]).toMatchObject({ body: "tun0 is down (interfaces up: lo eth0)" });
    expect(ntfys()[0].headers).toMatchObject({ title: `FAILING: vpn/tunnel on ${os.hostname()}`, authorization: "Bearer tk_secret_token_x", priority: "high" });
    for (let i = 2; i <= 5; i++) round(T0 + 60 * i, { "vpn/tunnel": "tun0 is down (interfaces up: lo eth0)" });
    expect(received).toHaveLength(2);
    round(T0 + 400);
    round(T0 + 460);
    expect(webhooks().map((w) => `${w.check} ${w.kind} ${w.state}`)).toEqual(["vpn/tunnel alert failing", "vpn/tunnel recovery ok"]);
    expect(ntfys()).toHaveLength(2);
    expect(fs.readFileSync(path.join(dir, "curl-args"), "utf8")).not.toContain("tk_secret_token_x");
});

test("a check that stays failing: a reminder every alerts.repeat, not more", () => {
    const down = { "backups/last": "3d 0h ago to /mnt/usb/homelab (older than the daily schedule allows: journalctl -u homelab-backup)" };
    for (let t = T0; t <= T0 + 7 * 3600; t += 1800) round(t, down);
    expect(webhooks().map((w) => w.kind)).toEqual(["alert", "reminder"]);
});

test("the forwarded port: no alert on the first samples, one after the grace period", () => {
    const differs = { "vpn/port": "forwarded 51413, but qBittorrent does not listen on it (listening: 6881)" };
    round(T0);
    for (let t = T0 + 60; t <= T0 + 300; t += 60) round(t, differs);
    expect(received).toEqual([]);
    round(T0 + 360, differs);
    round(T0 + 420, differs);
    expect(webhooks().map((w) => `${w.check} ${w.kind}`)).toEqual(["vpn/port alert"]);
    // Back in line within the grace: nothing at all.
    received = [];
    round(T0 + 480);
    round(T0 + 540, differs);
    round(T0 + 600);
    expect(webhooks().map((w) => `${w.check} ${w.kind}`)).toEqual(["vpn/port recovery"]);
});

test("a flapping check does not flood: at most three messages an hour, and the last state gets through", () => {
    for (let i = 0; i < 60; i++) round(T0 + 60 * i, i % 2 === 1 ? { "vpn/tunnel": "tun0 is down" } : {});
    expect(webhooks().length).toBeLessThanOrEqual(3);
    for (let t = T0 + 3600; t <= T0 + 7200; t += 300) round(t);
    const states = webhooks().map((w) => w.state);
    expect(states[states.length - 1]).toBe("ok");
    expect(states.length).toBeLessThanOrEqual(6);
});

test("the receiver down: the alert is kept and delivered once on a later run; a failure that is over by then is dropped", () => {
    round(T0);
    receiverUp = false;
    const log = round(T0 + 60, { "vpn/tunnel": "tun0 is down" });
    expect(log).toMatch(/not delivered, kept for the next run/);
    round(T0 + 120, { "vpn/tunnel": "tun0 is down" });
    expect(fs.readdirSync(path.join(dir, "state", "outbox", "webhook"))).toEqual(["vpn_tunnel.json", "vpn_tunnel.reason"]);
    receiverUp = true;
    round(T0 + 180, { "vpn/tunnel": "tun0 is down" });
    round(T0 + 240, { "vpn/tunnel": "tun0 is down" });
    expect(webhooks().map((w) => `${w.check} ${w.kind}`)).toEqual(["vpn/tunnel alert"]);
    expect(ntfys()).toHaveLength(1);
    // Down again, and the backup fails and recovers before it comes back: nothing to say about it.
    receiverUp = false;
    round(T0 + 300, { "vpn/tunnel": "tun0 is down", "backups/last": "the last run failed" });
    round(T0 + 360, { "vpn/tunnel": "tun0 is down" });
    receiverUp = true;
    round(T0 + 420, { "vpn/tunnel": "tun0 is down" });
    expect(webhooks().map((w) => `${w.check} ${w.kind}`)).toEqual(["vpn/tunnel alert"]);
});

test("no channel configured: the journal only, and the metrics", () => {
    fs.writeFileSync(path.join(dir, "conf", "alerts.env"), "");
    const log = round(T0, { "vpn/tunnel": "tun0 is down" });
    expect(log).toContain("homelab-watch: vpn/tunnel: alert (failing): tun0 is down");
    expect(received).toEqual([]);
});

test("metrics for node_exporter: every check up or down and since when, the probe's values, in the text format", () => {
    round(T0);
    round(T0 + 60, { "vpn/tunnel": "tun0 is down" });
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

test("a probe that gives no verdicts is itself an alert", () => {
    fs.writeFileSync(path.join(dir, "bin", "probe"), "#!/bin/sh\necho 'APPS: parameter not set' >&2\nexit 1\n", { mode: 0o755 });
    round(T0);
    expect(webhooks().map((w) => `${w.check} ${w.reason}`)).toEqual(["watch/probe homelab-status gave no verdicts (exit 1): APPS: parameter not set"]);
});
