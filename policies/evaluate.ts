/**
 * Runs the pack on a captured resource graph, for `npm run plan` and the tests.
 *
 * `grpc` (the default) starts the pack exactly as the Pulumi CLI does during `pulumi preview --policy-pack
 * policies`: `node <@pulumi/pulumi>/cmd/run-policy-pack <engine address> <pack dir>` with the pack directory as
 * working directory, which registers ts-node (type-checked, with the pack's tsconfig.json) and serves the
 * analyzer on the port it prints. It then sends GetAnalyzerInfo, Analyze for every resource and AnalyzeStack.
 * `in-process` calls the same analyzer handlers of `@pulumi/policy` with the same request messages, without a
 * child process (fast, for large test corpora).
 */
import { ChildProcess, spawn } from "child_process";
import { createRequire } from "module";
import * as path from "path";
import type * as grpcTypes from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import type * as emptyPbTypes from "google-protobuf/google/protobuf/empty_pb";
import { POLICY_PACK_NAME, policies } from "./rules";
import { GraphResource, Violation, analyzeRequests, analyzeStackRequest, toViolations } from "./wire";

export type { GraphResource, Violation } from "./wire";
export { isCantRunDuringPreview } from "./wire";

const pulumiPackageJson = require.resolve("@pulumi/pulumi/package.json");
const pulumiRequire = createRequire(pulumiPackageJson);
// The gRPC and protobuf runtimes the generated services were built against.
const grpc = pulumiRequire("@grpc/grpc-js") as typeof grpcTypes;
const { Empty } = pulumiRequire("google-protobuf/google/protobuf/empty_pb") as typeof emptyPbTypes;

/** The policy pack directory (this file's directory). */
export const PACK_DIR = __dirname;
/** The CLI's entry point for Node.js policy packs. */
export const RUN_POLICY_PACK = path.join(path.dirname(pulumiPackageJson), "cmd", "run-policy-pack");

export interface EvaluateOptions {
    /** `grpc` (default): the pack in its own process over the analyzer protocol; `in-process`: same handlers, no process. */
    transport?: "grpc" | "in-process";
}

/**
 * Every diagnostic the pack reports for the graph (mandatory violations, advisory messages and any
 * "can't run ... during preview" notices), from `Analyze` on each resource and `AnalyzeStack` on the whole.
 */
export async function evaluateGraph(resources: GraphResource[], options: EvaluateOptions = {}): Promise<Violation[]> {
    if (options.transport === "in-process") return evaluateInProcess(resources);
    const pack = await startPolicyPack();
    try {
        return await pack.evaluate(resources);
    } finally {
        await pack.stop();
    }
}

// ---------------------------------------------------------------------------------------------------------
// In process

interface ServerInternals {
    makeAnalyzeRpcFun(name: string, version: string, level: string, policies: unknown[]): Handler<analyzerPb.AnalyzeRequest>;
    makeAnalyzeStackRpcFun(name: string, version: string, level: string, policies: unknown[]): Handler<analyzerPb.AnalyzeStackRequest>;
}
type Handler<Req> = (call: { request: Req }, callback: (err: unknown, resp?: analyzerPb.AnalyzeResponse) => void) => Promise<void>;

function call<Req>(handler: Handler<Req>, request: Req): Promise<Violation[]> {
    return new Promise((resolve, reject) => {
        void handler({ request }, (err, resp) => (err ? reject(err) : resolve(resp ? toViolations(resp) : [])));
    });
}

function packVersion(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(path.join(PACK_DIR, "package.json")) as { version: string }).version;
}

async function evaluateInProcess(resources: GraphResource[]): Promise<Violation[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const server = require("@pulumi/policy/server") as ServerInternals;
    const version = packVersion();
    const analyze = server.makeAnalyzeRpcFun(POLICY_PACK_NAME, version, "mandatory", policies);
    const analyzeStack = server.makeAnalyzeStackRpcFun(POLICY_PACK_NAME, version, "mandatory", policies);
    const perResource = await Promise.all(analyzeRequests(resources).map((r) => call(analyze, r)));
    return [...perResource.flat(), ...(await call(analyzeStack, analyzeStackRequest(resources)))];
}

// ---------------------------------------------------------------------------------------------------------
// Over gRPC, in the pack's own process

