/**
 * What the commands (`plan`, `status`, `logs`, `restore`) share: `--help`, one line per misuse, reading a stack
 * file, and choosing the user's stack. The stack is, in order: `--stack NAME` (or `--stack-file FILE`), the
 * PULUMI_STACK variable, the stack selected for the Pulumi CLI (`pulumi stack select`/`init`, read offline from
 * Pulumi's workspace file), the only stack file besides the example `dev`; with several and none chosen the
 * command lists them, with none the example is used and said to be the example.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";
import { PROJECT_NAME } from "../components/config";
import { didYouMean } from "../components/suggest";

export const ROOT = path.join(__dirname, "..");
/** The committed example stack: Pulumi.dev.yaml, with a placeholder host and placeholder secrets. */
export const EXAMPLE_STACK = "dev";

/** A problem to report to the user in one line, with a non-zero exit. */
export class OneLineError extends Error {
    constructor(message: string, public readonly exitCode = 1) {
        super(message);
        this.name = "OneLineError";
    }
}

/** Exit status for a misuse (BSD's EX_USAGE). */
export const USAGE_EXIT = 64;

export interface StackOptions { stack: string; stackFile?: string }

export interface ChosenStack extends StackOptions {
    stackFile: string;
    /** How it was chosen, for the first line a command prints. */
    reason: string;
    /** The committed example (or a file that still carries its placeholders). */
    isExample: boolean;
}

export interface CommandSpec {
    /** `npm run NAME -- ...` */
    name: string;
    /** The argument synopsis after the command name. */
    synopsis: string;
    /** Lines of --help after the synopsis. */
    help: string[];
    /** Options that take a value (besides --stack and --stack-file). */
    valueOptions: string[];
    /** Options without a value. */
    flags: string[];
}

export interface ParsedArgs {
    stack: Partial<StackOptions>;
    values: Map<string, string>;
    flags: Set<string>;
    positional: string[];
}

const STACK_HELP = [
    "  --stack NAME       the stack to use (Pulumi.NAME.yaml beside Pulumi.yaml). Default: PULUMI_STACK, else the stack",
    "                     selected for the Pulumi CLI (pulumi stack select), else the only Pulumi.<name>.yaml besides the",
    "                     example dev",
    "  --stack-file FILE  read the stack's settings from FILE instead",
    "  --help             this text",
];

export function usageLine(spec: CommandSpec): string {
    return `usage: npm run ${spec.name} -- ${spec.synopsis}`;
}

export function helpText(spec: CommandSpec): string {
    return [usageLine(spec), "", ...spec.help, "", "Options:", ...STACK_HELP].join("\n");
}

/** Splits the arguments; `--help` prints the help and exits 0; a misuse is one line (exit 64). */
export function parseArgs(argv: string[], spec: CommandSpec): ParsedArgs {
    if (argv.includes("--help") || argv.includes("-h")) {
        console.log(helpText(spec));
        process.exit(0);
    }
    const misuse = (what: string) => new OneLineError(`${spec.name}: ${what} (npm run ${spec.name} -- --help)`, USAGE_EXIT);
    const parsed: ParsedArgs = { stack: {}, values: new Map(), flags: new Set(), positional: [] };
    const valueOptions = ["--stack", "--stack-file", ...spec.valueOptions];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (valueOptions.includes(arg)) {
            const value = argv[i + 1];
            if (value === undefined || value === "" || value.startsWith("--")) throw misuse(`${arg} needs a ${arg === "--stack" ? "stack name" : arg === "--stack-file" ? "file" : "value"}`);
            i++;
            if (arg === "--stack") parsed.stack.stack = value;
            else if (arg === "--stack-file") parsed.stack.stackFile = value;
            else parsed.values.set(arg, value);
        } else if (spec.flags.includes(arg)) {
            parsed.flags.add(arg);
        } else if (arg.startsWith("-")) {
            throw misuse(`unknown option ${arg}${didYouMean(arg, [...valueOptions, ...spec.flags, "--help"])}`);
        } else {
            parsed.positional.push(arg);
        }
    }
    if (parsed.stack.stack !== undefined && !/^[\w.-]+$/.test(parsed.stack.stack)) throw misuse(`--stack needs a stack name (letters, digits, - _ .), got "${parsed.stack.stack}"`);
    return parsed;
}

/** Stack names that have a Pulumi.<name>.yaml beside Pulumi.yaml, sorted. */
export function stackFileNames(root = ROOT): string[] {
    return fs.readdirSync(root).map((f) => /^Pulumi\.([\w.-]+)\.yaml$/.exec(f)?.[1]).filter((n): n is string => n !== undefined).sort();
}

/** Pulumi's home (`PULUMI_HOME`, else ~/.pulumi). */
function pulumiHome(): string {
    return process.env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
}

/**
 * The stack selected for the Pulumi CLI in this project, read offline: the CLI keeps it in
 * `<PULUMI_HOME>/workspaces/<project>-<sha1 of the Pulumi.yaml path>-workspace.json` as `{"stack": "..."}`
 * (sdk/go/common/workspace/workspace.go, settingsPath). A qualified name (`org/project/name`) gives its last part.
 */
export function selectedStack(root = ROOT): string | undefined {
    const projectFile = path.join(path.resolve(root), "Pulumi.yaml");
    const digest = createHash("sha1").update(projectFile).digest("hex");
    const file = path.join(pulumiHome(), "workspaces", `${PROJECT_NAME}-${digest}-workspace.json`);
    try {
        const stack = (JSON.parse(fs.readFileSync(file, "utf8")) as { stack?: unknown }).stack;
        return typeof stack === "string" && stack !== "" ? stack.split("/").pop() : undefined;
    } catch {
        return undefined;
    }
}

