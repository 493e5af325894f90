/**
 * Without `homelab:lanBindAddress` no app WebUI is published on the host at all: the reverse proxy on
 * 80/443 is the only way in, and the firewall opens no app ports.
 */
import { programOptions } from "../support/fixtures";
import { ProgramRun, runProgram } from "../../scripts/mock-engine";
import { container, containers, ofType, portsOf, REMOTE_COMMAND } from "../support/graph";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions({ lanBindAddress: undefined }));
}, 30_000);

test("nothing but caddy publishes a port", () => {
    expect(containers(run).size).toBe(11);
    for (const [id, c] of containers(run)) {
        if (id === "caddy") continue;
        expect({ id, ports: portsOf(c) }).toEqual({ id, ports: [] });
    }
    expect(portsOf(container(run, "caddy")).map((p) => p.external).sort()).toEqual([443, 80]);
});

test("URLs carry only proxy addresses, and the firewall opens no app port", () => {
    for (const [id, url] of Object.entries(run.outputs.urls as Record<string, { proxy?: string; lan?: string }>)) {
        expect({ id, lan: url.lan }).toEqual({ id, lan: undefined });
    }
    const firewall = String(ofType(run, REMOTE_COMMAND).find((r) => r.name === "homelab-host-firewall")!.serializedInputs.create);
    expect(firewall).toContain("export LAN_APP_PORTS=''");
    // node_exporter stays on loopback without a LAN bind address: no port for it either.
    expect(firewall).toContain("export LAN_HOST_PORTS=''");
});
