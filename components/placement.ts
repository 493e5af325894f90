/**
 * Which host runs which app, who talks to whom, and how an app reaches another one across hosts. The config
 * (components/config.ts) already refused every placement that breaks an invariant; this module only answers
 * questions about a valid one. Plain functions over the typed config: the program, the wiring, the firewall
 * and the scripts all ask here.
 */
import { AppId, appsWithRole, CATALOG } from "./catalog";
import { HomelabConfig, HostSpec } from "./config";

export function hostNamed(cfg: HomelabConfig, name: string): HostSpec {
    const host = cfg.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`no host named "${name}" (hosts: ${cfg.hosts.map((h) => h.name).join(", ")})`);
    return host;
}

/** The host an app runs on. */
export function hostOf(cfg: HomelabConfig, id: AppId): HostSpec {
    return hostNamed(cfg, cfg.placement[id]);
}

export function sameHost(cfg: HomelabConfig, a: AppId, b: AppId): boolean {
    return cfg.placement[a] === cfg.placement[b];
}

/** The enabled apps placed on a host, in catalog order. */
export function appsOn(cfg: HomelabConfig, host: HostSpec): AppId[] {
    return cfg.enabledApps.filter((id) => cfg.placement[id] === host.name);
}

/** The hosts that run at least one enabled app, in declaration order: each gets a provider, network and hardening. */
export function hostsRunningApps(cfg: HomelabConfig): HostSpec[] {
    return cfg.hosts.filter((host) => appsOn(cfg, host).length > 0);
}

export function isMultiHost(cfg: HomelabConfig): boolean {
    return hostsRunningApps(cfg).length > 1;
}

/**
 * The Pulumi name of a per-host resource: the first declared host keeps the single-host name (so a stack that
 * grows a second host, and every single-host stack, keeps its resources), the others get `-<host>`.
 */
export function perHostName(cfg: HomelabConfig, base: string, host: HostSpec): string {
    return host.name === cfg.hosts[0].name ? base : `${base}-${host.name}`;
}

/** A runtime connection: `client` calls `server`'s API (or proxies to it). */
export interface AppLink {
    client: AppId;
    server: AppId;
}

const enabled = (cfg: HomelabConfig, id: AppId) => cfg.enabledApps.includes(id);
const managesKind = (id: AppId, ...kinds: string[]) => kinds.includes(CATALOG[id].mediaKind ?? "");

/**
 * Every connection between the enabled apps, derived from their catalog roles: what the wiring writes into
 * them (or a person would, with wiring off) plus the reverse proxy's upstreams. A test holds the wiring plan
 * to this list, so the firewall never lacks a port the wiring uses.
 */
export function appLinks(cfg: HomelabConfig): AppLink[] {
    const links: AppLink[] = [];
    const add = (client: AppId, server: AppId) => {
        if (enabled(cfg, client) && enabled(cfg, server)) links.push({ client, server });
    };
    const [downloader] = appsWithRole("download-client");
    const [indexer] = appsWithRole("indexer");
    const [solver] = appsWithRole("captcha-solver");
    const [streaming] = appsWithRole("streaming");
    const libraries = appsWithRole("library");
    for (const library of libraries) {
        add(library, downloader);
        add(library, indexer);
        add(indexer, library);
        // Readarr has no Emby/Jellyfin connection (see wiring/servarr.ts SERVARR_KINDS).
        if (!managesKind(library, "books")) add(library, streaming);
    }
    add(indexer, solver);
    for (const client of appsWithRole("requests")) {
        add(client, streaming);
        for (const library of libraries.filter((id) => managesKind(id, "tv", "movies"))) add(client, library);
    }
    for (const client of appsWithRole("subtitles")) {
        for (const library of libraries.filter((id) => managesKind(id, "tv", "movies"))) add(client, library);
    }
    for (const proxy of appsWithRole("reverse-proxy")) {
        for (const id of cfg.enabledApps.filter((app) => CATALOG[app].subdomain !== undefined)) add(proxy, id);
    }
    return links;
}

/** The links whose two apps run on different hosts: their traffic crosses the LAN. */
export function crossHostLinks(cfg: HomelabConfig): AppLink[] {
    return appLinks(cfg).filter((link) => !sameHost(cfg, link.client, link.server));
}

/**
 * Where an app is reached from another host: its host's LAN address and its host port (VPN members are
 * published on the gateway, which sits on the same host).
 */
export function lanEndpoint(cfg: HomelabConfig, id: AppId): { host: string; port: number } {
    const host = hostOf(cfg, id);
    if (!host.lanBindAddress) throw new Error(`${id} is reached from another host but host "${host.name}" has no lanBindAddress`);
    return { host: host.lanBindAddress, port: cfg.hostPorts[id] };
}

/** The config as one host sees it: its target and LAN address, and the apps placed there. */
export function hostView(cfg: HomelabConfig, host: HostSpec): HomelabConfig {
    return { ...cfg, target: host.target, lanBindAddress: host.lanBindAddress, enabledApps: appsOn(cfg, host) };
}
