/**
 * `npm run restore -- APP [--snapshot ID] [--host NAME] [--stack NAME] [--stack-file FILE]`: puts an app's volumes
 * back from the stack's restic repository, on the host the app runs on. On the host, `homelab-backup restore` stops the app's container, replaces
 * its volumes with the snapshot (the latest one of each volume unless --snapshot is given) and starts it
 * again. Bad input (an unknown app, backups off, an unreachable host, a wrong host key, a missing repository,
 * a wrong password) is one line and a non-zero exit, with nothing changed on the host.
 */
import { APP_IDS, AppId, CATALOG } from "../components/catalog";
import { hostOfApp, hostShell, loadStackConfig, OneLineError, runCli, takeStackOptions } from "./host-access";
import { shellQuote } from "../components/host-scripts";

const USAGE = "usage: npm run restore -- APP [--snapshot ID] [--host NAME] [--stack NAME] [--stack-file FILE]";

/** Apps that keep state in a volume: the ones a backup holds. */
export const RESTORABLE_APPS: AppId[] = APP_IDS.filter((id) => CATALOG[id].configPath !== undefined);

function parseArgs(rest: string[]): { app: AppId; snapshot?: string } {
    let snapshot: string | undefined;
    const positional: string[] = [];
    for (let i = 0; i < rest.length; i++) {
        if (rest[i] === "--snapshot") {
            snapshot = rest[++i];
            if (!snapshot || !/^[0-9a-f]{8,64}$/.test(snapshot)) throw new OneLineError(`homelab: --snapshot needs a snapshot id (8 to 64 hex digits, see \`homelab-backup snapshots\` on the host)`, 64);
        } else if (rest[i].startsWith("-")) throw new OneLineError(`homelab: unknown option ${rest[i]}. ${USAGE}`, 64);
        else positional.push(rest[i]);
    }
    if (positional.length !== 1) throw new OneLineError(`homelab: name one app. ${USAGE}`, 64);
    const app = positional[0];
    if (!(RESTORABLE_APPS as string[]).includes(app)) {
        throw new OneLineError(`homelab: unknown app "${app}": apps with backed-up volumes are ${RESTORABLE_APPS.join(", ")}`, 64);
    }
    return { app: app as AppId, snapshot };
}

async function main(): Promise<number> {
    const { stack, rest } = takeStackOptions(process.argv.slice(2));
    const { app, snapshot } = parseArgs(rest.filter((a, i) => a !== "--host" && rest[i - 1] !== "--host"));
    const cfg = loadStackConfig(stack);
    if (!cfg.backup) throw new OneLineError(`homelab: backups are off for stack ${stack.stack} (homelab:backup.repository is not set): nothing to restore`, 3);
    // Each host backs up its own apps' volumes: the app is restored on the host it runs on.
    const { host } = hostOfApp(cfg, app, rest);
    const shell = hostShell(stack, cfg, host);
    const args = [app, ...(snapshot ? [snapshot] : [])].map(shellQuote).join(" ");
    return shell.stream(`set -e
if ! command -v homelab-backup >/dev/null 2>&1; then
    echo "homelab: backups are not installed on $(hostname): run pulumi up with homelab:backup.repository set" >&2
    exit 3
fi
exec homelab-backup restore ${args}
`);
}

if (require.main === module) runCli(main);
