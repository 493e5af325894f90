/**
 * What a user sees for a bad stack config: every problem on its own line, naming the `homelab:` key and
 * saying what is allowed, as a Pulumi RunError (no stack trace). Checked on `parseConfig` directly, and once
 * through the whole program to show nothing is declared before the config is valid.
 */
import { OPENVPN_USER, programOptions, rawConfig, SSH_PRIVATE_KEY, WIREGUARD_KEY } from "./support/fixtures";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { runProgram } from "../scripts/mock-engine";
import { ConfigError, parseConfig, SecretSetting } from "../components/config";

const allSecret = (): boolean => true;

/** The problems `parseConfig` reports for these settings (fails the test if it accepts them). */
function problemsOf(overrides: Record<string, unknown>, isSecret: (k: SecretSetting) => boolean = allSecret): string[] {
    try {
        parseConfig(rawConfig(overrides), isSecret);
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
    }
    throw new Error(`config was accepted: ${JSON.stringify(overrides)}`);
}

function messageOf(overrides: Record<string, unknown>, isSecret: (k: SecretSetting) => boolean = allSecret): string {
    try {
        parseConfig(rawConfig(overrides), isSecret);
    } catch (error) {
        return (error as Error).message;
    }
    throw new Error("config was accepted");
}

describe("a valid config", () => {
    test("parses, with defaults applied", () => {
        const cfg = parseConfig(rawConfig(), allSecret);
        expect(cfg.target).toMatchObject({ kind: "ssh", host: "192.168.1.10", port: 22, user: "root" });
        expect(cfg.enabledApps).not.toContain("readarr");
        expect(cfg.enabledApps).toContain("lidarr");
        expect(cfg.indexersThroughVpn).toBe(true);
        expect(cfg.dockerSubnet).toBe("172.30.0.0/24");
        expect(cfg.vpn.type).toBe("wireguard");
    });

    test("accepts values as the CLI hands them over (strings, JSON-encoded maps and lists)", () => {
        const cfg = parseConfig(rawConfig({
            puid: "1001", sshPort: "2222", vpnPortForwarding: "true", apps: '{"readarr":true}', vpnCountries: "Netherlands, Switzerland",
            hostPorts: '{"sonarr":18989}',
        }), allSecret);
        expect(cfg.puid).toBe(1001);
        expect(cfg.target).toMatchObject({ port: 2222 });
        expect(cfg.vpn.portForwarding).toBe(true);
        expect(cfg.enabledApps).toContain("readarr");
        expect(cfg.vpn.countries).toEqual(["Netherlands", "Switzerland"]);
        expect(cfg.hostPorts.sonarr).toBe(18989);
    });

    test.each([
        ["Prowlarr on Gluetun's HTTP proxy port (its own port inside stays 9696)", { hostPorts: { prowlarr: 8888 } }],
        ["FlareSolverr on Gluetun's health port", { hostPorts: { flaresolverr: 9999 } }],
        ["qBittorrent on 9696 while Prowlarr is on the bridge", { indexersThroughVpn: false, hostPorts: { qbittorrent: 9696, prowlarr: 19696 } }],
    ])("accepts a host port that is taken only inside the VPN namespace, where the app does not listen on it: %s", (_what, overrides) => {
        expect(() => parseConfig(rawConfig(overrides), allSecret)).not.toThrow();
    });

    test("accepts host names, including ones with digits", () => {
        for (const host of ["nas.lan", "server1", "1und1.example.com", "10.0.0.1"]) {
            expect(parseConfig(rawConfig({ host }), allSecret).target).toMatchObject({ host });
        }
    });

    test("a trailing slash on the data root is dropped", () => {
        expect(parseConfig(rawConfig({ dataRoot: "/srv/media/" }), allSecret).dataRoot).toBe("/srv/media");
    });

    test("a data root inside a user's home and a 10.x LAN are fine", () => {
        const cfg = parseConfig(rawConfig({ dataRoot: "/home/alice/media", lanSubnet: "10.0.0.0/24", lanBindAddress: "10.0.0.5" }), allSecret);
        expect(cfg.dataRoot).toBe("/home/alice/media");
        expect(cfg.lanSubnet).toBe("10.0.0.0/24");
    });
});

