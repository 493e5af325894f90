/**
 * "Done when" of issue 13: a fresh clone, followed step by step from the README's Deploy section with a stack
 * of the user's own name, reaches a plan of that stack with no committed file changed.
 *
 * The clone is this working tree's files committed into a new repository in a temporary folder. The README's
 * shell lines run for real (bash) except the Pulumi CLI's, which cannot be installed here: `pulumi stack init
 * NAME` selects the stack as the CLI records it (its workspace file), and each `pulumi config set` line is
 * applied to the stack file as the CLI writes it (a `--secret` value becomes a `secure:` ciphertext, which the
 * offline plan never decrypts). Then `npm run plan` runs exactly as package.json says, with no argument.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";

const ROOT = path.join(__dirname, "..");
const USER_STACK = "alice";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-clone-"));
const clone = path.join(tmp, "homelab-media");
const pulumiHome = path.join(tmp, "pulumi-home");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function sh(command: string, cwd = clone) {
    const r = spawnSync("bash", ["-c", command], { cwd, encoding: "utf8", env: { ...process.env, HOME: tmp, PULUMI_HOME: pulumiHome, PULUMI_STACK: "" } });
    if (r.status !== 0) throw new Error(`${command}: ${r.stderr}`);
    return r.stdout;
}

/** The README's Deploy block: the shell lines up to the first that needs the server. */
function deploySteps(): string[] {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const block = /```sh\n((?:(?!```)[\s\S])*?pulumi stack init[\s\S]*?)```/.exec(readme)?.[1];
    if (!block) throw new Error("README has no sh block with `pulumi stack init`");
    return block.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
}

/** `pulumi config set [--secret] [--path] KEY VALUE` as the CLI writes it into Pulumi.<stack>.yaml. */
function applyConfigSet(line: string, stackFile: string): void {
    const m = /^pulumi config set((?: --\w+)*) '?([\w.:-]+)'?\s*(.*)$/.exec(line);
    if (!m) throw new Error(`unreadable config line: ${line}`);
    const [, flags, key, rest] = m;
    const document = parseDocument(fs.readFileSync(stackFile, "utf8"));
    let value: unknown;
    if (flags.includes("--secret")) value = { secure: `v1:${Buffer.from(`ciphertext of ${key}`).toString("base64")}` };
    else if (rest.startsWith('"$(ssh-keyscan')) value = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFreshCloneTestHostKeyOfTheUsersServer01234";
    else value = rest.replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1");
    if (flags.includes("--path")) {
        const [top, ...inner] = key.split(".");
        document.setIn(["config", top, ...inner], value);
    } else {
        document.setIn(["config", key], value);
    }
    fs.writeFileSync(stackFile, document.toString());
}

test("a fresh clone followed from the README plans the user's own stack and changes no committed file", () => {
    fs.mkdirSync(clone);
    const files = sh("git ls-files -z --cached --others --exclude-standard", ROOT).split("\0").filter((f) => f && fs.existsSync(path.join(ROOT, f)));
    for (const file of files) {
        fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, file), path.join(clone, file));
    }
    sh("git init -q && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm clone && echo node_modules >> .git/info/exclude");
    // `npm ci` of the clone: the same installed tree.
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"));

    let stack: string | undefined;
    for (const step of deploySteps().map((l) => l.replace(/\bhome\b/g, USER_STACK))) {
        if (/^(npm (test|ci)|pulumi (preview|up|stack output))\b/.test(step)) break;
        if (step === `npm run plan`) break;
        if (step.startsWith("pulumi login")) continue;
        const init = /^pulumi stack init ([\w.-]+)$/.exec(step);
        if (init) {
            stack = init[1];
            const digest = createHash("sha1").update(path.join(clone, "Pulumi.yaml")).digest("hex");
            fs.mkdirSync(path.join(pulumiHome, "workspaces"), { recursive: true });
            fs.writeFileSync(path.join(pulumiHome, "workspaces", `homelab-media-${digest}-workspace.json`), JSON.stringify({ stack }));
            continue;
        }
        if (step.startsWith("pulumi config set")) {
            expect(stack).toBeDefined();
            applyConfigSet(step, path.join(clone, `Pulumi.${stack}.yaml`));
            continue;
        }
        sh(step);
    }
    expect(stack).toBe(USER_STACK);

    const planScript = (JSON.parse(fs.readFileSync(path.join(clone, "package.json"), "utf8")) as { scripts: { plan: string } }).scripts.plan;
    const [node, ...nodeArgs] = planScript.split(" ");
    expect(node).toBe("node");
    const r = spawnSync(process.execPath, nodeArgs, { cwd: clone, encoding: "utf8", env: { ...process.env, HOME: tmp, PULUMI_HOME: pulumiHome, PULUMI_STACK: "" } });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(r.stdout).toMatch(new RegExp(`^Plan for stack "${USER_STACK}" \\(Pulumi\\.${USER_STACK}\\.yaml, selected with pulumi stack select;`));
    expect(r.stdout).not.toContain("PLACEHOLDER");
    expect(sh("git status --porcelain")).toBe(`?? Pulumi.${USER_STACK}.yaml\n`);
}, 90_000);
