/**
 * The README stays in step with the code: every config key it names exists (read from the schema), every
 * setting is documented with its default, every `npm run` line is a script with options the command knows,
 * every `pulumi stack output NAME` is an output of the program, every output is documented, and each app's
 * address is the host name the program gives it.
 */
import * as fs from "fs";
import * as path from "path";
import { APP_IDS, CATALOG, RENAMED_APPS, RETIRED_APPS } from "../components/catalog";
import { CONFIG_KEYS, DEFAULTS, knownKeysAt, NAMESPACE, SECRET_KEYS } from "../components/config";
import { CommandSpec } from "../scripts/cli";
import { LOGS_COMMAND } from "../scripts/logs";
import { PLAN_COMMAND } from "../scripts/plan";
import { RESTORE_COMMAND } from "../scripts/restore";
import { STATUS_COMMAND } from "../scripts/status";

const ROOT = path.join(__dirname, "..");
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const referenceTable = readme.slice(readme.indexOf("## Configuration reference"), readme.indexOf("\n## ", readme.indexOf("## Configuration reference") + 3));
const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
/** The stack outputs: index.ts's exports (the Pulumi Node.js runtime makes every export of the program an output). */
const OUTPUTS = [...fs.readFileSync(path.join(ROOT, "index.ts"), "utf8").matchAll(/^export const (\w+)/gm)].map((m) => m[1]);
const COMMANDS: Record<string, CommandSpec> = { plan: PLAN_COMMAND, status: STATUS_COMMAND, logs: LOGS_COMMAND, restore: RESTORE_COMMAND };

/** Shell lines of the README's code blocks, comments dropped. */
function commandLines(): string[] {
    return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n")).map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
}

/** Is `homelab:a.b.c` a setting the program reads (nested maps: their keys from the schema, or app names)? */
function isKnownKey(dotted: string): boolean {
    const [top, ...rest] = dotted.split(".");
    if (!(CONFIG_KEYS as readonly string[]).includes(top)) return false;
    if (rest.length === 0) return true;
    // App maps: app names, and the old or retired names the program refuses with one line saying what to do.
    if (["apps", "images", "memoryLimits", "hostPorts", "placement"].includes(top)) {
        return rest.length === 1 && ((APP_IDS as readonly string[]).includes(rest[0]) || rest[0] in RENAMED_APPS || RETIRED_APPS.has(rest[0]));
    }
    // Host names are the user's own: `hosts.<name>.<setting>`.
    if (top === "hosts") return rest.length === 2 && knownKeysAt(["hosts", rest[0]]).includes(rest[1]);
    let prefix = [top];
    for (const part of rest) {
        if (!knownKeysAt(prefix).includes(part)) return false;
        prefix = [...prefix, part];
    }
    return true;
}

describe("README configuration reference", () => {
    it.each(CONFIG_KEYS)("documents homelab:%s", (key) => {
        expect(referenceTable).toMatch(new RegExp("`" + key + "`"));
    });

    it("states the same defaults as components/config.ts", () => {
        const plainDefaults: [string, unknown][] = Object.entries(DEFAULTS).filter(([, v]) => typeof v !== "object");
        for (const [key, value] of plainDefaults) {
            const row = referenceTable.split("\n").find((line) => line.includes("`" + key + "`"));
            expect({ key, row }).toEqual({ key, row: expect.stringContaining("`" + String(value) + "`") });
        }
    });
});