describe("wiring settings", () => {
    test("wiring is on and the Jellyfin administrator is called admin unless set", () => {
        const cfg = parseConfig(rawConfig(), allSecret);
        expect(cfg.wiring).toBe(true);
        expect(cfg.jellyfinAdmin).toBe("admin");
    });

    test("wiring can be switched off, as the CLI hands a boolean over", () => {
        expect(parseConfig(rawConfig({ wiring: "false" }), allSecret).wiring).toBe(false);
    });

    test.each(["Jö hn+Døë@", "media.admin", "o'brien", "a_b-c"])("%s is a Jellyfin user name", (name) => {
        expect(parseConfig(rawConfig({ jellyfinAdmin: name }), allSecret).jellyfinAdmin).toBe(name);
    });
});

describe("ConfigError", () => {
    test("is a Pulumi RunError, so the CLI prints the message without a stack trace", () => {
        const error = new ConfigError(["homelab:puid: nope"]);
        expect(pulumi.RunError.isInstance(error)).toBe(true);
        expect(error).toBeInstanceOf(pulumi.RunError);
        expect(error.name).toBe("ConfigError");
        expect(pulumi.RunError.isInstance(new Error("plain"))).toBe(false);
    });

    test("the message has a header, one line per problem and how to fix it", () => {
        const message = messageOf({ puid: 0 });
        const lines = message.split("\n");
        expect(lines[0]).toBe("The stack's config has 1 problem:");
        expect(lines[1]).toMatch(/^ {2}- homelab:puid: /);
        expect(lines[lines.length - 1]).toMatch(/pulumi config set homelab:<key> <value>.*--secret/);
    });
});

