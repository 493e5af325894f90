/**
 * homelab-media: the composition root. Reads the stack's config once, then declares the media stack on the
 * Docker host: VPN gateway, download client in its namespace, the *arr suite, streaming, the wiring that
 * connects them on first deploy, the reverse proxy (public routes only after the first-run setups), and (for a
 * remote host) the host's firewall, Fail2Ban, data tree and backups.
 */
import * as pulumi from "@pulumi/pulumi";
import { ArrSuite } from "./components/arr-suite";
import { Backup } from "./components/backup";
import { CATALOG } from "./components/catalog";
import { loadConfig } from "./components/config";
import { lanPublishedApps, userFacingApps, vpnMembers } from "./components/container";
import { dockerHostUri, dockerProvider, stackNetwork } from "./components/docker-host";
import { Downloader } from "./components/downloader";
import { HostHardening } from "./components/host-hardening";
import { proxyHost, ReverseProxy } from "./components/reverse-proxy";
import { Streaming } from "./components/streaming";
import { VpnGateway } from "./components/vpn-gateway";
import { Wiring, wiringSummary } from "./components/wiring";

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
// Config validation guarantees a host when a repository is set; without one no timer is installed.
const backup = cfg.backup && cfg.target.kind === "ssh"
    ? new Backup("homelab-backup", { cfg, target: cfg.target, settings: cfg.backup })
    : undefined;

const network = stackNetwork("homelab-network", cfg, { provider });
const members = vpnMembers(cfg);
const gateway = new VpnGateway("homelab-vpn", { cfg, network, members }, onHost);
const downloader = new Downloader("homelab-downloader", { cfg, gateway, dependsOn: afterDataTree }, onHost);
const arrs = new ArrSuite("homelab-arr", { cfg, network, gateway, dependsOn: afterDataTree }, onHost);
const streaming = new Streaming("homelab-streaming", { cfg, network, jellyfinUrl: `https://${proxyHost(cfg, "jellyfin")}`, dependsOn: afterDataTree }, onHost);
const appWiring = cfg.wiring
    ? new Wiring("homelab-wiring", {
        cfg,
        containers: { gluetun: gateway.container, qbittorrent: downloader.container, ...arrs.containers, jellyfin: streaming.jellyfin, seerr: streaming.seerr },
        credentials: {
            qbittorrent: { user: downloader.webUiUser, password: downloader.webUiPassword },
            apiKeys: arrs.apiKeys,
            jellyfinAdmin: streaming.jellyfinAdmin,
            seerrApiKey: streaming.seerrApiKey,
            bazarr: arrs.bazarr,
        },
    })
    : undefined;
if (!appWiring) {
    pulumi.log.warn("homelab:wiring is false: the apps start blank. Jellyfin and Seerr are served publicly at once, and their first visitor becomes their administrator: finish their setup wizards right after this deploy.");
}
const proxy = new ReverseProxy("homelab-proxy", { cfg, network, upstreams: [gateway, arrs, streaming], publicAfter: appWiring?.setups }, onHost);
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

export const deployTarget = dockerHostUri(cfg.target);
export const urls = appUrls();
export const vpnNamespace = { gateway: "gluetun", members };
export const wiring = wiringSummary(cfg);
export const proxyRoutes = proxy.routes.map((r) => `${r.host} -> ${r.upstream}${r.lanOnly ? " (LAN only)" : ""}`);
export const qbittorrentLogin = { user: downloader.webUiUser, password: downloader.webUiPassword };
export const apiKeys = { ...arrs.apiKeys, ...(arrs.bazarr ? { bazarr: arrs.bazarr.apiKey } : {}), ...(streaming.seerrApiKey ? { seerr: streaming.seerrApiKey } : {}) };
export const jellyfinLogin = streaming.jellyfinAdmin;
export const bazarrLogin = arrs.bazarr ? { user: arrs.bazarr.user, password: arrs.bazarr.password } : undefined;
export const gluetunControlApiKey = gateway.controlApiKey;
export const hostHardening = hardening ? "ufw, fail2ban, data tree, vpn recovery" : "skipped (local Docker engine)";
export const enabledApps = cfg.enabledApps.map((id) => CATALOG[id].title);
export const backups = cfg.backup
    ? `restic to ${cfg.backup.repository}, ${cfg.backup.schedule}, keeping ${cfg.backup.keep.daily} daily, ${cfg.backup.keep.weekly} weekly, ${cfg.backup.keep.monthly} monthly`
    : "off (homelab:backup.repository is not set)";
/** The restic repository password: keep it outside the server, or the backups cannot be read without it. */
export const backupPassword = backup?.password;