/** A minimal Engine service: the address the CLI passes to plugins; log messages are collected. */
export interface FakeEngine {
    address: string;
    logs: string[];
    stop(): Promise<void>;
}

export async function startFakeEngine(): Promise<FakeEngine> {
    const server = new grpc.Server();
    const logs: string[] = [];
    const unimplemented = (_: unknown, cb: grpcTypes.sendUnaryData<never>) => cb({ code: grpc.status.UNIMPLEMENTED, details: "fake engine" });
    const impl: engineGrpc.IEngineServer = {
        log: (c, cb) => {
            logs.push(c.request.getMessage());
            cb(null, new Empty());
        },
        getRootResource: (_, cb) => cb(null, new enginePb.GetRootResourceResponse()),
        setRootResource: (_, cb) => cb(null, new enginePb.SetRootResourceResponse()),
        startDebugging: unimplemented,
        requirePulumiVersion: (_, cb) => cb(null, new enginePb.RequirePulumiVersionResponse()),
    };
    server.addService(engineGrpc.EngineService, impl);
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return {
        address: `127.0.0.1:${port}`,
        logs,
        stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
    };
}

export interface RunningPolicyPack {
    /** The analyzer's port, as printed by the pack on stdout. */
    port: number;
    client: analyzerGrpc.AnalyzerClient;
    engine: FakeEngine;
    /** Everything the pack wrote to stderr. */
    stderr(): string;
    getAnalyzerInfo(): Promise<analyzerPb.AnalyzerInfo>;
    analyze(request: analyzerPb.AnalyzeRequest): Promise<Violation[]>;
    analyzeStack(request: analyzerPb.AnalyzeStackRequest): Promise<Violation[]>;
    /** Analyze on every resource, then AnalyzeStack. */
    evaluate(resources: GraphResource[]): Promise<Violation[]>;
    stop(): Promise<void>;
}

function unary<Req, Resp>(
    method: (req: Req, cb: (err: grpcTypes.ServiceError | null, resp: Resp) => void) => unknown,
    request: Req,
): Promise<Resp> {
    return new Promise((resolve, reject) => method(request, (err, resp) => (err ? reject(err) : resolve(resp))));
}

function readPort(child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => fail(new Error(`policy pack printed no port within ${timeoutMs} ms`)), timeoutMs);
        const fail = (err: Error) => {
            clearTimeout(timer);
            reject(new Error(`${err.message}\n--- stderr ---\n${stderr()}\n--- stdout ---\n${out}`));
        };
        child.stdout!.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            const line = /^\s*(\d+)\s*$/m.exec(out);
            if (line) {
                clearTimeout(timer);
                resolve(Number(line[1]));
            }
        });
        child.once("exit", (code) => fail(new Error(`policy pack exited with code ${code} before printing its port`)));
        child.once("error", (err) => fail(err));
    });
}

/**
 * Starts the pack the way the CLI (the Node.js language host's RunPlugin for analyzers) does:
 * `node <run-policy-pack> <engine address> <pack dir>`, working directory = the pack directory.
 */
export async function startPolicyPack(options: { packDir?: string; timeoutMs?: number } = {}): Promise<RunningPolicyPack> {
    const packDir = options.packDir ?? PACK_DIR;
    const engine = await startFakeEngine();
    const child = spawn(process.execPath, [RUN_POLICY_PACK, engine.address, packDir], {
        cwd: packDir,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env },
    });
    let err = "";
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const stderr = () => err;
    let port: number;
    try {
        port = await readPort(child, stderr, options.timeoutMs ?? 60_000);
    } catch (e) {
        child.kill("SIGKILL");
        await engine.stop();
        throw e;
    }
    const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const analyze = (req: analyzerPb.AnalyzeRequest) =>
        unary<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(client.analyze.bind(client), req).then(toViolations);
    const analyzeStack = (req: analyzerPb.AnalyzeStackRequest) =>
        unary<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(client.analyzeStack.bind(client), req).then(toViolations);
    return {
        port,
        client,
        engine,
        stderr,
        getAnalyzerInfo: () => unary<emptyPbTypes.Empty, analyzerPb.AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty()),
        analyze,
        analyzeStack,
        evaluate: async (resources) => {
            const perResource = await Promise.all(analyzeRequests(resources).map(analyze));
            return [...perResource.flat(), ...(await analyzeStack(analyzeStackRequest(resources)))];
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
