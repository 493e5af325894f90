/**
 * Alerts and metrics (issue 14): `homelab:alerts` and `homelab:metrics` as a user sets them, bad input refused
 * in one line naming the key, and the program's `homelab-watch` step: the probe of `npm run status` and the
 * watcher inside it, the channels' tokens only on its stdin (a secret), node_exporter's port LAN-only.
 */
import { programOptions, rawConfig } from "../support/fixtures";
import * as fs from "fs";
import * as path from "path";
import { parseConfig, SecretSetting } from "../../components/config";
import { isSecretEnvelope, ProgramRun, readableInputs, runProgram } from "../../scripts/mock-engine";
import { ofType, REMOTE_COMMAND } from "../support/graph";
import { allSecret, problemsOf } from "../support/config-problems";
import { wiringPlan } from "../../components/wiring";

const ROOT = path.join(__dirname, "..", "..");

describe("homelab:alerts and homelab:metrics", () => {
    test("defaults: every minute, a reminder every 6 hours, no channel, metrics on", () => {
        const cfg = parseConfig(rawConfig(), allSecret);
        expect(cfg.alerts).toEqual({ intervalSeconds: 60, repeatSeconds: 21_600, ntfy: undefined, gotify: undefined, webhook: undefined });
        expect(cfg.metrics).toBe(true);
    });

    test("the issue's examples, as the CLI hands them over (JSON text)", () => {
        const webhook = parseConfig(rawConfig({ alerts: JSON.stringify({ webhook: "https://hooks.example.org/homelab", repeat: "6h" }) }), allSecret);
        expect(webhook.alerts).toMatchObject({ webhook: "https://hooks.example.org/homelab", repeatSeconds: 21_600 });
        const ntfy = parseConfig(rawConfig({ alerts: JSON.stringify({ ntfy: { url: "https://ntfy.sh", topic: "homelab-alerts", token: "tk_abc" }, interval: "30s" }) }), allSecret);
        expect(ntfy.alerts).toMatchObject({ intervalSeconds: 30, ntfy: { url: "https://ntfy.sh", topic: "homelab-alerts" } });
        expect(parseConfig(rawConfig({ alerts: { interval: "1h 30min" }, metrics: "false" }), allSecret)).toMatchObject({ alerts: { intervalSeconds: 5400 }, metrics: false });
    });

    test.each([
        ["a URL that is not http(s)", { webhook: "ftp://hooks.example.org/x" }, "homelab:alerts.webhook: must be an http:// or https:// URL, e.g. https://ntfy.sh"],
        ["an ntfy URL that is not http(s)", { ntfy: { url: "ntfy.sh", topic: "homelab" } }, "homelab:alerts.ntfy.url: must be an http:// or https:// URL, e.g. https://ntfy.sh"],
        ["a topic ntfy refuses", { ntfy: { url: "https://ntfy.sh", topic: "home lab/alerts" } },
            "homelab:alerts.ntfy.topic: must be an ntfy topic: 1 to 64 letters, digits, - or _ (ntfy refuses anything else), e.g. homelab-alerts"],
        ["a topic ntfy keeps for itself", { ntfy: { url: "https://ntfy.sh", topic: "app" } },
            "homelab:alerts.ntfy.topic: \"app\" is a name ntfy or the apps keep for themselves (docs, static, file, app, metrics, account, settings, signup, login, v1, announcements, stats, mytopic-rw, mytopic-ro, mytopic-wo): choose another, e.g. homelab-alerts"],
        ["an interval systemd cannot parse", { interval: "every minute" },
            "homelab:alerts.interval: \"every minute\" is not a time span systemd understands: write e.g. 1min, 30s, 6h or \"1h 30min\" (how often the watcher runs)"],
        ["a repeat with an unknown unit", { repeat: "6 fortnights" },
            "homelab:alerts.repeat: \"6 fortnights\" is not a time span systemd understands: write e.g. 1min, 30s, 6h or \"1h 30min\" (reminder while a check stays failing)"],
        ["gotify without its token", { gotify: { url: "https://gotify.lan" } }, "homelab:alerts.gotify.token: must be an access token (set it with --secret)"],
        ["a key that does not exist", { email: "me@example.org" }, "homelab:alerts: \"email\" is not a setting here. Known: ntfy, gotify, webhook, interval, repeat"],
    ])("refused in one line naming the key: %s", (_what, alerts, line) => {
        expect(problemsOf({ alerts })).toEqual([line]);
    });

    test("a token given in plain text is refused, naming the key and the command that fixes it", () => {
        const notSecret = (k: SecretSetting) => k !== "alerts";
        expect(problemsOf({ alerts: { ntfy: { url: "https://ntfy.sh", topic: "homelab", token: "tk_abc" }, gotify: { url: "https://g.lan", token: "x" } } }, notSecret)).toEqual([
            "homelab:alerts.ntfy.token: is stored in plain text. Set it again with `pulumi config set --secret --path homelab:alerts.ntfy.token ...`",
            "homelab:alerts.gotify.token: is stored in plain text. Set it again with `pulumi config set --secret --path homelab:alerts.gotify.token ...`",
        ]);
        // Without a token nothing needs to be secret.
        expect(() => parseConfig(rawConfig({ alerts: { webhook: "https://hooks.example.org/h" } }), notSecret)).not.toThrow();
    });

    test("alerts need the server: a local stack with a channel is refused", () => {
        expect(problemsOf({ host: undefined, sshHostKey: undefined, sshPrivateKey: undefined, alerts: { webhook: "https://hooks.example.org/h" } })).toEqual([
            "homelab:alerts: alerts are sent by a watcher on the server (a systemd timer installed over SSH): set homelab:host too, or unset them"]);
    });
});

