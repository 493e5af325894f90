/**
 * Two Debian test hosts on the real engine (subnet 10.219.0.0/24, names `mh-*`) and a third LAN address: the
 * firewall step the program renders for each host of a two-host stack (FlareSolverr outside the VPN on `edge`,
 * called by Prowlarr on `main`; Jellyseerr's WebUI on `edge`), run for real, then real packets. The peer-only
 * port answers the calling host and times out for the third LAN address; the WebUI keeps today's LAN rule.
 * What this suite does not do yet: deploy the whole stack on two hosts (it needs the Pulumi CLI's engine).
 */
import { programOptions, SSH_HOST_KEY } from "../support/fixtures";
import { CapturedResource, readableInputs, runProgram } from "../../scripts/mock-engine";
import { BRINGUP, BUSYBOX, exported, must, run } from "./host";

const NET = "mh-net";
const SUBNET = "10.219.0.0/24";
const MAIN = { name: "mh-main", ip: "10.219.0.10" };
const EDGE = { name: "mh-edge", ip: "10.219.0.11" };
const THIRD = { name: "mh-third", ip: "10.219.0.30" };

let commands: CapturedResource[] = [];

function onHost(host: { name: string }, script: string, input?: string): string {
    return must("docker", ["exec", "-i", host.name, "bash", "-c", script], { input });
}

/** The first line of an HTTP answer from `from` (a Debian host: curl; the third client: busybox nc), or "". */
function httpFrom(from: { name: string }, ip: string, port: number): string {
    const probe = from === THIRD
        ? `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port} 2>&1 | head -n 1`
        : `curl -s -m 5 -o /dev/null -w 'HTTP/1.1 %{http_code}' http://${ip}:${port}/ || true`;
    return run("docker", ["exec", from.name, "sh", "-c", probe]).stdout.trim();
}

function cleanup(): void {
    for (const c of [MAIN.name, EDGE.name, THIRD.name]) run("docker", ["rm", "-f", c]);
    run("docker", ["network", "rm", NET]);
}

beforeAll(async () => {
    cleanup();
    const program = await runProgram(programOptions({
        host: undefined,
        sshHostKey: undefined,
        lanBindAddress: undefined,
        lanSubnet: SUBNET,
        hosts: {
            main: { host: MAIN.ip, sshHostKey: SSH_HOST_KEY, lanBindAddress: MAIN.ip },
            edge: { host: EDGE.ip, sshHostKey: SSH_HOST_KEY.replace(/.{4}$/, "edge"), lanBindAddress: EDGE.ip },
        },
        placement: { flaresolverr: "edge", jellyseerr: "edge", caddy: "edge" },
        indexersThroughVpn: false,
    }));
    commands = program.resources.filter((r) => r.type === "command:remote:Command");
    must("docker", ["network", "create", "--subnet", SUBNET, NET]);
    for (const host of [MAIN, EDGE]) must("bash", [BRINGUP, "up", host.name, NET, host.ip], { timeoutMs: 300_000 });
    must("docker", ["run", "-d", "--name", THIRD.name, "--network", NET, "--ip", THIRD.ip, BUSYBOX, "sleep", "3600"]);
    for (const host of [MAIN, EDGE]) must("bash", ["-c", `docker save ${BUSYBOX} | docker exec -i ${host.name} docker load`]);
}, 600_000);

afterAll(cleanup);

function firewallOf(hostName: "main" | "edge"): string {
    const name = hostName === "main" ? "homelab-host-firewall" : "homelab-host-edge-firewall";
    const command = commands.find((c) => c.name === name);
    if (!command) throw new Error(`no ${name}`);
    return String(readableInputs(command.serializedInputs.create));
}

test("the program admits FlareSolverr's port on edge from main only, and Jellyseerr's WebUI from the LAN", () => {
    expect(exported(firewallOf("edge"), "PEER_PORTS")).toBe(`8191@${MAIN.ip}`);
    expect(exported(firewallOf("edge"), "LAN_APP_PORTS").split(" ")).toContain("5055");
    expect(firewallOf("main")).not.toMatch(/^export PEER_PORTS=/m);
});

test("with real packets: the calling host reaches the peer-only port, a third LAN address does not; the WebUI stays LAN-open", () => {
    for (const host of [MAIN, EDGE]) onHost(host, "bash -s", firewallOf(host === MAIN ? "main" : "edge"));
    // Stand-ins published on edge's LAN address, as the program publishes FlareSolverr and Jellyseerr there.
    onHost(EDGE, `docker network create --subnet 172.30.0.0/24 homelab >/dev/null 2>&1 || true
        for p in 8191 5055; do
            docker rm -f app-$p >/dev/null 2>&1 || true
            docker run -d --name app-$p --network homelab -p ${EDGE.ip}:$p:8000 ${BUSYBOX} httpd -f -p 8000 -h /bin >/dev/null
        done`);
    const answered = (s: string) => /^HTTP\/1\.[01] \d{3}/.test(s);
    expect(httpFrom(MAIN, EDGE.ip, 8191)).toMatch(/^HTTP\/1\.1 [1-5]\d\d$/);
    expect(httpFrom(THIRD, EDGE.ip, 8191)).toMatch(/timed out|^$/);
    expect(httpFrom(MAIN, EDGE.ip, 8191)).not.toBe("HTTP/1.1 000");
    expect(answered(httpFrom(THIRD, EDGE.ip, 5055))).toBe(true);
    const rules = onHost(EDGE, "iptables -S DOCKER-USER");
    expect(rules).toContain(`-s ${MAIN.ip}/32 -p tcp -m conntrack --ctstate DNAT --ctproto 6 --ctorigdstport 8191 -j RETURN`);
    expect(onHost(EDGE, "ufw status")).toMatch(new RegExp(`^8191/tcp +ALLOW +${MAIN.ip.replace(/\./g, "\\.")}`, "m"));
});
