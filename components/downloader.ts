/**
 * Downloader: qBittorrent inside the VPN gateway's network namespace, so torrent traffic has no way out
 * but the tunnel. It has no ports, networks, hostname or DNS of its own; its WebUI is published on the
 * gateway. Defence in depth: it is also bound to the tunnel interface with UPnP/NAT-PMP off.
 */
import * as crypto from "crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DATA_MOUNT_PATH, TORRENTING_PORT } from "./catalog";
import { HomelabConfig } from "./config";
import { appContainer, appImage, appPort, namedVolume, proxySourceAddress } from "./container";
import { VpnGateway } from "./vpn-gateway";

export interface DownloaderArgs {
    cfg: HomelabConfig;
    gateway: VpnGateway;
    /** Host commands that must have run first (the data tree with its ownership). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export const QBITTORRENT_USER = "admin";
const PBKDF2_ITERATIONS = 100_000;

/** qBittorrent's `WebUI\Password_PBKDF2` value: PBKDF2-HMAC-SHA512, 100000 iterations, 64-byte key. */
export function qbittorrentPasswordHash(password: string, saltBase64: string): string {
    const key = crypto.pbkdf2Sync(password, Buffer.from(saltBase64, "base64"), PBKDF2_ITERATIONS, 64, "sha512");
    return `@ByteArray(${saltBase64}:${key.toString("base64")})`;
}

/** Where the linuxserver image keeps the config it copies to /config only when there is none yet. */
export const QBITTORRENT_SEED_CONF = "/defaults/qBittorrent.conf";

/**
 * The first-start config. Torrents are managed automatically by category, saving to
 * /data/torrents/<category>: with the *arr apps' categories tv, movies, music and books that is the
 * hardlink layout's torrents tree.
 */
export function qbittorrentConf(passwordHash: string, cfg: HomelabConfig): string {
    const webUiPort = appPort(cfg, "qbittorrent");
    return [
        "[LegalNotice]",
        "Accepted=true",
        "",
        "[BitTorrent]",
        "Session\\Interface=tun0",
        "Session\\InterfaceName=tun0",
        `Session\\Port=${TORRENTING_PORT}`,
        `Session\\DefaultSavePath=${DATA_MOUNT_PATH}/torrents`,
        "Session\\DisableAutoTMMByDefault=false",
        "Session\\TempPathEnabled=false",
        "",
        "[Network]",
        "PortForwardingEnabled=false",
        "",
        "[Preferences]",
        "Connection\\UPnP=false",
        `WebUI\\Port=${webUiPort}`,
        `WebUI\\Username=${QBITTORRENT_USER}`,
        `WebUI\\Password_PBKDF2="${passwordHash}"`,
        // Only processes inside the VPN namespace reach 127.0.0.1: Gluetun's port-forwarding hook needs this.
        "WebUI\\LocalHostAuth=false",
        "WebUI\\HostHeaderValidation=false",
        "WebUI\\ReverseProxySupportEnabled=true",
        // Only Caddy may tell qBittorrent who the client is (never another container on the bridge).
        `WebUI\\TrustedReverseProxiesList=${proxySourceAddress(cfg, "qbittorrent")}`,
        "",
    ].join("\n");
}

export class Downloader extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    public readonly webUiUser = QBITTORRENT_USER;
    public readonly webUiPassword: pulumi.Output<string>;

    constructor(name: string, args: DownloaderArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:download:Downloader", name, {}, opts);
        const { cfg, gateway } = args;
        const child = { parent: this };
        const password = new random.RandomPassword(`${name}-webui-password`, { length: 24, special: false }, child);
        const salt = new random.RandomBytes(`${name}-webui-salt`, { length: 16 }, child);
        const conf = pulumi.all([password.result, salt.base64]).apply(([pw, saltB64]) => qbittorrentConf(qbittorrentPasswordHash(pw, saltB64), cfg));
        this.webUiPassword = pulumi.secret(password.result);

        this.container = appContainer(name, {
            cfg,
            id: "qbittorrent",
            placement: { kind: "vpn", namespace: gateway.namespace },
            configVolume: namedVolume(name, "qbittorrent", "config", child),
            // No TORRENTING_PORT: the image would pass it as --torrenting-port, which rewrites the listening port
            // at every start and so drops the port Gluetun's hook set (it runs only when the tunnel comes up).
            // The seeded Session\Port sets the first port; the hook's setPreferences persists later ones.
            extraEnvs: [`WEBUI_PORT=${appPort(cfg, "qbittorrent")}`],
            // Seeded, not imposed: the image copies it only when the volume has no config yet, so the
            // owner's WebUI settings survive every container replacement.
            uploads: [{ file: QBITTORRENT_SEED_CONF, content: pulumi.secret(conf) }],
        }, appImage(name, cfg, "qbittorrent", child), { ...child, dependsOn: args.dependsOn });

        this.registerOutputs({ container: this.container, webUiUser: this.webUiUser, webUiPassword: this.webUiPassword });
    }
}