/** One bad setting each: [what, overrides, key named, what is allowed, isSecret]. */
const CASES: [string, Record<string, unknown>, string, RegExp, ((k: SecretSetting) => boolean)?][] = [
    ["WireGuard key of the wrong length", { wireguardPrivateKey: Buffer.alloc(31, 1).toString("base64") }, "homelab:wireguardPrivateKey",
        /44 base64 characters ending in = \(32 bytes\)/],
    ["WireGuard key that is not base64", { wireguardPrivateKey: `${"!".repeat(43)}=` }, "homelab:wireguardPrivateKey", /44 base64 characters/],
    ["WireGuard key missing", { wireguardPrivateKey: undefined }, "homelab:wireguardPrivateKey", /required for homelab:vpnType=wireguard/],
    ["OpenVPN without password", { vpnType: "openvpn", wireguardPrivateKey: undefined, openvpnUser: OPENVPN_USER }, "homelab:openvpnPassword",
        /required for homelab:vpnType=openvpn.*--secret/],
    ["OpenVPN without user", { vpnType: "openvpn", wireguardPrivateKey: undefined, openvpnPassword: "pw" }, "homelab:openvpnUser",
        /required for homelab:vpnType=openvpn/],
    ["OpenVPN user with +pmp already", { vpnType: "openvpn", wireguardPrivateKey: undefined, openvpnUser: `${OPENVPN_USER}+pmp`, openvpnPassword: "pw" },
        "homelab:openvpnUser", /leave out the \+pmp suffix/],
    ["unknown VPN type", { vpnType: "ikev2" }, "homelab:vpnType", /must be wireguard or openvpn/],
    ["relative data root", { dataRoot: "srv/homelab/data" }, "homelab:dataRoot", /must be an absolute path on the host \(starting with \/\)/],
    ["data root with ..", { dataRoot: "/srv/../etc" }, "homelab:dataRoot", /without \. or \.\. parts/],
    ["data root in a system folder", { dataRoot: "/etc/media" }, "homelab:dataRoot", /dedicated folder such as \/srv\/homelab\/data: \/etc\/media is \(inside\) the system folder \/etc/],
    ["data root that is a home directory", { dataRoot: "/home/alice" }, "homelab:dataRoot", /system folder \/home/],
    ["data root //", { dataRoot: "//" }, "homelab:dataRoot", /dedicated folder/],
    ["data root /", { dataRoot: "/" }, "homelab:dataRoot", /dedicated folder/],
    ["PUID 0", { puid: 0 }, "homelab:puid", /must be 1 or more .*0 \(root\) is not allowed/],
    ["PGID 0", { pgid: "0" }, "homelab:pgid", /must be 1 or more .*0 \(root\) is not allowed/],
    ["PUID not a number", { puid: "abc" }, "homelab:puid", /must be a whole number/],
    ["PUID not whole", { puid: 1000.5 }, "homelab:puid", /must be a whole number/],
    ["invalid CIDR (prefix)", { lanSubnet: "192.168.1.0/33" }, "homelab:lanSubnet", /not a valid IPv4 network in CIDR form.*e\.g\. 192\.168\.1\.0\/24/],
    ["invalid CIDR (host bits set)", { lanSubnet: "192.168.1.10/24" }, "homelab:lanSubnet", /host bits zero/],
    ["invalid CIDR (not an address)", { dockerSubnet: "docker" }, "homelab:dockerSubnet", /not a valid IPv4 network/],
    ["Docker subnet overlapping the LAN", { dockerSubnet: "192.168.1.0/25", lanSubnet: "192.168.1.0/24" }, "homelab:dockerSubnet", /overlaps homelab:lanSubnet.*such as 172\.30\.0\.0\/24/],
    ["Docker subnet that is a whole private range", { dockerSubnet: "172.16.0.0/12" }, "homelab:dockerSubnet", /is a \/12, wider than any home LAN: use a \/17 or narrower/],
    ["LAN subnet that is public (a typo)", { lanSubnet: "192.186.1.0/24", lanBindAddress: "192.186.1.10" }, "homelab:lanSubnet", /is not a private network .* outside the tunnel with your home IP/],
    ["LAN subnet over the VPN tunnel's addresses", { lanSubnet: "10.2.0.0/24", lanBindAddress: undefined }, "homelab:lanSubnet", /overlaps the VPN tunnel's own addresses \(10\.2\.0\.0\/16\)/],
    ["LAN subnet of a whole /16", { lanSubnet: "192.168.0.0/16", lanBindAddress: undefined }, "homelab:lanSubnet", /is a \/16, wider than any home LAN/],
    ["qBittorrent on Gluetun's control port", { hostPorts: { qbittorrent: 8000 } }, "homelab:hostPorts", /qbittorrent cannot use port 8000: inside the VPN namespace it belongs to Gluetun/],
    ["Prowlarr published on the torrent port", { hostPorts: { prowlarr: 6881 } }, "homelab:hostPorts", /prowlarr cannot use host port 6881: the VPN gateway never publishes/],
    ["qBittorrent's WebUI moved onto Prowlarr's port inside the VPN namespace", { hostPorts: { qbittorrent: 9696 } }, "homelab:hostPorts",
        /qbittorrent cannot use port 9696: prowlarr listens on it inside the VPN namespace they share.*hostPorts\.qbittorrent/],
    ["qBittorrent's WebUI moved onto FlareSolverr's port", { hostPorts: { qbittorrent: 8191 } }, "homelab:hostPorts", /qbittorrent cannot use port 8191: flaresolverr listens on it/],
    ["host name that is an address with a typo", { host: "999.168.1.10" }, "homelab:host", /"999\.168\.1\.10" is not a valid IPv4 address: write four numbers from 0 to 255/],
    ["host that is an address missing a number", { host: "192.168.1" }, "homelab:host", /not a valid IPv4 address/],
    ["domain without a dot", { domain: "media" }, "homelab:domain", /must be a full domain such as media\.example\.com/],
    ["time zone that does not exist", { timezone: "Mars/Olympus" }, "homelab:timezone", /IANA time zone/],
    ["Docker subnet too small for fixed addresses", { dockerSubnet: "172.30.0.0/28" }, "homelab:dockerSubnet", /use a \/26 or wider/],
    ["LAN wider than the private ranges", { lanSubnet: "10.0.0.0/7", lanBindAddress: undefined }, "homelab:lanSubnet", /is not a private network/],
    ["LAN bind address outside the LAN subnet", { lanBindAddress: "10.0.0.5" }, "homelab:lanBindAddress",
        /10\.0\.0\.5 is outside homelab:lanSubnet 192\.168\.1\.0\/24/],
    ["LAN bind address that is not an address", { lanBindAddress: "nas.lan" }, "homelab:lanBindAddress", /not an IPv4 address/],
    ["two apps asking for the same host port", { hostPorts: { sonarr: 7878 } }, "homelab:hostPorts",
        /radarr and sonarr both ask for host port 7878.*pulumi config set --path 'homelab:hostPorts\.radarr' <port>/],
    ["an app asking for the proxy's port", { hostPorts: { jellyfin: 443 } }, "homelab:hostPorts", /jellyfin and the reverse proxy both ask for host port 443/],
    ["an app asking for the SSH port", { sshPort: 8989 }, "homelab:hostPorts", /sonarr and SSH \(homelab:sshPort\) both ask for host port 8989/],
    ["a VPN member asking for a bridge app's port", { hostPorts: { prowlarr: 8096 } }, "homelab:hostPorts", /jellyfin and prowlarr both ask for host port 8096/],
    ["host port out of range", { hostPorts: { sonarr: 70000 } }, "homelab:hostPorts.sonarr", /must be 65535 or less/],
    ["host port for the gateway", { hostPorts: { gluetun: 8000 } }, "homelab:hostPorts", /"gluetun" is not an app this stack can configure.*Allowed: qbittorrent/],
    ["unknown app in apps", { apps: { plex: true } }, "homelab:apps", /"plex" is not an app this stack can switch\. Allowed: flaresolverr, lidarr, readarr, bazarr, jellyseerr/],
    ["a required app in apps", { apps: { sonarr: false } }, "homelab:apps", /"sonarr" is not an app this stack can switch\. Allowed: /],
    ["unknown app in images", { images: { plex: "plexinc/pms-docker:1.40.0" } }, "homelab:images", /"plex" is not an app this stack can configure\. Allowed: gluetun, qbittorrent/],
    ["unknown app in memoryLimits", { memoryLimits: { sonar: 512 } }, "homelab:memoryLimits", /"sonar" is not an app this stack can configure\. Allowed: .*sonarr/],
    ["memory limit too small", { memoryLimits: { sonarr: 16 } }, "homelab:memoryLimits.sonarr", /must be 64 or more \(MiB\)/],
    ["domain with a scheme", { domain: "https://media.example.com/" }, "homelab:domain", /bare domain without a scheme: use "media\.example\.com"/],
    ["domain with a port", { domain: "media.example.com:443" }, "homelab:domain", /lower-case domain name such as media\.example\.com \(no path, no port\)/],
    ["unknown key (typo)", { lanBindAdress: "192.168.1.10" }, "homelab:lanBindAdress", /is not a setting of this program\. Known settings: .*lanBindAddress/],
    ["secret stored in plain text", {}, "homelab:wireguardPrivateKey", /stored in plain text\. Set it again with `pulumi config set --secret homelab:wireguardPrivateKey/,
        (k) => k !== "wireguardPrivateKey"],
    ["SSH key stored in plain text", {}, "homelab:sshPrivateKey", /stored in plain text.*--secret homelab:sshPrivateKey/, (k) => k !== "sshPrivateKey"],
    ["host without sshHostKey", { sshHostKey: undefined }, "homelab:sshHostKey", /required when homelab:host is set.*ssh-keyscan -t ed25519 192\.168\.1\.10/],
    ["host without sshPrivateKey", { sshPrivateKey: undefined }, "homelab:sshPrivateKey", /required when homelab:host is set.*--secret homelab:sshPrivateKey/],
    ["host key not in `<type> <base64>` form", { sshHostKey: "192.168.1.10 ssh-ed25519 AAAA" }, "homelab:sshHostKey", /<type> <base64>/],
    ["private key that is not a key", { sshPrivateKey: "hunter2" }, "homelab:sshPrivateKey", /SSH private key in PEM\/OpenSSH form/],
    ["host with a scheme", { host: "ssh://192.168.1.10" }, "homelab:host", /without user, port or scheme/],
    ["`latest` image", { images: { sonarr: "lscr.io/linuxserver/sonarr:latest" } }, "homelab:images.sonarr", /pinned to a version tag or digest.*never latest or untagged/],
    ["untagged image", { images: { sonarr: "lscr.io/linuxserver/sonarr" } }, "homelab:images.sonarr", /never latest or untagged/],
    ["registry port mistaken for a tag", { images: { sonarr: "registry.lan:5000/sonarr" } }, "homelab:images.sonarr", /never latest or untagged/],
    ["render group without hardware acceleration", { renderGroupId: 105 }, "homelab:renderGroupId", /only applies with homelab:jellyfinHardwareAcceleration=true/],
    ["boolean that is not one", { vpnPortForwarding: "yes" }, "homelab:vpnPortForwarding", /must be true or false/],
    ["time zone that is not IANA", { timezone: "CET+1" }, "homelab:timezone", /IANA time zone such as Europe\/Berlin/],
    ["wiring that is not a boolean", { wiring: "sometimes" }, "homelab:wiring", /must be true or false/],
    ["Jellyfin admin with a colon", { jellyfinAdmin: "admin:root" }, "homelab:jellyfinAdmin", /must be a Jellyfin user name: letters, digits, spaces and - ' \. _ @ \+ only/],
    ["Jellyfin admin with a leading space", { jellyfinAdmin: " admin" }, "homelab:jellyfinAdmin", /not starting or ending with a space/],
    ["empty Jellyfin admin", { jellyfinAdmin: "" }, "homelab:jellyfinAdmin", /must be a Jellyfin user name/],
];

describe.each(CASES)("%s", (_what, overrides, key, allowed, isSecret) => {
    test("is one problem naming the key and saying what is allowed", () => {
        const problems = problemsOf(overrides, isSecret);
        expect(problems).toHaveLength(1);
        expect(problems[0].startsWith(`${key}: `)).toBe(true);
        expect(problems[0]).toMatch(allowed);
    });
});

describe("several problems", () => {
    test("cross-field problems are reported together, one line each naming its key", () => {
        const problems = problemsOf({
            sshHostKey: undefined, lanBindAddress: "10.0.0.5", hostPorts: { sonarr: 7878 }, apps: { plex: true }, wireguardPrivateKey: undefined,
        });
        const keys = problems.map((p) => p.split(": ")[0]).sort();
        expect(keys).toEqual(["homelab:apps", "homelab:hostPorts", "homelab:lanBindAddress", "homelab:sshHostKey", "homelab:wireguardPrivateKey"]);
        const message = messageOf({
            sshHostKey: undefined, lanBindAddress: "10.0.0.5", hostPorts: { sonarr: 7878 }, apps: { plex: true }, wireguardPrivateKey: undefined,
        });
        expect(message.split("\n")[0]).toBe("The stack's config has 5 problems:");
        expect(message.split("\n").filter((l) => l.startsWith("  - homelab:"))).toHaveLength(5);
    });

    test("shape problems are reported together, one line each naming its key", () => {
        const problems = problemsOf({ puid: 0, dataRoot: "data", domain: "https://x.example.com", images: { sonarr: "sonarr:latest" } });
        expect(problems.map((p) => p.split(": ")[0]).sort()).toEqual(["homelab:dataRoot", "homelab:domain", "homelab:images.sonarr", "homelab:puid"]);
    });

    test("a credential in plain text is reported alongside shape problems", () => {
        const problems = problemsOf({ puid: 0 }, (k) => k !== "wireguardPrivateKey");
        expect(problems.map((p) => p.split(": ")[0]).sort()).toEqual(["homelab:puid", "homelab:wireguardPrivateKey"]);
    });

    test("two unknown keys are two problems, and the header counts them", () => {
        const problems = problemsOf({ lanBindAdress: "192.168.1.10", dataroot: "/srv" });
        expect(problems).toHaveLength(2);
        expect(problems.map((p) => p.split(": ")[0]).sort()).toEqual(["homelab:dataroot", "homelab:lanBindAdress"]);
        const message = messageOf({ lanBindAdress: "192.168.1.10", dataroot: "/srv" });
        expect(message.split("\n")[0]).toBe("The stack's config has 2 problems:");
        expect(message.split("\n").filter((l) => l.startsWith("  - "))).toHaveLength(2);
    });

    test("no problem message leaks a credential", () => {
        const message = messageOf({ lanBindAddress: "10.0.0.5", sshHostKey: undefined }, () => false);
        expect(message).not.toContain(WIREGUARD_KEY);
        expect(message).not.toContain(SSH_PRIVATE_KEY.split("\n")[1]);
        expect(message).toContain("homelab:wireguardPrivateKey: is stored in plain text");
    });
});

describe("through the program", () => {
    test("a bad config fails the run with ConfigError before any resource is declared", async () => {
        const options = programOptions({ puid: 0, lanBindAddress: "10.0.0.5" });
        let failure: unknown;
        try {
            await runProgram(options);
        } catch (error) {
            failure = error;
        }
        expect(failure).toBeInstanceOf(ConfigError);
        expect(pulumi.RunError.isInstance(failure)).toBe(true);
        expect((failure as Error).message).toContain("homelab:puid: must be 1 or more");
        const monitor = settings.getMonitor() as unknown as { getRegisteredResources(): Map<string, unknown> };
        expect(monitor).toBeDefined();
        expect(monitor.getRegisteredResources().size).toBe(0);
    }, 30_000);
});
