/**
 * ReverseProxy: Caddy, the only container listening on 0.0.0.0 (80/443). One host name per browsable app
 * under the stack's domain, automatic Let's Encrypt certificates, HTTP->HTTPS, compression and security
 * headers. The Caddyfile is generated from the enabled apps and delivered into the container at create
 * time: no Docker socket, no label discovery.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AppId, CATALOG, PROXY_PORTS } from "./catalog";
import { HomelabConfig } from "./config";
import { addressSeenFrom, appContainer, appImage, namedVolume } from "./container";

export interface ProxyRoute {
    app: AppId;
    host: string;
    upstream: string;
    lanOnly: boolean;
}

export interface ReverseProxyArgs {
    cfg: HomelabConfig;
    network: docker.Network;
    /** Containers the routes point at: Caddy starts after them. */
    upstreams?: pulumi.Input<pulumi.Resource>[];
    /**
     * The first-run setups of the public apps (an administrator created, sign-in configured). Caddy, and so
     * every public route, is created only after they succeeded: until then the apps answer only on the LAN.
     */
    publicAfter?: pulumi.Resource[];
}

export const CADDYFILE_PATH = "/etc/caddy/Caddyfile";

/** Names that no public CA will certify: Caddy then uses its own local CA instead of Let's Encrypt. */
export function isPrivateDomain(domain: string): boolean {
    return /(^|\.)(localhost|local|lan|home\.arpa|internal|test)$/.test(domain);
}

export function proxyHost(cfg: HomelabConfig, id: AppId): string | undefined {
    const subdomain = CATALOG[id].subdomain;
    return subdomain === undefined ? undefined : `${subdomain}.${cfg.domain}`;
}

export function proxyRoutes(cfg: HomelabConfig): ProxyRoute[] {
    return cfg.enabledApps.flatMap((id) => {
        const host = proxyHost(cfg, id);
        return host === undefined ? [] : [{ app: id, host, upstream: addressSeenFrom(cfg, "caddy", id), lanOnly: CATALOG[id].exposure !== "public" }];
    });
}

function siteBlock(route: ProxyRoute, lanSubnet: string): string[] {
    const lines = [`${route.host} {`, "\timport common"];
    if (route.lanOnly) {
        // Only the LAN itself: Caddy's private_ranges would also admit Docker's gateway, the source address
        // of anything that reaches a published port through docker-proxy (IPv6 clients from anywhere).
        lines.push(`\t@outside not remote_ip ${lanSubnet}`, "\trespond @outside \"This app is only reachable from the home network.\" 403");
    }
    lines.push(`\treverse_proxy ${route.upstream}`, "}");
    return lines;
}

export function caddyfile(cfg: HomelabConfig, routes: ProxyRoute[]): string {
    const global = ["{"];
    if (cfg.acmeEmail) global.push(`\temail ${cfg.acmeEmail}`);
    if (isPrivateDomain(cfg.domain)) global.push("\tlocal_certs");
    global.push("}");
    const common = [
        "(common) {",
        "\tencode zstd gzip",
        "\theader {",
        "\t\tStrict-Transport-Security \"max-age=31536000; includeSubDomains\"",
        "\t\tX-Content-Type-Options \"nosniff\"",
        "\t\tX-Frame-Options \"SAMEORIGIN\"",
        "\t\tReferrer-Policy \"strict-origin-when-cross-origin\"",
        "\t\t-Server",
        "\t}",
        "}",
    ];
    const sites = routes.flatMap((route) => ["", ...siteBlock(route, cfg.lanSubnet)]);
    return [...global, "", ...common, ...sites, ""].join("\n");
}

export class ReverseProxy extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    public readonly routes: ProxyRoute[];
    public readonly caddyfile: string;

    constructor(name: string, args: ReverseProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:proxy:ReverseProxy", name, {}, opts);
        const { cfg } = args;
        const child = { parent: this };
        this.routes = proxyRoutes(cfg);
        this.caddyfile = caddyfile(cfg, this.routes);
        const certificates = namedVolume(name, "caddy", "data", child);
        // TCP only: the host firewall opens 80/443 over TCP, and browsers fall back from HTTP/3 to it.
        const ports = PROXY_PORTS.map((port) => ({ internal: port, external: port, ip: "0.0.0.0", protocol: "tcp" }));
        this.container = appContainer(name, {
            cfg,
            id: "caddy",
            placement: { kind: "bridge", network: args.network, ports },
            configVolume: namedVolume(name, "caddy", "config", child),
            extraVolumes: [{ volumeName: certificates.name, containerPath: "/data" }],
            uploads: [{ file: CADDYFILE_PATH, content: this.caddyfile }],
        }, appImage(name, cfg, "caddy", child), { ...child, dependsOn: [...(args.upstreams ?? []), ...(args.publicAfter ?? [])] });
        this.registerOutputs({ container: this.container, routes: this.routes });
    }
}
