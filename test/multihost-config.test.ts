/**
 * `homelab:hosts` and `homelab:placement`: the typed result, and every refusal of a placement that would break
 * an invariant (one line each, with the reason), while the single-host keys keep meaning one host.
 */
import { rawConfig, SSH_HOST_KEY, SSH_PRIVATE_KEY } from "./support/fixtures";
import { ConfigError, parseConfig, SecretSetting } from "../components/config";
import { appLinks, crossHostLinks, hostOf, hostsRunningApps, hostView, isMultiHost } from "../components/placement";
import { addressSeenFrom, lanPorts, lanPublishedApps, peerPublishedApps, proxySourceAddress } from "../components/container";
import { wiringPlan, seenFrom } from "../components/wiring";
import { hostOfApp, hostsToCover, OneLineError, sshArguments } from "../scripts/host-access";
import { evaluateStatus } from "../scripts/status";

const allSecret = (): boolean => true;
const GPU_KEY = SSH_HOST_KEY.replace(/.{4}$/, "gpu1");

/** Two hosts on the fixture LAN: the downloads box and the GPU box. */
function twoHosts(placement: Record<string, string> = {}, overrides: Record<string, unknown> = {}, gpu: Record<string, unknown> = {}): Record<string, unknown> {
    return rawConfig({
        host: undefined,
        sshHostKey: undefined,
        lanBindAddress: undefined,
        hosts: {
            main: { host: "192.168.1.10", sshHostKey: SSH_HOST_KEY, lanBindAddress: "192.168.1.10" },
            gpu: { host: "192.168.1.11", sshHostKey: GPU_KEY, lanBindAddress: "192.168.1.11", devices: ["/dev/dri"], ...gpu },
        },
        placement,
        ...overrides,
    });
}

function problemsOf(raw: Record<string, unknown>, isSecret: (k: SecretSetting) => boolean = allSecret): string[] {
    try {
        parseConfig(raw, isSecret);
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
    }
    throw new Error("config was accepted");
}

describe("single-host keys", () => {
    test("mean one host named main that runs every app", () => {
        const cfg = parseConfig(rawConfig(), allSecret);
        expect(cfg.hosts.map((h) => h.name)).toEqual(["main"]);
        expect(cfg.hosts[0].target).toBe(cfg.target);
        expect(cfg.hosts[0].lanBindAddress).toBe("192.168.1.10");
        expect(new Set(Object.values(cfg.placement))).toEqual(new Set(["main"]));
        expect(isMultiHost(cfg)).toBe(false);
        expect(peerPublishedApps(cfg)).toEqual([]);
    });

    test("a placement on another name is refused: without homelab:hosts the one host is main", () => {
        expect(problemsOf(rawConfig({ placement: { jellyfin: "gpu" } }))).toEqual([
            'homelab:placement.jellyfin: "gpu" is not a host in homelab:hosts (without homelab:hosts the one host is "main")',
        ]);
    });

    test("hardware acceleration on the single host is not checked against devices (none are declared)", () => {
        expect(parseConfig(rawConfig({ jellyfinHardwareAcceleration: true }), allSecret).jellyfin.hardwareAcceleration).toBe(true);
    });
});

