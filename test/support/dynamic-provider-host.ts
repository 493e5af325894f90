/**
 * Runs wiring providers exactly as `pulumi up` does: the serialized `__provider` of a resource, obtained by
 * constructing the resource under `pulumi.runtime.setMocks`, is handed to the real dynamic-provider host
 * (`node <@pulumi/pulumi>/cmd/dynamic-provider <engine address>`, the plugin the CLI starts for
 * `pulumi-nodejs:dynamic:Resource`), which deserializes and runs it in its own process. Every operation goes
 * over the ResourceProvider gRPC protocol.
 *
 * The host answers Configure with acceptSecrets=false, so the engine sends it plain values: the inputs given
 * here are plain JS (secrets unwrapped), like the engine's.
 */
import { ChildProcess, spawn } from "child_process";
import { createRequire } from "module";
import * as path from "path";
import type * as grpcTypes from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import * as settings from "@pulumi/pulumi/runtime/settings";
import type * as structPbTypes from "google-protobuf/google/protobuf/struct_pb";
import { FakeEngine, readPort, startFakeEngine, unary } from "../../policies/evaluate";
import { CapturedResource, PROJECT, RecordingMonitor, UNKNOWN, captureRegistrations, readableInputs } from "../../scripts/mock-engine";

const pulumiPackageJson = require.resolve("@pulumi/pulumi/package.json");
const pulumiRequire = createRequire(pulumiPackageJson);
// The gRPC and protobuf runtimes the generated services were built against.
const grpc = pulumiRequire("@grpc/grpc-js") as typeof grpcTypes;
const { Struct } = pulumiRequire("google-protobuf/google/protobuf/struct_pb") as typeof structPbTypes;

/** The CLI's plugin for dynamic providers. */
export const DYNAMIC_PROVIDER_HOST = path.join(path.dirname(pulumiPackageJson), "cmd", "dynamic-provider");
export const DYNAMIC_RESOURCE_TYPE = "pulumi-nodejs:dynamic:Resource";
const REPO_ROOT = path.resolve(__dirname, "..", "..");
const STACK = "test";

export type Props = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------
// The registration, under setMocks

interface MockedEngine {
    captured: CapturedResource[];
    /** additionalSecretOutputs of each registration, by resource name. */
    secretOutputs: Map<string, string[]>;
}

let mocked: Promise<MockedEngine> | undefined;

/** setMocks once per test file (each Jest file has its own module registry): every registration is recorded. */
function mockEngine(): Promise<MockedEngine> {
    mocked ??= (async () => {
        await pulumi.runtime.setMocks({
            newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
            call: (args) => args.inputs,
        }, PROJECT, STACK, false);
        const monitor = settings.getMonitor() as unknown as RecordingMonitor;
        const captured: CapturedResource[] = [];
        captureRegistrations(monitor, captured);
        const secretOutputs = new Map<string, string[]>();
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, callback) => {
            const withOptions = req as typeof req & { getAdditionalsecretoutputsList(): string[] };
            secretOutputs.set(req.getName(), withOptions.getAdditionalsecretoutputsList());
            return register(req, callback);
        };
        return { captured, secretOutputs };
    })();
    return mocked;
}

/** A resource as the engine received it: wire-form inputs and the plain inputs a provider would be sent. */
export interface Registration {
    captured: CapturedResource;
    /** The serialized provider (`__provider`), or a secret envelope around it when it captured a secret. */
    serializedProvider: unknown;
    /** What the engine sends the dynamic provider (secrets unwrapped: the host does not accept secrets). */
    inputs: Props;
    /** The resource option additionalSecretOutputs: outputs the engine stores as secrets. */
    additionalSecretOutputs: string[];
}

/** Constructs resources under setMocks and returns the registration of the one named `name`. */
export async function registration(name: string, construct: () => unknown): Promise<Registration> {
    const { captured, secretOutputs } = await mockEngine();
    // A provider that cannot be serialized fails the registration asynchronously: collect that failure.
    const failures: unknown[] = [];
    const onFailure = (reason: unknown) => failures.push(reason);
    process.on("unhandledRejection", onFailure);
    try {
        construct();
        await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    } finally {
        process.off("unhandledRejection", onFailure);
    }
    if (failures.length > 0) throw failures[0];
    const found = [...captured].reverse().find((r) => r.name === name);
    if (!found) throw new Error(`no resource named ${name} was registered (got: ${captured.map((r) => r.name).join(", ")})`);
    const serialized = found.serializedInputs as Props;
    return {
        captured: found,
        serializedProvider: serialized.__provider,
        inputs: readableInputs(serialized, true) as Props,
        additionalSecretOutputs: secretOutputs.get(name) ?? [],
    };
}

// ---------------------------------------------------------------------------------------------------------
// The host process, over gRPC

export interface CheckResult { inputs: Props; failures: { property: string; reason: string }[] }
export interface DiffResult { changes: "none" | "some" | "unknown"; replaces: string[]; deleteBeforeReplace: boolean }
export interface ReadResult { id: string; props: Props; inputs?: Props }

export interface DynamicProviderHost {
    port: number;
    engine: FakeEngine;
    /** Everything the host wrote to stderr (it logs failures there). */
    stderr(): string;
    check(olds: Props, news: Props): Promise<CheckResult>;
    diff(id: string, olds: Props, news: Props): Promise<DiffResult>;
    create(props: Props): Promise<{ id: string; props: Props }>;
    read(id: string, props: Props, inputs?: Props): Promise<ReadResult>;
    update(id: string, olds: Props, news: Props): Promise<Props>;
    delete(id: string, props: Props): Promise<void>;
    stop(): Promise<void>;
}

