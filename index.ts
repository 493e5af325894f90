/**
 * homelab-media: the composition root. Reads the stack's config once, then declares the media stack on the
 * Docker host (or, with `homelab:hosts`, each app on the host `homelab:placement` names): VPN gateway, download
 * client in its namespace, the *arr suite, streaming, the wiring that connects them on first deploy, the reverse
 * proxy (public routes only after the first-run setups), and on every remote host that runs apps its firewall,
 * Fail2Ban, data tree and backups.
 */
import * as pulumi from "@pulumi/pulumi";
import { ArrSuite } from "./components/arr-suite";
import { Backup } from "./components/backup";
import { AppId, CATALOG } from "./components/catalog";
import { HostSpec, isSharedDataRoot, loadConfig } from "./components/config";
import { DataMount } from "./components/data-mount";
import { lanPublishedApps, peerPublishedApps, userFacingApps, vpnMembers } from "./components/container";
import { dockerHostUri, DockerHosts } from "./components/docker-host";
import { Downloader } from "./components/downloader";
import { HostHardening, PeerPort } from "./components/host-hardening";
import { appsOn, crossHostLinks, hostOf, hostsRunningApps, hostView, isMultiHost, perHostName } from "./components/placement";
import { METRICS_PORT, Watcher } from "./components/watcher";
import { proxyHost, ReverseProxy } from "./components/reverse-proxy";
import { Streaming } from "./components/streaming";
import { VpnGateway } from "./components/vpn-gateway";
import { Wiring, wiringSummary } from "./components/wiring";

const cfg = loadConfig();
// One Docker provider and one stack network per host that runs apps; the first host keeps the single-host names.
const dockerHosts = new DockerHosts(cfg);
const onHostOf = (id: AppId) => ({ providers: { docker: dockerHosts.of(id).provider } });
const multiHost = isMultiHost(cfg);

// Fail2Ban reads the apps' logs, so it waits for apps that are declared further down.
let appsDeclared: (apps: pulumi.Resource[]) => void = () => undefined;
const logWriters = new Promise<pulumi.Resource[]>((resolve) => (appsDeclared = resolve));
const lanPublished = lanPublishedApps(cfg);
// A NAS data root is mounted (on every host that runs apps) before the data tree is made on it; config
// validation guarantees remote hosts then.
const dataMounts = new Map(hostsRunningApps(cfg).flatMap((host) => host.target.kind === "ssh" && cfg.storage.type !== "local"
    ? [[host.name, new DataMount(perHostName(cfg, "homelab-data", host), { cfg, target: host.target, storage: cfg.storage })] as const]
    : []));
const hardenings = hostsRunningApps(cfg).flatMap((host) => {
    if (host.target.kind !== "ssh") return [];
    const apps = appsOn(cfg, host);
    return [new HostHardening(perHostName(cfg, "homelab-host", host), {
        cfg,
        target: host.target,
        apps: multiHost ? apps : undefined,
        lanAppPorts: lanPublished.filter((id) => apps.includes(id)).map((id) => cfg.hostPorts[id]),
        lanHostPorts: cfg.metrics && host.lanBindAddress ? [METRICS_PORT] : [],
        peerPorts: peerPortsOn(host),
        peerAddresses: multiHost ? hostsRunningApps(cfg).filter((h) => h !== host).flatMap((h) => h.lanBindAddress ?? []) : undefined,
        logWriters,
        dataMount: dataMounts.get(host.name),
    })];
});
if (hardenings.length === 0) {
    pulumi.log.warn(`homelab:host is not set: deploying to the local Docker engine and skipping host hardening (UFW, Fail2Ban, data tree). Create ${cfg.dataRoot} owned by ${cfg.puid}:${cfg.pgid} yourself.`);
}
const afterDataTree = hardenings.map((h) => h.dataTree);
// Config validation guarantees a host when a repository is set; without one no timer is installed.
// Each host backs up its own apps' volumes with its own password, so each gets its own repository: the first
// host keeps the configured one, the others `<repository>-<host>` (one shared path would hold two repositories).
const backupsByHost = new Map(hostsRunningApps(cfg).flatMap((host) => cfg.backup && host.target.kind === "ssh"
    ? [[host.name, new Backup(perHostName(cfg, "homelab-backup", host), {
        cfg, target: host.target, settings: { ...cfg.backup, repository: perHostName(cfg, cfg.backup.repository, host) },
    })] as const]
    : []));
// The watcher starts once the apps are declared, so a first deploy does not alert on containers not yet created.
// Each host's watcher watches the apps placed there.
const watchers = hostsRunningApps(cfg).flatMap((host) => host.target.kind === "ssh"
    ? [new Watcher(perHostName(cfg, "homelab-watch", host), { cfg: hostView(cfg, host), target: host.target }, { dependsOn: logWriters })]
    : []);

/** The ports other hosts call on this host, each admitted from the calling hosts' LAN addresses only. */
function peerPortsOn(host: HostSpec): PeerPort[] {
    const peers = new Map<number, Set<string>>();
    const served = new Set(peerPublishedApps(cfg));
    for (const link of crossHostLinks(cfg)) {
        if (!served.has(link.server) || hostOf(cfg, link.server) !== host) continue;
        const from = hostOf(cfg, link.client).lanBindAddress;
        if (from) peers.set(cfg.hostPorts[link.server], (peers.get(cfg.hostPorts[link.server]) ?? new Set()).add(from));
    }
    return [...peers].map(([port, from]) => ({ port, from: [...from].sort() }));
}

