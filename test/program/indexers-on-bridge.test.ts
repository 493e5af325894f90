/**
 * `homelab:indexersThroughVpn=false` with host port overrides: Prowlarr and FlareSolverr leave the VPN
 * namespace for the bridge network and publish their own LAN ports; the gateway then publishes only
 * qBittorrent's WebUI. Overridden host ports move the published port, never the container port.
 */
import { LAN_BIND, programOptions } from "../support/fixtures";
import { ProgramRun, runProgram } from "../../scripts/mock-engine";
import { container, inputs, ofType, portsOf, REMOTE_COMMAND } from "../support/graph";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions({ indexersThroughVpn: false, hostPorts: { sonarr: 18989, prowlarr: 19696 } }));
}, 30_000);

test("only qBittorrent stays in the VPN namespace", () => {
    expect(run.outputs.vpnNamespace).toEqual({ gateway: "gluetun", members: ["qbittorrent"] });
    const gluetun = container(run, "gluetun");
    expect(container(run, "qbittorrent").propertyDependencies.networkMode).toEqual([gluetun.urn]);
});

test.each([["prowlarr", [{ internal: 9696, external: 19696, ip: LAN_BIND, protocol: "tcp" }]], ["flaresolverr", []]])(
    "%s moves to the bridge network (FlareSolverr, an unauthenticated browser, is never published)", (id, ports) => {
        const c = container(run, id as string);
        const args = inputs(c);
        expect(args.networkMode).toBe("bridge");
        expect(args.networksAdvanced?.[0]).toMatchObject({ name: "homelab", aliases: [id] });
        expect(c.propertyDependencies.networkMode ?? []).toEqual([]);
        expect(portsOf(c)).toEqual(ports);
        expect(args.healthcheck?.tests.join(" ")).not.toContain("9999");
    });

test("the gateway publishes only qBittorrent's WebUI", () => {
    expect(portsOf(container(run, "gluetun"))).toEqual([{ internal: 8080, external: 8080, ip: LAN_BIND, protocol: "tcp" }]);
});

test("a host port override moves the published port and the LAN URL, not the container port", () => {
    expect(portsOf(container(run, "sonarr"))).toEqual([{ internal: 8989, external: 18989, ip: LAN_BIND, protocol: "tcp" }]);
    const urls = run.outputs.urls as Record<string, { lan?: string }>;
    expect(urls.sonarr.lan).toBe(`http://${LAN_BIND}:18989`);
    expect(urls.prowlarr.lan).toBe(`http://${LAN_BIND}:19696`);
    expect(urls.radarr.lan).toBe(`http://${LAN_BIND}:7878`);
});

test("the firewall opens the overridden ports instead of the defaults", () => {
    const firewall = String(ofType(run, REMOTE_COMMAND).find((r) => r.name === "homelab-host-firewall")!.serializedInputs.create);
    const ports = (/export LAN_APP_PORTS='([^']*)'/.exec(firewall)?.[1] ?? "").split(" ").map(Number);
    expect(ports).toEqual(expect.arrayContaining([18989, 19696, 8080]));
    expect(ports).not.toContain(8191);
    expect(ports).not.toContain(8989);
    expect(ports).not.toContain(9696);
});

test("routes and connections address the indexers by their own names", () => {
    expect(run.outputs.proxyRoutes).toContain("prowlarr.media.example.com -> prowlarr:9696 (LAN only)");
    const connections = (run.outputs.wiring as { links: Record<string, string> }).links;
    expect(connections["Prowlarr -> FlareSolverr"]).toBe("http://flaresolverr:8191");
    expect(connections["Prowlarr -> Sonarr"]).toBe("http://sonarr:8989");
    expect(connections["Sonarr -> qBittorrent"]).toBe("http://gluetun:8080 (category tv)");
});
