/**
 * `npm run plan -- [--stack dev] [--stack-file FILE] [--json FILE] [--no-docs] [--policy-grpc]`: the offline
 * plan. Evaluates index.ts with Pulumi.<stack>.yaml under the mock engine, as `pulumi preview` would (secure values become placeholders,
 * ids stay unknown), prints what would be deployed, writes docs/stack.md (Mermaid diagram + plan), runs the
 * policy pack on the graph, and exits non-zero on a config error or a mandatory policy violation.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { evaluateGraph, Violation } from "../policies/evaluate";
import { SecretKey, NAMESPACE } from "../components/config";
import { NO_LOCAL_FILES_ENV } from "../components/docker-host";
import { CapturedResource, readableInputs, runProgram } from "./mock-engine";
import { buildStackView, renderPlanText, renderStackMarkdown } from "./stack-view";

const ROOT = path.join(__dirname, "..");

/** Shape-valid stand-ins for secrets, which only the Pulumi CLI can decrypt. */
const SECRET_PLACEHOLDERS: Record<SecretKey, string> = {
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nplan-placeholder\n-----END OPENSSH PRIVATE KEY-----\n",
    wireguardPrivateKey: `${"A".repeat(43)}=`,
    openvpnPassword: "plan-placeholder",
};

interface PlanOptions {
    stack: string;
    /** Defaults to Pulumi.<stack>.yaml beside index.ts. */
    stackFile?: string;
    json?: string;
    docs: boolean;
    /** `in-process` (default, fast) or `grpc`: the pack in its own process over the analyzer protocol, as the CLI runs it. */
    policyTransport: "in-process" | "grpc";
}

function parseArgs(argv: string[]): PlanOptions {
    const options: PlanOptions = { stack: "dev", docs: true, policyTransport: "in-process" };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--stack") options.stack = argv[++i] ?? "";
        else if (arg === "--stack-file") options.stackFile = argv[++i];
        else if (arg === "--json") options.json = argv[++i];
        else if (arg === "--no-docs") options.docs = false;
        else if (arg === "--policy-grpc") options.policyTransport = "grpc";
        else throw new UsageError(`unknown argument "${arg}"`);
    }
    if (!/^[\w.-]+$/.test(options.stack)) throw new UsageError("--stack needs a stack name");
    if (options.json === undefined && argv.includes("--json")) throw new UsageError("--json needs a file name");
    return options;
}

class UsageError extends Error {}

const USAGE = "usage: npm run plan -- [--stack NAME] [--stack-file FILE] [--json FILE] [--no-docs] [--policy-grpc]";

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
    const document = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(document.config ?? {})) {
        if (value && typeof value === "object" && !("secure" in (value as Record<string, unknown>)) && containsSecure(value)) {
            // A secret set with --path inside a map (homelab:storage.password, homelab:hosts.<name>.sshPrivateKey):
            // the whole key is a secret.
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

async function main(): Promise<number> {
    const options = parseArgs(process.argv.slice(2));
    const stackFile = options.stackFile ?? path.join(ROOT, `Pulumi.${options.stack}.yaml`);
    if (!fs.existsSync(stackFile)) throw new UsageError(`no stack file ${path.relative(process.cwd(), stackFile)}`);
    const { config, secretKeys } = readStackConfig(stackFile);
    process.env[NO_LOCAL_FILES_ENV] = "1";

    const run = await runProgram({ config, secretKeys, preview: true, stack: options.stack });
    const view = buildStackView(run.resources);
    console.log(`Plan for stack "${options.stack}" (${run.resources.length} resources, evaluated offline as a preview)\n`);
    console.log(renderPlanText(view));
    console.log("\nOutputs:");
    console.log(JSON.stringify(run.outputs, null, 2));

    if (options.docs) {
        const docFile = path.join(ROOT, "docs", "stack.md");
        fs.mkdirSync(path.dirname(docFile), { recursive: true });
        fs.writeFileSync(docFile, renderStackMarkdown(view, options.stack));
        console.log(`\nWrote ${path.relative(process.cwd(), docFile)}`);
    }
    if (options.json) {
        fs.writeFileSync(options.json, `${JSON.stringify(graphJson(run.resources), null, 2)}\n`);
        console.log(`Wrote ${options.json}`);
    }
    return reportPolicies(await evaluateGraph(run.resources, { transport: options.policyTransport }));
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

function fail(error: unknown): never {
    if (error instanceof UsageError) {
        console.error(`plan: ${error.message}\n${USAGE}`);
        process.exit(64);
    }
    // Config errors are for people: the message alone, no stack trace.
    const message = error instanceof Error ? (error.name === "ConfigError" ? error.message : error.stack ?? error.message) : String(error);
    console.error(message);
    process.exit(1);
}

if (require.main === module) main().then((code) => process.exit(code), fail);
