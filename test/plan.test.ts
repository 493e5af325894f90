/**
 * `npm run plan`, the main job without the CLI: run as a user runs it (a child process on the example stack
 * and on a broken one), and docs/stack.md checked against the graph it is generated from.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackConfig, reportPolicies } from "../scripts/plan";
import { runProgram } from "../scripts/mock-engine";
import { buildStackView, renderStackMarkdown } from "../scripts/stack-view";

const ROOT = path.join(__dirname, "..");
const PLAN_SCRIPT = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { plan: string } }).scripts.plan;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-plan-"));

function plan(...args: string[]) {
    // Exactly what `npm run plan` runs (package.json), without npm around it.
    const [node, ...nodeArgs] = PLAN_SCRIPT.split(" ");
    expect(node).toBe("node");
    return spawnSync(process.execPath, [...nodeArgs, ...args], { cwd: ROOT, encoding: "utf8" });
}

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("the dev stack", () => {
    const graphFile = path.join(tmp, "graph.json");
    let result: ReturnType<typeof plan>;
    beforeAll(() => {
        result = plan("--stack", "dev", "--no-docs", "--json", graphFile);
    }, 60_000);

    test("plans every container with its network, ports and mounts, and passes the policy pack", () => {
        expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
        const out = result.stdout;
        expect(out).toContain("Docker host: ssh://root@192.168.1.10:22");
        expect(out).toMatch(/ {2}qbittorrent\n {4}image {4}lscr\.io\/linuxserver\/qbittorrent:[\w.-]+\n {4}network {2}VPN namespace of gluetun\n {4}ports {4}none published\n/);
        expect(out).toMatch(/ {2}gluetun\n(?: {4}.*\n)*? {4}ports {4}192\.168\.1\.10:8080->8080\/tcp, 192\.168\.1\.10:9696->9696\/tcp\n/);
        expect(out).toContain("mount    host /srv/homelab/data/media -> /data/media (read-only)");
        expect(out).toMatch(/firewall\.sh +SSH_PORT=22 LAN_SUBNET=192\.168\.1\.0\/24/);
        expect(out).toContain("Policy pack: 0 mandatory violation(s), 0 advisory message(s)");
        expect(out).toMatch(/\n {2}sonarr +calls 172\.30\.0\.14:8989 +after sonarr, gluetun, qbittorrent, jellyfin\n/);
        expect(out).toContain("public routes (caddy) open after: jellyfin-setup, seerr");
    });

    test("--json writes the graph with dependencies, and no secret in the clear", () => {
        const graph = JSON.parse(fs.readFileSync(graphFile, "utf8")) as Record<string, unknown>[];
        const qbittorrent = graph.find((r) => r.name === "homelab-downloader-qbittorrent")!;
        expect(Object.keys(qbittorrent).sort()).toEqual(["dependencies", "inputs", "name", "parent", "propertyDependencies", "type", "urn"]);
        expect((qbittorrent.propertyDependencies as Record<string, string[]>).networkMode).toEqual([
            expect.stringMatching(/::homelab-vpn-gluetun$/),
        ]);
        const text = JSON.stringify(graph);
        expect(text).not.toContain("plan-placeholder");
        expect(text).not.toContain(`${"A".repeat(43)}=`);
        expect(text).toContain("[secret]");
    });
});

test("a broken stack file fails with one plain line per problem and no stack trace", () => {
    const bad = path.join(tmp, "Pulumi.bad.yaml");
    const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    fs.writeFileSync(bad, dev.replace("homelab:puid: 1000", "homelab:puid: 0").replace("homelab:dataRoot: /srv/homelab/data", "homelab:dataRoot: srv/data"));
    const result = plan("--stack-file", bad, "--no-docs");
    expect(result.status).toBe(1);
    expect(result.stderr.split("\n").filter((l) => l.startsWith("  - "))).toEqual([
        "  - homelab:puid: must be 1 or more (the numeric id of the user owning the media; 0 (root) is not allowed)",
        `  - homelab:dataRoot: must be an absolute path on the host (starting with /), got "srv/data"`,
    ]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
}, 60_000);

test("a mandatory violation fails the plan; advisory messages do not", () => {
    expect(reportPolicies([{ policyName: "p", message: "m", enforcementLevel: "advisory" }])).toBe(0);
    expect(reportPolicies([{ policyName: "p", message: "m", enforcementLevel: "mandatory" }])).not.toBe(0);
});

test("docs/stack.md is what the plan generates from the dev stack's graph", async () => {
    const { config, secretKeys } = readStackConfig(path.join(ROOT, "Pulumi.dev.yaml"));
    process.env.HOMELAB_NO_LOCAL_FILES = "1";
    const run = await runProgram({ config, secretKeys, preview: true, stack: "dev" });
    const expected = renderStackMarkdown(buildStackView(run.resources), "dev");
    expect(fs.readFileSync(path.join(ROOT, "docs", "stack.md"), "utf8")).toBe(expected);
}, 30_000);

describe("a stack of the user's own (issue 13)", () => {
    const docsBefore = fs.readFileSync(path.join(ROOT, "docs", "stack.md"), "utf8");
    let result: ReturnType<typeof plan>;
    beforeAll(() => {
        const own = path.join(tmp, "Pulumi.home.yaml");
        const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
        fs.writeFileSync(own, dev
            .replace("homelab:domain: media.example.com", "homelab:domain: media.home.example.org")
            .replace("homelab:timezone: Europe/Berlin", "homelab:timezone: America/Chicago")
            .replace(/\n {2}# homelab:backup:[\s\S]*?keep: \{ daily: 7, weekly: 4 \}\n/, "\n  homelab:backup:\n    repository: /mnt/usb/homelab\n    schedule: Mon..Fri 02:30\n    keep: { daily: 5, weekly: 2 }\n"));
        result = plan("--stack-file", own, "--no-docs", "--diagram");
    }, 60_000);

    test("never rewrites the committed docs/stack.md (the example's page), and says where its own diagram is", () => {
        expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
        expect(fs.readFileSync(path.join(ROOT, "docs", "stack.md"), "utf8")).toBe(docsBefore);
        const page = /^Diagram and plan \(Mermaid, Markdown\): (.+)$/m.exec(result.stdout)?.[1];
        expect(page).toBeDefined();
        expect(path.relative(ROOT, page!).startsWith("..")).toBe(true);
        expect(fs.readFileSync(page!, "utf8")).toContain("media.home.example.org");
    });

    test("shows the settings that decide the deploy: VPN type, countries, port forwarding, time zone, backups", () => {
        expect(result.stdout).toContain("VPN          protonvpn over wireguard; countries: Netherlands, Switzerland; cities: any; port forwarding: on");
        expect(result.stdout).toContain("time zone    America/Chicago");
        expect(result.stdout).toContain("backups      restic to /mnt/usb/homelab, schedule Mon..Fri 02:30, keeping 5 daily, 2 weekly, 0 monthly");
        expect(result.stdout).toMatch(/\n {2}backup\.sh +REPOSITORY=\/mnt\/usb\/homelab SCHEDULE=Mon\.\.Fri 02:30 KEEP_DAILY=5 KEEP_WEEKLY=2 KEEP_MONTHLY=0 .*PASSWORD=\[secret\]\n/);
    });

    test("--no-docs still offers the diagram: on the terminal with --diagram, and as a file", () => {
        expect(result.stdout).toMatch(/\nDiagram \(Mermaid\):\nflowchart LR\n/);
    });

    test("docs/stack.md is written only when asked, and only for the example", () => {
        const refused = plan("--stack-file", path.join(tmp, "Pulumi.home.yaml"), "--docs", path.join(ROOT, "docs", "stack.md"));
        expect([refused.status, refused.stdout]).toEqual([64, ""]);
        expect(refused.stderr.trim()).toBe(`plan: docs/stack.md is the example stack's page; write the page of stack "home" elsewhere (--docs FILE)`);
        expect(fs.readFileSync(path.join(ROOT, "docs", "stack.md"), "utf8")).toBe(docsBefore);
    }, 60_000);
});
