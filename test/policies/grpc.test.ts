/**
 * The pack over its real analyzer gRPC interface, started exactly as the Pulumi CLI starts a Node.js policy
 * pack: `node <@pulumi/pulumi>/cmd/run-policy-pack <engine address> <pack dir>` in the pack directory (which
 * registers ts-node with the pack's tsconfig.json), port read from stdout, then GetAnalyzerInfo, Analyze and
 * AnalyzeStack with the program's preview graph, unknown values and secrets in wire form.
 */
import { programOptions } from "../support/fixtures";
import { CapturedResource, runProgram } from "../../scripts/mock-engine";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { RUN_POLICY_PACK, RunningPolicyPack, isCantRunDuringPreview, startPolicyPack } from "../../policies/evaluate";
import { policies } from "../../policies/rules";
import { analyzeRequests, analyzeStackRequest } from "../../policies/wire";
import { Graph } from "./fixtures";
import { MUTANTS } from "./mutations";

let pack: RunningPolicyPack;
let graph: Graph;

beforeAll(async () => {
    const [run, started] = await Promise.all([runProgram(programOptions({}, true)), startPolicyPack()]);
    graph = new Graph(run.resources as CapturedResource[], "preview");
    pack = started;
}, 90_000);

afterAll(async () => {
    await pack?.stop();
});

describe("policy pack over gRPC", () => {
    it("is started through the CLI's run-policy-pack entry point and prints its port", () => {
        expect(RUN_POLICY_PACK).toMatch(/@pulumi[\\/]pulumi[\\/]cmd[\\/]run-policy-pack$/);
        expect(pack.port).toBeGreaterThan(0);
    });

    it("describes itself: name, version and every policy as mandatory", async () => {
        const info = await pack.getAnalyzerInfo();
        expect(info.getName()).toBe("homelab-media");
        expect(info.getVersion()).toBe("0.1.0");
        const listed = info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]);
        expect(listed).toEqual(policies.map((p) => [p.name, analyzerPb.EnforcementLevel.MANDATORY]));
    });

    it("answers Analyze for every resource of the preview graph without a diagnostic", async () => {
        const requests = analyzeRequests(graph.resources);
        expect(requests.length).toBe(graph.resources.length);
        const results = await Promise.all(requests.map((r) => pack.analyze(r)));
        expect(results.flat()).toEqual([]);
    });

    it("passes AnalyzeStack on the preview graph with a definite verdict (unknown ids, no 'can't run')", async () => {
        const request = analyzeStackRequest(graph.resources);
        const q = request.getResourcesList().find((r) => r.getName() === "homelab-downloader-qbittorrent")!;
        expect(q.getProperties()!.toJavaScript().networkMode).toBe("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
        expect(q.getPropertydependenciesMap().get("networkMode")!.getUrnsList()).toEqual([graph.container("gluetun").urn]);
        expect(await pack.analyzeStack(request)).toEqual([]);
    });

    it.each([
        "qBittorrent on the bridge network",
        "a second client (Transmission) on the stack network",
        "the control API (8000) published",
        "StrictHostKeyChecking=no",
    ])("reports a mandatory violation for the mutant: %s", async (title) => {
        const mutant = MUTANTS.find((m) => m.title === title)!;
        const g = graph.clone();
        mutant.apply(g);
        const diagnostics = await pack.analyzeStack(analyzeStackRequest(g.resources));
        expect(diagnostics.filter(isCantRunDuringPreview)).toEqual([]);
        const hit = diagnostics.find((d) => d.policyName === mutant.policy);
        expect(hit).toMatchObject({ enforcementLevel: "mandatory" });
        expect(hit!.urn).toBeDefined();
    });

    it("honours a policy-pack config that lowers a policy to advisory (Configure, as --policy-pack-config does)", async () => {
        const request = new analyzerPb.ConfigureAnalyzerRequest();
        const config = new analyzerPb.PolicyConfig();
        config.setEnforcementlevel(analyzerPb.EnforcementLevel.ADVISORY);
        config.setProperties(Struct.fromJavaScript({})); // the CLI always sends the policy's properties
        request.getPolicyconfigMap().set("container-memory-limit", config);
        await new Promise<void>((resolve, reject) => pack.client.configure(request, (err) => (err ? reject(err) : resolve())));
        const g = graph.clone();
        delete g.container("jellyfin").serializedInputs.memory;
        const diagnostics = await pack.analyzeStack(analyzeStackRequest(g.resources));
        expect(diagnostics.map((d) => [d.policyName, d.enforcementLevel])).toEqual([["container-memory-limit", "advisory"]]);
    });

    it("keeps the pack's stderr free of errors", () => {
        expect(pack.stderr()).not.toMatch(/error/i);
    });
});
