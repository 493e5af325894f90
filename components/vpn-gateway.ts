/**
 * VpnGateway: Gluetun connected to ProtonVPN. Its network namespace is the only way out for the download
 * client (and, by default, the indexers): Gluetun's kill switch drops everything but the tunnel, the
 * Docker subnet and the LAN. DNS stays at Gluetun's default, DNS over TLS through the tunnel; option names
 * are those of the pinned version (v3.41).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AppId } from "./catalog";
import { HomelabConfig } from "./config";
import { appContainer, appImage, appPort, lanPorts, namedVolume } from "./container";

export interface VpnGatewayArgs {
    cfg: HomelabConfig;
    /** The stack's bridge network; the gateway joins it with the alias `gluetun`. */
    network: docker.Network;
    /** Apps that will live in the namespace: their WebUI ports are published on the gateway. */
    members: AppId[];
}

const CONTROL_AUTH_PATH = "/gluetun/auth/config.toml";

function qbittorrentSetPreferences(webUiPort: number, prefs: string): string {
    return `/bin/sh -c 'wget -O- --retry-connrefused --post-data ${JSON.stringify(`json=${prefs}`)} http://127.0.0.1:${webUiPort}/api/v2/app/setPreferences'`;
}

/** qBittorrent's documented port-forwarding hook: tell it the forwarded port and the tunnel interface. */
export function qbittorrentPortForwardCommand(webUiPort: number): string {
    return qbittorrentSetPreferences(webUiPort, `{"listen_port":{{PORT}},"current_network_interface":"{{VPN_INTERFACE}}","random_port":false,"upnp":false}`);
}

/** When the forwarded port goes away: stop listening anywhere but loopback until the next one. */
export function qbittorrentPortForwardDownCommand(webUiPort: number): string {
    return qbittorrentSetPreferences(webUiPort, `{"listen_port":0,"current_network_interface":"lo"}`);
}

function vpnEnvs(cfg: HomelabConfig, members: AppId[]): pulumi.Input<string>[] {
    const vpn = cfg.vpn;
    const envs: pulumi.Input<string>[] = [
        "VPN_SERVICE_PROVIDER=protonvpn",
        `VPN_TYPE=${vpn.type}`,
        `FIREWALL_OUTBOUND_SUBNETS=${cfg.dockerSubnet},${cfg.lanSubnet}`,
        "HEALTH_RESTART_VPN=on",
        `HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH=${CONTROL_AUTH_PATH}`,
    ];
    if (vpn.type === "wireguard") {
        envs.push(pulumi.interpolate`WIREGUARD_PRIVATE_KEY=${vpn.privateKey}`);
    } else {
        envs.push(`OPENVPN_USER=${vpn.user}${vpn.portForwarding ? "+pmp" : ""}`);
        envs.push(pulumi.interpolate`OPENVPN_PASSWORD=${vpn.password}`);
    }
    if (vpn.countries.length > 0) envs.push(`SERVER_COUNTRIES=${vpn.countries.join(",")}`);
    if (vpn.cities.length > 0) envs.push(`SERVER_CITIES=${vpn.cities.join(",")}`);
    if (vpn.portForwarding) {
        envs.push("VPN_PORT_FORWARDING=on", "PORT_FORWARD_ONLY=on");
        if (members.includes("qbittorrent")) {
            envs.push(`VPN_PORT_FORWARDING_UP_COMMAND=${qbittorrentPortForwardCommand(appPort(cfg, "qbittorrent"))}`);
            envs.push(`VPN_PORT_FORWARDING_DOWN_COMMAND=${qbittorrentPortForwardDownCommand(appPort(cfg, "qbittorrent"))}`);
        }
    }
    return envs;
}

/** Control server auth: one role, read-only routes, an API key generated for this stack. */
function controlAuthToml(apiKey: string): string {
    return [
        "[[roles]]",
        'name = "homelab"',
        'routes = ["GET /v1/vpn/status", "GET /v1/portforward", "GET /v1/publicip/ip"]',
        'auth = "apikey"',
        `apikey = "${apiKey}"`,
        "",
    ].join("\n");
}

export class VpnGateway extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** `container:<gluetun id>`: the network mode that puts a container inside the tunnel. */
    public readonly namespace: pulumi.Output<string>;
    /** API key for the control server (:8000, never published); a secret. */
    public readonly controlApiKey: pulumi.Output<string>;
    public readonly members: AppId[];

    constructor(name: string, args: VpnGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:vpn:VpnGateway", name, {}, opts);
        const { cfg } = args;
        const child = { parent: this };
        const apiKey = new random.RandomPassword(`${name}-control-api-key`, { length: 40, special: false }, child);
        this.controlApiKey = pulumi.secret(apiKey.result);

        this.container = appContainer(name, {
            cfg,
            id: "gluetun",
            placement: { kind: "bridge", network: args.network, ports: lanPorts(cfg, args.members) },
            configVolume: namedVolume(name, "gluetun", "state", child),
            extraEnvs: vpnEnvs(cfg, args.members),
            capabilities: { adds: ["NET_ADMIN"] },
            devices: [{ hostPath: "/dev/net/tun", containerPath: "/dev/net/tun" }],
            waitHealthy: true,
            uploads: [{ file: CONTROL_AUTH_PATH, content: pulumi.secret(apiKey.result.apply(controlAuthToml)) }],
        }, appImage(name, cfg, "gluetun", child), child);

        this.namespace = pulumi.interpolate`container:${this.container.id}`;
        this.members = args.members;
        this.registerOutputs({ container: this.container, namespace: this.namespace, controlApiKey: this.controlApiKey, members: this.members });
    }
}
