/**
 * WireGuard with Proton port forwarding and server filters: Gluetun gets the forwarding switches and the
 * documented qBittorrent hook, and the hook really posts the forwarded port when a shell runs it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { programOptions } from "../support/fixtures";
import { ProgramRun, runProgram } from "../../scripts/mock-engine";
import { container, env, envOf } from "../support/graph";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions({
        vpnPortForwarding: true,
        vpnCountries: ["Netherlands", "Switzerland"],
        vpnCities: ["Amsterdam", "Zurich"],
    }));
}, 30_000);

test("port forwarding on, P2P servers only, no listening-port redirection", () => {
    const gluetun = container(run, "gluetun");
    expect(env(gluetun, "VPN_PORT_FORWARDING")).toBe("on");
    expect(env(gluetun, "PORT_FORWARD_ONLY")).toBe("on");
    expect(env(gluetun, "VPN_PORT_FORWARDING_LISTENING_PORTS")).toBeUndefined();
    expect(env(gluetun, "FIREWALL_VPN_INPUT_PORTS")).toBeUndefined();
});

test("server filters are passed as comma-separated lists", () => {
    const gluetun = container(run, "gluetun");
    expect(env(gluetun, "SERVER_COUNTRIES")).toBe("Netherlands,Switzerland");
    expect(env(gluetun, "SERVER_CITIES")).toBe("Amsterdam,Zurich");
});

test("the up command is the documented qBittorrent setPreferences call on localhost", () => {
    const command = env(container(run, "gluetun"), "VPN_PORT_FORWARDING_UP_COMMAND") ?? "";
    expect(command).toContain("http://127.0.0.1:8080/api/v2/app/setPreferences");
    expect(command).toContain("{{PORT}}");
    expect(command).toContain("{{VPN_INTERFACE}}");
    expect(envOf(container(run, "gluetun")).get("VPN_PORT_FORWARDING_UP_COMMAND")?.secret).toBe(false);
});

test("run through a shell, the up command posts valid JSON with the forwarded port and the tunnel", () => {
    const template = env(container(run, "gluetun"), "VPN_PORT_FORWARDING_UP_COMMAND") ?? "";
    const command = template.replace(/\{\{PORT\}\}/g, "51413").replace(/\{\{VPN_INTERFACE\}\}/g, "tun0");
    // A stand-in wget on PATH records the arguments it gets, one per line.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-wget-"));
    const record = path.join(bin, "args");
    fs.writeFileSync(path.join(bin, "wget"), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${record}'\n`, { mode: 0o755 });
    try {
        execFileSync("/bin/sh", ["-c", command], { env: { PATH: `${bin}:/usr/bin:/bin` } });
        const args = fs.readFileSync(record, "utf8").trimEnd().split("\n");
        const postData = args[args.indexOf("--post-data") + 1];
        expect(postData.startsWith("json=")).toBe(true);
        expect(JSON.parse(postData.slice("json=".length))).toEqual({
            listen_port: 51413, current_network_interface: "tun0", random_port: false, upnp: false,
        });
        expect(args[args.length - 1]).toBe("http://127.0.0.1:8080/api/v2/app/setPreferences");
    } finally {
        fs.rmSync(bin, { recursive: true, force: true });
    }
});
