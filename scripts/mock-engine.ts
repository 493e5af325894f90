/**
 * Runs the real program (index.ts) under Pulumi's mock engine and records every resource registration
 * exactly as the engine would receive it: type, name, parent, dependencies, property dependencies and the
 * serialized inputs (unknown values and secrets in their wire form).
 *
 * Used by the tests, by `npm run plan` and by the host suite, so that all of them look at the same graph.
 * Load this module before anything else imports `@pulumi/pulumi` state, and run one program per process
 * (Jest gives each test file its own module registry, which counts as one process here).
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import type { GraphResource } from "../policies/wire";

export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

export const PROJECT = "homelab-media";

/**
 * One registration as the engine receives it (urn, type, name, parent, provider, dependencies,
 * propertyDependencies, inputs in wire form: unknowns are `UNKNOWN`, secrets `{ [SIG_KEY]: SECRET_SIG, value }`).
 * The same shape the policy pack analyses.
 */
/** A registration as the engine receives it; `aliases`: the names of its alias specs (renamed resources). */
export type CapturedResource = GraphResource & { aliases?: string[] };

export interface ProgramRun {
    resources: CapturedResource[];
    /** Stack outputs (the program module's exports), resolved; secrets are redacted. */
    outputs: Record<string, unknown>;
    preview: boolean;
}

export interface ProgramOptions {
    /** Config values keyed `namespace:key`; objects and arrays are JSON-encoded like the CLI does. */
    config: Record<string, unknown>;
    /** Keys (`namespace:key`) that were set with `--secret`. */
    secretKeys?: string[];
    /** Preview (`pulumi preview`): ids and provider-computed outputs stay unknown. */
    preview?: boolean;
    stack?: string;
    /** Defaults to the repository's index.ts. */
    programPath?: string;
    /** Stack outputs with secrets in the clear (the host suite logs in with the generated password). */
    revealSecrets?: boolean;
}

export interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProvider(): string;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getAliasesList(): { getUrn(): string; getSpec(): { getName(): string } | undefined }[];
}

export interface RecordingMonitor {
    newUrn(parent: string, type: string, name: string): string;
    registerResource(req: RegisterRequest, callback: (err: unknown, resp?: unknown) => void): Promise<void>;
}

function encodeConfig(config: Record<string, unknown>): Record<string, string> {
    const encoded: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        if (value === undefined || value === null) continue;
        encoded[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return encoded;
}

/** Records every registerResource the monitor receives (in wire form) into `into`. */
export function captureRegistrations(monitor: RecordingMonitor, into: CapturedResource[]): void {
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = async (req, callback) => {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((value, key) => {
            propertyDependencies[key] = value.getUrnsList();
        });
        into.push({
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            provider: req.getProvider(),
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            serializedInputs: req.getObject()?.toJavaScript() ?? {},
            aliases: req.getAliasesList().map((alias) => alias.getSpec()?.getName() ?? alias.getUrn()).filter((name) => name !== ""),
        });
        return original(req, callback);
    };
}

/** Deterministic stand-ins for what providers compute, keyed by the resource name. */
function computedOutputs(type: string, name: string): Record<string, unknown> {
    const digest = (salt: string) => require("crypto").createHash("sha256").update(`${salt}:${name}`).digest() as Buffer;
    switch (type) {
        case "docker:index/remoteImage:RemoteImage":
            return { imageId: `sha256:${digest("image").toString("hex")}` };
        case "random:index/randomPassword:RandomPassword":
            return { result: digest("password").toString("base64url").slice(0, 24) };
        case "random:index/randomBytes:RandomBytes":
            return { base64: digest("bytes").subarray(0, 16).toString("base64"), hex: digest("bytes").subarray(0, 16).toString("hex") };
        default:
            return {};
    }
}

/** The id the mocked provider gives a resource (after a preview: unknown). */
export function mockResourceId(name: string): string {
    return `${name}-id`;
}

/**
 * Mocked provider state: inputs echoed back plus stand-ins for computed outputs. In preview nothing the
 * provider computes is known (ids, image ids, random values), as in a real `pulumi preview` of a new stack.
 */
function mockState(preview: boolean): pulumi.runtime.Mocks {
    return {
        newResource: (args) => ({
            id: preview ? undefined : mockResourceId(args.name),
            state: preview ? args.inputs : { ...args.inputs, ...computedOutputs(args.type, args.name) },
        }),
        call: (args) => args.inputs,
    };
}

interface OutputInternals {
    promise(withUnknowns?: boolean): Promise<unknown>;
    isKnown: Promise<boolean>;
    isSecret: Promise<boolean>;
}

/** Resolves a stack output for display: secrets redacted, unknowns (preview) shown as "[unknown]". */
async function settle(value: unknown, reveal = false): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const output = value as unknown as OutputInternals;
        const [plain, known, secret] = await Promise.all([output.promise(true), output.isKnown, output.isSecret]);
        if (secret && !reveal) return "[secret]";
        return known ? settle(plain, reveal) : "[unknown]";
    }
    if (Array.isArray(value)) return Promise.all(value.map((v) => settle(v, reveal)));
    if (value && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await settle(v, reveal)] as const));
        return Object.fromEntries(entries);
    }
    return value === UNKNOWN ? "[unknown]" : value;
}

/**
 * Evaluates the program once. Throws what the program throws (a config error, for example) after the
 * engine has settled.
 */
export async function runProgram(options: ProgramOptions): Promise<ProgramRun> {
    const preview = options.preview ?? false;
    await pulumi.runtime.setMocks(mockState(preview), PROJECT, options.stack ?? "dev", preview);
    pulumi.runtime.setAllConfig(encodeConfig(options.config), options.secretKeys ?? []);
    const resources: CapturedResource[] = [];
    captureRegistrations(settings.getMonitor() as unknown as RecordingMonitor, resources);

    const programPath = options.programPath ?? path.join(__dirname, "..", "index.ts");
    const failures: unknown[] = [];
    const onFailure = (reason: unknown) => failures.push(reason);
    process.on("unhandledRejection", onFailure);
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const exported = require(programPath) as Record<string, unknown>;
        const outputs = (await settle({ ...exported }, options.revealSecrets)) as Record<string, unknown>;
        await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        if (failures.length > 0) throw failures[0];
        return { resources, outputs, preview };
    } finally {
        process.off("unhandledRejection", onFailure);
    }
}

/** True for a value in wire form that is a secret envelope. */
export function isSecretEnvelope(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/**
 * Wire-form inputs made readable: secrets become "[secret]" (or their plain value with `revealSecrets`),
 * unknowns become "[unknown]", resource references become their URN.
 */
export function readableInputs(value: unknown, revealSecrets = false): unknown {
    if (value === UNKNOWN) return "[unknown]";
    if (Array.isArray(value)) return value.map((v) => readableInputs(v, revealSecrets));
    if (value && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[SIG_KEY] === SECRET_SIG) return revealSecrets ? readableInputs(record.value, true) : "[secret]";
        if (record[SIG_KEY] === RESOURCE_REF_SIG) return record.urn;
        return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, readableInputs(v, revealSecrets)]));
    }
    return value;
}