let run: ProgramRun;
const TOKEN = "tk_ntfy_token_do_not_leak";
beforeAll(async () => {
    const options = programOptions({ alerts: { ntfy: { url: "https://ntfy.example.org", topic: "homelab-alerts", token: TOKEN }, webhook: "https://hooks.example.org/h", interval: "2min" } });
    run = await runProgram({ ...options, secretKeys: [...options.secretKeys, "homelab:alerts"] });
}, 60_000);

describe("the program's watcher step", () => {
    function step() {
        const steps = ofType(run, REMOTE_COMMAND).filter((r) => r.name === "homelab-watch-watch");
        expect(steps).toHaveLength(1);
        return steps[0];
    }

    test("installs the status probe itself (one implementation of healthy) and the watcher, every interval", () => {
        const inputs = readableInputs(step().serializedInputs, true) as Record<string, string>;
        expect(inputs.create).toBe("bash -s -- create");
        expect(inputs.stdin).toContain(`export PROBE='${fs.readFileSync(path.join(ROOT, "scripts", "status-probe.sh"), "utf8").replace(/'/g, `'\\''`)}'\n`);
        expect(inputs.stdin).toContain(`export RUNNER='${fs.readFileSync(path.join(ROOT, "components", "host", "homelab-watch.sh"), "utf8").replace(/'/g, `'\\''`)}'\n`);
        expect(inputs.stdin).toContain("export INTERVAL='120'\nexport REPEAT='21600'\n");
        expect(inputs.stdin).toContain("export METRICS='yes'\nexport METRICS_LISTEN='192.168.1.10:9100'\n");
        // status.env: the probe's variables, as the status CLI exports them (quoted once more inside STATUS_ENV).
        expect(inputs.stdin).toContain("export STATUS_ENV='APPS='\\''gluetun qbittorrent");
        expect(step().parent).toMatch(/homelab:host:Watcher::homelab-watch$/);
    });

    test("the token travels only on stdin, a secret; never in the command, the delete or a plain input", () => {
        const s = step();
        expect(isSecretEnvelope(s.serializedInputs.stdin)).toBe(true);
        expect(readableInputs(s.serializedInputs.stdin, true)).toContain(`NTFY_TOKEN='\\''${TOKEN}'\\''`);
        const plain = JSON.stringify({ ...s.serializedInputs, stdin: undefined });
        expect(plain).not.toContain(TOKEN);
        expect(s.serializedInputs.delete).toMatch(/^bash -s -- delete <<'HOMELAB_SCRIPT_EOF'\n/);
    });

    test("node_exporter's port is opened to the LAN subnet only, and the stack says where alerts go", () => {
        const firewall = ofType(run, REMOTE_COMMAND).find((r) => r.name === "homelab-host-firewall")!;
        expect(readableInputs(firewall.serializedInputs, true)).toMatchObject({ create: expect.stringContaining("export LAN_HOST_PORTS='9100'\n") });
        expect(run.outputs.alerts).toBe("homelab-watch every 120s to ntfy, webhook; metrics on 192.168.1.10:9100");
    });
});