describe("homelab:hosts", () => {
    test("typed hosts in declaration order, each with its own target; unnamed apps on the first", () => {
        const cfg = parseConfig(twoHosts({ seerr: "gpu" }), allSecret);
        expect(cfg.hosts.map((h) => [h.name, h.lanBindAddress, h.devices])).toEqual([
            ["main", "192.168.1.10", []],
            ["gpu", "192.168.1.11", ["/dev/dri"]],
        ]);
        expect(cfg.hosts[1].target).toMatchObject({ kind: "ssh", host: "192.168.1.11", port: 22, user: "root", hostKey: GPU_KEY });
        expect(cfg.target).toBe(cfg.hosts[0].target);
        expect(cfg.placement.seerr).toBe("gpu");
        expect(cfg.placement.sonarr).toBe("main");
        expect(hostsRunningApps(cfg).map((h) => h.name)).toEqual(["main", "gpu"]);
    });

    test("a host's own deploy key is used for it, the shared one for the others", async () => {
        const ownKey = SSH_PRIVATE_KEY.replace("homelab", "gpuhost");
        const cfg = parseConfig(twoHosts({}, {}, { sshPrivateKey: ownKey }), allSecret);
        const keyOf = (i: number) => new Promise((resolve) => {
            const target = cfg.hosts[i].target;
            if (target.kind === "ssh") target.privateKey.apply(resolve);
        });
        expect(await keyOf(0)).toBe(SSH_PRIVATE_KEY);
        expect(await keyOf(1)).toBe(ownKey);
    });

    test("a host's own deploy key in plain text is refused", () => {
        const raw = twoHosts({}, {}, { sshPrivateKey: SSH_PRIVATE_KEY });
        expect(problemsOf(raw, (k) => k !== "hosts")).toEqual([
            "homelab:hosts.gpu.sshPrivateKey: is stored in plain text. Set it again with `pulumi config set --secret --path 'homelab:hosts.gpu.sshPrivateKey' ...`",
        ]);
    });

    test("no deploy key at all, single-host keys beside hosts, a missing LAN address and a twin host: one line each", () => {
        const raw = twoHosts({ seerr: "gpu" }, { sshPrivateKey: undefined, lanBindAddress: "192.168.1.10" }, { lanBindAddress: undefined, host: "192.168.1.10" });
        expect(problemsOf(raw)).toEqual([
            "homelab:lanBindAddress: cannot be used together with homelab:hosts: move it into each host's entry (homelab:hosts.<name>.lanBindAddress)",
            expect.stringMatching(/^homelab:hosts\.main\.sshPrivateKey: host "main" has no deploy key/),
            expect.stringMatching(/^homelab:hosts\.gpu\.sshPrivateKey: host "gpu" has no deploy key/),
            "homelab:hosts.gpu.lanBindAddress: is required when apps run on several hosts: the other hosts reach this host's apps at its LAN address",
            'homelab:hosts.gpu.host: 192.168.1.10:22 is also host "main": declare each machine once and place apps on it by name',
        ]);
    });

    test("a misspelt setting inside a host, and a misspelt homelab:placement, are named with the right spelling", () => {
        const raw = twoHosts({}, {}, { sshHostkey: "x" });
        const { placement, ...rest } = raw;
        expect(problemsOf({ ...rest, placment: placement })).toEqual([
            expect.stringMatching(/^homelab:placment: is not a setting of this program \(did you mean `homelab:placement`\?\)/),
            expect.stringMatching(/^homelab:hosts\.gpu: "sshHostkey" is not a setting here \(did you mean `sshHostKey`\?\)\. Known: host, sshPort, sshUser, sshHostKey, sshPrivateKey, lanBindAddress, devices$/),
        ]);
    });

    test("a host without a pinned host key is refused", () => {
        const raw = twoHosts({}, {}, { sshHostKey: undefined });
        expect(problemsOf(raw)).toEqual([expect.stringMatching(/^homelab:hosts\.gpu\.sshHostKey: is required/)]);
    });
});

