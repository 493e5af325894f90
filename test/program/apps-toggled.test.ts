/**
 * Optional apps switched by `homelab:apps` (Readarr on; Lidarr, Seerr, FlareSolverr off) plus
 * per-app image and memory overrides: what is switched off leaves nothing behind (container, image,
 * volume, API key, port, firewall rule, jail, route), what is switched on is wired like its siblings.
 */
import { DATA_ROOT, LAN_BIND, programOptions } from "../support/fixtures";
import { isSecretEnvelope, ProgramRun, readableInputs, runProgram } from "../../scripts/mock-engine";
import { container, containers, envOf, inputs, ofType, portsOf, REMOTE_COMMAND, REMOTE_IMAGE } from "../support/graph";

const SONARR_IMAGE = "lscr.io/linuxserver/sonarr:4.0.14";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions({
        apps: { readarr: true, lidarr: false, seerr: false, flaresolverr: false },
        images: { sonarr: SONARR_IMAGE },
        memoryLimits: { jellyfin: 2048 },
    }));
}, 30_000);

const script = (name: string) => String(ofType(run, REMOTE_COMMAND).find((r) => r.name === `homelab-host-${name}`)!.serializedInputs.create);

test("exactly the switched-on apps run", () => {
    expect([...containers(run).keys()].sort()).toEqual(
        ["gluetun", "qbittorrent", "prowlarr", "sonarr", "radarr", "readarr", "bazarr", "jellyfin", "caddy"].sort(),
    );
});

test("switched-off apps leave no image, volume or API key behind", () => {
    const names = run.resources.map((r) => r.name);
    for (const off of ["lidarr", "seerr", "flaresolverr"]) {
        expect(names.filter((n) => n.includes(off))).toEqual([]);
    }
    expect(Object.keys(run.outputs.apiKeys as object).sort()).toEqual(["bazarr", "prowlarr", "radarr", "readarr", "sonarr"]);
});

test("Readarr is wired like the other library managers: /data, API key, LAN port 8787", () => {
    const readarr = container(run, "readarr");
    expect((inputs(readarr).volumes ?? []).filter((v) => v.hostPath)).toEqual([{ hostPath: DATA_ROOT, containerPath: "/data" }]);
    const key = envOf(readarr).get("READARR__AUTH__APIKEY");
    expect(key?.secret).toBe(true);
    expect((readarr.serializedInputs.envs as unknown[]).some(isSecretEnvelope)).toBe(true);
    expect(portsOf(readarr)).toEqual([{ internal: 8787, external: 8787, ip: LAN_BIND, protocol: "tcp" }]);
    const image = ofType(run, REMOTE_IMAGE).find((r) => r.name === "homelab-arr-readarr-image");
    expect(String(image?.serializedInputs.name)).toMatch(/^lscr\.io\/linuxserver\/readarr:[^:]+$/);
    expect(String(image?.serializedInputs.name)).not.toMatch(/:latest$/);
});

test("without FlareSolverr the gateway publishes only the remaining members' ports", () => {
    expect(portsOf(container(run, "gluetun")).map((p) => p.external)).toEqual([8080, 9696]);
    expect(run.outputs.vpnNamespace).toEqual({ gateway: "gluetun", members: ["qbittorrent", "prowlarr"] });
    const links = (run.outputs.wiring as { links: Record<string, string> }).links;
    expect(Object.keys(links)).not.toContain("Prowlarr -> FlareSolverr");
    expect(links["Readarr -> qBittorrent"]).toBe("http://gluetun:8080 (category books)");
});

test("the firewall and Fail2Ban follow the enabled apps", () => {
    const lanPorts = (/export LAN_APP_PORTS='([^']*)'/.exec(script("firewall"))?.[1] ?? "").split(" ").map(Number).sort((a, b) => a - b);
    expect(lanPorts).toEqual([6767, 7878, 8080, 8096, 8787, 8989, 9696]);
    const jails = script("fail2ban");
    expect(jails).toContain("homelab-readarr|servarr|");
    expect(jails).not.toContain("homelab-lidarr");
    expect(jails).not.toContain("homelab-seerr");
});

test("proxy routes and URLs follow the enabled apps", () => {
    const routes = (run.outputs.proxyRoutes as string[]).join("\n");
    expect(routes).toContain("readarr.media.example.com -> readarr:8787 (LAN only)");
    expect(routes).not.toMatch(/lidarr|requests\./);
    expect(Object.keys(run.outputs.urls as object)).not.toContain("seerr");
    expect(run.outputs.enabledApps).toContain("Readarr");
    expect(run.outputs.enabledApps).not.toContain("Lidarr");
});

test("an image override replaces only that app's image", () => {
    const images = new Map(ofType(run, REMOTE_IMAGE).map((r) => [r.name, String(r.serializedInputs.name)]));
    expect(images.get("homelab-arr-sonarr-image")).toBe(SONARR_IMAGE);
    expect(images.get("homelab-arr-radarr-image")).toMatch(/^lscr\.io\/linuxserver\/radarr:/);
    expect(images.get("homelab-arr-radarr-image")).not.toBe(SONARR_IMAGE);
});

test("a memory override replaces only that app's limit", () => {
    expect(inputs(container(run, "jellyfin")).memory).toBe(2048);
    expect(inputs(container(run, "sonarr")).memory).toBe(1024);
    expect(inputs(container(run, "gluetun")).memory).toBe(256);
});

test("switched-off apps lose their wiring, switched-on Readarr is wired like its siblings", () => {
    const wiring = run.resources.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource").map((r) => r.name.replace("homelab-wiring-", ""));
    expect(wiring.sort()).toEqual(["bazarr", "jellyfin", "jellyfin-setup", "prowlarr-radarr", "prowlarr-readarr", "prowlarr-sonarr", "qbittorrent", "radarr", "readarr", "sonarr"]);
    const readarr = run.resources.find((r) => r.name === "homelab-wiring-readarr")!;
    expect(readarr.dependencies).toContain(container(run, "readarr").urn);
    // Readarr has no Jellyfin connection; it gets its root folder and download client like the others.
    expect(readableInputs(readarr.serializedInputs, true)).toMatchObject({ kind: "readarr", rootFolderPath: "/data/media/books", downloadClient: { category: "books" } });
    expect(readarr.serializedInputs.jellyfin).toBeUndefined();
    const caddy = container(run, "caddy");
    const setup = run.resources.find((r) => r.name === "homelab-wiring-jellyfin-setup")!;
    expect(caddy.dependencies).toContain(setup.urn);
});
