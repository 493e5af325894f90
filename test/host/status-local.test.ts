/**
 * `npm run status` in local mode (no `homelab:host`): the probe runs for real against this machine's Docker
 * engine, which the day-two suites start (debian-host.sh engine). With no stack deployed, every problem is
 * named on its own line. The unreachable-engine case needs no engine and runs in test/status.test.ts.
 */
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { BRINGUP, must } from "./host";
import type { StatusLine } from "../../scripts/status";
import { cli } from "../support/cli";


beforeAll(() => {
    must("bash", [BRINGUP, "engine"]);
}, 120_000);

test("local mode: the probe runs against the local engine and names every problem (here: no stack at all)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-status-local-"));
    fs.mkdirSync(path.join(dir, "data", "torrents"), { recursive: true });
    fs.mkdirSync(path.join(dir, "data", "media"), { recursive: true });
    // The address-echo service of this test: answers with the caller's address, like api.ipify.org.
    const echo = http.createServer((req, res) => res.end(req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? ""));
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    const port = (echo.address() as { port: number }).port;
    const stackFile = path.join(dir, "Pulumi.local.yaml");
    fs.writeFileSync(stackFile, toYaml({ config: {
        "homelab:wireguardPrivateKey": { secure: "v1:x" },
        "homelab:dataRoot": path.join(dir, "data"),
        "homelab:ipEchoUrl": `http://127.0.0.1:${port}/`,
        "homelab:apps": { lidarr: false, bazarr: false, seerr: false, flaresolverr: false },
    } }));
    try {
        const r = await cli("status", ["--stack", "local", "--stack-file", stackFile, "--json"], { HOME: dir });
        expect([r.status, r.stderr]).toEqual([1, ""]);
        const report = JSON.parse(r.stdout) as { host: string; ok: boolean; lines: StatusLine[] };
        expect(report.host).toBe("local");
        expect(report.ok).toBe(false);
        const text = (name: string) => report.lines.find((l) => l.name === name);
        expect(text("sonarr")).toEqual({ section: "apps", name: "sonarr", ok: false, text: "no container (pulumi up creates it)" });
        expect(text("tunnel")).toMatchObject({ ok: false, text: "gluetun is not running" });
        expect(text("address")).toMatchObject({ ok: false, text: expect.stringMatching(/^no answer from http:\/\/127\.0\.0\.1:\d+\/ inside the VPN namespace/) });
        expect(text("hardlinks")).toMatchObject({ ok: true });
        expect(text("free")).toMatchObject({ text: expect.stringContaining(`under ${path.join(dir, "data")}`) });
        expect(text("last")).toMatchObject({ ok: true, text: "off (homelab:backup.repository is not set)" });
    } finally {
        echo.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}, 60_000);

