/**
 * Helpers of the host suite: a disposable Debian 12 host (test/host/debian-host.sh), two client containers
 * on a test-only network, SSH with a generated key and a pinned host key, and the HostHardening scripts
 * taken from the program (index.ts under the mock engine) or, while index.ts does not exist, rendered
 * with `renderRemoteScript` directly.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const BRINGUP = path.join(__dirname, "debian-host.sh");
export const REPO = path.join(__dirname, "..", "..");
export const HOST_NAME = "homelab-test-host";
export const NETWORK = "homelab-test-net";
/** Test-only addressing: the lower /25 plays the LAN, the upper /25 the outside world. */
export const SUBNET = "10.213.0.0/24";
export const GATEWAY = "10.213.0.1";
export const HOST_IP = "10.213.0.10";
export const LAN_SUBNET = "10.213.0.0/25";
export const LAN_CLIENT = { name: "homelab-test-lan", ip: "10.213.0.20" };
export const WAN_CLIENT = { name: "homelab-test-wan", ip: "10.213.0.200" };
/** v2: / is 0755 (v1 was 0700 and refused containers running as a non-root user). */
export const BUSYBOX = "homelab-test/busybox:v2";

export interface Run { status: number; stdout: string; stderr: string }

export function run(cmd: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Run {
    const r = spawnSync(cmd, args, {
        input: opts.input, env: opts.env ?? process.env, encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 300_000,
    });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs and throws with the output when the exit status is not 0. */
export function must(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): string {
    const r = run(cmd, args, opts);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

/** A command on the Debian host through `docker exec` (observation only; the scripts go over SSH). */
export function onHost(script: string, input?: string | Buffer): Run {
    return run("docker", ["exec", "-i", HOST_NAME, "bash", "-c", script], { input });
}
export function mustOnHost(script: string, input?: string | Buffer): string {
    const r = onHost(script, input);
    if (r.status !== 0) throw new Error(`on host: ${script}\nexit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

export interface Ssh { dir: string; key: string; knownHosts: string; wrongKnownHosts: string; opts: string[] }

/** Generated root key, known_hosts pinned to the host's real ed25519 key, and one with a wrong key. */
export function setUpSsh(): Ssh {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-ssh-"));
    const key = path.join(dir, "id_ed25519");
    must("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "homelab-test", "-f", key]);
    mustOnHost("install -d -m 700 /root/.ssh && cat > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys",
        fs.readFileSync(`${key}.pub`));
    const hostKey = mustOnHost("cat /etc/ssh/ssh_host_ed25519_key.pub").trim().split(/\s+/).slice(0, 2).join(" ");
    const knownHosts = path.join(dir, "known_hosts");
    fs.writeFileSync(knownHosts, `${HOST_IP} ${hostKey}\n`);
    const other = path.join(dir, "other_host_key");
    must("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const wrongKnownHosts = path.join(dir, "known_hosts.wrong");
    fs.writeFileSync(wrongKnownHosts, `${HOST_IP} ${fs.readFileSync(`${other}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ")}\n`);
    const opts = ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "BatchMode=yes",
        "-o", "IdentitiesOnly=yes", "-i", key];
    return { dir, key, knownHosts, wrongKnownHosts, opts };
}

/** Sends one command string over SSH exactly like `remote.Command` does: as the session's command. */
export function overSsh(ssh: Ssh, command: string, port = 22): Run {
    return run("ssh", [...ssh.opts, "-o", "ConnectTimeout=10", "-p", String(port), `root@${HOST_IP}`, command]);
}

/** An HTTP request from a client container; returns the status line or "" when nothing answered. */
export function httpFrom(client: { name: string }, ip: string, port: number): string {
    const r = run("docker", ["exec", client.name, "sh", "-c",
        `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port} 2>&1 | head -n 1`]);
    return r.stdout.trim();
}

/** The value of `export NAME='...'` in a rendered command string. */
export function exported(command: string, name: string): string {
    const m = command.match(new RegExp(`^export ${name}='((?:[^']|'\\\\'')*)'$`, "m"));
    if (!m) throw new Error(`no ${name} in the rendered script`);
    return m[1].replace(/'\\''/g, "'");
}

export function sh(script: string): string {
    return execFileSync("bash", ["-c", script], { encoding: "utf8" });
}

/**
 * The user's machine after `pulumi up`, for the CLIs that reach the host as the program does: a HOME with the
 * deploy key where the program writes it (`~/.ssh/homelab-media/<stack>.key`), that key authorized for root
 * on the test host, and the host's ed25519 key to pin in the stack's config.
 */
export function userMachine(host: string, stack: string, tmpPrefix: string): { home: string; hostKey: string } {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
    const keyDir = path.join(home, ".ssh", "homelab-media");
    fs.mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    const key = path.join(keyDir, `${stack}.key`);
    must("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "homelab-daytwo", "-f", key]);
    const publicKey = fs.readFileSync(`${key}.pub`, "utf8").trim();
    must("docker", ["exec", "-i", host, "bash", "-c", `install -d -m 700 /root/.ssh && echo '${publicKey}' > /root/.ssh/authorized_keys`]);
    const hostKey = must("docker", ["exec", host, "bash", "-c", "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub"]).trim();
    return { home, hostKey };
}
