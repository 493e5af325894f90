/**
 * A real qBittorrent (Debian's `qbittorrent-nox`) started with the config the program seeds into the
 * container (components/downloader.ts `qbittorrentConf`, with the PBKDF2 hash of a test password), in a
 * temporary profile directory. Changed for a test machine only where the seed names the container's world:
 * - the torrent session is bound to the loopback interface instead of tun0, and DHT, local peer discovery
 *   and peer exchange are off, so it reaches nothing outside this machine;
 * - the WebUI listens on 127.0.0.1 on a free port;
 * - the localhost auth bypass (there for Gluetun's hook inside the namespace) is off: the tunnel reaches the
 *   WebUI from 127.0.0.1 here, where on the host it comes from the Docker bridge, and the wiring must log in.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig } from "../../../components/config";
import { QBITTORRENT_USER, qbittorrentConf, qbittorrentPasswordHash } from "../../../components/downloader";
import { rawConfig } from "../../support/fixtures";
import { freePort } from "../../support/sshd";

export const QBITTORRENT_NOX = "qbittorrent-nox";

export interface RunningQbittorrent {
    port: number;
    torrentingPort: number;
    username: string;
    password: string;
    /** A logged-in HTTP session straight to the WebUI, for looking and for changes behind the program's back. */
    api: QbittorrentApi;
    log(): string;
    stop(): Promise<void>;
}

export interface QbittorrentApi {
    categories(): Promise<Record<string, { name: string; savePath: string }>>;
    preferences(): Promise<Record<string, unknown>>;
    createCategory(name: string, savePath: string): Promise<number>;
    editCategory(name: string, savePath: string): Promise<number>;
    setPreferences(prefs: Record<string, unknown>): Promise<number>;
}

/** Fails with how to install it when the package is missing (the suite never skips silently). */
export function requireQbittorrentNox(): void {
    try {
        execFileSync(QBITTORRENT_NOX, ["--version"], { stdio: "pipe" });
    } catch {
        throw new Error(`${QBITTORRENT_NOX} is not installed: run \`apt-get install -y qbittorrent-nox\` (the wiring tests drive a real qBittorrent)`);
    }
}

function replaceLine(conf: string, from: string, to: string): string {
    if (!conf.includes(`${from}\n`)) throw new Error(`the seeded qBittorrent.conf no longer has the line ${from}: update this test setup`);
    return conf.replace(`${from}\n`, `${to}\n`);
}

/** The program's seed, adapted to a test machine as described above. */
export function testConf(password: string): string {
    const cfg = parseConfig(rawConfig(), () => true);
    const salt = crypto.randomBytes(16).toString("base64");
    let conf = qbittorrentConf(qbittorrentPasswordHash(password, salt), cfg);
    conf = replaceLine(conf, "Session\\Interface=tun0", "Session\\Interface=lo");
    conf = replaceLine(conf, "Session\\InterfaceName=tun0", "Session\\InterfaceName=lo\nSession\\DHTEnabled=false\nSession\\LSDEnabled=false\nSession\\PeXEnabled=false");
    conf = replaceLine(conf, "WebUI\\LocalHostAuth=false", "WebUI\\LocalHostAuth=true\nWebUI\\Address=127.0.0.1");
    return conf;
}

async function session(port: number, username: string, password: string): Promise<QbittorrentApi> {
    const base = `http://127.0.0.1:${port}/api/v2`;
    const login = await fetch(`${base}/auth/login`, {
        method: "POST",
        headers: { Referer: `http://127.0.0.1:${port}/`, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ username, password }).toString(),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
    if ((await login.text()) !== "Ok." || !cookie) throw new Error(`test login to qBittorrent failed (HTTP ${login.status})`);
    const get = async <T>(p: string) => (await fetch(`${base}${p}`, { headers: { Cookie: cookie } })).json() as Promise<T>;
    const post = async (p: string, form: Record<string, string>) =>
        (await fetch(`${base}${p}`, {
            method: "POST",
            headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams(form).toString(),
        })).status;
    return {
        categories: () => get("/torrents/categories"),
        preferences: () => get("/app/preferences"),
        createCategory: (name, savePath) => post("/torrents/createCategory", { category: name, savePath }),
        editCategory: (name, savePath) => post("/torrents/editCategory", { category: name, savePath }),
        setPreferences: (prefs) => post("/app/setPreferences", { json: JSON.stringify(prefs) }),
    };
}

async function waitForWebUi(port: number, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (child.exitCode !== null) throw new Error(`qbittorrent-nox exited with code ${child.exitCode}:\n${log()}`);
        try {
            const res = await fetch(`http://127.0.0.1:${port}/api/v2/app/webapiVersion`);
            if (res.status === 403 || res.status === 200) return;
        } catch {
            // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`qBittorrent's WebUI did not answer on 127.0.0.1:${port} within ${timeoutMs} ms:\n${log()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

export async function startQbittorrent(): Promise<RunningQbittorrent> {
    requireQbittorrentNox();
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-qbt-"));
    const password = crypto.randomBytes(12).toString("base64url");
    fs.mkdirSync(path.join(profile, "qBittorrent", "config"), { recursive: true });
    fs.writeFileSync(path.join(profile, "qBittorrent", "config", "qBittorrent.conf"), testConf(password));
    const [port, torrentingPort] = [await freePort(), await freePort()];
    const child = spawn(QBITTORRENT_NOX, [`--profile=${profile}`, `--webui-port=${port}`, `--torrenting-port=${torrentingPort}`], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, HOME: profile },
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const log = () => output;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGTERM");
            await exited;
        }
        fs.rmSync(profile, { recursive: true, force: true });
    };
    try {
        await waitForWebUi(port, child, log, 15_000);
        return { port, torrentingPort, username: QBITTORRENT_USER, password, api: await session(port, QBITTORRENT_USER, password), log, stop };
    } catch (e) {
        await stop();
        throw e;
    }
}
