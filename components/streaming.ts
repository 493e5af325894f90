/**
 * Streaming: Jellyfin (CPU transcoding unless /dev/dri passthrough is configured; media read-only; its own
 * cache volume) and Jellyseerr, the request front end.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { JELLYFIN_GPU_DEVICE } from "./catalog";
import { HomelabConfig } from "./config";
import { DockerHosts } from "./docker-host";
import { appContainer, appImage, isEnabled, lanPorts, namedVolume } from "./container";

export interface StreamingArgs {
    cfg: HomelabConfig;
    /** Each app goes on its host's engine and network. */
    hosts: DockerHosts;
    /** Public URL Jellyfin announces to clients. */
    jellyfinUrl: string;
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

function hardwareAcceleration(cfg: HomelabConfig): { devices?: docker.types.input.ContainerDevice[]; groupAdds?: string[] } {
    if (!cfg.jellyfin.hardwareAcceleration) return {};
    const renderGroup = cfg.jellyfin.renderGroupId;
    return {
        devices: [{ hostPath: JELLYFIN_GPU_DEVICE, containerPath: JELLYFIN_GPU_DEVICE }],
        groupAdds: renderGroup === undefined ? undefined : [String(renderGroup)],
    };
}

export class Streaming extends pulumi.ComponentResource {
    public readonly jellyfin: docker.Container;
    public readonly jellyseerr?: docker.Container;
    /** The administrator the wiring creates in Jellyfin's startup wizard (only when wiring is on). */
    public readonly jellyfinAdmin?: { user: string; password: pulumi.Output<string> };
    /** Jellyseerr's API key, fixed before its first start through `API_KEY` (a secret). */
    public readonly jellyseerrApiKey?: pulumi.Output<string>;

    constructor(name: string, args: StreamingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:streaming:Streaming", name, {}, opts);
        const { cfg, hosts } = args;
        const child = { parent: this };
        const jellyfinHost = hosts.opts("jellyfin", child);
        if (cfg.wiring) {
            const password = new random.RandomPassword(`${name}-jellyfin-admin-password`, { length: 24, special: false }, child);
            this.jellyfinAdmin = { user: cfg.jellyfinAdmin, password: pulumi.secret(password.result) };
        }
        const cache = namedVolume(name, "jellyfin", "cache", jellyfinHost);
        this.jellyfin = appContainer(name, {
            cfg,
            id: "jellyfin",
            placement: { kind: "bridge", network: hosts.of("jellyfin").network, ports: lanPorts(cfg, ["jellyfin"]) },
            configVolume: namedVolume(name, "jellyfin", "config", jellyfinHost),
            // The official image ignores PUID/PGID: run it as the media owner instead.
            user: `${cfg.puid}:${cfg.pgid}`,
            extraEnvs: [`JELLYFIN_PublishedServerUrl=${args.jellyfinUrl}`],
            extraVolumes: [{ volumeName: cache.name, containerPath: "/cache" }],
            ...hardwareAcceleration(cfg),
        }, appImage(name, cfg, "jellyfin", jellyfinHost), { ...jellyfinHost, dependsOn: args.dependsOn });

        if (isEnabled(cfg, "jellyseerr")) {
            const apiKey = new random.RandomBytes(`${name}-jellyseerr-api-key`, { length: 16 }, child);
            this.jellyseerrApiKey = pulumi.secret(apiKey.hex);
            const jellyseerrHost = hosts.opts("jellyseerr", child);
            this.jellyseerr = appContainer(name, {
                cfg,
                id: "jellyseerr",
                placement: { kind: "bridge", network: hosts.of("jellyseerr").network, ports: lanPorts(cfg, ["jellyseerr"]) },
                configVolume: namedVolume(name, "jellyseerr", "config", jellyseerrHost),
                extraEnvs: ["LOG_LEVEL=info", pulumi.interpolate`API_KEY=${this.jellyseerrApiKey}`],
            }, appImage(name, cfg, "jellyseerr", jellyseerrHost), jellyseerrHost);
        }
        this.registerOutputs({
            jellyfin: this.jellyfin, jellyseerr: this.jellyseerr, jellyfinAdmin: this.jellyfinAdmin, jellyseerrApiKey: this.jellyseerrApiKey,
        });
    }
}
