/**
 * Moving qBittorrent's WebUI off 8080 (a common clash): its WebUI must listen on the same port it is
 * published on, so the override moves the container port, WEBUI_PORT, the seeded config, the health probe,
 * Gluetun's port-forwarding hook and the proxy route together.
 */
import { programOptions } from "../support/fixtures";
import { ProgramRun, runProgram } from "../../scripts/mock-engine";
import { container, env, inputs, portsOf, upload } from "../support/graph";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions({ hostPorts: { qbittorrent: 18080 }, vpnPortForwarding: true }));
}, 30_000);

test("Gluetun publishes the WebUI on the same port inside and out", () => {
    const webUi = portsOf(container(run, "gluetun")).filter((p) => p.external === 18080 || p.internal === 18080);
    expect(webUi).toEqual([{ internal: 18080, external: 18080, ip: "192.168.1.10", protocol: "tcp" }]);
    expect(portsOf(container(run, "gluetun")).some((p) => p.internal === 8080 || p.external === 8080)).toBe(false);
});

test("qBittorrent itself listens there: WEBUI_PORT, its config and its health probe agree", () => {
    const qbittorrent = container(run, "qbittorrent");
    expect(env(qbittorrent, "WEBUI_PORT")).toBe("18080");
    expect(upload(qbittorrent, "/defaults/qBittorrent.conf").revealed).toMatch(/^WebUI\\Port=18080$/m);
    expect(inputs(qbittorrent).healthcheck?.tests?.join(" ")).toContain("http://localhost:18080/");
});

test("the port-forwarding hook and the proxy route follow", () => {
    expect(env(container(run, "gluetun"), "VPN_PORT_FORWARDING_UP_COMMAND")).toContain("http://127.0.0.1:18080/api/v2/app/setPreferences");
    expect(upload(container(run, "caddy"), "/etc/caddy/Caddyfile").revealed).toMatch(/^\treverse_proxy gluetun:18080$/m);
});
