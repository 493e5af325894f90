/**
 * `npm run logs -- APP [--follow] [--tail N] [--host NAME] [--stack NAME] [--stack-file FILE]`: an app's container
 * logs from the host it runs on, reached the way the program reaches it (scripts/host-access.ts). Read-only.
 */
import { APP_IDS, AppId } from "../components/catalog";
import { didYouMean } from "../components/suggest";
import { shellQuote } from "../components/host-scripts";
import { CommandSpec, parseArgs, USAGE_EXIT } from "./cli";
import { chooseHostStack, ENGINE_CHECK, HOST_OPTION_HELP, hostOfApp, hostShell, loadStackConfig, OneLineError, runCli } from "./host-access";

export const LOGS_COMMAND: CommandSpec = {
    name: "logs",
    synopsis: "APP [--follow] [--tail N] [--host NAME] [--stack NAME] [--stack-file FILE]",
    help: [
        "An app's container logs from your server (read-only), with timestamps.",
        "",
        "  APP                one of the stack's apps (sonarr, jellyfin, gluetun, ...)",
        "  --follow, -f       keep printing new lines",
        "  --tail N           the last N lines (default 200), or all",
        HOST_OPTION_HELP.replace("(default: every host that runs apps)", "(it must be the app's host, homelab:placement)"),
    ],
    valueOptions: ["--tail", "--host"],
    flags: ["--follow", "-f"],
};


async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2), LOGS_COMMAND);
    const follow = args.flags.has("--follow") || args.flags.has("-f");
    const tail = args.values.get("--tail") ?? "200";
    const misuse = (what: string) => new OneLineError(`logs: ${what} (npm run logs -- --help)`, USAGE_EXIT);
    if (!/^(\d+|all)$/.test(tail)) throw misuse(`--tail needs a number of lines or "all", got "${tail}"`);
    if (args.positional.length !== 1) throw misuse(args.positional.length === 0 ? "name one app, e.g. npm run logs -- sonarr" : `name one app, got ${args.positional.join(" ")}`);
    const app = args.positional[0];
    const stack = chooseHostStack(args.stack);
    const cfg = loadStackConfig(stack);
    if (!(APP_IDS as readonly string[]).includes(app)) throw new OneLineError(`homelab: unknown app "${app}"${didYouMean(app, cfg.enabledApps)}: this stack runs ${cfg.enabledApps.join(", ")}`, USAGE_EXIT);
    if (!(cfg.enabledApps as string[]).includes(app)) throw new OneLineError(`homelab: ${app} is not enabled in stack ${stack.stack} (homelab:apps.${app})`, USAGE_EXIT);
    // The app's container is on the host its placement names (--host only confirms it).
    const host = hostOfApp(cfg, app as AppId, args.values.get("--host"));
    const shell = hostShell(stack, cfg, host);
    return shell.stream(`${ENGINE_CHECK}if ! docker inspect ${shellQuote(app)} >/dev/null 2>&1; then
    echo "homelab: there is no container ${app} on $(hostname) (pulumi up creates it)" >&2
    exit 4
fi
exec docker logs --timestamps --tail ${tail}${follow ? " --follow" : ""} ${shellQuote(app)}
`);
}

if (require.main === module) runCli(main);