function urnOf(name: string): string {
    return `urn:pulumi:${STACK}::${PROJECT}::${DYNAMIC_RESOURCE_TYPE}::${name}`;
}

function toStruct(props: Props): structPbTypes.Struct {
    // Structs have no `undefined`: the engine drops such properties.
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(props)) as Record<string, structPbTypes.JavaScriptValue>);
}

function fromStruct(struct: structPbTypes.Struct | undefined): Props {
    return (struct?.toJavaScript() ?? {}) as Props;
}

const DIFF_CHANGES: Record<number, DiffResult["changes"]> = {
    [providerPb.DiffResponse.DiffChanges.DIFF_NONE]: "none",
    [providerPb.DiffResponse.DiffChanges.DIFF_SOME]: "some",
    [providerPb.DiffResponse.DiffChanges.DIFF_UNKNOWN]: "unknown",
};

/** The message of a failed call, as the CLI prints it (the gRPC status details). */
export function grpcMessage(err: unknown): string {
    const e = err as Partial<grpcTypes.ServiceError>;
    return e.details ?? e.message ?? String(err);
}

/**
 * Starts the dynamic-provider host as the CLI does (working directory: the project, so `require("ssh2")`
 * resolves), with a fake engine for its address, and sends Configure first as the engine does.
 */
export async function startDynamicProviderHost(options: { timeoutMs?: number; name?: string } = {}): Promise<DynamicProviderHost> {
    const engine = await startFakeEngine();
    const child: ChildProcess = spawn(process.execPath, [DYNAMIC_PROVIDER_HOST, engine.address], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, PULUMI_PROJECT: PROJECT, PULUMI_STACK: STACK },
    });
    let err = "";
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const stderr = () => err;
    let port: number;
    try {
        port = await readPort(child, stderr, options.timeoutMs ?? 60_000, "dynamic provider");
    } catch (e) {
        child.kill("SIGKILL");
        await engine.stop();
        throw e;
    }
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const name = options.name ?? "wiring";
    const urn = urnOf(name);
    const rpc = <Req, Resp>(method: (req: Req, cb: (err: grpcTypes.ServiceError | null, resp: Resp) => void) => unknown, req: Req) =>
        unary<Req, Resp>(method.bind(client), req);

    const configure = new providerPb.ConfigureRequest().setArgs(toStruct({})).setAcceptsecrets(true).setAcceptresources(true);
    const configured = await rpc<providerPb.ConfigureRequest, providerPb.ConfigureResponse>(client.configure, configure);
    if (configured.getAcceptsecrets()) throw new Error("the dynamic provider host now accepts secrets: revisit how inputs are sent");

    return {
        port,
        engine,
        stderr,
        check: async (olds, news) => {
            const req = new providerPb.CheckRequest().setUrn(urn).setName(name).setType(DYNAMIC_RESOURCE_TYPE)
                .setOlds(toStruct(olds)).setNews(toStruct(news));
            const resp = await rpc<providerPb.CheckRequest, providerPb.CheckResponse>(client.check, req);
            return {
                inputs: fromStruct(resp.getInputs()),
                failures: resp.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
            };
        },
        diff: async (id, olds, news) => {
            const req = new providerPb.DiffRequest().setId(id).setUrn(urn).setName(name).setType(DYNAMIC_RESOURCE_TYPE)
                .setOlds(toStruct(olds)).setNews(toStruct(news));
            const resp = await rpc<providerPb.DiffRequest, providerPb.DiffResponse>(client.diff, req);
            return { changes: DIFF_CHANGES[resp.getChanges()], replaces: resp.getReplacesList(), deleteBeforeReplace: resp.getDeletebeforereplace() };
        },
        create: async (props) => {
            const req = new providerPb.CreateRequest().setUrn(urn).setName(name).setType(DYNAMIC_RESOURCE_TYPE).setProperties(toStruct(props));
            const resp = await rpc<providerPb.CreateRequest, providerPb.CreateResponse>(client.create, req);
            return { id: resp.getId(), props: fromStruct(resp.getProperties()) };
        },
        read: async (id, props, inputs) => {
            const req = new providerPb.ReadRequest().setId(id).setUrn(urn).setName(name).setType(DYNAMIC_RESOURCE_TYPE).setProperties(toStruct(props));
            if (inputs) req.setInputs(toStruct(inputs));
            const resp = await rpc<providerPb.ReadRequest, providerPb.ReadResponse>(client.read, req);
            return { id: resp.getId(), props: fromStruct(resp.getProperties()), inputs: resp.hasInputs() ? fromStruct(resp.getInputs()) : undefined };
        },
        update: async (id, olds, news) => {
            const req = new providerPb.UpdateRequest().setId(id).setUrn(urn).setName(name).setType(DYNAMIC_RESOURCE_TYPE)
                .setOlds(toStruct(olds)).setNews(toStruct(news));
            const resp = await rpc<providerPb.UpdateRequest, providerPb.UpdateResponse>(client.update, req);
            return fromStruct(resp.getProperties());
        },
        delete: async (id, props) => {
            const req = new providerPb.DeleteRequest().setId(id).setUrn(urn).setName(name).setType(DYNAMIC_RESOURCE_TYPE).setProperties(toStruct(props));
            await rpc(client.delete, req);
        },
        stop: async () => {
            client.close();
            if (child.exitCode === null && child.signalCode === null) {
                child.kill("SIGTERM");
                await exited;
            }
            await engine.stop();
        },
    };
}

export { UNKNOWN };
