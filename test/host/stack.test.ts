/**
 * Issue 8: the stack on a real Docker engine. Every container, network and volume the program declares is
 * created on the disposable Debian host's engine through ONE translation of the program's inputs into
 * Engine API calls (test/host/engine.ts), with stand-in images (test/host/standins.ts): Debian's real
 * qbittorrent-nox started like the linuxserver image, a Gluetun stand-in with a TUN interface and a kill
 * switch, busybox for the rest. The host steps (data tree, firewall, vpn-recovery) run over SSH exactly as
 * the program's command resources say. Then real packets: the VPN namespace, the published WebUI ports, the
 * port-forwarding hook, the seeded qBittorrent config, and the gateway restarting under its members.
 */
import * as fs from "fs";
import {
    BRINGUP, GATEWAY, HOST_IP, HOST_NAME, LAN_CLIENT, NETWORK, SUBNET, WAN_CLIENT, BUSYBOX,
    Ssh, must, mustOnHost, onHost, overSsh, run, setUpSsh,
} from "./host";
import { Commands, loadScripts, runTheProgram } from "./scripts";
import { StackOnEngine, CONTAINER, engineIn } from "./engine";
import { StandIns, buildStandIns, standInFor } from "./standins";
import type { CapturedResource, ProgramRun } from "../../scripts/mock-engine";
import { AppId, CATALOG } from "../../components/catalog";

jest.setTimeout(300_000);

/** How long the host's vpn-recovery service may take to put the members back (gateway healthcheck every 30 s). */
const RECOVERY_BOUND_S = 90;
const FORWARDED_PORT = 51413;
const MEMBERS = ["qbittorrent", "prowlarr", "flaresolverr"];

const timings: Record<string, number> = {};
let ssh: Ssh;
let commands: Commands;
let program: ProgramRun;
let images: StandIns;
let stack: StackOnEngine;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mock = () => require("../../scripts/mock-engine") as typeof import("../../scripts/mock-engine");

function revealed(r: CapturedResource): Record<string, unknown> {
    return mock().readableInputs(r.serializedInputs, true) as Record<string, unknown>;
}
function containerOf(app: string): CapturedResource {
    const found = program.resources.filter((r) => r.type === CONTAINER && revealed(r).name === app);
    if (found.length !== 1) throw new Error(`expected one container named ${app}, found ${found.length}`);
    return found[0];
}
function envOf(app: string, name: string): string {
    const env = (revealed(containerOf(app)).envs as string[]).find((e) => e.startsWith(`${name}=`));
    if (env === undefined) throw new Error(`${app} has no ${name}`);
    return env.slice(name.length + 1);
}

function runStep(script: keyof Commands, action: "create" | "delete"): string {
    const r = overSsh(ssh, commands[script][action]);
    if (r.status !== 0) throw new Error(`${script} ${action} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout + r.stderr;
}

/** A command in a container of the nested engine. */
function inContainer(name: string, script: string): ReturnType<typeof onHost> {
    return onHost(`docker exec ${name} sh -c ${JSON.stringify(script).replace(/\$/g, "\\$")}`);
}

function pidOf(name: string): number {
    return Number(onHost(`docker inspect -f '{{.State.Pid}}' ${name}`).stdout.trim() || 0);
}
function netnsOf(name: string): string {
    const pid = pidOf(name);
    return pid > 0 ? onHost(`readlink /proc/${pid}/ns/net`).stdout.trim() : "";
}

/** qBittorrent's preferences, read through its API from inside the namespace (localhost needs no login). */
function preferences(): { listen_port: number; current_network_interface: string } | undefined {
    const r = inContainer("gluetun", `wget -q -O- -T 3 http://127.0.0.1:${CATALOG.qbittorrent.port}/api/v2/app/preferences`);
    if (r.status !== 0) return undefined;
    try { return JSON.parse(r.stdout); } catch { return undefined; }
}

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
        const v = check();
        if (v) return v;
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`timed out waiting for ${what}`);
}

/**
 * One HTTP request with busybox nc (its wget crashes in these images) from a client container: LAN/WAN on
 * the outer engine, an app on the test host's engine. The request side stays open a moment: qBittorrent
 * drops a connection whose client has shut down its sending side before the answer.
 */