describe("placement refusals, one line each with the reason", () => {
    test("an unknown host name, an unknown app and Jellyseerr's old name", () => {
        expect(problemsOf(twoHosts({ jellyfin: "gpuu", plex: "gpu", jellyseerr: "gpu" }))).toEqual([
            'homelab:placement: "plex" is not an app this stack can configure. Allowed: gluetun, qbittorrent, prowlarr, flaresolverr, sonarr, radarr, lidarr, bazarr, jellyfin, seerr, caddy',
            'homelab:placement: "jellyseerr" is now "seerr" (Seerr replaced it and keeps its data): rename the key to homelab:placement.seerr',
            'homelab:placement.jellyfin: "gpuu" is not a host in homelab:hosts (declared: main, gpu)',
        ]);
    });

    test("a placement problem is not blamed again on a setting that is itself invalid", () => {
        const problems = problemsOf(twoHosts({ sonarr: "gpu" }, { storage: { type: "nfs" } }));
        expect(problems.length).toBeGreaterThan(0);
        for (const problem of problems) expect(problem).toMatch(/^homelab:storage\./);
    });

    test("a VPN member away from Gluetun (qBittorrent; Prowlarr and FlareSolverr while they are in the VPN)", () => {
        expect(problemsOf(twoHosts({ qbittorrent: "gpu", prowlarr: "gpu", flaresolverr: "gpu", sonarr: "gpu", radarr: "gpu", lidarr: "gpu", bazarr: "gpu", jellyfin: "gpu" }))).toEqual([
            'homelab:placement.qbittorrent: qBittorrent is on "gpu" but Gluetun is on "main": it lives in Gluetun\'s network namespace (the VPN and its kill switch), which exists on one host only. Place it on "main"',
            'homelab:placement.prowlarr: Prowlarr is on "gpu" but Gluetun is on "main": it lives in Gluetun\'s network namespace (the VPN and its kill switch), which exists on one host only. Place it on "main"',
            'homelab:placement.flaresolverr: FlareSolverr is on "gpu" but Gluetun is on "main": it lives in Gluetun\'s network namespace (the VPN and its kill switch), which exists on one host only. Place it on "main"',
        ]);
    });

    test("Prowlarr and FlareSolverr outside the VPN may run anywhere", () => {
        const cfg = parseConfig(twoHosts({ prowlarr: "gpu", flaresolverr: "gpu" }, { indexersThroughVpn: false }), allSecret);
        expect(hostOf(cfg, "prowlarr").name).toBe("gpu");
    });

    test("a library manager away from qBittorrent: hardlinks need one filesystem", () => {
        expect(problemsOf(twoHosts({ sonarr: "gpu" }))).toEqual([
            'homelab:placement.sonarr: Sonarr is on "gpu" but qBittorrent and the data root /srv/homelab/data are on "main": its imports are hardlinks of qBittorrent\'s downloads, and hardlinks need both on one filesystem. Place it on "main", or put the data root on a NAS share mounted at the same path on every host (homelab:storage)',
        ]);
    });

    test("Jellyfin and Bazarr away from the media", () => {
        expect(problemsOf(twoHosts({ jellyfin: "gpu", bazarr: "gpu" }))).toEqual([
            expect.stringMatching(/^homelab:placement\.bazarr: Bazarr is on "gpu" but qBittorrent and the data root \/srv\/homelab\/data are on "main": it works on the data tree/),
            expect.stringMatching(/^homelab:placement\.jellyfin: Jellyfin is on "gpu" but qBittorrent and the data root \/srv\/homelab\/data are on "main": it streams the media the library managers write there, and would see an empty local folder\. Place it on "main", or put the data root on a NAS share/),
        ]);
    });

    test("hardware acceleration for Jellyfin on a host that does not declare /dev/dri", () => {
        expect(problemsOf(twoHosts({}, { jellyfinHardwareAcceleration: true }))).toEqual([
            'homelab:jellyfinHardwareAcceleration: Jellyfin runs on "main", which does not declare /dev/dri (homelab:hosts.main.devices). Add it there if that host has the GPU, or place Jellyfin on the host that does',
        ]);
    });
});

describe("with the data root on a NAS share mounted on every host", () => {
    const nfs = { storage: { type: "nfs", server: "192.168.1.5", export: "/volume1/media" } };

    test("Jellyfin (with the GPU host's /dev/dri), Bazarr and the library managers may leave qBittorrent's host", () => {
        const cfg = parseConfig(twoHosts({ jellyfin: "gpu", bazarr: "gpu", sonarr: "gpu" }, { ...nfs, jellyfinHardwareAcceleration: true }), allSecret);
        expect(hostOf(cfg, "jellyfin").name).toBe("gpu");
        expect(hostOf(cfg, "sonarr").name).toBe("gpu");
        expect(seenFrom(cfg, "sonarr", "qbittorrent").url).toBe("http://192.168.1.10:8080");
    });

    test("VPN members still may not", () => {
        expect(problemsOf(twoHosts({ qbittorrent: "gpu" }, nfs))).toEqual([expect.stringMatching(/^homelab:placement\.qbittorrent: qBittorrent is on "gpu" but Gluetun is on "main"/)]);
    });
});

