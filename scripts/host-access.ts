/**
 * How the day-two commands (`status`, `logs`, `restore`) reach the server: exactly as the program does. The
 * stack's config is read offline from Pulumi.<stack>.yaml (as `npm run plan` reads it), and the host is
 * reached over SSH as the stack's user with the deploy key `pulumi up` wrote to ~/.ssh/homelab-media/, the
 * host key pinned to `homelab:sshHostKey` (never trusted on first use). Local mode: the local shell and engine.
 * With `homelab:hosts`, each host the way the program reaches it (its own key files and pinned key).
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AppId } from "../components/catalog";
import { ConfigError, HomelabConfig, HostSpec, NAMESPACE, parseConfig, SecretSetting } from "../components/config";
import { hostSuffix, knownHostsLine, sshFilePaths } from "../components/docker-host";
import { hostOf, hostsRunningApps } from "../components/placement";
import { ChosenStack, chooseStack, examplePlaceholders, OneLineError, StackOptions, USAGE_EXIT } from "./cli";
import { readStackConfig } from "./plan";

export { OneLineError, runCli } from "./cli";
export type { StackOptions } from "./cli";

/**
 * The stack a day-two command acts on (scripts/cli.ts chooses it). The example stack, or a file still carrying
 * its placeholders, names no server of the user's: that is said in one line instead of trying its host.
 */
export function chooseHostStack(given: Partial<StackOptions>): ChosenStack {
    const chosen = chooseStack(given);
    if (!chosen.isExample) return chosen;
    const placeholders = examplePlaceholders(chosen.stackFile);
    const file = path.relative(process.cwd(), chosen.stackFile) || chosen.stackFile;
    throw new OneLineError(`homelab: stack "${chosen.stack}" (${file}, ${chosen.reason}) is the example, not a server of yours`
        + `${placeholders.length > 0 ? `: ${placeholders.join(", ")} ${placeholders.length === 1 ? "is a placeholder" : "are placeholders"}` : ""}. `
        + "Make your own stack (README \"Deploy\"), `pulumi up`, then run this with --stack NAME", 3);
}

/** The stack's validated config, from its stack file (secrets are not needed and not decrypted). */
export function loadStackConfig(options: ChosenStack): HomelabConfig {
    const { config, secretKeys } = readStackConfig(options.stackFile);
    const raw = Object.fromEntries(Object.entries(config)
        .filter(([k]) => k.startsWith(`${NAMESPACE}:`))
        .map(([k, v]) => [k.slice(NAMESPACE.length + 1), typeof v === "object" && v !== null ? JSON.stringify(v) : v]));
    const otherKeys = Object.keys(config).filter((k) => !k.startsWith(`${NAMESPACE}:`));
    try {
        return parseConfig(raw, (k: SecretSetting) => secretKeys.includes(`${NAMESPACE}:${k}`), otherKeys);
    } catch (error) {
        if (error instanceof ConfigError) throw new OneLineError(`homelab: the stack config of ${options.stack} is invalid: ${error.problems.join("; ")}`, USAGE_EXIT);
        throw error;
    }
}

/** `--host NAME` for every command that works on the stack's hosts. */
export const HOST_OPTION_HELP = "  --host NAME        only the host NAME of homelab:hosts (default: every host that runs apps)";

/** The hosts a command covers: every host that runs apps, or the one `--host NAME` names. */
export function hostsToCover(cfg: HomelabConfig, name: string | undefined): HostSpec[] {
    const running = hostsRunningApps(cfg);
    if (name === undefined) return running;
    const host = running.find((h) => h.name === name);
    if (!host) throw new OneLineError(`homelab: --host ${name} is not a host of this stack that runs apps (${running.map((h) => h.name).join(", ")})`, USAGE_EXIT);
    return [host];
}

/** The host an app runs on; with `--host NAME`, it must be that one. */
export function hostOfApp(cfg: HomelabConfig, app: AppId, name: string | undefined): HostSpec {
    const hosts = hostsToCover(cfg, name);
    const host = hostOf(cfg, app);
    if (!hosts.includes(host)) throw new OneLineError(`homelab: ${app} runs on host ${host.name}, not on ${hosts.map((h) => h.name).join(", ")} (homelab:placement)`, USAGE_EXIT);
    return host;
}

function expandHome(file: string): string {
    return file.startsWith("~/") ? path.join(os.homedir(), file.slice(2)) : file;
}

export interface HostResult { status: number; stdout: string; stderr: string }

/** Runs bash scripts on the stack's host (or locally in local mode), as root (sudo -n for another SSH user). */
export interface HostShell {
    /** Where the commands run, for messages: `root@192.168.1.10:22` or `local`. */
    readonly where: string;
    run(script: string, timeoutMs?: number): HostResult;
    /** Streams the script's output to this process's stdout/stderr; resolves with its exit status. */
    stream(script: string): Promise<number>;
}