function http(client: string, ip: string, port: number, method: string, path: string, opts: { body?: string; headers?: string[] } = {}): string {
    const request = [`${method} ${path} HTTP/1.1`, `Host: ${ip}:${port}`, "Connection: close", ...(opts.headers ?? []),
        ...(opts.body !== undefined ? ["Content-Type: application/x-www-form-urlencoded", `Content-Length: ${Buffer.byteLength(opts.body)}`] : []),
        "", opts.body ?? ""].join("\r\n");
    const script = `(cat; sleep 1) | nc -w 4 ${ip} ${port}`;
    const outer = [LAN_CLIENT.name, WAN_CLIENT.name].includes(client);
    return (outer ? run("docker", ["exec", "-i", client, "sh", "-c", script], { input: request })
        : onHost(`docker exec -i ${client} sh -c '${script}'`, request)).stdout;
}

/** The status line of an answer ("" when nothing answered). */
function statusLine(response: string): string {
    return response.split("\r\n")[0].trim();
}

/** A WebUI login; returns qBittorrent's answer ("Ok." / "Fails."). */
function login(client: string, ip: string, password: string, headers: string[] = []): string {
    const r = http(client, ip, CATALOG.qbittorrent.port, "POST", "/api/v2/auth/login", { body: `username=admin&password=${password}`, headers });
    return r.split("\r\n\r\n").slice(1).join("").trim();
}

beforeAll(async () => {
    const start = Date.now();
    const t = (label: string, since: number) => { timings[label] = (Date.now() - since) / 1000; };
    let s = Date.now();
    must("bash", [BRINGUP, "image"], { timeoutMs: 480_000 });
    images = buildStandIns();
    t("images", s);
    for (const c of [HOST_NAME, LAN_CLIENT.name, WAN_CLIENT.name]) run("docker", ["rm", "-f", c]);
    run("docker", ["network", "rm", NETWORK]);
    must("docker", ["network", "create", "--subnet", SUBNET, "--gateway", GATEWAY, NETWORK]);
    s = Date.now();
    must("bash", [BRINGUP, "up", HOST_NAME, NETWORK, HOST_IP]);
    t("host boot", s);
    for (const c of [LAN_CLIENT, WAN_CLIENT]) {
        must("docker", ["run", "-d", "--name", c.name, "--network", NETWORK, "--ip", c.ip, BUSYBOX, "sleep", "3600"]);
    }
    s = Date.now();
    must("bash", ["-c", `docker save ${images.all.join(" ")} | docker exec -i ${HOST_NAME} docker load -q`], { timeoutMs: 300_000 });
    t("image load", s);
    ssh = setUpSsh();
    const hostKey = fs.readFileSync(ssh.knownHosts, "utf8").trim().split(" ").slice(1).join(" ");
    const privateKey = fs.readFileSync(ssh.key, "utf8");
    program = await runTheProgram(hostKey, privateKey);
    commands = (await loadScripts(hostKey, privateKey, program)).commands;
    s = Date.now();
    runStep("data-tree", "create");
    runStep("firewall", "create");
    runStep("vpn-recovery", "create");
    t("host steps", s);
    const declared = (app: AppId) => String(revealed(program.resources.find((r) => r.type === "docker:index/remoteImage:RemoteImage" && r.name.endsWith(`-${app}-image`))!).name);
    stack = new StackOnEngine(program.resources, revealed, (r) => mock().mockResourceId(r.name), standInFor(images, declared), engineIn(HOST_NAME));
    s = Date.now();
    await stack.createAll();
    t("stack create (gateway waits healthy)", s);
    timings["bring-up total"] = (Date.now() - start) / 1000;
}, 600_000);

afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(`stack suite: timings (s): ${JSON.stringify(timings)}`);
    if (process.env.HOMELAB_TEST_KEEP) return;
    for (const c of [HOST_NAME, LAN_CLIENT.name, WAN_CLIENT.name]) run("docker", ["rm", "-f", c]);
    run("docker", ["network", "rm", NETWORK]);
    if (ssh) fs.rmSync(ssh.dir, { recursive: true, force: true });
});

test("the translation refuses an input it does not know", () => {
    const gluetun = containerOf("gluetun");
    const withExtra = { ...gluetun, serializedInputs: { ...gluetun.serializedInputs, sysctls: { "net.ipv4.ip_forward": "1" } } };
    expect(() => new StackOnEngine([...program.resources.filter((r) => r !== gluetun), withExtra], revealed, (r) => r.name, () => ({ image: "unused" }), engineIn(HOST_NAME)))
        .toThrow(/no translation for container input\(s\) sysctls/);
    const withField = { ...gluetun, serializedInputs: { ...gluetun.serializedInputs, ports: [{ internal: 1, external: 1, ip: "127.0.0.1", protocol: "tcp", hostIp: "x" }] } };
    expect(() => new StackOnEngine([...program.resources.filter((r) => r !== gluetun), withField], revealed, (r) => r.name, () => ({ image: "unused" }), engineIn(HOST_NAME)))
        .toThrow(/ports\[\]: no translation for hostIp/);
});

