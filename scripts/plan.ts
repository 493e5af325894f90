/**
 * `npm run plan -- [--stack NAME] [--stack-file FILE] [--json FILE] [--docs FILE] [--diagram] [--policy-grpc]`: the
 * offline plan of the user's stack (scripts/cli.ts chooses it). Evaluates index.ts with the stack file under the
 * mock engine, as `pulumi preview` would (secure values become placeholders, ids stay unknown), prints the settings
 * that decide the deploy and what would be deployed, writes the stack page (Mermaid diagram + plan) to a temporary
 * file and says where (`--diagram` prints the diagram too), runs the policy pack on the graph, and exits non-zero
 * on a config error or a mandatory policy violation. It writes no file of the repository unless asked: `--docs
 * docs/stack.md` regenerates the committed page, which is the example stack's only.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { evaluateGraph, Violation } from "../policies/evaluate";
import { SecretKey, NAMESPACE } from "../components/config";
import { NO_LOCAL_FILES_ENV } from "../components/docker-host";
import { ChosenStack, chooseStack, CommandSpec, EXAMPLE_STACK, examplePlaceholders, OneLineError, parseArgs, parseStackFile, ROOT, runCli, USAGE_EXIT } from "./cli";
import { CapturedResource, readableInputs, runProgram } from "./mock-engine";
import { buildStackView, renderMermaid, renderPlanText, renderStackMarkdown } from "./stack-view";

/** The committed page of the example stack. */
export const EXAMPLE_DOCS = path.join(ROOT, "docs", "stack.md");

export const PLAN_COMMAND: CommandSpec = {
    name: "plan",
    synopsis: "[--stack NAME] [--stack-file FILE] [--json FILE] [--docs FILE] [--diagram] [--policy-grpc]",
    help: [
        "The offline plan: runs the program on your stack file under Pulumi's mock engine (no Pulumi CLI, no server),",
        "prints the settings that decide the deploy, every container, host command and wiring step, and checks the",
        "graph with the policy pack. Exit 1 on a config error, 3 on a mandatory policy violation.",
        "",
        "  --json FILE        also write the resource graph (secrets redacted) to FILE",
        "  --docs FILE        also write the stack page (Mermaid diagram + plan) to FILE; docs/stack.md is the",
        "                     example stack's page and is written only for the example (CI: --stack dev --docs docs/stack.md)",
        "  --diagram          print the Mermaid diagram on the terminal too (its page is always written to a temporary file)",
        "  --no-docs          accepted for older scripts: the plan writes no file of the repository unless --docs says so",
        "  --policy-grpc      run the policy pack in its own process over the analyzer protocol, as the Pulumi CLI does",
    ],
    valueOptions: ["--json", "--docs"],
    flags: ["--no-docs", "--diagram", "--policy-grpc"],
};

/** Shape-valid stand-ins for secrets, which only the Pulumi CLI can decrypt. */
const SECRET_PLACEHOLDERS: Partial<Record<SecretKey, string>> = {
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nplan-placeholder\n-----END OPENSSH PRIVATE KEY-----\n",
    wireguardPrivateKey: `${"A".repeat(43)}=`,
    openvpnPassword: "plan-placeholder",
};

interface StackConfig {
    config: Record<string, unknown>;
    secretKeys: string[];
}

/** Reads Pulumi.<stack>.yaml the way the CLI hands config to a program: `secure:` values decrypted (here: placeholders). */
function isSecure(value: unknown): boolean {
    return !!value && typeof value === "object" && !Array.isArray(value) && "secure" in (value as Record<string, unknown>);
}

function containsSecure(value: unknown): boolean {
    if (isSecure(value)) return true;
    return !!value && typeof value === "object" && Object.values(value as Record<string, unknown>).some(containsSecure);
}

/** The value with every nested `{ secure: ... }` replaced by the placeholder of its key (an SSH key for a host's sshPrivateKey). */
function withPlaceholders(value: unknown, name = ""): unknown {
    if (isSecure(value)) return SECRET_PLACEHOLDERS[name as SecretKey] ?? "plan-placeholder";
    if (Array.isArray(value)) return value.map((v) => withPlaceholders(v));
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPlaceholders(v, k)]));
    return value;
}