describe("a valid split: Seerr and Caddy on the second host", () => {
    const cfg = parseConfig(twoHosts({ seerr: "gpu", caddy: "gpu" }), allSecret);

    test("every cross-host link is one the apps really use", () => {
        expect(crossHostLinks(cfg).map((l) => `${l.client}->${l.server}`).sort()).toEqual([
            "caddy->bazarr", "caddy->jellyfin", "caddy->lidarr", "caddy->prowlarr", "caddy->qbittorrent", "caddy->radarr", "caddy->sonarr",
            "seerr->jellyfin", "seerr->radarr", "seerr->sonarr",
        ]);
    });

    test("an app across hosts is written the other host's LAN address and published port; on the same host the stack address", () => {
        expect(seenFrom(cfg, "seerr", "sonarr").url).toBe("http://192.168.1.10:8989");
        expect(seenFrom(cfg, "seerr", "jellyfin").url).toBe("http://192.168.1.10:8096");
        expect(addressSeenFrom(cfg, "caddy", "qbittorrent")).toBe("192.168.1.10:8080");
        expect(seenFrom(cfg, "sonarr", "qbittorrent").url).toBe("http://gluetun:8080");
        expect(seenFrom(cfg, "prowlarr", "sonarr").url).toBe("http://172.30.0.14:8989");
    });

    test("Jellyfin and qBittorrent trust the proxy host's LAN address, where Caddy's requests come from", () => {
        expect(proxySourceAddress(cfg, "jellyfin")).toBe("192.168.1.11");
        expect(wiringPlan(cfg).find((s) => s.key === "jellyfin")!.settings).toContain("known proxy 192.168.1.11 (Caddy)");
    });

    test("WebUIs stay LAN-published on their own host's address; nothing needs a peer-only port", () => {
        expect(lanPublishedApps(cfg)).toContain("seerr");
        expect(peerPublishedApps(cfg)).toEqual([]);
        expect(lanPorts(cfg, ["seerr"])).toEqual([{ internal: 5055, external: 5055, ip: "192.168.1.11", protocol: "tcp" }]);
    });

    test("every address the wiring plan writes into an app is a link of appLinks", () => {
        const links = new Set(appLinks(cfg).map((l) => `${l.client}->${l.server}`));
        for (const step of wiringPlan(cfg)) {
            const client = step.kind === "prowlarr-application" || step.kind === "prowlarr-flaresolverr" ? "prowlarr" : step.app;
            for (const server of step.talksTo.filter((id) => id !== client)) expect(links).toContain(`${client}->${server}`);
        }
    });
});

describe("FlareSolverr outside the VPN on another host than Prowlarr", () => {
    const cfg = parseConfig(twoHosts({ flaresolverr: "gpu" }, { indexersThroughVpn: false }), allSecret);

    test("is published for Prowlarr's host only: a peer port, not a LAN WebUI", () => {
        expect(lanPublishedApps(cfg)).not.toContain("flaresolverr");
        expect(peerPublishedApps(cfg)).toEqual(["flaresolverr"]);
        expect(lanPorts(cfg, ["flaresolverr"])).toEqual([{ internal: 8191, external: 8191, ip: "192.168.1.11", protocol: "tcp" }]);
        expect(seenFrom(cfg, "prowlarr", "flaresolverr").url).toBe("http://192.168.1.11:8191");
    });
});

describe("day-two commands over every host (scripts/host-access.ts)", () => {
    const cfg = parseConfig(twoHosts({ seerr: "gpu", caddy: "gpu" }), allSecret);

    test("status covers every host that runs apps; --host NAME narrows it, an unknown name is one line", () => {
        expect(hostsToCover(cfg, undefined).map((h) => h.name)).toEqual(["main", "gpu"]);
        expect(hostsToCover(cfg, "gpu")).toEqual([cfg.hosts[1]]);
        expect(() => hostsToCover(cfg, "nas")).toThrow(new OneLineError("homelab: --host nas is not a host of this stack that runs apps (main, gpu)", 64));
    });

    test("each host is probed for its own apps only", () => {
        expect(hostView(cfg, cfg.hosts[1]).enabledApps).toEqual(["seerr", "caddy"]);
        expect(hostView(cfg, cfg.hosts[1]).target).toBe(cfg.hosts[1].target);
    });

    test("the status probe judges the VPN on Gluetun's host only: the other host has no tunnel to miss", () => {
        const sections = (host: number) => new Set(evaluateStatus(hostView(cfg, cfg.hosts[host]), new Map()).map((l) => l.section));
        expect(sections(0).has("vpn")).toBe(true);
        expect(sections(1).has("vpn")).toBe(false);
        expect(sections(1).has("apps")).toBe(true);
    });

    test("logs and restore go to the app's host; a --host that is not it is refused", () => {
        expect(hostOfApp(cfg, "seerr", undefined).name).toBe("gpu");
        expect(hostOfApp(cfg, "sonarr", "main").name).toBe("main");
        expect(() => hostOfApp(cfg, "sonarr", "gpu")).toThrow("homelab: sonarr runs on host main, not on gpu (homelab:placement)");
    });

    test("the second host is reached with its own key file, as the program's provider is", () => {
        expect(() => sshArguments({ stack: "no-such-stack" }, cfg, cfg.hosts[1])).toThrow(/no deploy key at .*\/\.ssh\/homelab-media\/no-such-stack-gpu\.key/);
        expect(() => sshArguments({ stack: "no-such-stack" }, cfg, cfg.hosts[0])).toThrow(/no deploy key at .*\/\.ssh\/homelab-media\/no-such-stack\.key/);
    });
});