/** The example's `secure:` placeholders and its host key, read from Pulumi.dev.yaml itself. */
function exampleMarkers(): { secure: Set<string>; hostKey?: string } {
    const file = path.join(ROOT, `Pulumi.${EXAMPLE_STACK}.yaml`);
    const config = fs.existsSync(file) ? parseStackFile(file) : {};
    const secure = new Set(Object.values(config).flatMap((v) => (v && typeof v === "object" && "secure" in v ? [String((v as { secure: unknown }).secure)] : [])));
    const hostKey = config["homelab:sshHostKey"];
    return { secure, hostKey: typeof hostKey === "string" ? hostKey : undefined };
}

/** Keys of a stack file that still hold the example's placeholders (its secure values, its host key). */
export function examplePlaceholders(file: string): string[] {
    const markers = exampleMarkers();
    return Object.entries(parseStackFile(file)).flatMap(([key, value]) => {
        const secure = value && typeof value === "object" && "secure" in value ? String((value as { secure: unknown }).secure) : undefined;
        if (secure !== undefined && markers.secure.has(secure)) return [key];
        if (key === "homelab:sshHostKey" && markers.hostKey !== undefined && value === markers.hostKey) return [key];
        return [];
    });
}

function stackFileOf(name: string, root: string): string {
    return path.join(root, `Pulumi.${name}.yaml`);
}

/** The stack a command acts on (see the module comment). */
export function chooseStack(given: Partial<StackOptions>, root = ROOT): ChosenStack {
    const finish = (stack: string, stackFile: string, reason: string): ChosenStack => {
        if (!fs.existsSync(stackFile)) {
            const existing = stackFileNames(root);
            throw new OneLineError(`homelab: no stack file ${path.relative(process.cwd(), stackFile) || stackFile} for stack "${stack}" (${reason}); `
                + `stack files here: ${existing.map((n) => `Pulumi.${n}.yaml`).join(", ") || "none"}`, USAGE_EXIT);
        }
        if (fs.statSync(stackFile).isDirectory()) throw new OneLineError(`homelab: --stack-file ${stackFile} is a directory, not a stack file`, USAGE_EXIT);
        const isExample = path.resolve(stackFile) === path.resolve(stackFileOf(EXAMPLE_STACK, root)) || examplePlaceholders(stackFile).length > 0;
        return { stack, stackFile, reason, isExample };
    };
    if (given.stackFile) {
        const fromName = /^Pulumi\.([\w.-]+)\.yaml$/.exec(path.basename(given.stackFile))?.[1];
        return finish(given.stack ?? fromName ?? path.basename(given.stackFile).replace(/\.ya?ml$/, ""), given.stackFile, "--stack-file");
    }
    if (given.stack) return finish(given.stack, stackFileOf(given.stack, root), "--stack");
    const fromEnv = process.env.PULUMI_STACK?.split("/").pop();
    if (fromEnv) return finish(fromEnv, stackFileOf(fromEnv, root), "PULUMI_STACK");
    const selected = selectedStack(root);
    if (selected) return finish(selected, stackFileOf(selected, root), "selected with pulumi stack select");
    const own = stackFileNames(root).filter((n) => n !== EXAMPLE_STACK);
    if (own.length === 1) return finish(own[0], stackFileOf(own[0], root), `the only stack file besides the example ${EXAMPLE_STACK}`);
    if (own.length > 1) {
        throw new OneLineError(`homelab: there are several stacks (${own.join(", ")}) and none is chosen: pass --stack NAME (or select one with \`pulumi stack select NAME\`)`, USAGE_EXIT);
    }
    return finish(EXAMPLE_STACK, stackFileOf(EXAMPLE_STACK, root), `no stack of your own yet: the example ${EXAMPLE_STACK}`);
}

/** Parses a stack file; a YAML mistake is one line with its place, never a stack trace. */
export function parseStackFile(file: string): Record<string, unknown> {
    const document = parseDocument(fs.readFileSync(file, "utf8"));
    const error = document.errors[0];
    if (error) {
        const what = error.message.split("\n")[0].replace(/:$/, "");
        throw new OneLineError(`homelab: ${path.relative(process.cwd(), file) || file} is not valid YAML: ${what} (indent nested keys with spaces, as in Pulumi.${EXAMPLE_STACK}.yaml)`, USAGE_EXIT);
    }
    const content = document.toJS() as unknown;
    if (content !== null && content !== undefined && (typeof content !== "object" || Array.isArray(content))) {
        throw new OneLineError(`homelab: ${file} is not a stack file: it must be a YAML map with a config: section`, USAGE_EXIT);
    }
    const config = (content as { config?: unknown } | null)?.config ?? {};
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        throw new OneLineError(`homelab: ${file}: config: must be a map of settings (homelab:<key>: <value>)`, USAGE_EXIT);
    }
    return config as Record<string, unknown>;
}

/** Runs a command's main: one line and a non-zero exit for a OneLineError or a config error, the stack otherwise. */
export function runCli(main: () => Promise<number>): void {
    main().then((code) => process.exit(code), (error: unknown) => {
        if (error instanceof OneLineError) {
            console.error(error.message);
            process.exit(error.exitCode);
        }
        // Config errors are for people: the message alone, no stack trace.
        if (error instanceof Error && error.name === "ConfigError") {
            console.error(error.message);
            process.exit(1);
        }
        console.error(error instanceof Error ? error.stack ?? error.message : String(error));
        process.exit(1);
    });
}
