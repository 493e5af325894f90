/**
 * One stack on two hosts, the split of issue 16 (Gluetun, qBittorrent and the library managers on `main`;
 * Jellyfin with the GPU, Seerr and Caddy on `gpu`; the data root on a NAS both mount), plus FlareSolverr
 * outside the VPN on `gpu` so that one API is called across hosts without a WebUI for people. The program
 * under the mock engine: what goes on which provider, the per-host hardening and firewall, the addresses the
 * wiring and Caddy use, the outputs; then the policy pack on this graph, intact and broken.
 */
import * as os from "os";
import { programOptions, SSH_HOST_KEY } from "../support/fixtures";
import { CapturedResource, ProgramRun, readableInputs, runProgram } from "../../scripts/mock-engine";
import { container, DOCKER_PROVIDER, inputs, ofType, portsOf, REMOTE_COMMAND } from "../support/graph";
import { Graph, judge } from "../policies/fixtures";
import { buildStackView, renderMermaid, renderPlanText } from "../../scripts/stack-view";

const GPU_KEY = SSH_HOST_KEY.replace(/.{4}$/, "gpu1");
const MAIN = "192.168.1.10";
const GPU = "192.168.1.11";
const ON_GPU = ["jellyfin", "seerr", "caddy", "flaresolverr"];

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions({
        host: undefined,
        sshHostKey: undefined,
        lanBindAddress: undefined,
        hosts: {
            main: { host: MAIN, sshHostKey: SSH_HOST_KEY, lanBindAddress: MAIN },
            gpu: { host: GPU, sshHostKey: GPU_KEY, lanBindAddress: GPU, devices: ["/dev/dri"] },
        },
        placement: { jellyfin: "gpu", seerr: "gpu", caddy: "gpu", flaresolverr: "gpu" },
        storage: { type: "nfs", server: "192.168.1.5", export: "/volume1/media" },
        indexersThroughVpn: false,
        jellyfinHardwareAcceleration: true,
        backup: { repository: "/mnt/backup/homelab" },
    }));
}, 120_000);

const providerNameOf = (r: CapturedResource) => r.provider.replace(/::[^:]*$/, "").split("::").pop();
const scriptVariable = (command: CapturedResource, name: string) =>
    new RegExp(`^export ${name}='([^']*)'$`, "m").exec(String(readableInputs(command.serializedInputs.create)))?.[1];
const command = (name: string) => {
    const found = ofType(run, REMOTE_COMMAND).find((r) => r.name === name);
    if (!found) throw new Error(`no command ${name}`);
    return found;
};

describe("one Docker provider and one network per host", () => {
    test("each provider dials its own host over ssh:// with its own pinned known_hosts and key files", () => {
        const providers = ofType(run, DOCKER_PROVIDER).filter((p) => p.name.startsWith("homelab-docker"));
        const byName = Object.fromEntries(providers.map((p) => [p.name, readableInputs(p.serializedInputs) as Record<string, unknown>]));
        expect(Object.keys(byName).sort()).toEqual(["homelab-docker", "homelab-docker-gpu"]);
        expect(byName["homelab-docker"].host).toBe(`ssh://root@${MAIN}:22`);
        expect(byName["homelab-docker-gpu"].host).toBe(`ssh://root@${GPU}:22`);
        expect(JSON.stringify(byName["homelab-docker"].sshOpts)).toContain("homelab-media/dev.known_hosts");
        expect(JSON.stringify(byName["homelab-docker-gpu"].sshOpts)).toContain("homelab-media/dev-gpu.known_hosts");
        expect(JSON.stringify(byName["homelab-docker-gpu"].sshOpts)).toContain("homelab-media/dev-gpu.key");
    });

    test("every container, image and volume is created on its app's host, the networks one per host", () => {
        for (const r of run.resources.filter((x) => /^docker:index\/(container|remoteImage|volume):/.test(x.type))) {
            const app = /^homelab-[a-z]+-([a-z]+)/.exec(r.name)?.[1] ?? "";
            const expected = ON_GPU.includes(app) ? "homelab-docker-gpu" : "homelab-docker";
            expect([r.name, providerNameOf(r)]).toEqual([r.name, expected]);
        }
        const networks = run.resources.filter((r) => r.type === "docker:index/network:Network");
        expect(networks.map((n) => [n.name, providerNameOf(n)]).sort()).toEqual([["homelab-network", "homelab-docker"], ["homelab-network-gpu", "homelab-docker-gpu"]]);
    });

    test("Jellyfin gets /dev/dri on the GPU host", () => {
        expect(inputs(container(run, "jellyfin")).devices).toEqual([{ hostPath: "/dev/dri", containerPath: "/dev/dri" }]);
    });
});

