/**
 * `npm run status -- [--stack NAME] [--stack-file FILE] [--json]`: one screen about a deployed stack, read from
 * the host the way the program reaches it (scripts/host-access.ts). Per app: running, health, restarts,
 * uptime, image tag against the pin, memory against the limit. VPN: the tunnel, the leak check (the public
 * address seen from inside the VPN namespace must differ from the host's, and no route from the namespace may
 * avoid the tunnel), the forwarded port against qBittorrent's listening port. Storage: free space under the
 * data root and the config volumes, a fill forecast once the watcher has samples, torrents/ and media/ on one
 * filesystem. Backups: the age of the last good one, a failed last run. The stack answering on the LAN bind
 * address. Exits 1 when anything is wrong, with the reason on its line. The host is only read.
 *
 * The checks and their verdicts are scripts/status-probe.sh, the same file the host's watcher runs
 * (components/watcher.ts): this file only sends it and renders what it says.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { HomelabConfig, HostSpec } from "../components/config";
import { hostView } from "../components/placement";
import { shellAssignments, STATUS_PROBE, statusVariables } from "../components/watcher";
import { ChosenStack, CommandSpec, parseArgs, USAGE_EXIT } from "./cli";
import { chooseHostStack, HOST_OPTION_HELP, hostShell, hostsToCover, loadStackConfig, OneLineError, runCli } from "./host-access";

export const STATUS_COMMAND: CommandSpec = {
    name: "status",
    synopsis: "[--host NAME] [--stack NAME] [--stack-file FILE] [--json]",
    help: [
        "One screen about your deployed stack, read from the server the way the program reaches it (read-only):",
        "each app, the VPN tunnel and leak check, storage, backups. Exit 0 when all is good, 1 when anything is wrong",
        "(the reason on its line), 2 when the server or its Docker engine cannot be reached, 3 for the example stack.",
        "",
        "  --json             the same as JSON, for scripts",
        HOST_OPTION_HELP,
    ],
    valueOptions: ["--host"],
    flags: ["--json"],
};

export { PROBE_ADDRESSES, TUNNEL_INTERFACE } from "../components/watcher";

export type Facts = Map<string, string>;

export const SECTIONS = ["docker", "apps", "vpn", "storage", "backups", "network"] as const;

export interface StatusLine {
    section: (typeof SECTIONS)[number];
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

/** The probe's verdict lines (`check\t<section>\t<name>\t<ok|bad>\t<text>`); metric lines are the watcher's. */
export function parseVerdicts(output: string): StatusLine[] {
    return output.split("\n").filter((l) => l.startsWith("check\t")).map((line) => {
        const [, section, name, verdict, ...text] = line.split("\t");
        return { section: section as StatusLine["section"], name, ok: verdict === "ok", text: text.join("\t") };
    });
}

/** Judges collected facts with the probe's own verdicts, on this machine (the tests' way in). */
export function evaluateStatus(cfg: HomelabConfig, facts: Facts): StatusLine[] {
    const input = [...facts].map(([k, v]) => `${k}\t${v}`).join("\n") + "\n";
    const r = spawnSync("bash", [STATUS_PROBE, "judge"], { input, encoding: "utf8", env: { PATH: process.env.PATH, ...statusVariables(cfg) } });
    if (r.status !== 0) throw new Error(`the status probe's judge failed: ${r.stderr}`);
    return parseVerdicts(r.stdout);
}

export function renderStatus(where: string, lines: StatusLine[]): string {
    const width = Math.max(...lines.map((l) => l.name.length));
    const out = [`homelab status of ${where}`];
    for (const section of SECTIONS) {
        // Sections that only speak up when something is there (the engine when it cannot be reached; the LAN check).
        if ((section === "network" || section === "docker") && !lines.some((l) => l.section === section)) continue;
        out.push(section);
        for (const l of lines.filter((x) => x.section === section)) out.push(`  ${l.ok ? "ok " : "BAD"} ${l.name.padEnd(width)}  ${l.text}`);
    }
    const bad = lines.filter((l) => !l.ok).length;
    out.push(bad === 0 ? "all good" : `${bad} problem${bad === 1 ? "" : "s"}`);
    return out.join("\n");
}

/** The probe's command: its variables, then the script (read-only on the host). */
export function probeScript(cfg: HomelabConfig): string {
    return `${shellAssignments(statusVariables(cfg), true)}\n${fs.readFileSync(STATUS_PROBE, "utf8")}`;
}

/**
 * One host's verdicts: the probe run with that host's view of the config (its apps; the VPN checks only where
 * the gateway runs, which the probe decides from APPS).
 */
function hostStatus(stack: ChosenStack, cfg: HomelabConfig, host: HostSpec): { where: string; lines: StatusLine[] } {
    const shell = hostShell(stack, cfg, host);
    const result = shell.run(probeScript(hostView(cfg, host)));
    if (result.status !== 0) throw new OneLineError(`homelab: the status probe failed on ${shell.where}: ${result.stderr.trim().split("\n").pop()}`, 2);
    const lines = parseVerdicts(result.stdout);
    const engine = lines.find((l) => l.section === "docker" && l.name === "engine" && !l.ok);
    if (engine !== undefined) throw new OneLineError(`homelab: the Docker engine on ${shell.where} cannot be reached, so nothing about the apps is known: ${engine.text}`, 2);
    return { where: shell.where, lines };
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2), STATUS_COMMAND);
    if (args.positional.length > 0) throw new OneLineError(`status: unexpected argument "${args.positional[0]}" (npm run status -- --help)`, USAGE_EXIT);
    const stack = chooseHostStack(args.stack);
    const cfg = loadStackConfig(stack);
    const results = hostsToCover(cfg, args.values.get("--host")).map((host) => ({ host, ...hostStatus(stack, cfg, host) }));
    const bad = results.flatMap((r) => r.lines).filter((l) => !l.ok).length;
    const json = args.flags.has("--json");
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