test("every container the program declares is accepted by the daemon and runs with its declared settings", async () => {
    const declared = program.resources.filter((r) => r.type === CONTAINER);
    expect(declared.length).toBeGreaterThanOrEqual(10);
    const gatewayId = stack.created.containers.get(containerOf("gluetun").urn)!.id;
    for (const r of declared) {
        const inputs = revealed(r);
        const name = String(inputs.name);
        const info = await stack.inspect(name) as { State: { Running: boolean }; Config: { Env: string[]; Labels: Record<string, string> }; HostConfig: Record<string, unknown>; NetworkSettings: { Networks: Record<string, { IPAddress: string; Aliases: string[] | null }> } };
        expect([name, info.State.Running]).toEqual([name, true]);
        for (const env of inputs.envs as string[]) expect([name, info.Config.Env]).toEqual([name, expect.arrayContaining([env])]);
        expect(info.HostConfig.Memory).toBe(Number(inputs.memory) * 1024 * 1024);
        expect(info.HostConfig.RestartPolicy).toMatchObject({ Name: inputs.restart });
        expect(info.HostConfig.SecurityOpt).toEqual(inputs.securityOpts);
        expect(info.HostConfig.LogConfig).toEqual({ Type: inputs.logDriver, Config: inputs.logOpts });
        for (const l of inputs.labels as { label: string; value: string }[]) expect(info.Config.Labels[l.label]).toBe(l.value);
        if (String(inputs.networkMode).startsWith("container:")) {
            expect([name, info.HostConfig.NetworkMode]).toEqual([name, `container:${gatewayId}`]);
            expect([name, Object.keys(info.NetworkSettings.Networks)]).toEqual([name, []]);
        } else {
            const adv = (inputs.networksAdvanced as { name: string; ipv4Address: string; aliases: string[] }[])[0];
            expect([name, Object.keys(info.NetworkSettings.Networks)]).toEqual([name, [adv.name]]);
            expect(info.NetworkSettings.Networks[adv.name].IPAddress).toBe(adv.ipv4Address);
            expect(info.NetworkSettings.Networks[adv.name].Aliases).toEqual(expect.arrayContaining(adv.aliases));
        }
    }
    const gw = await stack.inspect("gluetun") as { HostConfig: { CapAdd: string[]; Devices: { PathOnHost: string }[]; PortBindings: Record<string, { HostIp: string; HostPort: string }[]> } };
    expect(gw.HostConfig.CapAdd).toEqual(["NET_ADMIN"]);
    expect(gw.HostConfig.Devices.map((d) => d.PathOnHost)).toEqual(["/dev/net/tun"]);
    expect(gw.HostConfig.PortBindings["8080/tcp"]).toEqual([{ HostIp: HOST_IP, HostPort: "8080" }]);
    // The uploads are where the program put them (the gateway's control auth lies in its state volume).
    expect(inContainer("gluetun", "cat /gluetun/auth/config.toml").stdout).toContain("[[roles]]");
    expect(inContainer("qbittorrent", "cat /config/qBittorrent/qBittorrent.conf").stdout).toContain("WebUI\\Password_PBKDF2=");
});

test("qBittorrent and Prowlarr live in the gateway's network namespace: same interfaces, same address, no network of their own", () => {
    const gateway = netnsOf("gluetun");
    expect(gateway).toMatch(/^net:\[\d+\]$/);
    const links = (name: string) => mustOnHost(`nsenter -t ${pidOf(name)} -n ip -o -4 addr show`).replace(/\s+valid_lft.*$/gm, "").trim();
    expect(links("gluetun")).toMatch(/tun0\s+inet 10\.2\.0\.2\/32/);
    expect(links("gluetun")).toMatch(/eth0\s+inet 172\.30\.0\.10\/24/);
    for (const member of ["qbittorrent", "prowlarr"]) {
        expect([member, netnsOf(member)]).toEqual([member, gateway]);
        // What the member itself sees (its own /proc): the gateway's interfaces.
        expect([member, inContainer(member, "cat /proc/net/dev").stdout.match(/^\s*(\w+):/gm)?.map((l) => l.trim()).sort()])
            .toEqual([member, ["eth0:", "lo:", "tun0:"]]);
    }
});