const members = vpnMembers(cfg);
const gateway = new VpnGateway("homelab-vpn", { cfg, network: dockerHosts.of("gluetun").network, members }, onHostOf("gluetun"));
const downloader = new Downloader("homelab-downloader", { cfg, gateway, dependsOn: afterDataTree }, onHostOf("qbittorrent"));
const arrs = new ArrSuite("homelab-arr", { cfg, hosts: dockerHosts, gateway, dependsOn: afterDataTree }, onHostOf("gluetun"));
const streaming = new Streaming("homelab-streaming", { cfg, hosts: dockerHosts, jellyfinUrl: `https://${proxyHost(cfg, "jellyfin")}`, dependsOn: afterDataTree }, onHostOf("jellyfin"));
const appWiring = cfg.wiring
    ? new Wiring("homelab-wiring", {
        cfg,
        containers: { gluetun: gateway.container, qbittorrent: downloader.container, ...arrs.containers, jellyfin: streaming.jellyfin, seerr: streaming.seerr },
        credentials: {
            qbittorrent: { user: downloader.webUiUser, password: downloader.webUiPassword },
            apiKeys: arrs.apiKeys,
            servarrLogins: arrs.logins,
            jellyfinAdmin: streaming.jellyfinAdmin,
            seerrApiKey: streaming.seerrApiKey,
            bazarr: arrs.bazarr,
        },
    })
    : undefined;
if (!appWiring) {
    pulumi.log.warn("homelab:wiring is false: the apps start blank. Jellyfin and Seerr are served publicly at once, and their first visitor becomes their administrator: finish their setup wizards right after this deploy.");
}
const proxy = new ReverseProxy("homelab-proxy", { cfg, network: dockerHosts.of("caddy").network, upstreams: [gateway, arrs, streaming], publicAfter: appWiring?.setups }, onHostOf("caddy"));
appsDeclared([downloader, arrs, streaming]);

function appUrls(): Record<string, { proxy?: string; lan?: string }> {
    const lan = new Set(lanPublishedApps(cfg));
    return Object.fromEntries(userFacingApps(cfg).map((id) => {
        const host = proxyHost(cfg, id);
        return [id, {
            proxy: host ? `https://${host}` : undefined,
            lan: lan.has(id) ? `http://${hostOf(cfg, id).lanBindAddress}:${cfg.hostPorts[id]}` : undefined,
        }];
    }));
}

/** The Docker host (one host) or each host by name (several). */
export const deployTarget = multiHost
    ? Object.fromEntries(dockerHosts.all().map(({ host }) => [host.name, dockerHostUri(host.target)]))
    : dockerHostUri(cfg.target);
/** Which host runs each app. */
export const placement = Object.fromEntries(cfg.enabledApps.map((id) => [id, cfg.placement[id]]));
export const urls = appUrls();
export const vpnNamespace = { gateway: "gluetun", members };
export const wiring = wiringSummary(cfg);
export const proxyRoutes = proxy.routes.map((r) => `${r.host} -> ${r.upstream}${r.lanOnly ? " (LAN only)" : ""}`);
export const qbittorrentLogin = { user: downloader.webUiUser, password: downloader.webUiPassword };
export const apiKeys = { ...arrs.apiKeys, ...(arrs.bazarr ? { bazarr: arrs.bazarr.apiKey } : {}), ...(streaming.seerrApiKey ? { seerr: streaming.seerrApiKey } : {}) };
export const jellyfinLogin = streaming.jellyfinAdmin;
export const bazarrLogin = arrs.bazarr ? { user: arrs.bazarr.user, password: arrs.bazarr.password } : undefined;
/** Sonarr, Radarr, Lidarr and Prowlarr: their forms login, by app (with wiring on; `--show-secrets`). */
export const servarrLogins = Object.keys(arrs.logins).length > 0 ? arrs.logins : undefined;
export const gluetunControlApiKey = gateway.controlApiKey;
const firstMount = dataMounts.values().next().value;
export const dataStorage = isSharedDataRoot(cfg) && firstMount
    ? `${cfg.dataRoot} mounted from ${firstMount.source} (${cfg.storage.type})${multiHost ? ` on ${[...dataMounts.keys()].join(", ")}` : ""}; app config volumes stay on the server's disk`
    : `${cfg.dataRoot} on the server's disk`;
export const hostHardening = hardenings.length === 0
    ? "skipped (local Docker engine)"
    : `ufw, fail2ban, data tree, vpn recovery${multiHost ? ` on ${hostsRunningApps(cfg).map((h) => h.name).join(", ")}` : ""}`;
export const enabledApps = cfg.enabledApps.map((id) => CATALOG[id].title);
export const backups = cfg.backup
    ? `restic to ${multiHost ? hostsRunningApps(cfg).map((host) => perHostName(cfg, cfg.backup!.repository, host)).join(", ") : cfg.backup.repository}, ${cfg.backup.schedule}, keeping ${cfg.backup.keep.daily} daily, ${cfg.backup.keep.weekly} weekly, ${cfg.backup.keep.monthly} monthly`
    : "off (homelab:backup.repository is not set)";
const metricsAt = hostsRunningApps(cfg).map((host) => `${host.lanBindAddress ?? "127.0.0.1"}:${METRICS_PORT}`).join(", ");
export const alerts = watchers.length > 0
    ? `homelab-watch every ${cfg.alerts.intervalSeconds}s to ${[cfg.alerts.ntfy && "ntfy", cfg.alerts.gotify && "gotify", cfg.alerts.webhook && "webhook"].filter(Boolean).join(", ") || "the journal only"}${cfg.metrics ? `; metrics on ${metricsAt}` : ""}`
    : "off (local Docker engine)";
/** The restic repository password: keep it outside the server, or the backups cannot be read without it. */
export const backupPassword = multiHost
    ? (backupsByHost.size > 0 ? Object.fromEntries([...backupsByHost].map(([host, b]) => [host, b.password])) : undefined)
    : backupsByHost.get(cfg.hosts[0].name)?.password;