export function readStackConfig(file: string): StackConfig {
    const config: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(parseStackFile(file))) {
        if (value && typeof value === "object" && !("secure" in (value as Record<string, unknown>)) && containsSecure(value)) {
            // A secret set with --path inside a map (homelab:storage.password, homelab:alerts.ntfy.token,
            // homelab:hosts.<name>.sshPrivateKey): the CLI decrypts it in place and reports the whole key as secret.
            config[key] = withPlaceholders(value);
            secretKeys.push(key);
        } else if (value && typeof value === "object" && "secure" in (value as Record<string, unknown>)) {
            const name = key.startsWith(`${NAMESPACE}:`) ? key.slice(NAMESPACE.length + 1) : key;
            config[key] = SECRET_PLACEHOLDERS[name as SecretKey] ?? "plan-placeholder";
            secretKeys.push(key);
        } else {
            config[key] = value;
        }
    }
    return { config, secretKeys };
}

/** The graph for `--json`: everything the engine would see, secrets redacted. */
function graphJson(resources: CapturedResource[]): unknown {
    return resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        dependencies: r.dependencies,
        propertyDependencies: r.propertyDependencies,
        inputs: readableInputs(r.serializedInputs),
    }));
}

/** Where the stack page goes without --docs: a temporary file, never the repository. */
function scratchPage(stack: string): string {
    const dir = path.join(os.tmpdir(), "homelab-media-plan");
    fs.mkdirSync(dir, { recursive: true });
    return path.join(dir, `${stack}.md`);
}

function describeChoice(chosen: ChosenStack): string {
    const file = path.relative(process.cwd(), chosen.stackFile) || chosen.stackFile;
    if (!chosen.isExample) return `${file}, ${chosen.reason}`;
    const placeholders = examplePlaceholders(chosen.stackFile);
    return `${file}, ${chosen.reason}; this is the example${placeholders.length > 0 ? ` (placeholders: ${placeholders.join(", ")})` : ""}: `
        + "make your own stack as README \"Deploy\" says";
}

function docsTarget(file: string | undefined, chosen: ChosenStack): string | undefined {
    if (file === undefined) return undefined;
    if (path.resolve(file) === EXAMPLE_DOCS && chosen.stack !== EXAMPLE_STACK) {
        throw new OneLineError(`plan: docs/stack.md is the example stack's page; write the page of stack "${chosen.stack}" elsewhere (--docs FILE)`, USAGE_EXIT);
    }
    return file;
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2), PLAN_COMMAND);
    if (args.positional.length > 0) throw new OneLineError(`plan: unexpected argument "${args.positional[0]}" (npm run plan -- --help)`, USAGE_EXIT);
    const chosen = chooseStack(args.stack);
    const docs = docsTarget(args.values.get("--docs"), chosen);
    const json = args.values.get("--json");
    const { config, secretKeys } = readStackConfig(chosen.stackFile);
    process.env[NO_LOCAL_FILES_ENV] = "1";

    const run = await runProgram({ config, secretKeys, preview: true, stack: chosen.stack });
    const view = buildStackView(run.resources);
    console.log(`Plan for stack "${chosen.stack}" (${describeChoice(chosen)}; ${run.resources.length} resources, evaluated offline as a preview)\n`);
    console.log(renderPlanText(view));
    console.log("\nOutputs:");
    console.log(JSON.stringify(run.outputs, null, 2));

    const page = renderStackMarkdown(view, chosen.stack);
    const scratch = scratchPage(chosen.stack);
    fs.writeFileSync(scratch, page);
    if (args.flags.has("--diagram")) console.log(`\nDiagram (Mermaid):\n${renderMermaid(view)}`);
    console.log(`\nDiagram and plan (Mermaid, Markdown): ${scratch}`);
    if (docs) {
        fs.mkdirSync(path.dirname(path.resolve(docs)), { recursive: true });
        fs.writeFileSync(docs, page);
        console.log(`Wrote ${path.relative(process.cwd(), docs) || docs}`);
    }
    if (json) {
        fs.writeFileSync(json, `${JSON.stringify(graphJson(run.resources), null, 2)}\n`);
        console.log(`Wrote ${json}`);
    }
    return reportPolicies(await evaluateGraph(run.resources, { transport: args.flags.has("--policy-grpc") ? "grpc" : "in-process" }));
}

/** Prints the pack's findings; a mandatory violation fails the plan like it fails `pulumi preview`. */
export function reportPolicies(violations: Violation[]): number {
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
    const advisory = violations.filter((v) => v.enforcementLevel !== "mandatory");
    console.log(`
Policy pack: ${mandatory.length} mandatory violation(s), ${advisory.length} advisory message(s)`);
    for (const v of [...mandatory, ...advisory]) {
        console.log(`  [${v.enforcementLevel}] ${v.policyName}${v.urn ? ` (${v.urn.split("::").pop()})` : ""}: ${v.message}`);
    }
    return mandatory.length > 0 ? 3 : 0;
}

if (require.main === module) runCli(main);
