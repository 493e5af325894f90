/**
 * A real OpenSSH server for tests: Debian's `/usr/sbin/sshd` in the foreground with its own config, host key
 * and authorized key in a temporary directory, listening on 127.0.0.1 on a free port. It touches no other
 * sshd (own config, own pid file, no PAM) and is stopped by its pid.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export const SSHD = "/usr/sbin/sshd";

export interface TestSshd {
    host: string;
    port: number;
    user: string;
    /** The client's private key (OpenSSH format). */
    privateKey: string;
    /** The server's host key as pinned in `homelab:sshHostKey`: `<type> <base64>`. */
    hostKey: string;
    /** Another ed25519 key of the same type: a host key that is NOT this server's. */
    otherHostKey: string;
    /** A client key the server does not authorize. */
    unauthorizedPrivateKey: string;
    /** Everything sshd logged (-e: to stderr). */
    log(): string;
    stop(): Promise<void>;
}

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

function keygen(file: string): string {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "homelab-test", "-f", file]);
    return fs.readFileSync(`${file}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
}

/**
 * Waits for sshd's "Server listening" line. (Not a test connection: sshd would count it as a pending
 * handshake for a while, which matters with a low MaxStartups.)
 */
function waitForListening(port: number, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
        const poll = () => {
            if (log().includes(`Server listening on 127.0.0.1 port ${port}`)) return resolve();
            if (child.exitCode !== null) return reject(new Error(`sshd exited with code ${child.exitCode}:\n${log()}`));
            if (Date.now() > deadline) return reject(new Error(`sshd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${log()}`));
            setTimeout(poll, 20);
        };
        poll();
    });
}

export interface SshdOptions {
    /** sshd's MaxStartups (default: sshd's own, 10:30:100). */
    maxStartups?: string;
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
    if (!fs.existsSync(SSHD)) throw new Error(`${SSHD} is missing: install it with \`apt-get install -y openssh-server\``);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-sshd-"));
    const hostKey = keygen(path.join(dir, "host_ed25519"));
    const clientPub = keygen(path.join(dir, "client_ed25519"));
    const otherHostKey = keygen(path.join(dir, "other_ed25519"));
    keygen(path.join(dir, "stranger_ed25519"));
    fs.writeFileSync(path.join(dir, "authorized_keys"), `${clientPub}\n`, { mode: 0o600 });
    const port = await freePort();
    const user = os.userInfo().username;
    const config = [
        `ListenAddress 127.0.0.1`,
        `HostKey ${path.join(dir, "host_ed25519")}`,
        `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
        `PidFile ${path.join(dir, "sshd.pid")}`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "AllowTcpForwarding yes",
        "PermitOpen any",
        "X11Forwarding no",
        "PrintMotd no",
        "LogLevel VERBOSE",
        ...(options.maxStartups ? [`MaxStartups ${options.maxStartups}`] : []),
    ].join("\n");
    fs.writeFileSync(path.join(dir, "sshd_config"), `${config}\n`);
    // sshd's privilege separation directory (Debian creates it when the ssh service starts).
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const child = spawn(SSHD, ["-D", "-e", "-f", path.join(dir, "sshd_config"), "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const log = () => stderr;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGTERM");
            await exited;
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        await waitForListening(port, child, log, 10_000);
    } catch (e) {
        await stop();
        throw e;
    }
    return {
        host: "127.0.0.1",
        port,
        user,
        privateKey: fs.readFileSync(path.join(dir, "client_ed25519"), "utf8"),
        hostKey,
        otherHostKey,
        unauthorizedPrivateKey: fs.readFileSync(path.join(dir, "stranger_ed25519"), "utf8"),
        log,
        stop,
    };
}
