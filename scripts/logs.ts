/**
 * `npm run logs -- APP [--follow] [--tail N] [--host NAME] [--stack NAME] [--stack-file FILE]`: an app's container
 * logs from the host it runs on, reached the way the program reaches it (scripts/host-access.ts). Read-only.
 */
import { APP_IDS, AppId } from "../components/catalog";
import { shellQuote } from "../components/host-scripts";
import { hostOfApp, hostShell, loadStackConfig, OneLineError, runCli, takeStackOptions } from "./host-access";

const USAGE = "usage: npm run logs -- APP [--follow] [--tail N] [--host NAME] [--stack NAME] [--stack-file FILE]";

async function main(): Promise<number> {
    const { stack, rest: args } = takeStackOptions(process.argv.slice(2));
    const rest = args.filter((a, i) => a !== "--host" && args[i - 1] !== "--host");
    let follow = false;
    let tail = "200";
    const positional: string[] = [];
    for (let i = 0; i < rest.length; i++) {
        if (rest[i] === "--follow" || rest[i] === "-f") follow = true;
        else if (rest[i] === "--tail") tail = rest[++i] ?? "";
        else if (rest[i].startsWith("-")) throw new OneLineError(`homelab: unknown option ${rest[i]}. ${USAGE}`, 64);
        else positional.push(rest[i]);
    }
    if (!/^(\d+|all)$/.test(tail)) throw new OneLineError(`homelab: --tail needs a number of lines or "all"`, 64);
    if (positional.length !== 1) throw new OneLineError(`homelab: name one app. ${USAGE}`, 64);
    const app = positional[0];
    const cfg = loadStackConfig(stack);
    if (!(APP_IDS as readonly string[]).includes(app)) throw new OneLineError(`homelab: unknown app "${app}": this stack runs ${cfg.enabledApps.join(", ")}`, 64);
    if (!(cfg.enabledApps as string[]).includes(app)) throw new OneLineError(`homelab: ${app} is not enabled in stack ${stack.stack} (homelab:apps.${app})`, 64);
    // The app's container is on the host its placement names (--host only confirms it).
    const { host } = hostOfApp(cfg, app as AppId, args);
    const shell = hostShell(stack, cfg, host);
    return shell.stream(`if ! docker inspect ${shellQuote(app)} >/dev/null 2>&1; then
    echo "homelab: there is no container ${app} on $(hostname) (pulumi up creates it)" >&2
    exit 4
fi
exec docker logs --timestamps --tail ${tail}${follow ? " --follow" : ""} ${shellQuote(app)}
`);
}

if (require.main === module) runCli(main);
