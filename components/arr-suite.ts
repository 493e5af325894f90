/**
 * ArrSuite: the indexer manager (Prowlarr) and its Cloudflare solver (FlareSolverr), the library managers
 * (Sonarr, Radarr, Lidarr, Readarr) and Bazarr, each switched on or off by the config. Prowlarr and
 * FlareSolverr live in the VPN namespace by default; the library managers share the /data tree with the
 * download client so imports are hardlinks.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AppId, appsWithRole, CATALOG } from "./catalog";
import { HomelabConfig } from "./config";
import { appContainer, appImage, isEnabled, isVpnMember, lanPorts, namedVolume, NetworkPlacement } from "./container";
import { VpnGateway } from "./vpn-gateway";

/** The apps this component deploys, by their catalog role. */
export const ARR_SUITE_APPS: readonly AppId[] = appsWithRole("indexer", "captcha-solver", "library", "subtitles");

export interface ArrSuiteArgs {
    cfg: HomelabConfig;
    network: docker.Network;
    gateway: VpnGateway;
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Servarr settings fixed before first start: a known API key and forms login required. */
function servarrEnvs(prefix: string, apiKey: pulumi.Output<string>): pulumi.Input<string>[] {
    return [
        pulumi.interpolate`${prefix}__AUTH__APIKEY=${apiKey}`,
        `${prefix}__AUTH__METHOD=Forms`,
        `${prefix}__AUTH__REQUIRED=Enabled`,
    ];
}

export class ArrSuite extends pulumi.ComponentResource {
    public readonly containers: Partial<Record<AppId, docker.Container>> = {};
    /** API keys of the Servarr apps that run, as secrets, for wiring them together. */
    public readonly apiKeys: Partial<Record<AppId, pulumi.Output<string>>> = {};

    constructor(name: string, args: ArrSuiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:arr:ArrSuite", name, {}, opts);
        const { cfg } = args;
        const child = { parent: this };
        for (const id of ARR_SUITE_APPS.filter((app) => isEnabled(cfg, app))) {
            const spec = CATALOG[id];
            const placement: NetworkPlacement = isVpnMember(cfg, id)
                ? { kind: "vpn", namespace: args.gateway.namespace }
                : { kind: "bridge", network: args.network, ports: lanPorts(cfg, [id]) };
            let extraEnvs: pulumi.Input<string>[] = [];
            if (spec.servarrPrefix) {
                const key = new random.RandomBytes(`${name}-${id}-api-key`, { length: 16 }, child);
                const apiKey = pulumi.secret(key.hex);
                this.apiKeys[id] = apiKey;
                extraEnvs = servarrEnvs(spec.servarrPrefix, apiKey);
            }
            this.containers[id] = appContainer(name, {
                cfg,
                id,
                placement,
                configVolume: spec.configPath ? namedVolume(name, id, "config", child) : undefined,
                extraEnvs,
            }, appImage(name, cfg, id, child), { ...child, dependsOn: args.dependsOn });
        }
        this.registerOutputs({ containers: this.containers, apiKeys: this.apiKeys });
    }
}
