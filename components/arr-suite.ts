/**
 * ArrSuite: the indexer manager (Prowlarr) and its Cloudflare solver (FlareSolverr), the library managers
 * (Sonarr, Radarr, Lidarr) and Bazarr, each switched on or off by the config. Prowlarr and
 * FlareSolverr live in the VPN namespace by default; the library managers share the /data tree with the
 * download client so imports are hardlinks.
 */
import * as crypto from "crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AppId, appsWithRole, CATALOG } from "./catalog";
import { HomelabConfig } from "./config";
import { DockerHosts } from "./docker-host";
import { appContainer, appImage, isEnabled, isVpnMember, lanPorts, namedVolume, NetworkPlacement } from "./container";
import { VpnGateway } from "./vpn-gateway";

/** The apps this component deploys, by their catalog role. */
export const ARR_SUITE_APPS: readonly AppId[] = appsWithRole("indexer", "captcha-solver", "library", "subtitles");

export interface ArrSuiteArgs {
    cfg: HomelabConfig;
    /** Each app goes on its host's engine and network. */
    hosts: DockerHosts;
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

export const BAZARR_USER = "admin";
/** The user of every Servarr app's forms login (UserService stores names lower-cased). */
export const SERVARR_USER = "admin";
/** The Servarr apps a person signs in to (the wiring creates their user; Readarr is retired). */
const SERVARR_UI_APPS: readonly AppId[] = ["prowlarr", "sonarr", "radarr", "lidarr"];

export interface ServarrLogin { user: string; password: pulumi.Output<string> }
/** Where Bazarr keeps its settings (`--config /config`); it fills every key the file lacks with its default. */
export const BAZARR_CONFIG = "/config/config/config.yaml";
export const BAZARR_SEED = "/defaults/homelab/bazarr-config.yaml";
/** The linuxserver images run every file in /custom-cont-init.d as root before the app starts. */
export const BAZARR_SEED_SCRIPT = "/custom-cont-init.d/50-homelab-seed-config";

export interface BazarrCredentials {
    user: string;
    password: pulumi.Output<string>;
    apiKey: pulumi.Output<string>;
}

/**
 * Bazarr's first-start settings: its API key and forms login. Bazarr stores the password as an MD5 hex
 * digest (`auth.password`) and compares the digest of what is typed at the login form.
 */
export function bazarrSeedConfig(apiKey: string, user: string, password: string): string {
    const digest = crypto.createHash("md5").update(password, "utf8").digest("hex");
    return ["auth:", `  apikey: "${apiKey}"`, "  type: form", `  username: "${user}"`, `  password: "${digest}"`, ""].join("\n");
}

/**
 * Seeded, not imposed: the image has no defaults folder of its own, so this script copies the seed only
 * into a Bazarr that has no settings yet (no file, or the empty one Bazarr creates), owned by the app user.
 */
export function bazarrSeedScript(): string {
    return [
        "#!/bin/bash",
        `config=${BAZARR_CONFIG}`,
        `if [ ! -s "$config" ] && [ ! -e "$(dirname "$config")/config.ini" ]; then`,
        `    mkdir -p "$(dirname "$config")"`,
        `    cp ${BAZARR_SEED} "$config"`,
        `    chown -R abc:abc "$(dirname "$config")"`,
        `    chmod 600 "$config"`,
        `    echo "homelab: seeded $config"`,
        "fi",
        "",
    ].join("\n");
}

export class ArrSuite extends pulumi.ComponentResource {
    public readonly containers: Partial<Record<AppId, docker.Container>> = {};
    /** API keys of the Servarr apps that run, as secrets, for wiring them together. */
    public readonly apiKeys: Partial<Record<AppId, pulumi.Output<string>>> = {};
    /** Bazarr's login and API key (secrets), when Bazarr runs. */
    public readonly bazarr?: BazarrCredentials;
    /**
     * The forms login of each Servarr app with a UI (secrets), when wiring is on: the wiring creates the user,
     * without which nobody can sign in (the apps require a login but start with no user).
     */
    public readonly logins: Partial<Record<AppId, ServarrLogin>> = {};

    constructor(name: string, args: ArrSuiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:arr:ArrSuite", name, {}, opts);
        const { cfg } = args;
        const child = { parent: this };
        for (const id of ARR_SUITE_APPS.filter((app) => isEnabled(cfg, app))) {
            const spec = CATALOG[id];
            const onHost = args.hosts.opts(id, child);
            const placement: NetworkPlacement = isVpnMember(cfg, id)
                ? { kind: "vpn", namespace: args.gateway.namespace }
                : { kind: "bridge", network: args.hosts.of(id).network, ports: lanPorts(cfg, [id]) };
            let extraEnvs: pulumi.Input<string>[] = [];
            let uploads: pulumi.Input<docker.types.input.ContainerUpload>[] | undefined;
            if (id === "bazarr") {
                this.bazarr = bazarrCredentials(name, child);
                const { user, password, apiKey } = this.bazarr;
                const seed = pulumi.all([apiKey, password]).apply(([key, pw]) => bazarrSeedConfig(key, user, pw));
                uploads = [
                    { file: BAZARR_SEED, content: pulumi.secret(seed) },
                    { file: BAZARR_SEED_SCRIPT, content: bazarrSeedScript(), executable: true },
                ];
            }
            if (spec.servarrPrefix) {
                const key = new random.RandomBytes(`${name}-${id}-api-key`, { length: 16 }, child);
                const apiKey = pulumi.secret(key.hex);
                this.apiKeys[id] = apiKey;
                extraEnvs = servarrEnvs(spec.servarrPrefix, apiKey);
                if (cfg.wiring && SERVARR_UI_APPS.includes(id)) {
                    const password = new random.RandomPassword(`${name}-${id}-login-password`, { length: 24, special: false }, child);
                    this.logins[id] = { user: SERVARR_USER, password: pulumi.secret(password.result) };
                }
            }
            this.containers[id] = appContainer(name, {
                cfg,
                id,
                placement,
                configVolume: spec.configPath ? namedVolume(name, id, "config", onHost) : undefined,
                extraEnvs,
                uploads,
                // Prowlarr's FlareSolverr proxy is tested on create (FlareSolverr loads a page): wait until it is healthy.
                waitHealthy: id === "flaresolverr" && cfg.wiring ? true : undefined,
            }, appImage(name, cfg, id, onHost), { ...onHost, dependsOn: args.dependsOn });
        }
        this.registerOutputs({ containers: this.containers, apiKeys: this.apiKeys, bazarr: this.bazarr, logins: this.logins });
    }
}

function bazarrCredentials(name: string, opts: pulumi.CustomResourceOptions): BazarrCredentials {
    const password = new random.RandomPassword(`${name}-bazarr-password`, { length: 24, special: false }, opts);
    const apiKey = new random.RandomBytes(`${name}-bazarr-api-key`, { length: 16 }, opts);
    return { user: BAZARR_USER, password: pulumi.secret(password.result), apiKey: pulumi.secret(apiKey.hex) };
}
