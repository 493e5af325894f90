/**
 * `npm run status -- [--stack NAME] [--stack-file FILE] [--json]`: one screen about a deployed stack, read from
 * the host the way the program reaches it (scripts/host-access.ts). Per app: running, health, restarts,
 * uptime, image tag against the pin, memory against the limit. VPN: the tunnel, the leak check (the public
 * address seen from inside the VPN namespace must differ from the host's, and no route from the namespace may
 * avoid the tunnel), the forwarded port against qBittorrent's listening port. Storage: free space under the
 * data root, torrents/ and media/ on one filesystem. Backups: the age of the last good one. Exits 1 when
 * anything is wrong, with the reason on its line. The host is only read (scripts/status-probe.sh).
 */
import * as fs from "fs";
import * as path from "path";
import { AppId, TORRENTING_PORT } from "../components/catalog";
import { HomelabConfig, HostSpec } from "../components/config";
import { mountSpec, mountUnitName } from "../components/data-mount";
import { shellQuote } from "../components/host-scripts";
import { hostShell, hostView, loadStackConfig, OneLineError, runCli, StackOptions, takeHostOption, takeStackOptions } from "./host-access";

/** Gluetun's tunnel interface (its VPN_INTERFACE default, for WireGuard and OpenVPN alike). */
export const TUNNEL_INTERFACE = "tun0";
/** Public addresses whose route from inside the VPN namespace must use the tunnel (looked up, never contacted). */
export const PROBE_ADDRESSES = ["1.1.1.1", "8.8.8.8", "9.9.9.9"];
/** Below this much free space under the data root, downloads start failing soon. */
export const MIN_FREE_BYTES = 5 * 1024 ** 3;
/** Memory use above this share of the limit is reported (the kernel kills the app at the limit). */
export const MEMORY_WARN_SHARE = 0.9;
/** A crash-looping app: more automatic restarts than this. */
export const MAX_RESTARTS = 5;

export type Facts = Map<string, string>;

export interface StatusLine {
    section: "apps" | "vpn" | "storage" | "backups";
    name: string;
    ok: boolean;
    text: string;
}

export function parseFacts(output: string): Facts {
    const facts: Facts = new Map();
    for (const line of output.split("\n")) {
        const tab = line.indexOf("\t");
        if (tab > 0) facts.set(line.slice(0, tab), line.slice(tab + 1).trim());
    }
    return facts;
}