/** The ssh arguments of the stack: pinned host key, the deploy key, no prompts. */
export function sshArguments(options: StackOptions, cfg: HomelabConfig, host: HostSpec = cfg.hosts[0]): string[] {
    const target = host.target;
    if (target.kind !== "ssh") throw new Error("local target");
    const files = sshFilePaths(options.stack, hostSuffix(cfg, host));
    const identity = expandHome(files.identity);
    if (!fs.existsSync(identity)) {
        throw new OneLineError(`homelab: no deploy key at ${identity}: \`pulumi up\` writes it from homelab:sshPrivateKey (or copy the key there, mode 600)`);
    }
    // The same pinned entry the program writes for the Docker provider.
    const knownHosts = expandHome(files.knownHosts);
    fs.mkdirSync(path.dirname(knownHosts), { recursive: true, mode: 0o700 });
    if (!fs.existsSync(knownHosts) || fs.readFileSync(knownHosts, "utf8") !== knownHostsLine(target)) {
        fs.writeFileSync(knownHosts, knownHostsLine(target), { mode: 0o600 });
    }
    return [
        "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "IdentitiesOnly=yes", "-i", identity, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
        "-p", String(target.port), `${target.user}@${target.host}`,
    ];
}

/** Turns an ssh failure (exit 255) into one line that says what is wrong. */
export function sshFailure(cfg: Pick<HomelabConfig, "target">, stderr: string): OneLineError {
    const target = cfg.target;
    const where = target.kind === "ssh" ? `${target.host}:${target.port}` : "local";
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) {
        return new OneLineError(`homelab: the host key of ${where} does not match homelab:sshHostKey: refused, nothing was done`, 2);
    }
    if (/Permission denied/.test(stderr)) {
        return new OneLineError(`homelab: ${where} refused the deploy key for ${target.kind === "ssh" ? target.user : "?"}: nothing was done`, 2);
    }
    const reason = stderr.split("\n").map((l) => l.trim()).filter(Boolean).pop() ?? "ssh failed";
    return new OneLineError(`homelab: cannot reach ${where} over SSH (${reason.replace(/^ssh: /, "")}): nothing was done`, 2);
}

export function hostShell(options: StackOptions, cfg: HomelabConfig, host: HostSpec = cfg.hosts[0]): HostShell {
    const target = host.target;
    const command = target.kind === "ssh"
        ? { file: "ssh", args: [...sshArguments(options, cfg, host), target.user === "root" ? "bash -s" : "sudo -n bash -s"] }
        : { file: "bash", args: ["-s"] };
    const where = target.kind === "ssh" ? `${target.user}@${target.host}:${target.port}` : "local";
    const check = (status: number, stderr: string) => {
        if (target.kind === "ssh" && status === 255) throw sshFailure(host, stderr);
    };
    return {
        where,
        run(script, timeoutMs = 120_000) {
            const r = spawnSync(command.file, command.args, { input: script, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
            if (r.error) throw new OneLineError(`homelab: ${command.file} failed on ${where}: ${r.error.message}`, 2);
            check(r.status ?? -1, r.stderr);
            return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
        },
        stream(script) {
            return new Promise((resolve, reject) => {
                const child = spawn(command.file, command.args, { stdio: ["pipe", "pipe", "pipe"] });
                // ssh's own complaints are held back until the host has answered, then turned into one line.
                let connected = target.kind === "local";
                let held = "";
                child.stdout.on("data", (chunk: Buffer) => {
                    if (!connected) {
                        connected = true;
                        process.stderr.write(held);
                    }
                    process.stdout.write(chunk);
                });
                child.stderr.on("data", (chunk: Buffer) => {
                    if (connected) process.stderr.write(chunk);
                    else held += chunk.toString();
                });
                child.on("error", reject);
                child.on("close", (code) => {
                    try {
                        if (!connected) check(code ?? -1, held);
                        if (!connected) process.stderr.write(held);
                        resolve(code ?? -1);
                    } catch (error) {
                        reject(error);
                    }
                });
                child.stdin.end(script);
            });
        },
    };
}

/** The engine is asked first, so an unreachable one is one line with Docker's own error, not "no container". */
export const ENGINE_CHECK = `if ! engine_error="$(docker version --format '{{.Server.Version}}' 2>&1 >/dev/null)" || [ -n "$engine_error" ]; then
    echo "homelab: the Docker engine on $(hostname) cannot be reached: \${engine_error:-docker version failed}" >&2
    exit 2
fi
`;