test("the members' WebUIs answer on the gateway's published ports from the LAN and are refused from outside it", () => {
    for (const app of ["qbittorrent", "prowlarr"]) {
        const port = CATALOG[app as AppId].port;
        expect([app, statusLine(http(LAN_CLIENT.name, HOST_IP, port, "GET", "/"))]).toEqual([app, expect.stringMatching(/^HTTP\/1\.[01] \d{3}/)]);
        expect([app, statusLine(http(WAN_CLIENT.name, HOST_IP, port, "GET", "/"))]).toEqual([app, ""]);
    }
});

test("the seeded config: the generated password logs in, the graph's health probe passes, only the proxy is a trusted reverse proxy", async () => {
    const password = (program.outputs.qbittorrentLogin as { password: string }).password;
    expect(password).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(login(LAN_CLIENT.name, HOST_IP, password)).toBe("Ok.");
    expect(login(LAN_CLIENT.name, HOST_IP, "adminadmin")).toBe("Fails.");
    const probe = (revealed(containerOf("qbittorrent")).healthcheck as { tests: string[] }).tests;
    expect(probe[0]).toBe("CMD-SHELL");
    expect(onHost(`docker exec qbittorrent sh -c '${probe[1].replace(/'/g, "'\\''")}'`).status).toBe(0);
    await waitFor("qbittorrent healthy", () => onHost("docker inspect -f '{{.State.Health.Status}}' qbittorrent").stdout.trim() === "healthy", 90_000);
    // Failed logins through the stack network: qBittorrent logs the client address it believes.
    const gatewayIp = String((revealed(containerOf("gluetun")).networksAdvanced as { ipv4Address: string }[])[0].ipv4Address);
    expect(login("caddy", gatewayIp, "wrong-1", ["X-Forwarded-For: 198.51.100.23"])).toBe("Fails.");
    expect(login("sonarr", gatewayIp, "wrong-2", ["X-Forwarded-For: 198.51.100.24"])).toBe("Fails.");
    const log = await waitFor("both failures in qBittorrent's log", () => {
        const text = inContainer("qbittorrent", "cat /config/qBittorrent/logs/qbittorrent.log").stdout;
        return (text.match(/WebAPI login failure/g) ?? []).length >= 3 ? text : undefined;
    });
    const caddyIp = String((revealed(containerOf("caddy")).networksAdvanced as { ipv4Address: string }[])[0].ipv4Address);
    const sonarrIp = String((revealed(containerOf("sonarr")).networksAdvanced as { ipv4Address: string }[])[0].ipv4Address);
    expect(log).toMatch(/WebAPI login failure.*IP: (::ffff:)?198\.51\.100\.23\b/);
    expect(log).not.toMatch(new RegExp(`WebAPI login failure.*IP: (::ffff:)?${caddyIp.replace(/\./g, "\\.")}\\b`));
    expect(log).toMatch(new RegExp(`WebAPI login failure.*IP: (::ffff:)?${sonarrIp.replace(/\./g, "\\.")}\\b`));
    expect(log).not.toContain("198.51.100.24");
});

describe("port forwarding: the program's hook commands run in the gateway", () => {
    test("the up command sets qBittorrent's listening port and the tunnel interface", async () => {
        const up = envOf("gluetun", "VPN_PORT_FORWARDING_UP_COMMAND");
        expect(up).toContain("{{PORT}}");
        expect(inContainer("gluetun", "printenv VPN_PORT_FORWARDING_UP_COMMAND").stdout.trim()).toBe(up);
        const r = onHost(`docker exec gluetun /gluetun-entrypoint port-forward up ${FORWARDED_PORT}`);
        expect([r.status, r.stderr]).toEqual([0, expect.stringContaining("200 OK")]);
        const prefs = await waitFor("listen_port", () => { const p = preferences(); return p?.listen_port === FORWARDED_PORT ? p : undefined; }, 10_000);
        expect(prefs.current_network_interface).toBe("tun0");
    });

    test("the forwarded port survives a restart of the qBittorrent container", async () => {
        mustOnHost("docker restart qbittorrent >/dev/null");
        const prefs = await waitFor("qBittorrent's API after the restart", () => preferences(), 60_000);
        expect(prefs.listen_port).toBe(FORWARDED_PORT);
        expect(prefs.current_network_interface).toBe("tun0");
    });

    test("the down command takes the port away", async () => {
        const r = onHost(`docker exec gluetun /gluetun-entrypoint port-forward down ${FORWARDED_PORT}`);
        expect(r.status).toBe(0);
        const prefs = await waitFor("listen_port changed", () => { const p = preferences(); return p && p.listen_port !== FORWARDED_PORT ? p : undefined; }, 10_000);
        expect(prefs.current_network_interface).toBe("lo");
    });
});

