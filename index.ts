/**
 * homelab-media: the composition root. Reads the stack's config once, then declares the media stack on the
 * Docker host: VPN gateway, download client in its namespace, the *arr suite, streaming, the reverse proxy,
 * and (for a remote host) the host's firewall, Fail2Ban and data tree.
 */
import * as pulumi from "@pulumi/pulumi";
import { ArrSuite } from "./components/arr-suite";
import { AppId, appsWithRole, CATALOG } from "./components/catalog";
import { loadConfig } from "./components/config";
import { addressFromVpnNamespace, isEnabled, isVpnMember, lanPublishedApps, upstreamOf, userFacingApps, vpnMembers } from "./components/container";
import { dockerHostUri, dockerProvider, stackNetwork } from "./components/docker-host";
import { Downloader } from "./components/downloader";
import { HostHardening } from "./components/host-hardening";
import { proxyHost, ReverseProxy } from "./components/reverse-proxy";
import { Streaming } from "./components/streaming";
import { VpnGateway } from "./components/vpn-gateway";

const cfg = loadConfig();
const provider = dockerProvider("homelab-docker", cfg);
const onHost = { providers: { docker: provider } };

// Fail2Ban reads the apps' logs, so it waits for apps that are declared further down.
let appsDeclared: (apps: pulumi.Resource[]) => void = () => undefined;
const logWriters = new Promise<pulumi.Resource[]>((resolve) => (appsDeclared = resolve));
const hardening = cfg.target.kind === "ssh"
    ? new HostHardening("homelab-host", { cfg, target: cfg.target, lanAppPorts: lanPublishedApps(cfg).map((id) => cfg.hostPorts[id]), logWriters })
    : undefined;
if (!hardening) {
    pulumi.log.warn(`homelab:host is not set: deploying to the local Docker engine and skipping host hardening (UFW, Fail2Ban, data tree). Create ${cfg.dataRoot} owned by ${cfg.puid}:${cfg.pgid} yourself.`);
}
const afterDataTree = hardening ? [hardening.dataTree] : [];

const network = stackNetwork("homelab-network", cfg, { provider });
const members = vpnMembers(cfg);
const gateway = new VpnGateway("homelab-vpn", { cfg, network, members }, onHost);
const downloader = new Downloader("homelab-downloader", { cfg, gateway, dependsOn: afterDataTree }, onHost);
const arrs = new ArrSuite("homelab-arr", { cfg, network, gateway, dependsOn: afterDataTree }, onHost);
const streaming = new Streaming("homelab-streaming", { cfg, network, jellyfinUrl: `https://${proxyHost(cfg, "jellyfin")}`, dependsOn: afterDataTree }, onHost);
const proxy = new ReverseProxy("homelab-proxy", { cfg, network, upstreams: [gateway, arrs, streaming] }, onHost);
appsDeclared([downloader, arrs, streaming]);

function appUrls(): Record<string, { proxy?: string; lan?: string }> {
    const lan = new Set(lanPublishedApps(cfg));
    return Object.fromEntries(userFacingApps(cfg).map((id) => {
        const host = proxyHost(cfg, id);
        return [id, {
            proxy: host ? `https://${host}` : undefined,
            lan: lan.has(id) ? `http://${cfg.lanBindAddress}:${cfg.hostPorts[id]}` : undefined,
        }];
    }));
}

/** Addresses to enter when wiring the apps together in their WebUIs (`from -> to`). */
function appConnections(): Record<string, string> {
    const from = (client: AppId, server: AppId) =>
        `http://${isVpnMember(cfg, client) ? addressFromVpnNamespace(cfg, server) : upstreamOf(cfg, server)}`;
    const connections: Record<string, string> = {};
    const libraryApps = appsWithRole("library").filter((id) => isEnabled(cfg, id));
    for (const id of libraryApps) {
        connections[`${CATALOG[id].title} -> qBittorrent`] = `${from(id, "qbittorrent")} (category ${CATALOG[id].mediaKind})`;
    }
    for (const id of libraryApps) connections[`Prowlarr -> ${CATALOG[id].title}`] = from("prowlarr", id);
    if (isEnabled(cfg, "flaresolverr")) connections["Prowlarr -> FlareSolverr"] = from("prowlarr", "flaresolverr");
    if (isEnabled(cfg, "jellyseerr")) {
        connections["Jellyseerr -> Jellyfin"] = from("jellyseerr", "jellyfin");
        for (const id of libraryApps.filter((app) => app === "sonarr" || app === "radarr")) {
            connections[`Jellyseerr -> ${CATALOG[id].title}`] = from("jellyseerr", id);
        }
    }
    return connections;
}

export const deployTarget = dockerHostUri(cfg.target);
export const urls = appUrls();
export const vpnNamespace = { gateway: "gluetun", members };
export const connections = appConnections();
export const proxyRoutes = proxy.routes.map((r) => `${r.host} -> ${r.upstream}${r.lanOnly ? " (LAN only)" : ""}`);
export const qbittorrentLogin = { user: downloader.webUiUser, password: downloader.webUiPassword };
export const apiKeys = arrs.apiKeys;
export const gluetunControlApiKey = gateway.controlApiKey;
export const hostHardening = hardening ? "ufw, fail2ban, data tree, vpn recovery" : "skipped (local Docker engine)";
export const enabledApps = cfg.enabledApps.map((id) => CATALOG[id].title);
