/**
 * No `homelab:host`: the stack goes to the local Docker engine, host hardening is skipped with a warning
 * that tells the user what to do by hand, and no SSH command is declared.
 */
import { programOptions } from "../support/fixtures";
import * as pulumi from "@pulumi/pulumi";
import { ProgramRun, runProgram } from "../../scripts/mock-engine";
import { containers, DOCKER_PROVIDER, ofType, REMOTE_COMMAND } from "../support/graph";
import { graphRows, recordedSingleHostGraph } from "../support/single-host-graph";

let run: ProgramRun;
let warnings: string[];

beforeAll(async () => {
    const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
        run = await runProgram(programOptions({ host: undefined, sshHostKey: undefined, sshPrivateKey: undefined }));
        warnings = warn.mock.calls.map((call) => String(call[0]));
    } finally {
        warn.mockRestore();
    }
}, 30_000);

test("the Docker provider talks to the local socket, without SSH options", () => {
    const providers = ofType(run, DOCKER_PROVIDER);
    expect(providers).toHaveLength(1);
    expect(providers[0].serializedInputs.host).toBe("unix:///var/run/docker.sock");
    expect(providers[0].serializedInputs.sshOpts).toBeUndefined();
    expect(run.outputs.deployTarget).toBe("unix:///var/run/docker.sock");
});

test("no remote command and no HostHardening component", () => {
    expect(ofType(run, REMOTE_COMMAND)).toEqual([]);
    expect(run.resources.filter((r) => r.type === "homelab:host:HostHardening")).toEqual([]);
    for (const c of containers(run).values()) expect(c.dependencies.join(" ")).not.toContain("command:remote");
    expect(run.outputs.hostHardening).toBe("skipped (local Docker engine)");
});

test("the media stack itself is unchanged", () => {
    expect(containers(run).size).toBe(11);
    expect(run.outputs.vpnNamespace).toEqual({ gateway: "gluetun", members: ["qbittorrent", "prowlarr", "flaresolverr"] });
});

test("a warning says hardening is skipped and what to create by hand", () => {
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("homelab:host is not set");
    expect(warnings[0]).toContain("/srv/homelab/data");
    expect(warnings[0]).toContain("1000:1000");
});

test("the wiring reaches the apps directly from this machine, with no SSH connection to hide", () => {
    const wiring = run.resources.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
    expect(wiring.length).toBeGreaterThan(0);
    for (const r of wiring) expect(r.serializedInputs.connection).toEqual({ kind: "local" });
    const sonarr = wiring.find((r) => r.name === "homelab-wiring-sonarr")!;
    expect(sonarr.serializedInputs.address).toEqual({ host: "172.30.0.14", port: 8989, basePath: "" });
});

test("the graph keeps every URN, parent and provider of the single-host program before homelab:hosts (no replacement on upgrade)", () => {
    expect(graphRows(run)).toEqual(recordedSingleHostGraph("local"));
});