describe("the gateway container restarting under its members (defect 2)", () => {
    const SAMPLES = "/tmp/homelab-netpath.samples";

    test("vpn-recovery create is idempotent and its service is running", () => {
        const unit = "homelab-vpn-recovery";
        const before = mustOnHost(`sha256sum /etc/systemd/system/${unit}.service /usr/local/lib/homelab/vpn-recovery; systemctl show -p ActiveEnterTimestamp ${unit}`);
        expect(runStep("vpn-recovery", "create")).toContain("homelab: vpn recovery watching gluetun on homelab-test-host");
        expect(mustOnHost(`sha256sum /etc/systemd/system/${unit}.service /usr/local/lib/homelab/vpn-recovery; systemctl show -p ActiveEnterTimestamp ${unit}`)).toBe(before);
        expect(mustOnHost(`systemctl is-enabled ${unit}; systemctl is-active ${unit}`).trim().split("\n")).toEqual(["enabled", "active"]);
    });

    test("a crashed gateway comes back and its members are restarted into its new namespace within the bound; no member ever has a path around it", async () => {
        // Something to reach outside the LAN and the stack subnets (where only the tunnel may lead).
        run("docker", ["exec", "-d", WAN_CLIENT.name, "httpd", "-p", "8000"]);
        const probeWan = `curl -s -o /dev/null -m 2 http://${WAN_CLIENT.ip}:8000/ && echo LEAK || echo blocked`;
        expect(inContainer("qbittorrent", probeWan).stdout.trim()).toBe("blocked");
        // The same packet from a bridge app gets through: the probe can see a path when there is one.
        expect(statusLine(http("sonarr", WAN_CLIENT.ip, 8000, "GET", "/"))).toMatch(/^HTTP\/1\.[01] \d{3}/);

        const oldNs = netnsOf("gluetun");
        const memberNs = Object.fromEntries(MEMBERS.map((m) => [m, netnsOf(m)]));
        for (const m of MEMBERS) expect([m, memberNs[m]]).toEqual([m, oldNs]);
        // Sample every member's routes and kill switch from the host until the test ends.
        mustOnHost(`rm -f ${SAMPLES}; nohup bash -c 'while :; do for m in ${MEMBERS.join(" ")}; do
            p=$(docker inspect -f "{{.State.Pid}}" $m 2>/dev/null); [ "$p" -gt 0 ] 2>/dev/null || continue
            r=$(nsenter -t $p -n ip -4 route show 2>/dev/null | tr "\\n" ";"); k=$(nsenter -t $p -n iptables -S OUTPUT 2>/dev/null | head -n1)
            echo "$m|$r|$k"; done; sleep 0.3; done' >>${SAMPLES} 2>/dev/null & echo $! > ${SAMPLES}.pid`);
        const crashed = Date.now();
        // A crash (as an out-of-memory kill would do it): the gateway's process dies; Docker's restart policy starts it again.
        mustOnHost(`kill -9 ${pidOf("gluetun")}`);
        await waitFor("the gateway to run in a new namespace", () => { const ns = netnsOf("gluetun"); return ns && ns !== oldNs; }, 30_000);
        // Meanwhile the members sit in the dead namespace: Docker took its eth0 away; what is left is loopback
        // and the stand-in's TUN interface with nothing behind it (a real tunnel's interface stays there too).
        for (const m of MEMBERS) {
            expect([m, netnsOf(m)]).toEqual([m, memberNs[m]]);
        }
        expect(inContainer("qbittorrent", "cat /proc/net/dev").stdout).not.toMatch(/eth0/);
        expect(inContainer("qbittorrent", probeWan).stdout.trim()).toBe("blocked");
        const recovered = await waitFor("every member back in the gateway's namespace", () => {
            const gw = netnsOf("gluetun");
            return MEMBERS.every((m) => netnsOf(m) === gw) ? gw : undefined;
        }, RECOVERY_BOUND_S * 1000);
        timings["gateway crash -> members back (s)"] = (Date.now() - crashed) / 1000;
        expect(recovered).not.toBe(oldNs);
        expect(timings["gateway crash -> members back (s)"]).toBeLessThan(RECOVERY_BOUND_S);
        await waitFor("qBittorrent's API in the new namespace", () => preferences(), 60_000);
        expect(statusLine(http(LAN_CLIENT.name, HOST_IP, CATALOG.qbittorrent.port, "GET", "/api/v2/app/version"))).toMatch(/^HTTP\/1\.[01] \d{3}/);
        expect(inContainer("qbittorrent", probeWan).stdout.trim()).toBe("blocked");
        mustOnHost(`kill $(cat ${SAMPLES}.pid)`);
        // Every sample where a member had a way off the host (eth0): the only default route is the tunnel and
        // the kill switch is on. Without eth0 (the dead namespace) nothing leaves at all.
        const samples = mustOnHost(`cat ${SAMPLES}`).trim().split("\n").filter(Boolean);
        expect(samples.length).toBeGreaterThan(20);
        const bad = samples.filter((l) => {
            const [, routes, killSwitch] = l.split("|");
            if (!routes.includes("eth0")) return false;
            const defaults = routes.split(";").filter((x) => x.startsWith("default"));
            return !(defaults.length === 1 && defaults[0].startsWith("default dev tun0") && killSwitch === "-P OUTPUT DROP");
        });
        expect(bad).toEqual([]);
        expect(samples.some((l) => !l.split("|")[1].includes("eth0"))).toBe(true); // the dead namespace was seen
        const journal = mustOnHost("journalctl -u homelab-vpn-recovery --no-pager -o cat");
        for (const m of MEMBERS) expect(journal).toContain(`restarting ${m} into the new network namespace of gateway`);
    });

    test("after a Docker daemon restart the members that could not start are started in the gateway's namespace within the bound", async () => {
        mustOnHost("systemctl restart docker");
        const back = Date.now();
        const gw = await waitFor("every member running in the gateway's namespace", () => {
            const ns = netnsOf("gluetun");
            return ns && MEMBERS.every((m) => netnsOf(m) === ns) ? ns : undefined;
        }, (RECOVERY_BOUND_S + 30) * 1000);
        timings["daemon restart -> members back (s)"] = (Date.now() - back) / 1000;
        expect(timings["daemon restart -> members back (s)"]).toBeLessThan(RECOVERY_BOUND_S);
        expect(gw).toMatch(/^net:\[\d+\]$/);
        // Docker starts the containers in any order and never retries a member whose gateway was not running yet.
        const journal = mustOnHost("journalctl -u homelab-vpn-recovery --no-pager -o cat");
        const started = MEMBERS.filter((m) => journal.includes(`starting ${m}, which could not start while gateway`));
        timings["daemon restart: members started by vpn-recovery"] = started.length;
        await waitFor("qBittorrent's API", () => preferences(), 60_000);
        expect(statusLine(http(LAN_CLIENT.name, HOST_IP, CATALOG.qbittorrent.port, "GET", "/api/v2/app/version"))).toMatch(/^HTTP\/1\.[01] \d{3}/);
    });

    test("a replaced gateway (new container) is reported loudly in the journal: only pulumi up can recreate the members", async () => {
        const oldId = stack.created.containers.get(containerOf("gluetun").urn)!.id;
        mustOnHost("docker rm -f gluetun >/dev/null");
        await stack.createContainer(containerOf("gluetun"));
        const message = await waitFor("the error in the journal", () => {
            const j = onHost("journalctl -u homelab-vpn-recovery -p err --no-pager -o cat").stdout;
            return j.includes("qbittorrent is attached to gateway container") ? j : undefined;
        }, 30_000);
        expect(message).toContain(`qbittorrent is attached to gateway container ${oldId.slice(0, 12)}, which no longer exists (the gateway was replaced)`);
        expect(message).toContain("run 'pulumi up'");
        // Docker itself cannot do it: a restart of the member fails on the stale id.
        const restart = onHost("docker restart prowlarr");
        expect(restart.status).not.toBe(0);
        expect(restart.stderr).toMatch(/No such container|cannot join network/i);
    });

    test("vpn-recovery delete removes its service and files", () => {
        expect(runStep("vpn-recovery", "delete")).toContain("homelab: vpn recovery removed");
        expect(onHost("ls /etc/systemd/system/homelab-vpn-recovery.service /usr/local/lib/homelab/vpn-recovery 2>&1").stdout).not.toMatch(/^\/etc|^\/usr/m);
        expect(mustOnHost("systemctl list-units --all --no-legend 'homelab-vpn-recovery*'").trim()).toBe("");
        runStep("vpn-recovery", "delete");
    });
});