const MIB = 1024 ** 2;
const UNITS: Record<string, number> = { B: 1, KIB: 1024, MIB, GIB: 1024 ** 3, TIB: 1024 ** 4, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** Docker's human sizes ("312.4MiB") in bytes. */
export function parseSize(text: string): number | undefined {
    const m = text.trim().match(/^([\d.]+)\s*([KMGT]?i?B)$/i);
    return m ? Number(m[1]) * (UNITS[m[2].toUpperCase()] ?? NaN) : undefined;
}

export function humanDuration(seconds: number): string {
    const s = Math.max(0, Math.floor(seconds));
    const d = Math.floor(s / 86_400), h = Math.floor((s % 86_400) / 3600), m = Math.floor((s % 3600) / 60);
    return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
}

function gib(bytes: number): string {
    return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

function appLines(cfg: HomelabConfig, facts: Facts, now: number): StatusLine[] {
    return cfg.enabledApps.map((id: AppId) => {
        const line = (ok: boolean, text: string): StatusLine => ({ section: "apps", name: id, ok, text });
        const info = facts.get(`app.${id}`);
        if (info === undefined || info === "missing") return line(false, "no container (pulumi up creates it)");
        const [state, health, restartText, startedAt, , memoryText] = info.split("|");
        const problems: string[] = [];
        const parts: string[] = [state];
        if (state !== "running") problems.push(`is ${state}`);
        if (health !== "none") parts.push(health);
        if (health === "unhealthy" && state === "running") problems.push("is unhealthy");
        const restarts = Number(restartText);
        parts.push(`${restarts} restart${restarts === 1 ? "" : "s"}`);
        if (restarts > MAX_RESTARTS) problems.push(`restarted ${restarts} times (crash loop? npm run logs -- ${id})`);
        if (state === "running") parts.push(`up ${humanDuration(now - Date.parse(startedAt) / 1000)}`);
        const pinned = cfg.images[id];
        const tags = (facts.get(`tags.${id}`) ?? "").split(",").filter(Boolean);
        if (pinned.includes("@sha256:")) parts.push("pinned by digest");
        else if (tags.includes(pinned)) parts.push(pinned.split(":").pop()!);
        else problems.push(`runs ${tags.join(", ") || "an untagged image"}, pinned ${pinned} (pulumi up)`);
        const limit = Number(memoryText);
        const used = parseSize((facts.get(`mem.${id}`) ?? "").split("/")[0] ?? "");
        if (used !== undefined && limit > 0) {
            parts.push(`${Math.round(used / MIB)} / ${Math.round(limit / MIB)} MiB`);
            if (used > limit * MEMORY_WARN_SHARE) problems.push(`uses ${Math.round((100 * used) / limit)}% of its memory limit (homelab:memoryLimits.${id})`);
        }
        return problems.length > 0 ? line(false, [...problems, `(${parts.join(", ")})`].join("; ")) : line(true, parts.join(", "));
    });
}

function vpnLines(cfg: HomelabConfig, facts: Facts): StatusLine[] {
    const lines: StatusLine[] = [];
    const add = (name: string, ok: boolean, text: string) => lines.push({ section: "vpn", name, ok, text });
    const links = (facts.get("vpn.links") ?? "ERROR no answer").trim();
    if (links.startsWith("ERROR")) {
        add("tunnel", false, links.slice(6));
    } else {
        const up = links.split(/\s+/).includes(TUNNEL_INTERFACE);
        add("tunnel", up, up ? `${TUNNEL_INTERFACE} up` : `${TUNNEL_INTERFACE} is down (interfaces up: ${links || "none"})`);
        const leaks = PROBE_ADDRESSES
            .map((a) => ({ a, route: facts.get(`vpn.route.${a}`) ?? "" }))
            .filter(({ route }) => !new RegExp(`\\bdev ${TUNNEL_INTERFACE}\\b`).test(route));
        add("routes", leaks.length === 0, leaks.length === 0
            ? `every public route goes through ${TUNNEL_INTERFACE}`
            : `LEAK: a route from the VPN namespace avoids the tunnel: ${leaks.map(({ route }) => route || "no route").join("; ")}`);
    }
    const inside = facts.get("vpn.inside");
    const host = facts.get("vpn.host") ?? "ERROR no answer";
    if (inside === undefined || inside.startsWith("ERROR") || inside === "") {
        add("address", false, `no answer from ${cfg.ipEchoUrl} inside the VPN namespace${inside ? ` (${inside.replace(/^ERROR\s*/, "")})` : ""}`);
    } else if (host.startsWith("ERROR") || host === "") {
        add("address", false, `VPN ${inside}, but the host's own address is unknown (${cfg.ipEchoUrl}: ${host.replace(/^ERROR\s*/, "") || "no answer"})`);
    } else if (inside === host) {
        add("address", false, `LEAK: the VPN namespace reaches the internet as the host (${host})`);
    } else {
        add("address", true, `VPN ${inside}, host ${host}`);
    }
    const listening = (facts.get("vpn.listening") ?? "").split(/\s+/).filter(Boolean).map(Number);
    if (cfg.vpn.portForwarding) {
        const forwarded = Number(facts.get("vpn.forwarded") ?? "");
        if (!forwarded) add("port", false, "no forwarded port yet (Gluetun's /tmp/gluetun/forwarded_port is empty)");
        else if (!listening.includes(forwarded)) add("port", false, `forwarded ${forwarded}, but qBittorrent does not listen on it (listening: ${listening.join(" ") || "nothing"})`);
        else add("port", true, `forwarded ${forwarded}, qBittorrent listening on it`);
    } else if (cfg.enabledApps.includes("qbittorrent")) {
        const ok = listening.includes(TORRENTING_PORT);
        add("port", ok, ok ? `no port forwarding; qBittorrent listening on ${TORRENTING_PORT}` : `qBittorrent does not listen on ${TORRENTING_PORT}`);
    }
    return lines;
}

/** A NAS data root: mounted from the configured share, and answering. */
function mountLines(cfg: HomelabConfig, facts: Facts): StatusLine[] {
    if (cfg.storage.type === "local") return [];
    const expected = mountSpec(cfg, cfg.storage).what;
    const fact = facts.get("storage.mount") ?? "ERROR no answer";
    const line = (ok: boolean, text: string): StatusLine[] => [{ section: "storage", name: "mount", ok, text }];
    if (fact.startsWith("ERROR")) {
        return line(false, `${cfg.dataRoot} from ${expected}: ${fact.slice(6)} (apps that use the data root stay stopped until it is back; journalctl -u ${mountUnitName(cfg.dataRoot)})`);
    }
    const [, source, type] = fact.split(/\s+/);
    if (source !== expected) return line(false, `${cfg.dataRoot} is mounted from ${source} (${type}), not ${expected} (pulumi up)`);
    return line(true, `${cfg.dataRoot} mounted from ${source} (${type})`);
}

function storageLines(cfg: HomelabConfig, facts: Facts): StatusLine[] {
    const mount = mountLines(cfg, facts);
    if (mount.some((l) => !l.ok)) return mount;
    const df = facts.get("storage.df") ?? "ERROR no answer";
    if (df.startsWith("ERROR")) return [...mount, { section: "storage", name: "data root", ok: false, text: df.slice(6) }];
    const [free, total] = df.split(/\s+/).map(Number);
    const devices = (facts.get("storage.devices") ?? "").split(/\s+/).filter(Boolean);
    const oneFs = devices.length === 2 && /^\d+$/.test(devices[0]) && devices[0] === devices[1];
    return [
        ...mount,
        { section: "storage", name: "free", ok: free >= MIN_FREE_BYTES, text: `${gib(free)} free of ${gib(total)} under ${cfg.dataRoot}${free < MIN_FREE_BYTES ? ` (less than ${gib(MIN_FREE_BYTES)})` : ""}` },
        { section: "storage", name: "hardlinks", ok: oneFs, text: oneFs ? "torrents/ and media/ on one filesystem" : `torrents/ and media/ are not on one filesystem: imports are copies, not hardlinks (${devices.join(" ")})` },
    ];
}

/** How old the last good backup may be for a schedule before it counts as missed. */
export function maxBackupAge(schedule: string): number {
    const known: Record<string, number> = { minutely: 600, hourly: 2 * 3600, daily: 2 * 86_400, weekly: 8 * 86_400, monthly: 32 * 86_400 };
    return known[schedule.trim().toLowerCase()] ?? 2 * 86_400;
}

function backupLines(cfg: HomelabConfig, facts: Facts, now: number): StatusLine[] {
    const line = (ok: boolean, text: string): StatusLine => ({ section: "backups", name: "last", ok, text });
    if (!cfg.backup) return [line(true, "off (homelab:backup.repository is not set)")];
    if (facts.get("backup.installed") !== "yes") return [line(false, "configured but not installed on the host (pulumi up)")];
    const lines: StatusLine[] = [];
    const last = Number(facts.get("backup.last") ?? "");
    if (!last) lines.push(line(false, `no good backup yet to ${cfg.backup.repository}`));
    else {
        const age = now - last;
        const ok = age <= maxBackupAge(cfg.backup.schedule);
        lines.push(line(ok, `${humanDuration(age)} ago to ${cfg.backup.repository}${ok ? "" : ` (older than the ${cfg.backup.schedule} schedule allows: journalctl -u homelab-backup)`}`));
    }
    const repository = facts.get("backup.repository") ?? "ERROR not checked";
    if (repository !== "ok") lines.push({ section: "backups", name: "repository", ok: false, text: repository.replace(/^ERROR\s*/, "") });
    const timer = facts.get("backup.timer");
    if (timer !== "active") lines.push({ section: "backups", name: "timer", ok: false, text: `homelab-backup.timer is ${timer ?? "unknown"}` });
    return lines;
}

export function evaluateStatus(cfg: HomelabConfig, facts: Facts): StatusLine[] {
    const now = Number(facts.get("now") ?? Date.now() / 1000);
    return [...appLines(cfg, facts, now), ...vpnLines(cfg, facts), ...storageLines(cfg, facts), ...backupLines(cfg, facts, now)];
}

export function renderStatus(where: string, lines: StatusLine[]): string {
    const width = Math.max(...lines.map((l) => l.name.length));
    const out = [`homelab status of ${where}`];
    for (const section of ["apps", "vpn", "storage", "backups"] as const) {
        out.push(section);
        for (const l of lines.filter((x) => x.section === section)) out.push(`  ${l.ok ? "ok " : "BAD"} ${l.name.padEnd(width)}  ${l.text}`);
    }
    const bad = lines.filter((l) => !l.ok).length;
    out.push(bad === 0 ? "all good" : `${bad} problem${bad === 1 ? "" : "s"}`);
    return out.join("\n");
}

/** The probe's command: its variables, then the script (read-only on the host). */
export function probeScript(cfg: HomelabConfig): string {
    const variables: Record<string, string> = {
        APPS: cfg.enabledApps.join(" "),
        GATEWAY: "gluetun",
        TUNNEL: TUNNEL_INTERFACE,
        ECHO_URL: cfg.ipEchoUrl,
        PROBE_ADDRESSES: PROBE_ADDRESSES.join(" "),
        DATA_ROOT: cfg.dataRoot,
        MOUNT_UNIT: cfg.storage.type === "local" ? "" : mountUnitName(cfg.dataRoot),
    };
    const exportLines = Object.entries(variables).map(([k, v]) => `export ${k}=${shellQuote(v)}`).join("\n");
    return `${exportLines}\n${fs.readFileSync(path.join(__dirname, "status-probe.sh"), "utf8")}`;
}

/** One host's status lines: its apps, and the VPN checks only where the gateway runs. */
function hostStatus(stack: StackOptions, cfg: HomelabConfig, host: HostSpec): { where: string; lines: StatusLine[] } {
    const view = hostView(cfg, host);
    const shell = hostShell(stack, cfg, host);
    const result = shell.run(probeScript(view));
    if (result.status !== 0) throw new OneLineError(`homelab: the status probe failed on ${shell.where}: ${result.stderr.trim().split("\n").pop()}`, 2);
    const lines = evaluateStatus(view, parseFacts(result.stdout)).filter((l) => l.section !== "vpn" || view.enabledApps.includes("gluetun"));
    return { where: shell.where, lines };
}

const USAGE = "usage: npm run status -- [--host NAME] [--stack NAME] [--stack-file FILE] [--json]";

async function main(): Promise<number> {
    const { stack, rest } = takeStackOptions(process.argv.slice(2));
    const json = rest.includes("--json");
    const unknown = rest.filter((a, i) => a !== "--json" && a !== "--host" && rest[i - 1] !== "--host");
    if (unknown.length > 0) throw new OneLineError(`homelab: unknown argument ${unknown[0]}. ${USAGE}`, 64);
    const cfg = loadStackConfig(stack);
    const { hosts } = takeHostOption(cfg, rest);
    const results = hosts.map((host) => ({ host, ...hostStatus(stack, cfg, host) }));
    const bad = results.flatMap((r) => r.lines).filter((l) => !l.ok).length;
    if (cfg.hosts.length === 1) {
        const [{ where, lines }] = results;
        if (json) console.log(JSON.stringify({ stack: stack.stack, host: where, ok: bad === 0, lines }, null, 2));
        else console.log(renderStatus(where, lines));
    } else if (json) {
        console.log(JSON.stringify({ stack: stack.stack, ok: bad === 0, hosts: results.map((r) => ({ name: r.host.name, host: r.where, ok: r.lines.every((l) => l.ok), lines: r.lines })) }, null, 2));
    } else {
        console.log(results.map((r) => renderStatus(`${r.host.name} (${r.where})`, r.lines)).join("\n\n"));
    }
    return bad === 0 ? 0 : 1;
}

if (require.main === module) runCli(main);
