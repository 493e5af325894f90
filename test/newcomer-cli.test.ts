/**
 * A newcomer's path through the commands (issue 13): which stack they act on, --help, one line per misuse,
 * a broken stack file, and the example stack named as the example. Child processes run as a user runs them.
 */
import { spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chooseStack, CommandSpec, OneLineError, parseArgs, parseStackFile, selectedStack } from "../scripts/cli";
import { LOGS_COMMAND } from "../scripts/logs";
import { PLAN_COMMAND } from "../scripts/plan";
import { RESTORE_COMMAND } from "../scripts/restore";
import { STATUS_COMMAND } from "../scripts/status";

const ROOT = path.join(__dirname, "..");
const EXAMPLE = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-newcomer-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A project folder with the given stack files (and Pulumi.yaml), for the stack choice. */
function project(name: string, stacks: string[]): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    for (const stack of stacks) fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stack === "dev" ? EXAMPLE : "config: {}\n");
    return dir;
}

function choose(dir: string, given: { stack?: string; stackFile?: string } = {}, env: Record<string, string> = {}) {
    const saved = { PULUMI_STACK: process.env.PULUMI_STACK, PULUMI_HOME: process.env.PULUMI_HOME };
    process.env.PULUMI_STACK = env.PULUMI_STACK ?? "";
    process.env.PULUMI_HOME = env.PULUMI_HOME ?? path.join(tmp, "no-pulumi-home");
    try {
        return chooseStack(given, dir);
    } finally {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    }
}

describe("the stack a command acts on", () => {
    test("the only stack file besides the example", () => {
        expect(choose(project("one", ["dev", "home"]))).toMatchObject({ stack: "home", isExample: false, reason: "the only stack file besides the example dev" });
    });

    test("no stack of one's own: the example, said to be the example", () => {
        expect(choose(project("none", ["dev"]))).toMatchObject({ stack: "dev", isExample: true });
    });

    test("several and none chosen: one line naming them", () => {
        const dir = project("several", ["dev", "home", "lab"]);
        expect(() => choose(dir)).toThrow(OneLineError);
        expect(() => choose(dir)).toThrow(/^homelab: there are several stacks \(home, lab\) and none is chosen: pass --stack NAME \(or select one with `pulumi stack select NAME`\)$/);
    });

    test("the stack selected for the Pulumi CLI, read from its workspace file", () => {
        const dir = project("selected", ["dev", "home", "lab"]);
        const pulumiHome = path.join(tmp, "pulumi-home");
        // sdk/go/common/workspace/workspace.go: <project>-<sha1 of the Pulumi.yaml path>-workspace.json
        const digest = createHash("sha1").update(path.join(dir, "Pulumi.yaml")).digest("hex");
        fs.mkdirSync(path.join(pulumiHome, "workspaces"), { recursive: true });
        fs.writeFileSync(path.join(pulumiHome, "workspaces", `homelab-media-${digest}-workspace.json`), JSON.stringify({ stack: "lab" }));
        process.env.PULUMI_HOME = pulumiHome;
        try {
            expect(selectedStack(dir)).toBe("lab");
        } finally {
            delete process.env.PULUMI_HOME;
        }
        expect(choose(dir, {}, { PULUMI_HOME: pulumiHome })).toMatchObject({ stack: "lab", reason: "selected with pulumi stack select" });
        expect(choose(dir, {}, { PULUMI_HOME: pulumiHome, PULUMI_STACK: "home" })).toMatchObject({ stack: "home", reason: "PULUMI_STACK" });
        expect(choose(dir, { stack: "dev" }, { PULUMI_HOME: pulumiHome })).toMatchObject({ stack: "dev", isExample: true });
    });

    test("a named stack without a file: one line listing the stack files there are", () => {
        expect(() => choose(project("missing", ["dev", "home"]), { stack: "hom" })).toThrow(/^homelab: no stack file .*Pulumi\.hom\.yaml for stack "hom" \(--stack\); stack files here: Pulumi\.dev\.yaml, Pulumi\.home\.yaml$/);
    });

    test("a copy of the example that keeps its placeholders counts as the example", () => {
        const dir = project("copied", ["dev"]);
        fs.writeFileSync(path.join(dir, "Pulumi.home.yaml"), EXAMPLE);
        expect(choose(dir)).toMatchObject({ stack: "home", isExample: true });
    });
});

// ---- the commands as a user runs them ------------------------------------------------------------------

interface Run { status: number | null; stdout: string; stderr: string }

function run(script: string, args: string[]): Promise<Run> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["-r", path.join(ROOT, "scripts", "register-ts.js"), path.join(ROOT, "scripts", `${script}.ts`), ...args],
            { cwd: ROOT, env: { ...process.env, HOME: tmp, PULUMI_STACK: "", PULUMI_HOME: path.join(tmp, "no-pulumi-home") } });
        let stdout = "", stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c));
        child.stderr.on("data", (c: Buffer) => (stderr += c));
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

