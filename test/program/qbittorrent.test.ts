/**
 * qBittorrent's seeded config: the WebUI password hash really verifies against the generated password
 * (recomputed here with node's crypto, not with the program's helper), the session is bound to the
 * tunnel, UPnP/NAT-PMP are off, and the ports agree with what the linuxserver image expects.
 */
import { programOptions } from "../support/fixtures";
import * as crypto from "crypto";
import { ProgramRun, runProgram } from "../../scripts/mock-engine";
import { container, env, programModule, revealOutput, upload } from "../support/graph";

let run: ProgramRun;
let conf: string;
let password: string;

beforeAll(async () => {
    run = await runProgram(programOptions());
    conf = upload(container(run, "qbittorrent"), "/defaults/qBittorrent.conf").revealed;
    const login = programModule().qbittorrentLogin as { user: string; password: unknown };
    password = String(await revealOutput(login.password));
}, 30_000);

/** `key=value` lines of one `[section]` of an INI file. */
function section(ini: string, name: string): Map<string, string> {
    const body = new RegExp(`^\\[${name}\\]\\n([\\s\\S]*?)(?=^\\[|$(?![\\s\\S]))`, "m").exec(ini)?.[1] ?? "";
    return new Map(body.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** Verifies a password against qBittorrent's `@ByteArray(<salt b64>:<key b64>)` (PBKDF2-HMAC-SHA512, 100000 rounds). */
function verifies(candidate: string, stored: string): boolean {
    const match = /^"@ByteArray\(([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)\)"$/.exec(stored);
    if (!match) return false;
    const salt = Buffer.from(match[1], "base64");
    const key = Buffer.from(match[2], "base64");
    const derived = crypto.pbkdf2Sync(candidate, salt, 100_000, key.length, "sha512");
    return crypto.timingSafeEqual(derived, key);
}

test("the password output is a secret, revealed here only through the program module", () => {
    expect(run.outputs.qbittorrentLogin).toEqual({ user: "admin", password: "[secret]" });
    expect(password).toMatch(/^[A-Za-z0-9_-]{20,}$/);
});

test("WebUI\\Password_PBKDF2 has a 16-byte salt and a 64-byte key", () => {
    const stored = section(conf, "Preferences").get("WebUI\\Password_PBKDF2") ?? "";
    const match = /^"@ByteArray\(([^:]+):([^)]+)\)"$/.exec(stored);
    expect(match).not.toBeNull();
    expect(Buffer.from(match![1], "base64")).toHaveLength(16);
    expect(Buffer.from(match![2], "base64")).toHaveLength(64);
});

test("the seeded hash verifies against the generated password, and only against it", () => {
    const stored = section(conf, "Preferences").get("WebUI\\Password_PBKDF2") ?? "";
    expect(verifies(password, stored)).toBe(true);
    expect(verifies(`${password}x`, stored)).toBe(false);
    expect(verifies("adminadmin", stored)).toBe(false);
    expect(section(conf, "Preferences").get("WebUI\\Username")).toBe("admin");
});

test("torrent traffic is bound to the tunnel, UPnP/NAT-PMP is off", () => {
    const bittorrent = section(conf, "BitTorrent");
    expect(bittorrent.get("Session\\Interface")).toBe("tun0");
    expect(bittorrent.get("Session\\InterfaceName")).toBe("tun0");
    expect(section(conf, "Preferences").get("Connection\\UPnP")).toBe("false");
    expect(section(conf, "Network").get("PortForwardingEnabled")).toBe("false");
});

test("ports agree: WEBUI_PORT = WebUI\\Port = published port", () => {
    const qbittorrent = container(run, "qbittorrent");
    expect(env(qbittorrent, "WEBUI_PORT")).toBe("8080");
    expect(section(conf, "Preferences").get("WebUI\\Port")).toBe("8080");
    const published = (container(run, "gluetun").serializedInputs.ports as { internal: number; external: number }[]).find((p) => p.internal === 8080);
    expect(published?.external).toBe(8080);
});

test("the torrent port is seeded once, never imposed at start, so a port Gluetun forwarded survives a qBittorrent restart", () => {
    // The linuxserver image turns TORRENTING_PORT into --torrenting-port, which rewrites Session\Port at every
    // start, while Gluetun sets the forwarded port only when the tunnel comes up.
    expect(section(conf, "BitTorrent").get("Session\\Port")).toBe("6881");
    expect(env(container(run, "qbittorrent"), "TORRENTING_PORT")).toBeUndefined();
});

test("downloads land in the hardlink layout: automatic management by category under /data/torrents", () => {
    expect(section(conf, "BitTorrent").get("Session\\DefaultSavePath")).toBe("/data/torrents");
    expect(section(conf, "BitTorrent").get("Session\\DisableAutoTMMByDefault")).toBe("false");
    expect(Object.values(programModule().connections as Record<string, string>).filter((c) => c.includes("(category "))).toEqual(
        ["http://gluetun:8080 (category tv)", "http://gluetun:8080 (category movies)", "http://gluetun:8080 (category music)"],
    );
});

test("the config is a first-start seed: the image copies it only into an empty /config", () => {
    const qbittorrent = container(run, "qbittorrent");
    const files = ((qbittorrent.serializedInputs.uploads ?? []) as { file: string }[]).map((u) => u.file);
    expect(files).toEqual(["/defaults/qBittorrent.conf"]);
});

test("only Caddy's fixed address is trusted as a reverse proxy, and the legal notice is accepted", () => {
    expect(section(conf, "Preferences").get("WebUI\\TrustedReverseProxiesList")).toBe("172.30.0.21");
    expect(section(conf, "LegalNotice").get("Accepted")).toBe("true");
});
