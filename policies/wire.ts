/**
 * The analyzer protocol's messages, built from a captured resource graph the way the engine builds them during
 * `pulumi preview` / `pulumi up`: inputs in wire form (unknowns as the engine's sentinel, secrets as envelopes),
 * the dependency graph, the parent and the provider resource.
 */
import { createRequire } from "module";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as structPbTypes from "google-protobuf/google/protobuf/struct_pb";

// Use the protobuf runtime that @pulumi/pulumi's generated messages use (one copy, whatever the hoisting).
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const { Struct } = pulumiRequire("google-protobuf/google/protobuf/struct_pb") as typeof structPbTypes;

/** One resource registration in wire form; `CapturedResource` from scripts/mock-engine.ts has this shape. */
export interface GraphResource {
    urn: string;
    type: string;
    name: string;
    /** URN of the parent, "" for none. */
    parent: string;
    /** Provider reference `urn::id`, "" for the default provider. */
    provider: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    /** Inputs in wire form. */
    serializedInputs: Record<string, unknown>;
}

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

/** A diagnostic the pack returned. */
export interface Violation {
    policyName: string;
    /** The policy's description followed by what is wrong and how to fix it. */
    message: string;
    /** The resource at fault, when the policy named one. */
    urn?: string;
    enforcementLevel: EnforcementLevel;
}

/** Marker the policy SDK puts in front of a policy it could not run because it read an unknown value. */
export const CANT_RUN_DURING_PREVIEW = "during preview";

export function isCantRunDuringPreview(v: Violation): boolean {
    return v.message.startsWith("can't run ") && v.message.includes(CANT_RUN_DURING_PREVIEW);
}

function providerUrn(ref: string): string {
    const sep = ref.lastIndexOf("::");
    return sep > 0 ? ref.slice(0, sep) : ref;
}

function toStruct(inputs: Record<string, unknown>): structPbTypes.Struct {
    // Struct cannot hold undefined; the engine drops absent properties too.
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(inputs)) as Record<string, structPbTypes.JavaScriptValue>);
}

function options(resource: GraphResource): analyzerPb.AnalyzerResourceOptions {
    const opts = new analyzerPb.AnalyzerResourceOptions();
    opts.setProtect(false);
    if (resource.parent) opts.setParent(resource.parent);
    return opts;
}

function providerOf(resource: GraphResource, byUrn: Map<string, GraphResource>): analyzerPb.AnalyzerProviderResource | undefined {
    if (!resource.provider) return undefined;
    const provider = byUrn.get(providerUrn(resource.provider));
    if (!provider) return undefined;
    const p = new analyzerPb.AnalyzerProviderResource();
    p.setType(provider.type);
    p.setUrn(provider.urn);
    p.setName(provider.name);
    p.setProperties(toStruct(provider.serializedInputs));
    return p;
}

/** The fields an `AnalyzeRequest` and a stack's `AnalyzerResource` share. */
interface ResourceMessage {
    setType(value: string): unknown;
    setUrn(value: string): unknown;
    setName(value: string): unknown;
    setProperties(value: ReturnType<typeof toStruct>): unknown;
    setOptions(value: analyzerPb.AnalyzerResourceOptions): unknown;
    setProvider(value: analyzerPb.AnalyzerProviderResource): unknown;
}

function describeResource<M extends ResourceMessage>(message: M, r: GraphResource, byUrn: Map<string, GraphResource>): M {
    message.setType(r.type);
    message.setUrn(r.urn);
    message.setName(r.name);
    message.setProperties(toStruct(r.serializedInputs));
    message.setOptions(options(r));
    const provider = providerOf(r, byUrn);
    if (provider) message.setProvider(provider);
    return message;
}

/** The `AnalyzeStack` request for a whole graph. */
export function analyzeStackRequest(resources: GraphResource[]): analyzerPb.AnalyzeStackRequest {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const request = new analyzerPb.AnalyzeStackRequest();
    for (const r of resources) {
        const res = describeResource(new analyzerPb.AnalyzerResource(), r, byUrn);
        res.setParent(r.parent);
        res.setDependenciesList(r.dependencies);
        const deps = res.getPropertydependenciesMap();
        for (const [key, urns] of Object.entries(r.propertyDependencies)) {
            const pd = new analyzerPb.AnalyzerPropertyDependencies();
            pd.setUrnsList(urns);
            deps.set(key, pd);
        }
        request.addResources(res);
    }
    return request;
}

/** One `Analyze` request per resource, as the engine sends before each step. */
export function analyzeRequests(resources: GraphResource[]): analyzerPb.AnalyzeRequest[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    return resources
        .filter((r) => r.type !== "pulumi:pulumi:Stack")
        .map((r) => describeResource(new analyzerPb.AnalyzeRequest(), r, byUrn));
}

const LEVELS: Record<number, EnforcementLevel> = {
    [analyzerPb.EnforcementLevel.ADVISORY]: "advisory",
    [analyzerPb.EnforcementLevel.MANDATORY]: "mandatory",
    [analyzerPb.EnforcementLevel.DISABLED]: "disabled",
    [analyzerPb.EnforcementLevel.REMEDIATE]: "remediate",
};

export function toViolations(response: analyzerPb.AnalyzeResponse): Violation[] {
    return response.getDiagnosticsList().map((d) => {
        const v: Violation = {
            policyName: d.getPolicyname(),
            message: d.getMessage(),
            enforcementLevel: LEVELS[d.getEnforcementlevel()] ?? "advisory",
        };
        if (d.getUrn()) v.urn = d.getUrn();
        return v;
    });
}
