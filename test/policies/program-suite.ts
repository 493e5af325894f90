/**
 * The pack on the real program's graph (index.ts under the mock engine): the stack as written passes with a
 * definite verdict, the graph has the shape the VPN policies rely on, and every mutant of the corpus is caught.
 * One program evaluation per test file (see program-preview.test.ts, program-update.test.ts).
 */
import { programOptions } from "../support/fixtures";
import { CapturedResource, runProgram } from "../../scripts/mock-engine";
import { Graph, Mode, judge } from "./fixtures";
import { MUTANTS } from "./mutations";

export function programSuite(mode: Mode): void {
    let graph: Graph;

    beforeAll(async () => {
        const run = await runProgram(programOptions({}, mode === "preview"));
        graph = new Graph(run.resources as CapturedResource[], mode);
    }, 60_000);

    describe(`the program's graph (${mode})`, () => {
        it("passes every policy with no 'can't run during preview' notice", async () => {
            const verdict = await judge(graph.resources);
            expect(verdict.mandatory).toEqual([]);
            expect(verdict.cantRun).toEqual([]);
            expect(verdict.all).toEqual([]);
        });

        it("links qBittorrent's networkMode to the Gluetun container (the proof the VPN policies read)", () => {
            const q = graph.container("qbittorrent");
            expect(q.propertyDependencies.networkMode).toEqual([graph.container("gluetun").urn]);
            if (mode === "preview") expect(q.serializedInputs.networkMode).toBe("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
            else expect(q.serializedInputs.networkMode).toMatch(/^container:/);
        });

        it("takes every container's image from a RemoteImage with a pinned name", () => {
            for (const c of graph.resources.filter((r) => r.type === "docker:index/container:Container")) {
                expect(graph.imageOf(c).type).toBe("docker:index/remoteImage:RemoteImage");
            }
        });
    });

    describe(`mutation corpus (${mode})`, () => {
        const caught: string[] = [];
        afterAll(() => {
            // eslint-disable-next-line no-console
            console.log(`policy mutation corpus (${mode}): ${caught.length}/${MUTANTS.length} mutants caught`);
        });

        it.each(MUTANTS.map((m) => [m.title, m] as const))("catches: %s", async (_title, mutant) => {
            const g = graph.clone();
            mutant.apply(g);
            const verdict = await judge(g.resources);
            expect(verdict.cantRun).toEqual([]);
            expect(verdict.failed).toContain(mutant.policy);
            caught.push(mutant.title);
        });
    });
}
