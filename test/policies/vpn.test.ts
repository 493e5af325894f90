/** The VPN policies on the synthetic stack, in preview (ids unknown) and update mode. */
import { Graph, Mode, UNKNOWN, judge, syntheticStack } from "./fixtures";

describe.each<Mode>(["preview", "update"])("VPN policies (%s)", (mode) => {
    let base: Graph;
    beforeEach(() => {
        base = syntheticStack(mode);
    });

    it("pass the compliant stack with a definite verdict (no 'can't run during preview')", async () => {
        const verdict = await judge(base.resources);
        expect(verdict.all).toEqual([]);
    });

    describe("download-clients-behind-vpn", () => {
        it.each([["bridge"], ["host"], ["none"]])("catches qBittorrent on networkMode %s", async (networkMode) => {
            base.leaveNamespace(base.container("qbittorrent"), networkMode);
            const verdict = await judge(base.resources);
            const v = verdict.mandatory.find((d) => d.policyName === "download-clients-behind-vpn");
            expect(v?.urn).toBe(base.container("qbittorrent").urn);
            expect(v?.message).toContain(`networkMode is '${networkMode}'`);
            expect(v?.message).toContain("container:${gluetun.id}");
        });

        it("catches qBittorrent without any networkMode (Docker's default bridge)", async () => {
            delete base.container("qbittorrent").serializedInputs.networkMode;
            base.container("qbittorrent").propertyDependencies.networkMode = [];
            expect((await judge(base.resources)).failed).toContain("download-clients-behind-vpn");
        });

        it("catches qBittorrent in the namespace of a container that is not Gluetun", async () => {
            base.joinNamespace(base.container("qbittorrent"), base.container("sonarr"));
            const verdict = await judge(base.resources);
            const v = verdict.mandatory.find((d) => d.policyName === "download-clients-behind-vpn");
            expect(v?.message).toMatch(/shares the network namespace of container 'homelab-sonarr'.*not a Gluetun VPN gateway/);
        });

        it("catches a computed networkMode with no dependency on Gluetun", async () => {
            const q = base.container("qbittorrent");
            q.serializedInputs.networkMode = mode === "preview" ? UNKNOWN : "container:somewhere-else";
            q.propertyDependencies.networkMode = [];
            expect((await judge(base.resources)).failed).toContain("download-clients-behind-vpn");
        });

        it("catches a second client added outside the VPN, recognised by its image", async () => {
            base.addApp({ app: "transmission", image: "lscr.io/linuxserver/transmission:4.0.6", port: 9091, lanIp: "192.168.1.10", data: "shared" });
            const verdict = await judge(base.resources);
            expect(verdict.failed).toEqual(["download-clients-behind-vpn"]);
            expect(verdict.mandatory[0].message).toContain("lscr.io/linuxserver/transmission:4.0.6");
        });

        it("recognises a client by its app label when its image cannot be traced", async () => {
            const sab = base.addApp({ app: "sabnzbd", image: "lscr.io/linuxserver/sabnzbd:4.5.1", data: "shared" });
            sab.propertyDependencies.image = [];
            sab.serializedInputs.image = UNKNOWN;
            expect((await judge(base.resources)).failed).toContain("download-clients-behind-vpn");
        });

        it("is satisfied by a second client in Gluetun's namespace", async () => {
            const deluge = base.addApp({ app: "deluge", image: "lscr.io/linuxserver/deluge:2.2.0", data: "shared" });
            base.joinNamespace(deluge, base.container("gluetun"));
            expect((await judge(base.resources)).all).toEqual([]);
        });

        it("fails a client when the stack has no Gluetun at all", async () => {
            const gluetun = base.container("gluetun");
            base.imageOf(gluetun).serializedInputs.name = "alpine:3.20";
            const v = (await judge(base.resources)).mandatory.find((d) => d.policyName === "download-clients-behind-vpn");
            expect(v?.message).toContain("no Gluetun container");
        });
    });

    describe("vpn-namespace-members-isolated", () => {
        const cases: Array<[string, unknown]> = [
            ["ports", [{ internal: 8080, external: 8080, ip: "192.168.1.10" }]],
            ["networksAdvanced", [{ name: "homelab" }]],
            ["hostname", "qbittorrent"],
            ["domainname", "lan"],
            ["dns", ["1.1.1.1"]],
            ["dnsSearches", ["lan"]],
            ["hosts", [{ host: "tracker", ip: "10.0.0.1" }]],
            ["hostname", UNKNOWN],
        ];
        it.each(cases)("catches a member that sets %s", async (key, value) => {
            base.container("qbittorrent").serializedInputs[key] = value;
            const verdict = await judge(base.resources);
            expect(verdict.failed).toEqual(["vpn-namespace-members-isolated"]);
            expect(verdict.mandatory[0].message).toContain(`\`${key}\``);
            expect(verdict.cantRun).toEqual([]);
        });

        it("applies to every member, not only download clients", async () => {
            base.container("prowlarr").serializedInputs.ports = [{ internal: 9696, external: 9696, ip: "192.168.1.10" }];
            const verdict = await judge(base.resources);
            expect(verdict.mandatory.map((v) => v.urn)).toEqual([base.container("prowlarr").urn]);
        });
    });

    describe("vpn-gateway-ports", () => {
        const gatewayPorts = (g: Graph) => g.container("gluetun").serializedInputs.ports as Array<Record<string, unknown>>;

        it("catches the control API published", async () => {
            gatewayPorts(base).push({ internal: 8000, external: 8000, ip: "192.168.1.10", protocol: "tcp" });
            const verdict = await judge(base.resources);
            expect(verdict.failed).toEqual(["vpn-gateway-ports"]);
            expect(verdict.mandatory[0].message).toContain("control API");
        });

        it.each([[6881, "tcp"], [6881, "udp"]])("catches the torrent port %i/%s published", async (port, protocol) => {
            gatewayPorts(base).push({ internal: port, external: port, ip: "192.168.1.10", protocol });
            expect((await judge(base.resources)).mandatory[0].message).toContain("torrent listening port");
        });

        it("catches a custom TORRENTING_PORT of a member published", async () => {
            base.env(base.container("qbittorrent")).push("TORRENTING_PORT=51413");
            gatewayPorts(base).push({ internal: 51413, external: 51413, ip: "192.168.1.10", protocol: "tcp" });
            expect((await judge(base.resources)).mandatory[0].message).toContain("51413");
        });

        it.each([["0.0.0.0"], ["::"], [undefined], [UNKNOWN]])("catches a member WebUI published on ip %s", async (ip) => {
            gatewayPorts(base)[0].ip = ip;
            if (ip === undefined) delete gatewayPorts(base)[0].ip;
            const verdict = await judge(base.resources);
            expect(verdict.failed).toContain("vpn-gateway-ports");
            expect(verdict.mandatory.find((v) => v.policyName === "vpn-gateway-ports")?.message).toContain("all interfaces");
        });

        it("catches a port that is no member's WebUI", async () => {
            gatewayPorts(base).push({ internal: 8888, external: 8888, ip: "192.168.1.10", protocol: "tcp" });
            expect((await judge(base.resources)).mandatory[0].message).toContain("not the WebUI port");
        });

        it("accepts a member port published on another host port (hostPorts override)", async () => {
            gatewayPorts(base)[0].external = 18080;
            expect((await judge(base.resources)).all).toEqual([]);
        });

        it("catches publishAllPorts", async () => {
            base.container("gluetun").serializedInputs.publishAllPorts = true;
            expect((await judge(base.resources)).failed).toContain("vpn-gateway-ports");
        });
    });

    describe("vpn-gateway-kill-switch", () => {
        const cases: Array<[string, string]> = [
            ["FIREWALL=off", "kill switch"],
            ["FIREWALL_OUTBOUND_SUBNETS=0.0.0.0/0", "0.0.0.0/0"],
            ["FIREWALL_OUTBOUND_SUBNETS=192.168.1.0/24,10.0.0.0/8", "10.0.0.0/8"],
            ["FIREWALL_OUTBOUND_SUBNETS=172.16.0.0/12", "172.16.0.0/12"],
            ["FIREWALL_OUTBOUND_SUBNETS=192.168.0.0/16", "192.168.0.0/16"],
            ["DNS_KEEP_NAMESERVER=on", "DNS_KEEP_NAMESERVER"],
            ["DOT=off\nDNS_ADDRESS=1.1.1.1", "plain, unencrypted DNS"],
            ["DNS_UPSTREAM_PLAIN_ADDRESSES=1.1.1.1:53", "plain upstream DNS"],
            ["DNS_UPSTREAM_RESOLVER_TYPE=plain", "plain upstream DNS"],
        ];
        it.each(cases)("catches %s", async (entries, expected) => {
            const env = base.env(base.container("gluetun"));
            const filtered = env.filter((e) => typeof e !== "string" || !entries.split("\n").some((x) => e.split("=")[0] === x.split("=")[0]));
            base.container("gluetun").serializedInputs.envs = [...filtered, ...entries.split("\n")];
            const verdict = await judge(base.resources);
            expect(verdict.failed).toEqual(["vpn-gateway-kill-switch"]);
            expect(verdict.mandatory[0].message).toContain(expected);
        });

        it("accepts a LAN subnet narrower than /16", async () => {
            base.env(base.container("gluetun")).push("FIREWALL_OUTBOUND_SUBNETS=10.20.30.0/24");
            expect((await judge(base.resources)).all).toEqual([]);
        });

        it("catches a privileged gateway (and host safety agrees)", async () => {
            base.container("gluetun").serializedInputs.privileged = true;
            expect((await judge(base.resources)).failed).toEqual(["container-not-privileged", "vpn-gateway-kill-switch"]);
        });

        it("reads a secret env entry (the engine unwraps it) without tripping on it", async () => {
            base.env(base.container("gluetun")).push({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "FIREWALL=off" });
            expect((await judge(base.resources)).failed).toEqual(["vpn-gateway-kill-switch"]);
        });
    });
});
