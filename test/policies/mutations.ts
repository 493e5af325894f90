/**
 * The mutation corpus: the real program's graph broken one invariant at a time. Every mutant must be caught
 * by the policy that owns the invariant, with a mandatory violation, in preview and in update mode.
 */
import { Graph, UNKNOWN, secret } from "./fixtures";

export interface Mutant {
    /** What the mutant does, as a user would describe the mistake. */
    title: string;
    /** The policy that must catch it. */
    policy: string;
    apply(g: Graph): void;
}

type Port = Record<string, unknown>;
const ports = (g: Graph, app: string): Port[] => {
    const c = g.container(app);
    if (!Array.isArray(c.serializedInputs.ports)) c.serializedInputs.ports = [];
    return c.serializedInputs.ports as Port[];
};
const volumes = (g: Graph, app: string): Port[] => g.container(app).serializedInputs.volumes as Port[];
const lanIp = (g: Graph): string => String(ports(g, "gluetun")[0]?.ip ?? "192.168.1.10");
const setEnv = (g: Graph, app: string, ...entries: string[]) => {
    const keys = entries.map((e) => e.split("=")[0]);
    const envs = (g.container(app).serializedInputs.envs as unknown[]).filter((e) => typeof e !== "string" || !keys.includes(e.split("=")[0]));
    g.container(app).serializedInputs.envs = [...envs, ...entries];
};
const sshOpts = (g: Graph, ...opts: string[]) => {
    g.provider().serializedInputs.sshOpts = JSON.stringify(["-o", "IdentitiesOnly=yes", ...opts]);
};