const COMMANDS: [string, CommandSpec][] = [["plan", PLAN_COMMAND], ["status", STATUS_COMMAND], ["logs", LOGS_COMMAND], ["restore", RESTORE_COMMAND]];

/** What parseArgs does with these arguments: the help it prints, or the one line it throws. */
function parsed(spec: CommandSpec, argv: string[]): { help?: string; error?: string } {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const exit = jest.spyOn(process, "exit").mockImplementation(((code?: number) => {
        throw new Error(`exit ${code}`);
    }) as never);
    try {
        parseArgs(argv, spec);
        return {};
    } catch (error) {
        if ((error as Error).message === "exit 0") return { help: log.mock.calls.map((c) => String(c[0])).join("\n") };
        expect(error).toBeInstanceOf(OneLineError);
        expect((error as OneLineError).exitCode).toBe(64);
        return { error: (error as Error).message };
    } finally {
        log.mockRestore();
        exit.mockRestore();
    }
}

describe.each(COMMANDS)("%s", (command, spec) => {
    test("--help prints its usage and options", () => {
        const { help } = parsed(spec, ["--help"]);
        expect(help).toMatch(new RegExp(`^usage: npm run ${command} -- `));
        expect(help).toContain("--stack NAME");
        expect(help).toContain("--stack-file FILE");
    });

    test("--stack-file without a file (or followed by another option) is one line", () => {
        expect(parsed(spec, ["--stack-file"])).toEqual({ error: `${command}: --stack-file needs a file (npm run ${command} -- --help)` });
        expect(parsed(spec, ["--stack-file", "--stack", "home"])).toEqual({ error: `${command}: --stack-file needs a file (npm run ${command} -- --help)` });
    });

    test("a misspelt option is one line naming the right one", () => {
        expect(parsed(spec, ["--stak", "home"])).toEqual({ error: `${command}: unknown option --stak (did you mean \`--stack\`?) (npm run ${command} -- --help)` });
    });
});

test("a YAML indentation error is one line with its place", () => {
    const broken = path.join(tmp, "Pulumi.broken.yaml");
    fs.writeFileSync(broken, "config:\n  homelab:host: 192.168.1.10\n   homelab:sshPort: 22\n");
    expect(() => parseStackFile(broken)).toThrow(/^homelab: .*Pulumi\.broken\.yaml is not valid YAML: .* at line 2, column \d+ \(indent nested keys with spaces, as in Pulumi\.dev\.yaml\)$/);
});

describe("as a user runs them (one child process each)", () => {
    const broken = path.join(tmp, "Pulumi.broken2.yaml");
    let runs: Run[];
    beforeAll(async () => {
        fs.writeFileSync(broken, "config:\n  homelab:apps:\n    lidarr: true\n   readarr: false\n");
        runs = await Promise.all([
            run("plan", ["--help"]),
            run("status", ["--stack-file"]),
            run("logs", ["sonarr", "--stack-file", broken]),
            run("plan", ["--stack-file", broken]),
        ]);
    }, 120_000);

    test("plan --help: exit 0, the usage on stdout", () => {
        expect([runs[0].status, runs[0].stderr]).toEqual([0, ""]);
        expect(runs[0].stdout).toMatch(/^usage: npm run plan -- /);
    });

    test("status --stack-file: one line, exit 64", () => {
        expect([runs[1].status, runs[1].stdout, runs[1].stderr]).toEqual([64, "", "status: --stack-file needs a file (npm run status -- --help)\n"]);
    });

    test.each([[2, "logs"], [3, "plan"]])("%s on a stack file with an indentation error: one line, no stack trace", (i) => {
        expect([runs[i].status, runs[i].stdout]).toEqual([64, ""]);
        expect(runs[i].stderr.trim().split("\n")).toEqual([expect.stringMatching(/^homelab: .*Pulumi\.broken2\.yaml is not valid YAML: All mapping items must start at the same column at line 4, column 1/)]);
    });
});

test("status, logs and restore against the example say it is the example, in one line, without trying its placeholder host", async () => {
    const runs = await Promise.all([run("status", ["--stack", "dev"]), run("logs", ["sonarr", "--stack", "dev"]), run("restore", ["sonarr", "--stack", "dev"])]);
    for (const r of runs) {
        expect([r.status, r.stdout]).toEqual([3, ""]);
        expect(r.stderr.trim().split("\n")).toEqual([
            expect.stringMatching(/^homelab: stack "dev" \(Pulumi\.dev\.yaml, --stack\) is the example, not a server of yours: homelab:sshHostKey, homelab:sshPrivateKey, homelab:wireguardPrivateKey are placeholders\. Make your own stack/),
        ]);
    }
}, 60_000);