describe("README lines and the code", () => {
    test("every homelab:<key> it names is a setting the program reads", () => {
        const named = [...readme.matchAll(new RegExp(`\\b${NAMESPACE}:([A-Za-z][\\w.]*[A-Za-z0-9])`, "g"))].map((m) => m[1]);
        expect(named.length).toBeGreaterThan(20);
        expect([...new Set(named)].filter((k) => !isKnownKey(k))).toEqual([]);
    });

    test("every `pulumi config set` line sets a known key, with --secret for credentials and --path for nested ones", () => {
        const sets = commandLines().filter((l) => l.startsWith("pulumi config set"));
        expect(sets.length).toBeGreaterThan(5);
        for (const line of sets) {
            const key = /'?homelab:([\w.]+)'?/.exec(line)?.[1] ?? "";
            expect({ line, known: isKnownKey(key) }).toEqual({ line, known: true });
            // Credentials: the secret keys, and those inside a map (the SMB password, the alert channels' tokens).
            const credential = (SECRET_KEYS as readonly string[]).includes(key) || /^(storage\.password|alerts\.\w+\.token|hosts\.[\w-]+\.sshPrivateKey)$/.test(key);
            expect({ line, secret: line.includes("--secret") }).toEqual({ line, secret: credential });
            expect({ line, path: line.includes("--path") }).toEqual({ line, path: key.includes(".") });
        }
    });

    test("every `npm run` line is a script of package.json, with options its command knows", () => {
        const lines = commandLines().filter((l) => l.startsWith("npm run "));
        expect(lines.length).toBeGreaterThan(5);
        for (const line of lines) {
            const [, script, args = ""] = /^npm run ([\w:]+)(?: -- (.*))?$/.exec(line) ?? [];
            expect({ line, script: script in scripts }).toEqual({ line, script: true });
            const spec = COMMANDS[script];
            if (!spec) continue;
            const known = ["--stack", "--stack-file", "--help", ...spec.valueOptions, ...spec.flags];
            const options = [...args.matchAll(/(?:^|[\s[])(--?[\w-]+)/g)].map((m) => m[1]);
            expect({ line, unknown: options.filter((o) => !known.includes(o)) }).toEqual({ line, unknown: [] });
        }
    });

    test("every `pulumi stack output` it names is an output of the program, and every output is documented", () => {
        const named = commandLines().flatMap((l) => [...l.matchAll(/pulumi stack output (?:--show-secrets )?(\w+)/g)].map((m) => m[1]));
        expect(named.filter((n) => !OUTPUTS.includes(n))).toEqual([]);
        const outputsSection = readme.slice(readme.indexOf("### Stack outputs"));
        expect(OUTPUTS.filter((o) => !outputsSection.includes("`" + o + "`"))).toEqual([]);
    });

    test("each app's address is the host name the program gives it (Jellyseerr's is requests.)", () => {
        const table = readme.slice(readme.indexOf("### Where each app is"));
        for (const id of APP_IDS) {
            const app = CATALOG[id];
            if (app.subdomain === undefined) continue;
            const row = table.split("\n").find((l) => l.startsWith(`| ${app.title} |`));
            expect({ id, row }).toEqual({ id, row: expect.stringContaining(`\`https://${app.subdomain}.<domain>\``) });
            expect({ id, row }).toEqual({ id, row: expect.stringContaining(app.exposure === "public" ? "anywhere" : "LAN only") });
            expect({ id, row }).toEqual({ id, row: expect.stringContaining(`:${app.port}`) });
        }
    });

    test("the number of secrets it says the example has is the example's", () => {
        const secure = (fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8").match(/^\s+secure:/gm) ?? []).length;
        const words = ["no", "one", "two", "three", "four", "five"];
        expect(readme).toContain(`the example's ${words[secure]} \`secure:\` values`);
    });

    test("every file and folder of the layout exists", () => {
        const layout = readme.slice(readme.indexOf("## Layout"));
        const block = /```\n([\s\S]*?)```/.exec(layout)?.[1] ?? "";
        const entries = block.split("\n").map((l) => l.split(/\s{2,}/)[0].trim()).filter(Boolean);
        expect(entries.length).toBeGreaterThan(8);
        // "components/a.ts, b.ts": b.ts beside a.ts.
        const paths = entries.flatMap((entry) => {
            const [first, ...more] = entry.split(/,\s*/);
            return [first, ...more.map((p) => `${path.dirname(first)}/${p}`)];
        });
        const missing = paths.filter((p) => !fs.existsSync(path.join(ROOT, p.replace(/\*.*$/, ""))));
        expect(missing).toEqual([]);
        // ... and every top-level entry of the repository is in it.
        const tracked = fs.readdirSync(ROOT).filter((f) => ![".git", "node_modules", ".gitignore", "README.md", "package-lock.json", "coverage", "bin"].includes(f));
        expect(tracked.filter((f) => !new RegExp(`(^|\\s)${f.replace(/[.*]/g, (c) => `\\${c}`)}`, "m").test(block))).toEqual([]);
    });
});
