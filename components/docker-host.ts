/**
 * How the program reaches the Docker engine: over SSH with the host key pinned (the provider runs the
 * local `ssh` client), or the local socket in try-it-on-my-laptop mode. Plus the stack's bridge network.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AppId } from "./catalog";
import { DeployTarget, HomelabConfig, HostSpec } from "./config";
import { STACK_NETWORK_NAME } from "./container";
import { hostsRunningApps, perHostName } from "./placement";

export const LOCAL_DOCKER_HOST = "unix:///var/run/docker.sock";
/** Set by the offline plan and the tests: evaluate the program without writing the SSH files. */
export const NO_LOCAL_FILES_ENV = "HOMELAB_NO_LOCAL_FILES";

/**
 * Files the local ssh client reads, under ~/.ssh so the provider's settings are the same on any machine. The
 * first host keeps the single-host names (its provider must not change); every other host has its own pair.
 */
export function sshFilePaths(stack: string, hostSuffix = ""): { knownHosts: string; identity: string } {
    const base = `~/.ssh/homelab-media/${stack}${hostSuffix}`;
    return { knownHosts: `${base}.known_hosts`, identity: `${base}.key` };
}

/** The known_hosts line for the pinned key (`[host]:port` form when SSH is not on 22). */
export function knownHostsLine(target: Extract<DeployTarget, { kind: "ssh" }>): string {
    const hostField = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
    return `${hostField} ${target.hostKey}\n`;
}

export function dockerHostUri(target: DeployTarget): string {
    return target.kind === "local" ? LOCAL_DOCKER_HOST : `ssh://${target.user}@${target.host}:${target.port}`;
}

/** ssh options that make the Docker provider verify the server against the pinned key and nothing else. */
export function dockerSshOptions(stack: string, hostSuffix = ""): string[] {
    const files = sshFilePaths(stack, hostSuffix);
    return [
        "-o", "StrictHostKeyChecking=yes",
        "-o", `UserKnownHostsFile=${files.knownHosts}`,
        "-o", "IdentitiesOnly=yes",
        "-i", files.identity,
        "-o", "BatchMode=yes",
    ];
}

function expandHome(file: string): string {
    return file.startsWith("~/") ? path.join(os.homedir(), file.slice(2)) : file;
}

function writePrivateFile(file: string, content: string): void {
    const target = expandHome(file);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    if (fs.existsSync(target) && fs.readFileSync(target, "utf8") === content) return;
    fs.writeFileSync(target, content, { mode: 0o600 });
}

/** Writes the pinned known_hosts entry and the deploy key where the provider's ssh options point. */
function materializeSshFiles(stack: string, hostSuffix: string, target: Extract<DeployTarget, { kind: "ssh" }>, privateKey: string): void {
    const files = sshFilePaths(stack, hostSuffix);
    writePrivateFile(files.knownHosts, knownHostsLine(target));
    writePrivateFile(files.identity, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`);
}

/** `-<host>` for every host but the first, whose files and resource names are those of a single-host stack. */
export function hostSuffix(cfg: HomelabConfig, host: HostSpec): string {
    return perHostName(cfg, "", host);
}

/** The Docker provider of one host: `ssh://` with that host's pinned key and deploy key, or the local socket. */
export function dockerProvider(name: string, cfg: HomelabConfig, host: HostSpec = cfg.hosts[0]): docker.Provider {
    const stack = pulumi.getStack();
    const target = host.target;
    if (target.kind === "local") return new docker.Provider(name, { host: LOCAL_DOCKER_HOST });
    const suffix = hostSuffix(cfg, host);
    // The options resolve only after the files exist, so the provider never dials before they are written.
    // They carry no secret themselves (paths only), hence unsecret.
    const sshOpts = pulumi.unsecret(target.privateKey.apply((privateKey) => {
        if (process.env[NO_LOCAL_FILES_ENV] !== "1") materializeSshFiles(stack, suffix, target, privateKey);
        return dockerSshOptions(stack, suffix);
    }));
    return new docker.Provider(name, { host: dockerHostUri(target), sshOpts });
}

/**
 * The ssh command line that runs `bash` on a host as root (`sudo -n bash` for another user), verified against
 * the pinned key with the deploy key: the files the host's Docker provider uses, written the same way.
 */
export function hostBashCommand(cfg: HomelabConfig, host: HostSpec): pulumi.Output<string> {
    const target = host.target;
    if (target.kind !== "ssh") throw new Error(`host ${host.name} is not reached over SSH`);
    const stack = pulumi.getStack();
    const suffix = hostSuffix(cfg, host);
    return pulumi.unsecret(target.privateKey.apply((privateKey) => {
        if (process.env[NO_LOCAL_FILES_ENV] !== "1") materializeSshFiles(stack, suffix, target, privateKey);
        // Absolute paths: ssh reads `~` in an option value as the passwd home, bash in a word as $HOME.
        const options = dockerSshOptions(stack, suffix).map((o) => o.replace(/(^|=)~\//, (_match, before: string) => `${before}${os.homedir()}/`));
        return ["ssh", ...options, "-o", "ConnectTimeout=10", "-p", String(target.port), `${target.user}@${target.host}`,
            target.user === "root" ? "bash" : "sudo -n bash"].join(" ");
    }));
}

/** What the program declares once per host that runs apps: its provider and its stack network. */
export interface HostDocker {
    host: HostSpec;
    provider: docker.Provider;
    network: docker.Network;
}

/**
 * The Docker side of every host that runs apps, and the answer to "on which provider and network does this
 * app go". The first host's provider and network keep the single-host names.
 */
export class DockerHosts {
    private readonly byName = new Map<string, HostDocker>();

    constructor(private readonly cfg: HomelabConfig) {
        for (const host of hostsRunningApps(cfg)) {
            const provider = dockerProvider(perHostName(cfg, "homelab-docker", host), cfg, host);
            const network = stackNetwork(perHostName(cfg, "homelab-network", host), cfg, { provider });
            this.byName.set(host.name, { host, provider, network });
        }
    }

    all(): HostDocker[] {
        return [...this.byName.values()];
    }

    of(id: AppId): HostDocker {
        const entry = this.byName.get(this.cfg.placement[id]);
        if (!entry) throw new Error(`${id} is placed on "${this.cfg.placement[id]}", which runs no app`);
        return entry;
    }

    /** Resource options that put an app's resources on its host's engine. */
    opts(id: AppId, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
        return { ...opts, provider: this.of(id).provider };
    }
}

export function stackNetwork(name: string, cfg: HomelabConfig, opts: pulumi.CustomResourceOptions): docker.Network {
    return new docker.Network(name, {
        name: STACK_NETWORK_NAME,
        driver: "bridge",
        ipamConfigs: [{ subnet: cfg.dockerSubnet }],
        labels: [{ label: "homelab.stack", value: pulumi.getStack() }],
    }, {
        ...opts,
        // Its name is fixed, so Docker refuses a replacement while the old one exists.
        deleteBeforeReplace: true,
    });
}
