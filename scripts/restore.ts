/**
 * `npm run restore -- APP [--snapshot ID] [--host NAME] [--stack NAME] [--stack-file FILE]`: puts an app's volumes
 * back from the stack's restic repository, on the host the app runs on. On the host, `homelab-backup restore` stops the app's container, replaces
 * its volumes with the snapshot (the latest one of each volume unless --snapshot is given) and starts it
 * again. Bad input (an unknown app, backups off, an unreachable host, a wrong host key, a missing repository,
 * a wrong password) is one line and a non-zero exit, with nothing changed on the host.
 */
import { APP_IDS, AppId, CATALOG } from "../components/catalog";
import { chooseHostStack, ENGINE_CHECK, HOST_OPTION_HELP, hostOfApp, hostShell, loadStackConfig, OneLineError, runCli } from "./host-access";
import { shellQuote } from "../components/host-scripts";
import { didYouMean } from "../components/suggest";
import { CommandSpec, parseArgs, USAGE_EXIT } from "./cli";

export const RESTORE_COMMAND: CommandSpec = {
    name: "restore",
    synopsis: "APP [--snapshot ID] [--host NAME] [--stack NAME] [--stack-file FILE]",
    help: [
        "Puts an app's volumes back from the stack's restic repository: stops the app's container, replaces each of its",
        "volumes with the latest snapshot (or the one given) and starts it again. Needs homelab:backup.repository.",
        "",
        "  APP                an app with backed-up volumes (sonarr, radarr, jellyfin, ...)",
        "  --snapshot ID      a snapshot id (homelab-backup snapshots APP on the server lists them)",
        HOST_OPTION_HELP.replace("(default: every host that runs apps)", "(it must be the app's host, homelab:placement)"),
    ],
    valueOptions: ["--snapshot", "--host"],
    flags: [],
};

/** Apps that keep state in a volume: the ones a backup holds. */
export const RESTORABLE_APPS: AppId[] = APP_IDS.filter((id) => CATALOG[id].configPath !== undefined);

function restoreArgs(argv: string[]) {
    const args = parseArgs(argv, RESTORE_COMMAND);
    const misuse = (what: string) => new OneLineError(`restore: ${what} (npm run restore -- --help)`, USAGE_EXIT);
    const snapshot = args.values.get("--snapshot");
    if (snapshot !== undefined && !/^[0-9a-f]{8,64}$/.test(snapshot)) throw misuse("--snapshot needs a snapshot id (8 to 64 hex digits, see `homelab-backup snapshots` on the host)");
    if (args.positional.length !== 1) throw misuse(args.positional.length === 0 ? "name one app, e.g. npm run restore -- sonarr" : `name one app, got ${args.positional.join(" ")}`);
    const app = args.positional[0];
    if (!(RESTORABLE_APPS as string[]).includes(app)) {
        throw new OneLineError(`homelab: unknown app "${app}"${didYouMean(app, RESTORABLE_APPS)}: apps with backed-up volumes are ${RESTORABLE_APPS.join(", ")}`, USAGE_EXIT);
    }
    return { stack: args.stack, app: app as AppId, snapshot, host: args.values.get("--host") };
}

async function main(): Promise<number> {
    const { app, snapshot, host: hostName, stack: given } = restoreArgs(process.argv.slice(2));
    const stack = chooseHostStack(given);
    const cfg = loadStackConfig(stack);
    if (!cfg.backup) throw new OneLineError(`homelab: backups are off for stack ${stack.stack} (homelab:backup.repository is not set): nothing to restore`, 3);
    // Each host backs up its own apps' volumes: the app is restored on the host it runs on.
    const host = hostOfApp(cfg, app, hostName);
    const shell = hostShell(stack, cfg, host);
    const args = [app, ...(snapshot ? [snapshot] : [])].map(shellQuote).join(" ");
    return shell.stream(`set -e
${ENGINE_CHECK}if ! command -v homelab-backup >/dev/null 2>&1; then
    echo "homelab: backups are not installed on $(hostname): run pulumi up with homelab:backup.repository set" >&2
    exit 3
fi
exec homelab-backup restore ${args}
`);
}

if (require.main === module) runCli(main);
