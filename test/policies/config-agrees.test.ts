/**
 * The program's config validation and the policy pack must agree: every config that `parseConfig` accepts,
 * at the edges of what it accepts, deploys a graph with zero mandatory violations. (Configs it rejects are
 * covered in test/config.test.ts; the graphs the pack rejects in the mutation corpus.)
 */
import { programOptions } from "../support/fixtures";
import { evaluateGraph } from "../../policies/evaluate";
import type * as MockEngine from "../../scripts/mock-engine";

/**
 * Each edge with a value its graph must show, so a run that ignored the variant would fail. The pack judges
 * containers, networks, the provider and host commands, never the wiring's dynamic resources: the edges run
 * without wiring (each evaluation would serialize every wiring provider again), except the one that says so;
 * the default stack with wiring is judged by program-preview and program-update.
 */
const ACCEPTED_EDGES: [string, Record<string, unknown>, string][] = [
    ["the widest LAN the kill switch allows", { lanSubnet: "192.168.128.0/17", lanBindAddress: "192.168.128.10" }, "192.168.128.0/17"],
    ["a 10.x LAN and the smallest Docker subnet", { lanSubnet: "10.10.0.0/24", lanBindAddress: "10.10.0.2", dockerSubnet: "10.99.0.0/26" }, "10.99.0.0/26"],
    ["a data root inside a home directory", { dataRoot: "/home/alice/media" }, "/home/alice/media"],
    ["qBittorrent moved off 8080 with port forwarding", { hostPorts: { qbittorrent: 18080 }, vpnPortForwarding: true }, "WEBUI_PORT=18080"],
    ["Prowlarr published on Gluetun's proxy port 8888 (it still listens on 9696 inside)", { hostPorts: { prowlarr: 8888 } }, '{"external":8888,"internal":9696,"ip":"192.168.1.10","protocol":"tcp"}'],
    ["indexers on the bridge, no LAN bind address", { indexersThroughVpn: false, lanBindAddress: undefined }, "lscr.io/linuxserver/prowlarr"],
    ["every optional app on and wired, Jellyfin with /dev/dri", { apps: { readarr: true, lidarr: true }, jellyfinHardwareAcceleration: true, renderGroupId: 105, wiring: true }, "/dev/dri"],
    ["every optional app off", { apps: { readarr: false, lidarr: false, bazarr: false, seerr: false, flaresolverr: false } }, "lscr.io/linuxserver/sonarr"],
    ["OpenVPN with port forwarding", { vpnType: "openvpn", openvpnUser: "user1", openvpnPassword: "pw", wireguardPrivateKey: undefined, vpnPortForwarding: true }, "OPENVPN_USER=user1+pmp"],
    ["local mode", { host: undefined, sshHostKey: undefined, sshPrivateKey: undefined }, "unix:///var/run/docker.sock"],
];

/** Each run gets its own module registry (the program is required during the run, so the async form). */
async function graphOf(overrides: Record<string, unknown>, preview: boolean): Promise<MockEngine.CapturedResource[]> {
    let resources: MockEngine.CapturedResource[] = [];
    await jest.isolateModulesAsync(async () => {
        const engine = require("../../scripts/mock-engine") as typeof MockEngine;
        resources = (await engine.runProgram(programOptions({ wiring: false, ...overrides }, preview))).resources;
    });
    return resources;
}

test.each(ACCEPTED_EDGES)("%s: accepted by the config and by the policy pack", async (_what, overrides, marker) => {
    // Preview: what `pulumi preview --policy-pack` gates on (update mode is covered for the default stack).
    const graph = await graphOf(overrides, true);
    expect(JSON.stringify(graph)).toContain(marker);
    const violations = await evaluateGraph(graph, { transport: "in-process" });
    expect(violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName}: ${v.message}`)).toEqual([]);
}, 30_000);
