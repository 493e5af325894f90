/** Local mode ("try it on my laptop": no homelab:host): the provider talks to the unix socket, and the pack passes. */
import { programOptions } from "../support/fixtures";
import { CapturedResource, runProgram } from "../../scripts/mock-engine";
import { Graph, judge } from "./fixtures";

let graph: Graph;

beforeAll(async () => {
    const run = await runProgram(programOptions({ host: undefined, sshHostKey: undefined, sshPrivateKey: undefined }, true));
    graph = new Graph(run.resources as CapturedResource[], "preview");
}, 60_000);

describe("the program's graph in local mode (preview)", () => {
    it("uses a unix:// Docker host", () => {
        expect(String(graph.provider().serializedInputs.host)).toMatch(/^unix:\/\//);
    });

    it("passes every policy with a definite verdict", async () => {
        expect((await judge(graph.resources)).all).toEqual([]);
    });

    it("still fails a tcp:// Docker host", async () => {
        const g = graph.clone();
        g.provider().serializedInputs.host = "tcp://localhost:2375";
        expect((await judge(g.resources)).failed).toEqual(["docker-provider-ssh-host-key"]);
    });
});