export const MUTANTS: Mutant[] = [
    // 1. download clients behind the VPN
    { title: "qBittorrent on the bridge network", policy: "download-clients-behind-vpn", apply: (g) => g.leaveNamespace(g.container("qbittorrent"), "bridge") },
    { title: "qBittorrent on the host network", policy: "download-clients-behind-vpn", apply: (g) => g.leaveNamespace(g.container("qbittorrent"), "host") },
    {
        title: "qBittorrent with no networkMode (default bridge)",
        policy: "download-clients-behind-vpn",
        apply: (g) => {
            delete g.container("qbittorrent").serializedInputs.networkMode;
            g.container("qbittorrent").propertyDependencies.networkMode = [];
        },
    },
    { title: "qBittorrent in Sonarr's namespace", policy: "download-clients-behind-vpn", apply: (g) => g.joinNamespace(g.container("qbittorrent"), g.container("sonarr")) },
    {
        title: "qBittorrent with a computed networkMode not derived from Gluetun",
        policy: "download-clients-behind-vpn",
        apply: (g) => {
            g.container("qbittorrent").serializedInputs.networkMode = g.mode === "preview" ? UNKNOWN : "container:0123456789ab";
            g.container("qbittorrent").propertyDependencies.networkMode = [];
        },
    },
    {
        title: "a second client (Transmission) on the stack network",
        policy: "download-clients-behind-vpn",
        apply: (g) => {
            g.addApp({ app: "transmission", image: "lscr.io/linuxserver/transmission:4.0.6", port: 9091, lanIp: lanIp(g), data: "shared" });
        },
    },
    {
        title: "a second client (SABnzbd) whose image cannot be traced",
        policy: "download-clients-behind-vpn",
        apply: (g) => {
            const sab = g.addApp({ app: "sabnzbd", image: "lscr.io/linuxserver/sabnzbd:4.5.1", data: "shared" });
            sab.propertyDependencies.image = [];
            sab.serializedInputs.image = UNKNOWN;
        },
    },
    { title: "the gateway's image swapped for a non-Gluetun image", policy: "download-clients-behind-vpn", apply: (g) => (g.imageOf(g.container("gluetun")).serializedInputs.name = "alpine:3.20") },

    // 2. namespace members add no network surface
    { title: "ports on qBittorrent", policy: "vpn-namespace-members-isolated", apply: (g) => (g.container("qbittorrent").serializedInputs.ports = [{ internal: 8080, external: 8080, ip: lanIp(g), protocol: "tcp" }]) },
    { title: "qBittorrent joins an extra network", policy: "vpn-namespace-members-isolated", apply: (g) => (g.container("qbittorrent").serializedInputs.networksAdvanced = [{ name: "homelab", aliases: ["qbittorrent"] }]) },
    { title: "Prowlarr sets a hostname", policy: "vpn-namespace-members-isolated", apply: (g) => (g.container("prowlarr").serializedInputs.hostname = "prowlarr") },
    { title: "FlareSolverr sets its own DNS", policy: "vpn-namespace-members-isolated", apply: (g) => (g.container("flaresolverr").serializedInputs.dns = ["1.1.1.1"]) },
    { title: "qBittorrent sets a domainname", policy: "vpn-namespace-members-isolated", apply: (g) => (g.container("qbittorrent").serializedInputs.domainname = "lan") },

    // 3. the gateway: ports and kill switch
    { title: "the control API (8000) published", policy: "vpn-gateway-ports", apply: (g) => ports(g, "gluetun").push({ internal: 8000, external: 8000, ip: lanIp(g), protocol: "tcp" }) },
    { title: "the torrent port (6881/udp) published", policy: "vpn-gateway-ports", apply: (g) => ports(g, "gluetun").push({ internal: 6881, external: 6881, ip: lanIp(g), protocol: "udp" }) },
    {
        title: "a custom TORRENTING_PORT published",
        policy: "vpn-gateway-ports",
        apply: (g) => {
            setEnv(g, "qbittorrent", "TORRENTING_PORT=51413");
            ports(g, "gluetun").push({ internal: 51413, external: 51413, ip: lanIp(g), protocol: "tcp" });
        },
    },
    { title: "the qBittorrent WebUI published on 0.0.0.0", policy: "vpn-gateway-ports", apply: (g) => ports(g, "gluetun").push({ internal: 8080, external: 8080, ip: "0.0.0.0", protocol: "tcp" }) },
    { title: "a gateway port without ip", policy: "vpn-gateway-ports", apply: (g) => ports(g, "gluetun").push({ internal: 9696, external: 9696, protocol: "tcp" }) },
    { title: "a gateway port that is no member's WebUI (Gluetun's HTTP proxy 8888)", policy: "vpn-gateway-ports", apply: (g) => ports(g, "gluetun").push({ internal: 8888, external: 8888, ip: lanIp(g), protocol: "tcp" }) },
    { title: "FIREWALL=off", policy: "vpn-gateway-kill-switch", apply: (g) => setEnv(g, "gluetun", "FIREWALL=off") },
    { title: "outbound subnet 0.0.0.0/0", policy: "vpn-gateway-kill-switch", apply: (g) => setEnv(g, "gluetun", "FIREWALL_OUTBOUND_SUBNETS=0.0.0.0/0") },
    { title: "outbound subnet 10.0.0.0/8", policy: "vpn-gateway-kill-switch", apply: (g) => setEnv(g, "gluetun", "FIREWALL_OUTBOUND_SUBNETS=192.168.1.0/24,10.0.0.0/8") },
    { title: "outbound subnet 192.168.0.0/16", policy: "vpn-gateway-kill-switch", apply: (g) => setEnv(g, "gluetun", "FIREWALL_OUTBOUND_SUBNETS=192.168.0.0/16") },
    { title: "DNS_KEEP_NAMESERVER=on", policy: "vpn-gateway-kill-switch", apply: (g) => setEnv(g, "gluetun", "DNS_KEEP_NAMESERVER=on") },
    { title: "DOT=off with a plain DNS_ADDRESS", policy: "vpn-gateway-kill-switch", apply: (g) => setEnv(g, "gluetun", "DOT=off", "DNS_ADDRESS=1.1.1.1") },
    { title: "plain upstream DNS addresses", policy: "vpn-gateway-kill-switch", apply: (g) => setEnv(g, "gluetun", "DNS_UPSTREAM_PLAIN_ADDRESSES=9.9.9.9:53") },
    {
        title: "FIREWALL=off hidden in a secret env entry",
        policy: "vpn-gateway-kill-switch",
        apply: (g) => (g.container("gluetun").serializedInputs.envs as unknown[]).push(secret("FIREWALL=off")),
    },
    { title: "a privileged gateway", policy: "vpn-gateway-kill-switch", apply: (g) => (g.container("gluetun").serializedInputs.privileged = true) },

    // 4. host safety
    { title: "privileged Sonarr", policy: "container-not-privileged", apply: (g) => (g.container("sonarr").serializedInputs.privileged = true) },
    { title: "Jellyfin on the host network", policy: "container-no-host-namespaces", apply: (g) => g.leaveNamespace(g.container("jellyfin"), "host") },
    { title: "Radarr with pidMode host", policy: "container-no-host-namespaces", apply: (g) => (g.container("radarr").serializedInputs.pidMode = "host") },
    { title: "the Docker socket in Seerr (volume)", policy: "container-no-docker-socket", apply: (g) => volumes(g, "seerr").push({ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true }) },
    { title: "the Docker socket in Caddy (bind mount)", policy: "container-no-docker-socket", apply: (g) => (g.container("caddy").serializedInputs.mounts = [{ type: "bind", source: "/run/docker.sock", target: "/docker.sock" }]) },
    { title: "/etc mounted writable in Bazarr", policy: "container-no-sensitive-host-mounts", apply: (g) => volumes(g, "bazarr").push({ hostPath: "/etc", containerPath: "/host/etc" }) },
    { title: "no-new-privileges dropped from Lidarr", policy: "container-no-new-privileges", apply: (g) => (g.container("lidarr").serializedInputs.securityOpts = []) },
    { title: "NET_ADMIN on qBittorrent", policy: "container-capabilities-allowlist", apply: (g) => (g.container("qbittorrent").serializedInputs.capabilities = { adds: ["NET_ADMIN"] }) },
    { title: "/dev/net/tun mapped into Sonarr", policy: "container-capabilities-allowlist", apply: (g) => (g.container("sonarr").serializedInputs.devices = [{ hostPath: "/dev/net/tun", containerPath: "/dev/net/tun" }]) },
    { title: "/dev/dri mapped into Sonarr", policy: "container-capabilities-allowlist", apply: (g) => (g.container("sonarr").serializedInputs.devices = [{ hostPath: "/dev/dri", containerPath: "/dev/dri" }]) },
    { title: "Sonarr published on 0.0.0.0", policy: "container-published-ports", apply: (g) => ports(g, "sonarr").push({ internal: 8989, external: 18989, ip: "0.0.0.0", protocol: "tcp" }) },
    { title: "Seerr published without ip", policy: "container-published-ports", apply: (g) => ports(g, "seerr").push({ internal: 5055, external: 15055, protocol: "tcp" }) },
    { title: "Caddy's admin API (2019) on 0.0.0.0", policy: "container-published-ports", apply: (g) => ports(g, "caddy").push({ internal: 2019, external: 2019, ip: "0.0.0.0", protocol: "tcp" }) },
    { title: "publishAllPorts on Radarr", policy: "container-published-ports", apply: (g) => (g.container("radarr").serializedInputs.publishAllPorts = true) },
    { title: "Sonarr on :latest", policy: "container-image-pinned", apply: (g) => (g.imageOf(g.container("sonarr")).serializedInputs.name = "lscr.io/linuxserver/sonarr:latest") },
    { title: "Jellyfin untagged", policy: "container-image-pinned", apply: (g) => (g.imageOf(g.container("jellyfin")).serializedInputs.name = "jellyfin/jellyfin") },
    { title: "no memory limit on Jellyfin", policy: "container-memory-limit", apply: (g) => delete g.container("jellyfin").serializedInputs.memory },
    { title: "restart 'no' on Caddy", policy: "container-restart-policy", apply: (g) => (g.container("caddy").serializedInputs.restart = "no") },
    { title: "healthcheck NONE on Prowlarr", policy: "container-healthcheck", apply: (g) => (g.container("prowlarr").serializedInputs.healthcheck = { tests: ["NONE"] }) },
    { title: "no healthcheck on Gluetun", policy: "container-healthcheck", apply: (g) => delete g.container("gluetun").serializedInputs.healthcheck },

    // 5. the Docker provider
    { title: "StrictHostKeyChecking=no", policy: "docker-provider-ssh-host-key", apply: (g) => sshOpts(g, "-o", "StrictHostKeyChecking=no") },
    { title: "UserKnownHostsFile=/dev/null", policy: "docker-provider-ssh-host-key", apply: (g) => sshOpts(g, "-o", "UserKnownHostsFile=/dev/null") },
    { title: "plain tcp:// Docker host", policy: "docker-provider-ssh-host-key", apply: (g) => (g.provider().serializedInputs = { host: "tcp://192.168.1.10:2375" }) },

    // 6. hardlink layout
    {
        title: "Radarr's /data on another host directory",
        policy: "media-hardlink-layout",
        apply: (g) => {
            const data = volumes(g, "radarr").find((v) => v.containerPath === "/data")!;
            data.hostPath = "/mnt/movies";
        },
    },
    { title: "a split /downloads mount in qBittorrent", policy: "media-hardlink-layout", apply: (g) => volumes(g, "qbittorrent").push({ hostPath: "/srv/downloads", containerPath: "/downloads" }) },
    {
        title: "Sonarr without /data (separate /tv)",
        policy: "media-hardlink-layout",
        apply: (g) => {
            const c = g.container("sonarr");
            c.serializedInputs.volumes = volumes(g, "sonarr").map((v) => (v.containerPath === "/data" ? { hostPath: "/srv/homelab/data/media/tv", containerPath: "/tv" } : v));
        },
    },
];