describe("host work on every host that runs apps", () => {
    test.each(["data-tree", "firewall", "fail2ban", "vpn-recovery"])("%s runs on main and on gpu, each over its own SSH connection", (step) => {
        expect(command(`homelab-host-${step}`).serializedInputs.connection).toBeDefined();
        const gpu = readableInputs(command(`homelab-host-gpu-${step}`).serializedInputs.connection, true) as Record<string, unknown>;
        expect(gpu).toMatchObject({ host: GPU, hostKey: GPU_KEY });
        const main = readableInputs(command(`homelab-host-${step}`).serializedInputs.connection, true) as Record<string, unknown>;
        expect(main).toMatchObject({ host: MAIN, hostKey: SSH_HOST_KEY });
    });

    test("each host has its own watcher, judging the apps placed there (the VPN checks where Gluetun runs), and node_exporter on its LAN address", () => {
        const watch = (name: string) => {
            const step = command(name);
            // STATUS_ENV is itself shell assignments, quoted once more inside the script's.
            const stdin = String(readableInputs(step.serializedInputs.stdin, true)).replace(/'\\''/g, "'");
            return { step, apps: /(?:^|STATUS_ENV=')APPS='([^']*)'$/m.exec(stdin)?.[1], lanBind: /^LAN_BIND='([^']*)'$/m.exec(stdin)?.[1], listen: /METRICS_LISTEN='([^']*)'/.exec(stdin)?.[1] };
        };
        const main = watch("homelab-watch-watch");
        const gpu = watch("homelab-watch-gpu-watch");
        expect(gpu.apps!.split(" ")).toEqual(["flaresolverr", "jellyfin", "seerr", "caddy"]);
        expect(main.apps!.split(" ")).toEqual(["gluetun", "qbittorrent", "prowlarr", "sonarr", "radarr", "lidarr", "bazarr"]);
        expect([main.lanBind, gpu.lanBind]).toEqual([MAIN, GPU]);
        expect([main.listen, gpu.listen]).toEqual([`${MAIN}:9100`, `${GPU}:9100`]);
        expect((readableInputs(gpu.step.serializedInputs.connection, true) as Record<string, unknown>).host).toBe(GPU);
        expect(scriptVariable(command("homelab-host-gpu-firewall"), "LAN_HOST_PORTS")).toBe("9100");
        expect(scriptVariable(command("homelab-host-firewall"), "LAN_HOST_PORTS")).toBe("9100");
        expect(run.outputs.alerts).toBe(`homelab-watch every 60s to the journal only; metrics on ${MAIN}:9100, ${GPU}:9100`);
    });

    test("each host backs up its own apps' volumes, with its own repository password", () => {
        const backups = ofType(run, REMOTE_COMMAND).filter((r) => /^homelab-backup(-gpu)?-backup$/.test(r.name));
        expect(backups.map((b) => [b.name, (readableInputs(b.serializedInputs.connection, true) as Record<string, unknown>).host]).sort())
            .toEqual([["homelab-backup-backup", MAIN], ["homelab-backup-gpu-backup", GPU]]);
        const repository = (b: CapturedResource) => /^export REPOSITORY='([^']*)'$/m.exec(String(readableInputs(b.serializedInputs.stdin, true)))?.[1];
        expect(backups.map(repository).sort()).toEqual(["/mnt/backup/homelab", "/mnt/backup/homelab-gpu"]);
        expect(Object.keys(run.outputs.backupPassword as Record<string, unknown>)).toEqual(["main", "gpu"]);
    });

    test("the NAS is mounted on both hosts", () => {
        expect(run.resources.filter((r) => r.type === REMOTE_COMMAND && /^homelab-data(-gpu)?-/.test(r.name)).map((r) => r.name).sort())
            .toEqual(expect.arrayContaining([expect.stringMatching(/^homelab-data-/), expect.stringMatching(/^homelab-data-gpu-/)]));
    });

    test("FlareSolverr's port is admitted on gpu from main's address only; WebUIs keep the LAN rule", () => {
        const gpuFirewall = command("homelab-host-gpu-firewall");
        expect(scriptVariable(gpuFirewall, "PEER_PORTS")).toBe(`8191@${MAIN}`);
        expect(scriptVariable(gpuFirewall, "LAN_APP_PORTS")!.split(" ")).toEqual(["8096", "5055"]);
        expect(scriptVariable(command("homelab-host-firewall"), "PEER_PORTS")).toBeUndefined();
        expect(portsOf(container(run, "flaresolverr"))).toEqual([{ internal: 8191, external: 8191, ip: GPU, protocol: "tcp" }]);
    });

    test("Fail2Ban on each host jails only its own apps and never bans the other host", () => {
        const gpuJails = scriptVariable(command("homelab-host-gpu-fail2ban"), "JAILS")!;
        expect(gpuJails.split("\n").map((l) => l.split("|")[0]).sort()).toEqual(["homelab-jellyfin", "homelab-seerr"]);
        expect(scriptVariable(command("homelab-host-fail2ban"), "JAILS")).not.toContain("homelab-jellyfin");
        expect(scriptVariable(command("homelab-host-gpu-fail2ban"), "PEER_ADDRESSES")).toBe(MAIN);
        expect(scriptVariable(command("homelab-host-fail2ban"), "PEER_ADDRESSES")).toBe(GPU);
    });
});

describe("addresses across hosts", () => {
    test("Caddy on gpu reaches main's apps at main's LAN address and published port, its neighbours by name", () => {
        const routes = run.outputs.proxyRoutes as string[];
        expect(routes).toContain("sonarr.media.example.com -> 192.168.1.10:8989 (LAN only)");
        expect(routes).toContain("qbittorrent.media.example.com -> 192.168.1.10:8080 (LAN only)");
        expect(routes).toContain("jellyfin.media.example.com -> jellyfin:8096");
    });

    test("the wiring output shows each app the address it can reach", () => {
        const links = (run.outputs.wiring as { links: Record<string, string> }).links;
        expect(links["Seerr -> Sonarr"]).toBe(`http://${MAIN}:8989`);
        expect(links["Seerr -> Jellyfin"]).toBe("http://jellyfin:8096");
        expect(links["Prowlarr -> FlareSolverr"]).toBe(`http://${GPU}:8191`);
        expect(links["Sonarr -> qBittorrent"]).toBe("http://gluetun:8080 (category tv)");
    });

    test("the wiring reaches each app over its own host's SSH connection", () => {
        const connectionHost = (name: string) => (readableInputs(run.resources.find((r) => r.name === name)!.serializedInputs.connection, true) as Record<string, unknown>).host;
        expect(connectionHost("homelab-wiring-seerr")).toBe(GPU);
        expect(connectionHost("homelab-wiring-sonarr")).toBe(MAIN);
    });

    test("outputs name each host's target and every app's host", () => {
        expect(run.outputs.deployTarget).toEqual({ main: `ssh://root@${MAIN}:22`, gpu: `ssh://root@${GPU}:22` });
        expect(run.outputs.placement).toMatchObject({ gluetun: "main", qbittorrent: "main", sonarr: "main", jellyfin: "gpu", caddy: "gpu" });
    });
});

describe("moving an app to another host", () => {
    const LOCAL_COMMAND = "command:local:Command";
    const moveOf = (app: string) => ofType(run, LOCAL_COMMAND).find((r) => r.name.endsWith(`-${app}-config-move`));

    test("every app with a config volume has a move step that runs again only when its host changes, before its container starts", () => {
        for (const app of ["gluetun", "qbittorrent", "sonarr", "jellyfin", "seerr", "caddy"]) {
            const step = moveOf(app)!;
            expect(step).toBeDefined();
            expect(readableInputs(step.serializedInputs.triggers)).toEqual([ON_GPU.includes(app) ? "gpu" : "main"]);
            expect(String(step.serializedInputs.update)).toMatch(/nothing to move/);
            expect(container(run, app).dependencies).toContain(step.urn);
        }
        expect(moveOf("flaresolverr")).toBeUndefined();
    });

    test("the step copies the volume from whichever other host holds it, over each host's pinned SSH files", () => {
        const create = String(readableInputs(moveOf("seerr")!.serializedInputs.create));
        const variable = (name: string) => new RegExp(`^export ${name}='([^']*)'$`, "m").exec(create)?.[1];
        expect(variable("VOLUME")).toBe("homelab-jellyseerr-config");
        expect(variable("VOLUME_DIR")).toBe("/var/lib/docker/volumes/homelab-jellyseerr-config/_data");
        expect(variable("TARGET")).toBe("gpu");
        const home = os.homedir().replace(/[.]/g, "\\.");
        expect(variable("TARGET_SHELL")).toMatch(new RegExp(`^ssh .*-o UserKnownHostsFile=${home}/\\.ssh/homelab-media/dev-gpu\\.known_hosts .*-i ${home}/\\.ssh/homelab-media/dev-gpu\\.key .*root@${GPU.replace(/\./g, "\\.")} bash$`));
        expect(create).toMatch(new RegExp(`^export OTHERS='main=ssh .*-i ${home}/\\.ssh/homelab-media/dev\\.key .*root@${MAIN.replace(/\./g, "\\.")} bash'$`, "m"));
    });
});

describe("npm run plan", () => {
    test("the text plan names both hosts and each container's host", () => {
        const text = renderPlanText(buildStackView(run.resources));
        expect(text.split("\n")).toContain(`Docker hosts: ssh://root@${MAIN}:22, ssh://root@${GPU}:22 (one network each)`);
        expect(text).toMatch(new RegExp(`\\n  jellyfin\\n    host     ssh://root@${GPU}:22\\n`));
        expect(text).toMatch(new RegExp(`\\n  sonarr\\n    host     ssh://root@${MAIN}:22\\n`));
    });

    test("the diagram draws one box per host with its apps", () => {
        const diagram = renderMermaid(buildStackView(run.resources));
        const box = (i: number) => diagram.split(`subgraph bridge_${i}[`)[1].split("\n  end")[0];
        expect(box(0)).toContain(`ssh://root@${MAIN}:22`);
        expect(box(0)).toContain("sonarr");
        expect(box(0)).toContain("vpn_gluetun");
        expect(box(1)).toContain(`ssh://root@${GPU}:22`);
        expect(box(1)).toContain("jellyfin");
        expect(box(1)).not.toContain("sonarr");
    });
});

describe("policy pack on the two-host graph", () => {
    test("passes with a definite verdict", async () => {
        const verdict = await judge(new Graph(run.resources, "update").resources);
        expect(verdict.mandatory).toEqual([]);
        expect(verdict.cantRun).toEqual([]);
    });

    test("catches a VPN member created on the other host's provider than its gateway", async () => {
        const g = new Graph(run.resources, "update").clone();
        const qbittorrent = g.container("qbittorrent");
        qbittorrent.provider = g.container("jellyfin").provider;
        const verdict = await judge(g.resources);
        const v = verdict.mandatory.find((d) => d.policyName === "vpn-gateway-same-host");
        expect(v?.urn).toBe(qbittorrent.urn);
        expect(v?.message).toMatch(/a network namespace exists on one host only/);
    });

    test("catches a cross-host API port opened to the whole LAN", async () => {
        const g = new Graph(run.resources, "update").clone();
        const firewall = g.resources.find((r) => r.name === "homelab-host-gpu-firewall")!;
        firewall.serializedInputs.create = String(firewall.serializedInputs.create).replace("export LAN_APP_PORTS='8096 5055'", "export LAN_APP_PORTS='8096 5055 8191'");
        const verdict = await judge(g.resources);
        const failed = verdict.mandatory.filter((d) => d.policyName === "cross-host-ports-peers-only").map((d) => d.message);
        expect(failed).toEqual(expect.arrayContaining([
            expect.stringMatching(/admits port 8191 from other hosts only, yet also from the whole LAN/),
            expect.stringMatching(/publishes 8191, a port only other hosts call, and the firewall of 192\.168\.1\.11 opens it to the whole LAN/),
        ]));
    });

    test("catches a peer port admitted from a whole subnet", async () => {
        const g = new Graph(run.resources, "update").clone();
        const firewall = g.resources.find((r) => r.name === "homelab-host-gpu-firewall")!;
        firewall.serializedInputs.create = String(firewall.serializedInputs.create).replace(`export PEER_PORTS='8191@${MAIN}'`, "export PEER_PORTS='8191@192.168.1.0/24'");
        const verdict = await judge(g.resources);
        expect(verdict.mandatory.find((d) => d.policyName === "cross-host-ports-peers-only")?.message).toMatch(/from 192\.168\.1\.0\/24: list single host addresses/);
    });
});
