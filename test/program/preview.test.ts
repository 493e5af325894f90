/**
 * The default remote stack in `pulumi preview` of a new stack: ids, image ids and random values are not
 * known yet, so qBittorrent's network mode is unknown, but the graph still proves it joins gluetun's
 * namespace, and credentials are still secrets.
 */
import * as net from "net";
import { programOptions, SSH_KEY_MARKER, WIREGUARD_KEY } from "../support/fixtures";
import { isSecretEnvelope, ProgramRun, readableInputs, runProgram, UNKNOWN } from "../../scripts/mock-engine";
import { container, containers, envOf, inputs, nonSecretText, ofType, portsOf, REMOTE_COMMAND } from "../support/graph";
import { DEFAULT_APPS } from "../support/expected";

let run: ProgramRun;
/** Every TCP connection the program opened while it was evaluated. */
const dialed: unknown[] = [];

beforeAll(async () => {
    const connect = net.Socket.prototype.connect;
    jest.spyOn(net.Socket.prototype, "connect").mockImplementation(function (this: net.Socket, ...args: unknown[]) {
        dialed.push(args[0]);
        return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    });
    run = await runProgram(programOptions({}, true));
    jest.restoreAllMocks();
}, 30_000);

const VPN_MEMBERS = ["qbittorrent", "prowlarr", "flaresolverr"];

test("it is a preview, and the same containers are planned as for an update", () => {
    expect(run.preview).toBe(true);
    expect([...containers(run).keys()].sort()).toEqual([...DEFAULT_APPS].sort());
});

test.each(VPN_MEMBERS)("%s: network mode unknown, but it depends on exactly the gluetun container", (id) => {
    const member = container(run, id);
    const gluetun = container(run, "gluetun");
    expect(member.serializedInputs.networkMode).toBe(UNKNOWN);
    expect(inputs(member).networkMode).toBe("[unknown]");
    expect(member.propertyDependencies.networkMode).toEqual([gluetun.urn]);
    expect(member.serializedInputs).not.toHaveProperty("ports");
    expect(member.serializedInputs).not.toHaveProperty("networksAdvanced");
});

test("bridge apps are planned with a known network mode and ports", () => {
    for (const id of ["sonarr", "jellyfin", "caddy", "gluetun"]) {
        expect(inputs(container(run, id)).networkMode).toBe("bridge");
        expect(portsOf(container(run, id)).length).toBeGreaterThan(0);
    }
});

test("images are unknown until pulled", () => {
    for (const c of containers(run).values()) expect(c.serializedInputs.image).toBe(UNKNOWN);
});

test("credentials from config are still secret envelopes in preview", () => {
    expect(envOf(container(run, "gluetun")).get("WIREGUARD_PRIVATE_KEY")).toEqual({ value: WIREGUARD_KEY, secret: true });
    for (const command of ofType(run, REMOTE_COMMAND)) expect(isSecretEnvelope(command.serializedInputs.connection)).toBe(true);
    const visible = run.resources.map(nonSecretText).join("\n") + JSON.stringify(run.outputs);
    expect(visible).not.toContain(WIREGUARD_KEY);
    expect(visible).not.toContain(SSH_KEY_MARKER);
    expect(JSON.stringify(run.resources.map((r) => readableInputs(r.serializedInputs, true)))).toContain(SSH_KEY_MARKER);
});

test("generated credentials are unknown or secret, never a plain value", () => {
    const conf = (container(run, "qbittorrent").serializedInputs.uploads as { file: string; content: unknown }[])
        .find((u) => u.file.endsWith("qBittorrent.conf"))!.content;
    expect(conf === UNKNOWN || isSecretEnvelope(conf)).toBe(true);
    const apiKey = (container(run, "sonarr").serializedInputs.envs as unknown[]).find((e) => e === UNKNOWN || isSecretEnvelope(e));
    expect(apiKey).toBeDefined();
    expect(run.outputs.qbittorrentLogin).toEqual({ user: "admin", password: expect.stringMatching(/^\[(secret|unknown)\]$/) });
});

test("stack outputs that do not depend on provider values are known in preview", () => {
    expect(run.outputs.vpnNamespace).toEqual({ gateway: "gluetun", members: VPN_MEMBERS });
    expect(run.outputs.deployTarget).toBe("ssh://root@192.168.1.10:22");
});

test("the wiring resources are declared with their credentials as secrets, and no app is contacted", () => {
    const wiring = run.resources.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
    expect(wiring.map((r) => r.name).sort()).toEqual([
        "bazarr", "jellyfin", "jellyfin-setup", "lidarr", "prowlarr-flaresolverr", "prowlarr-lidarr", "prowlarr-radarr",
        "prowlarr-sonarr", "qbittorrent", "radarr", "seerr", "sonarr",
    ].map((key) => `homelab-wiring-${key}`));
    for (const r of wiring) {
        expect(isSecretEnvelope(r.serializedInputs.connection)).toBe(true);
        expect(typeof r.serializedInputs.__provider).toBe("string");
    }
    const sonarr = wiring.find((r) => r.name === "homelab-wiring-sonarr")!;
    const apiKey = sonarr.serializedInputs.apiKey;
    expect(apiKey === UNKNOWN || isSecretEnvelope(apiKey)).toBe(true);
    expect(dialed).toEqual([]);
});

test("Caddy still waits for the setups in preview", () => {
    const setups = run.resources.filter((r) => r.name === "homelab-wiring-jellyfin-setup" || r.name === "homelab-wiring-seerr").map((r) => r.urn);
    expect(setups).toHaveLength(2);
    expect(container(run, "caddy").dependencies).toEqual(expect.arrayContaining(setups));
});
