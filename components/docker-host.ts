/**
 * How the program reaches the Docker engine: over SSH with the host key pinned (the provider runs the
 * local `ssh` client), or the local socket in try-it-on-my-laptop mode. Plus the stack's bridge network.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DeployTarget, HomelabConfig } from "./config";
import { STACK_NETWORK_NAME } from "./container";

export const LOCAL_DOCKER_HOST = "unix:///var/run/docker.sock";
/** Set by the offline plan and the tests: evaluate the program without writing the SSH files. */
export const NO_LOCAL_FILES_ENV = "HOMELAB_NO_LOCAL_FILES";

/** Files the local ssh client reads, under ~/.ssh so the provider's settings are the same on any machine. */
export function sshFilePaths(stack: string): { knownHosts: string; identity: string } {
    return { knownHosts: `~/.ssh/homelab-media/${stack}.known_hosts`, identity: `~/.ssh/homelab-media/${stack}.key` };
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
export function dockerSshOptions(stack: string): string[] {
    const files = sshFilePaths(stack);
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
function materializeSshFiles(stack: string, target: Extract<DeployTarget, { kind: "ssh" }>, privateKey: string): void {
    const files = sshFilePaths(stack);
    writePrivateFile(files.knownHosts, knownHostsLine(target));
    writePrivateFile(files.identity, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`);
}

export function dockerProvider(name: string, cfg: HomelabConfig): docker.Provider {
    const stack = pulumi.getStack();
    const target = cfg.target;
    if (target.kind === "local") return new docker.Provider(name, { host: LOCAL_DOCKER_HOST });
    // The options resolve only after the files exist, so the provider never dials before they are written.
    // They carry no secret themselves (paths only), hence unsecret.
    const sshOpts = pulumi.unsecret(target.privateKey.apply((privateKey) => {
        if (process.env[NO_LOCAL_FILES_ENV] !== "1") materializeSshFiles(stack, target, privateKey);
        return dockerSshOptions(stack);
    }));
    return new docker.Provider(name, { host: dockerHostUri(target), sshOpts });
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
