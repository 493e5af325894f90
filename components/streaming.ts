/**
 * Streaming: Jellyfin (CPU transcoding unless /dev/dri passthrough is configured; media read-only; its own
 * cache volume) and Seerr, the request front end (Jellyseerr's successor: it keeps Jellyseerr's config volume,
 * handed to the user Seerr runs as before it starts).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { JELLYFIN_GPU_DEVICE } from "./catalog";
import { HomelabConfig } from "./config";
import { CATALOG } from "./catalog";
import { DockerHosts } from "./docker-host";
import { appContainer, appImage, configVolumeName, isEnabled, lanPorts, namedVolume } from "./container";
import { hostStep } from "./host-step";
import { hostOf, hostView } from "./placement";

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
    public readonly seerr?: docker.Container;
    /** Seerr's config volume handed to the user Seerr runs as (Jellyseerr's root-owned files included). */
    public readonly seerrConfig?: pulumi.Resource;
    /** The administrator the wiring creates in Jellyfin's startup wizard (only when wiring is on). */
    public readonly jellyfinAdmin?: { user: string; password: pulumi.Output<string> };
    /** Seerr's API key, fixed before its first start through `API_KEY` (a secret). */
    public readonly seerrApiKey?: pulumi.Output<string>;

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

        if (isEnabled(cfg, "seerr")) {
            // Renamed from Jellyseerr: the aliases keep a deployed stack's key, volume and container (the
            // container is replaced in place, after the old one is removed, never beside it).
            const spec = CATALOG.seerr;
            const was = (resource: string) => ({ aliases: [{ name: `${name}-${spec.formerId}${resource}` }] });
            const seerrHost = hosts.opts("seerr", child);
            const apiKey = new random.RandomBytes(`${name}-seerr-api-key`, { length: 16 }, { ...child, ...was("-api-key") });
            this.seerrApiKey = pulumi.secret(apiKey.hex);
            const volume = namedVolume(name, "seerr", "config", { ...seerrHost, ...was("-config") });
            const image = appImage(name, cfg, "seerr", seerrHost);
            this.seerrConfig = hostStep(`${name}-seerr-config-owner`, hostView(cfg, hostOf(cfg, "seerr")), "seerr-config", {
                VOLUME: configVolumeName("seerr"),
                CONFIG_PATH: spec.configPath!,
                IMAGE: cfg.images.seerr,
                OWNER: spec.imageUser!,
                OLD_CONTAINER: spec.formerId!,
            }, { ...child, dependsOn: [volume, image, ...(args.dependsOn ?? [])] as pulumi.Input<pulumi.Resource>[] });
            this.seerr = appContainer(name, {
                cfg,
                id: "seerr",
                placement: { kind: "bridge", network: hosts.of("seerr").network, ports: lanPorts(cfg, ["seerr"]) },
                configVolume: volume,
                // The image has no init process of its own (docs/migration-guide.mdx: `init: true`).
                init: true,
                extraEnvs: ["LOG_LEVEL=info", pulumi.interpolate`API_KEY=${this.seerrApiKey}`],
            }, image, { ...seerrHost, ...was(""), dependsOn: [this.seerrConfig] });
        }
        this.registerOutputs({
            jellyfin: this.jellyfin, seerr: this.seerr, jellyfinAdmin: this.jellyfinAdmin, seerrApiKey: this.seerrApiKey,
        });
    }
}
