/** Host-safety policies: every container, one concern per policy. */
import { Graph, Mode, UNKNOWN, judge, syntheticStack } from "./fixtures";

type Case = [title: string, policy: string, mutate: (g: Graph) => void];

const volumes = (g: Graph, app: string) => g.container(app).serializedInputs.volumes as Array<Record<string, unknown>>;

const cases: Case[] = [
    ["privileged Sonarr", "container-not-privileged", (g) => (g.container("sonarr").serializedInputs.privileged = true)],
    ["Jellyfin on the host network", "container-no-host-namespaces", (g) => g.leaveNamespace(g.container("jellyfin"), "host")],
    ["pidMode host", "container-no-host-namespaces", (g) => (g.container("radarr").serializedInputs.pidMode = "host")],
    ["ipcMode host", "container-no-host-namespaces", (g) => (g.container("radarr").serializedInputs.ipcMode = "host")],
    ["usernsMode host", "container-no-host-namespaces", (g) => (g.container("radarr").serializedInputs.usernsMode = "host")],
    ["the Docker socket as a volume", "container-no-docker-socket", (g) => volumes(g, "sonarr").push({ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true })],
    ["the Docker socket as a bind mount", "container-no-docker-socket", (g) => (g.container("caddy").serializedInputs.mounts = [{ type: "bind", source: "/run/docker.sock", target: "/sock", readOnly: true }])],
    ["/etc writable", "container-no-sensitive-host-mounts", (g) => volumes(g, "radarr").push({ hostPath: "/etc", containerPath: "/host-etc" })],
    ["/var/lib/docker/volumes writable", "container-no-sensitive-host-mounts", (g) => volumes(g, "radarr").push({ hostPath: "/var/lib/docker/volumes", containerPath: "/v" })],
    ["/ writable via mounts", "container-no-sensitive-host-mounts", (g) => (g.container("radarr").serializedInputs.mounts = [{ type: "bind", source: "/", target: "/host" }])],
    ["no securityOpts", "container-no-new-privileges", (g) => delete g.container("bazarr").serializedInputs.securityOpts],
    ["NET_ADMIN on qBittorrent", "container-capabilities-allowlist", (g) => (g.container("qbittorrent").serializedInputs.capabilities = { adds: ["NET_ADMIN"] })],
    ["SYS_ADMIN on Gluetun", "container-capabilities-allowlist", (g) => (g.container("gluetun").serializedInputs.capabilities = { adds: ["NET_ADMIN", "SYS_ADMIN"] })],
    ["/dev/net/tun on Sonarr", "container-capabilities-allowlist", (g) => (g.container("sonarr").serializedInputs.devices = [{ hostPath: "/dev/net/tun" }])],
    ["/dev/sda on Jellyfin", "container-capabilities-allowlist", (g) => (g.container("jellyfin").serializedInputs.devices = [{ hostPath: "/dev/sda" }])],
    ["Sonarr on 0.0.0.0", "container-published-ports", (g) => ((g.container("sonarr").serializedInputs.ports as Array<Record<string, unknown>>)[0].ip = "0.0.0.0")],
    ["Sonarr port without ip", "container-published-ports", (g) => delete (g.container("sonarr").serializedInputs.ports as Array<Record<string, unknown>>)[0].ip],
    ["Caddy admin port 2019 on 0.0.0.0", "container-published-ports", (g) => (g.container("caddy").serializedInputs.ports as unknown[]).push({ internal: 2019, external: 2019 })],
    ["publishAllPorts", "container-published-ports", (g) => (g.container("jellyfin").serializedInputs.publishAllPorts = true)],
    ["a latest image", "container-image-pinned", (g) => (g.imageOf(g.container("sonarr")).serializedInputs.name = "lscr.io/linuxserver/sonarr:latest")],
    ["an untagged image", "container-image-pinned", (g) => (g.imageOf(g.container("radarr")).serializedInputs.name = "lscr.io/linuxserver/radarr")],
    ["a floating channel tag", "container-image-pinned", (g) => (g.imageOf(g.container("radarr")).serializedInputs.name = "lscr.io/linuxserver/radarr:develop")],
    ["no memory limit", "container-memory-limit", (g) => delete g.container("jellyfin").serializedInputs.memory],
    ["restart no", "container-restart-policy", (g) => (g.container("jellyfin").serializedInputs.restart = "no")],
    ["no restart policy", "container-restart-policy", (g) => delete g.container("jellyfin").serializedInputs.restart],
    ["healthcheck NONE", "container-healthcheck", (g) => (g.container("caddy").serializedInputs.healthcheck = { tests: ["NONE"] })],
    ["no healthcheck", "container-healthcheck", (g) => delete g.container("caddy").serializedInputs.healthcheck],
];

describe.each<Mode>(["preview", "update"])("host-safety policies (%s)", (mode) => {
    let g: Graph;
    beforeEach(() => {
        g = syntheticStack(mode);
    });

    it.each(cases)("catch %s", async (_title, policy, mutate) => {
        mutate(g);
        const verdict = await judge(g.resources);
        expect(verdict.failed).toContain(policy);
        expect(verdict.cantRun).toEqual([]);
        const v = verdict.mandatory.find((d) => d.policyName === policy)!;
        expect(v.urn).toMatch(/docker:index\/container:Container::/);
        expect(v.message.length).toBeGreaterThan(60);
    });

    it("allow the pinned forms: version tags, lsio build tags and digests", async () => {
        g.imageOf(g.container("sonarr")).serializedInputs.name = "lscr.io/linuxserver/sonarr:develop-4.0.15.2941-ls290";
        g.imageOf(g.container("radarr")).serializedInputs.name = `lscr.io/linuxserver/radarr@sha256:${"a".repeat(64)}`;
        expect((await judge(g.resources)).all).toEqual([]);
    });

    it("allow read-only mounts of sensitive paths and the allow-listed devices", async () => {
        volumes(g, "jellyfin").push({ hostPath: "/etc/localtime", containerPath: "/etc/localtime", readOnly: true });
        g.container("jellyfin").serializedInputs.devices = [{ hostPath: "/dev/dri/renderD128" }];
        expect((await judge(g.resources)).all).toEqual([]);
    });

    it("do not guess about values unknown during preview (memory computed)", async () => {
        g.container("sonarr").serializedInputs.memory = UNKNOWN;
        expect((await judge(g.resources)).all).toEqual([]);
    });
});