describe("the apps' own notifications to the same channels", () => {
    const ALERTING = ["sonarr", "radarr", "lidarr", "prowlarr"];
    const plannedAlerts = (alerts: unknown, apps: Record<string, boolean> = {}) =>
        wiringPlan(parseConfig(rawConfig({ alerts, apps }), allSecret)).filter((s) => s.kind.endsWith("-alerts")).map((s) => s.key);

    test("one wiring resource per app and channel; none without a channel; a channel removed takes its resources along", () => {
        expect(plannedAlerts(undefined)).toEqual([]);
        expect(plannedAlerts({ interval: "2min" })).toEqual([]);
        expect(plannedAlerts({ webhook: "https://hooks.example.org/h" })).toEqual([...ALERTING.map((id) => `${id}-alerts-webhook`), "seerr-alerts-webhook"]);
        const both = { webhook: "https://hooks.example.org/h", gotify: { url: "https://g.lan", token: "t" } };
        expect(plannedAlerts(both)).toEqual([
            "sonarr-alerts-gotify", "radarr-alerts-gotify", "lidarr-alerts-gotify", "prowlarr-alerts-gotify", "seerr-alerts-gotify",
            "sonarr-alerts-webhook", "radarr-alerts-webhook", "lidarr-alerts-webhook", "prowlarr-alerts-webhook", "seerr-alerts-webhook",
        ]);
        // An app switched off has none; Seerr's waits for Seerr's own wiring (its API key works once it has an owner).
        expect(plannedAlerts({ webhook: "https://hooks.example.org/h" }, { seerr: false, lidarr: false })).toEqual(["sonarr-alerts-webhook", "radarr-alerts-webhook", "prowlarr-alerts-webhook"]);
        const seerr = wiringPlan(parseConfig(rawConfig({ alerts: { webhook: "https://hooks.example.org/h" } }), allSecret)).find((s) => s.key === "seerr-alerts-webhook");
        expect(seerr?.after).toEqual(["seerr"]);
    });

    test("the program declares them with the channel's target and the token as a secret, named in the wiring output", () => {
        const resources = run.resources.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource" && /-alerts-/.test(r.name));
        expect(resources.map((r) => r.name).sort()).toEqual(
            [...ALERTING, "seerr"].flatMap((id) => [`homelab-wiring-${id}-alerts-ntfy`, `homelab-wiring-${id}-alerts-webhook`]).sort());
        const sonarr = resources.find((r) => r.name === "homelab-wiring-sonarr-alerts-ntfy")!;
        expect(readableInputs(sonarr.serializedInputs, true)).toMatchObject({
            app: "sonarr", target: { channel: "ntfy", url: "https://ntfy.example.org", topic: "homelab-alerts" }, token: TOKEN,
        });
        expect(isSecretEnvelope(sonarr.serializedInputs.token)).toBe(true);
        expect(JSON.stringify({ ...sonarr.serializedInputs, token: undefined, connection: undefined, apiKey: undefined })).not.toContain(TOKEN);
        const summary = run.outputs.wiring as { apps: Record<string, string[]> };
        expect(summary.apps.Prowlarr).toContain('connection "homelab alerts (ntfy)": health issues to ntfy https://ntfy.example.org topic homelab-alerts');
        expect(summary.apps.Seerr).toContain("request notifications to webhook https://hooks.example.org/h");
    });
});
