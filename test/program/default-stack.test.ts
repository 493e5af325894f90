/**
 * The default remote stack (a Debian server at 192.168.1.10, WireGuard, LAN bind address set), applied:
 * which containers exist, which network each is in, what is published where, what is mounted, how each
 * container is hardened, that credentials stay secret, the host hardening and the stack outputs.
 */
import { DATA_ROOT, DOMAIN, HOST, LAN_BIND, programOptions, SSH_HOST_KEY, SSH_KEY_MARKER, SSH_PRIVATE_KEY, WIREGUARD_KEY } from "../support/fixtures";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { CapturedResource, isSecretEnvelope, ProgramRun, readableInputs, runProgram } from "../../scripts/mock-engine";
import {
    CONTAINER, container, containers, DOCKER_PROVIDER, env, envOf, inputs, nonSecretText, ofType, portsOf, REMOTE_COMMAND, REMOTE_IMAGE, upload,
} from "../support/graph";
import { APP_PORTS, DEFAULT_APPS, GLUETUN_VARIABLES, isPinnedImage, NEVER_PUBLISHED, SERVARR_APPS, SHARED_DATA_APPS } from "../support/expected";
import { graphRows, recordedSingleHostGraph } from "../support/single-host-graph";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions());
}, 30_000);

const VPN_MEMBERS = ["qbittorrent", "prowlarr", "flaresolverr"];
const BRIDGE_APPS = ["sonarr", "radarr", "lidarr", "bazarr", "jellyfin", "seerr"];

function registeredId(urn: string): string | undefined {
    const monitor = settings.getMonitor() as unknown as { getRegisteredResources(): Map<string, { id: string | null }> };
    return monitor.getRegisteredResources().get(urn)?.id ?? undefined;
}

describe("containers", () => {
    test("every default app runs, Readarr (retired upstream) does not", () => {
        expect([...containers(run).keys()].sort()).toEqual([...DEFAULT_APPS].sort());
        expect(containers(run).has("readarr")).toBe(false);
        expect(ofType(run, REMOTE_IMAGE).map((r) => r.name)).not.toContain("homelab-arr-readarr-image");
    });

    test("the recorder saw every registration the engine saw", () => {
        const monitor = settings.getMonitor() as unknown as { getRegisteredResources(): Map<string, unknown> };
        expect(monitor.getRegisteredResources().size).toBe(run.resources.length);
    });
});

describe("VPN namespace", () => {
    test("qBittorrent's network mode is container:<gluetun id>, wired to the gluetun container", () => {
        const gluetun = container(run, "gluetun");
        const qbittorrent = container(run, "qbittorrent");
        const gluetunId = registeredId(gluetun.urn);
        expect(gluetunId).toBeTruthy();
        expect(inputs(qbittorrent).networkMode).toBe(`container:${gluetunId}`);
        expect(qbittorrent.propertyDependencies.networkMode).toEqual([gluetun.urn]);
        expect(qbittorrent.dependencies).toContain(gluetun.urn);
    });

    test.each(VPN_MEMBERS)("%s lives in the gateway's namespace and sets no ports, networks, hostname or DNS", (id) => {
        const member = container(run, id);
        const gluetun = container(run, "gluetun");
        const args = inputs(member);
        expect(args.networkMode).toBe(`container:${registeredId(gluetun.urn)}`);
        expect(member.propertyDependencies.networkMode).toEqual([gluetun.urn]);
        for (const forbidden of ["ports", "networksAdvanced", "hostname", "dns", "dnsOpts", "dnsSearches", "domainname", "networkAliases"]) {
            expect(member.serializedInputs).not.toHaveProperty(forbidden);
        }
    });

    test("VPN members' healthchecks also fail when the tunnel is gone (they probe gluetun's health server)", () => {
        for (const id of VPN_MEMBERS) {
            expect(inputs(container(run, id)).healthcheck?.tests.join(" ")).toContain("127.0.0.1:9999");
        }
        for (const id of BRIDGE_APPS) {
            expect(inputs(container(run, id)).healthcheck?.tests.join(" ")).not.toContain("9999");
        }
    });

    test("gluetun gets NET_ADMIN and /dev/net/tun, and nothing else gets capabilities", () => {
        const gluetun = inputs(container(run, "gluetun"));
        expect(gluetun.capabilities?.adds).toEqual(["NET_ADMIN"]);
        expect(gluetun.devices).toEqual([{ hostPath: "/dev/net/tun", containerPath: "/dev/net/tun" }]);
        for (const [id, c] of containers(run)) {
            if (id === "gluetun") continue;
            expect(inputs(c).capabilities?.adds ?? []).toEqual([]);
        }
    });

    test("gluetun's kill switch lets members reach only the Docker subnet and the LAN", () => {
        const gluetun = container(run, "gluetun");
        expect(env(gluetun, "VPN_SERVICE_PROVIDER")).toBe("protonvpn");
        expect(env(gluetun, "VPN_TYPE")).toBe("wireguard");
        expect(env(gluetun, "FIREWALL_OUTBOUND_SUBNETS")).toBe("172.30.0.0/24,192.168.1.0/24");
        expect(env(gluetun, "DNS_KEEP_NAMESERVER")).toBeUndefined();
        expect(env(gluetun, "FIREWALL_VPN_INPUT_PORTS")).toBeUndefined();
        expect(env(gluetun, "VPN_PORT_FORWARDING")).toBeUndefined();
        expect([...envOf(gluetun).keys()].filter((name) => !(name in GLUETUN_VARIABLES))).toEqual([]);
    });

    test("bridge apps are on the stack network under their own name, each at its own fixed address", () => {
        const addresses: string[] = [];
        for (const id of [...BRIDGE_APPS, "gluetun", "caddy"]) {
            const args = inputs(container(run, id));
            expect(args.networkMode).toBe("bridge");
            expect(args.networksAdvanced).toEqual([{ name: "homelab", aliases: [id], ipv4Address: expect.stringMatching(/^172\.30\.0\.\d+$/) }]);
            addresses.push(args.networksAdvanced![0].ipv4Address!);
        }
        expect(new Set(addresses).size).toBe(addresses.length);
        // .0 is the network, .1 Docker's gateway: never an app.
        expect(addresses.filter((a) => /\.(0|1)$/.test(a))).toEqual([]);
        const [network] = ofType(run, "docker:index/network:Network");
        expect(readableInputs(network.serializedInputs)).toMatchObject({ name: "homelab", driver: "bridge", ipamConfigs: [{ subnet: "172.30.0.0/24" }] });
    });
});

describe("published ports", () => {
    test("gluetun publishes qBittorrent's and Prowlarr's WebUIs (8080, 9696) on the LAN address only, never FlareSolverr", () => {
        expect(portsOf(container(run, "gluetun"))).toEqual(
            ["qbittorrent", "prowlarr"].map((id) => ({ internal: APP_PORTS[id], external: APP_PORTS[id], ip: LAN_BIND, protocol: "tcp" })),
        );
        expect(portsOf(container(run, "gluetun")).map((p) => p.internal)).not.toContain(APP_PORTS.flaresolverr);
    });

    test("caddy alone listens on 0.0.0.0, on 80 and 443 over TCP (what the host firewall opens)", () => {
        expect(portsOf(container(run, "caddy"))).toEqual([
            { internal: 80, external: 80, ip: "0.0.0.0", protocol: "tcp" },
            { internal: 443, external: 443, ip: "0.0.0.0", protocol: "tcp" },
        ]);
    });

    test.each(BRIDGE_APPS)("%s publishes its WebUI on the LAN address only", (id) => {
        expect(portsOf(container(run, id))).toEqual([{ internal: APP_PORTS[id], external: APP_PORTS[id], ip: LAN_BIND, protocol: "tcp" }]);
    });

    test("nothing but caddy binds a wildcard address, and 8000 / 6881 are never published", () => {
        for (const [id, c] of containers(run)) {
            for (const port of portsOf(c)) {
                if (id !== "caddy") expect(port.ip).toBe(LAN_BIND);
                expect(NEVER_PUBLISHED).not.toContain(port.external);
                expect(NEVER_PUBLISHED).not.toContain(port.internal);
            }
        }
    });
});

describe("storage", () => {
    test.each(SHARED_DATA_APPS)("%s mounts the data root read-write at /data", (id) => {
        const dataMounts = (inputs(container(run, id)).volumes ?? []).filter((v) => v.hostPath !== undefined);
        expect(dataMounts).toEqual([{ hostPath: DATA_ROOT, containerPath: "/data" }]);
    });

    test("Jellyfin sees only the media folder, read-only", () => {
        const mounts = (inputs(container(run, "jellyfin")).volumes ?? []).filter((v) => v.hostPath !== undefined);
        expect(mounts).toEqual([{ hostPath: `${DATA_ROOT}/media`, containerPath: "/data/media", readOnly: true }]);
    });

    test("apps without data needs mount no host path, and nobody mounts the Docker socket", () => {
        for (const id of ["gluetun", "prowlarr", "flaresolverr", "seerr", "caddy"]) {
            expect((inputs(container(run, id)).volumes ?? []).filter((v) => v.hostPath !== undefined)).toEqual([]);
        }
        for (const c of containers(run).values()) {
            expect(JSON.stringify(c.serializedInputs.volumes ?? [])).not.toContain("docker.sock");
        }
    });

    test("each app keeps its state in a named volume at its config path", () => {
        const configPaths: Record<string, string> = { gluetun: "/gluetun", seerr: "/app/config", caddy: "/config" };
        for (const [id, c] of containers(run)) {
            if (id === "flaresolverr") continue; // stateless
            const named = (inputs(c).volumes ?? []).filter((v) => v.volumeName !== undefined).map((v) => v.containerPath);
            expect(named).toContain(configPaths[id] ?? "/config");
        }
    });
});

describe("every container is hardened", () => {
    const all = () => [...containers(run).values()];

    test("pinned image, pulled by a RemoteImage the container depends on", () => {
        for (const c of all()) {
            const [imageUrn] = c.propertyDependencies.image;
            const image = run.resources.find((r) => r.urn === imageUrn);
            expect(image?.type).toBe(REMOTE_IMAGE);
            const ref = String(image!.serializedInputs.name);
            expect({ container: c.name, ref, pinned: isPinnedImage(ref) }).toEqual({ container: c.name, ref, pinned: true });
        }
    });

    test.each(["restart", "healthcheck", "no-new-privileges", "memory", "logs"])("%s", (what) => {
        for (const c of all()) {
            const args = inputs(c);
            switch (what) {
                case "restart":
                    expect(args.restart).toBe("unless-stopped");
                    break;
                case "healthcheck":
                    expect(args.healthcheck?.tests[0]).toBe("CMD-SHELL");
                    expect(args.healthcheck?.tests[1]).toMatch(/\S/);
                    expect(args.healthcheck?.retries).toBeGreaterThan(0);
                    break;
                case "no-new-privileges":
                    expect(args.securityOpts).toContain("no-new-privileges:true");
                    expect(args.privileged ?? false).toBe(false);
                    break;
                case "memory":
                    expect(args.memory).toBeGreaterThanOrEqual(64);
                    break;
                case "logs":
                    expect(args.logDriver).toBe("json-file");
                    expect(args.logOpts).toEqual({ "max-size": "10m", "max-file": "3" });
                    break;
            }
        }
    });

    test("healthchecks probe each app's own health endpoint", () => {
        const probes: Record<string, string> = {
            qbittorrent: "localhost:8080/api/v2/app/version", prowlarr: "localhost:9696/ping", sonarr: "localhost:8989/ping",
            radarr: "localhost:7878/ping", lidarr: "localhost:8686/ping",
            // 10.11's setup server answers /health with 200 while it starts and migrates; /System/Ping it does not.
            jellyfin: "localhost:8096/System/Ping",
            seerr: "localhost:5055/api/v1/status", flaresolverr: "localhost:8191/health", gluetun: "/gluetun-entrypoint healthcheck",
        };
        for (const [id, probe] of Object.entries(probes)) {
            expect(inputs(container(run, id)).healthcheck?.tests[1]).toContain(probe);
        }
        expect(inputs(container(run, "jellyfin")).healthcheck?.tests[1]).not.toContain("/health");
    });

    test("linuxserver images get PUID/PGID/TZ, Jellyfin runs as the media owner", () => {
        for (const id of ["qbittorrent", "prowlarr", "sonarr", "radarr", "lidarr", "bazarr"]) {
            const vars = envOf(container(run, id));
            expect([vars.get("PUID")?.value, vars.get("PGID")?.value, vars.get("TZ")?.value]).toEqual(["1000", "1000", "Europe/Berlin"]);
        }
        expect(inputs(container(run, "jellyfin")).user).toBe("1000:1000");
        expect(env(container(run, "jellyfin"), "JELLYFIN_PublishedServerUrl")).toBe(`https://jellyfin.${DOMAIN}`);
    });
});

describe("secrets stay secret", () => {
    const everything = () => [...run.resources];

    test("the WireGuard key reaches gluetun as a secret env entry", () => {
        const entry = envOf(container(run, "gluetun")).get("WIREGUARD_PRIVATE_KEY");
        expect(entry).toEqual({ value: WIREGUARD_KEY, secret: true });
    });

    test("qBittorrent.conf and gluetun's control-server auth are uploaded as secrets", () => {
        expect(isSecretEnvelope(upload(container(run, "qbittorrent"), "/defaults/qBittorrent.conf").raw)).toBe(true);
        const auth = upload(container(run, "gluetun"), "/gluetun/auth/config.toml");
        expect(isSecretEnvelope(auth.raw)).toBe(true);
        expect(auth.revealed).toMatch(/auth = "apikey"\napikey = "[A-Za-z0-9_-]{20,}"/);
    });

    test.each(SERVARR_APPS)("%s gets a fixed API key as a secret and requires forms login", (id) => {
        const vars = envOf(container(run, id));
        const prefix = id.toUpperCase();
        expect(vars.get(`${prefix}__AUTH__APIKEY`)?.secret).toBe(true);
        expect(vars.get(`${prefix}__AUTH__APIKEY`)?.value).toMatch(/^[0-9a-f]{32}$/);
        expect(vars.get(`${prefix}__AUTH__METHOD`)?.value).toBe("Forms");
        expect(vars.get(`${prefix}__AUTH__REQUIRED`)?.value).toBe("Enabled");
    });

    test("the SSH private key travels only inside the remote commands' secret connection", () => {
        const commands = ofType(run, REMOTE_COMMAND);
        // HostHardening's four steps, the watcher, Seerr's config hand-over and its restart.
        expect(commands).toHaveLength(7);
        for (const command of commands) {
            expect(isSecretEnvelope(command.serializedInputs.connection)).toBe(true);
            expect((readableInputs(command.serializedInputs.connection, true) as { privateKey: string }).privateKey).toBe(SSH_PRIVATE_KEY);
        }
    });

    test("no plain credential appears in any non-secret input or in the stack outputs", () => {
        const apiKeys = SERVARR_APPS.filter((id) => containers(run).has(id)).map((id) => env(container(run, id), `${id.toUpperCase()}__AUTH__APIKEY`)!);
        const gluetunAuth = upload(container(run, "gluetun"), "/gluetun/auth/config.toml").revealed;
        const controlKey = /apikey = "([^"]+)"/.exec(gluetunAuth)![1];
        const qbConf = upload(container(run, "qbittorrent"), "/defaults/qBittorrent.conf").revealed;
        const passwordHash = /Password_PBKDF2="([^"]+)"/.exec(qbConf)![1];
        const credentials = [WIREGUARD_KEY, SSH_KEY_MARKER, controlKey, passwordHash, ...apiKeys];
        expect(apiKeys).toHaveLength(4);

        // The search can find them: each one is in the graph once secrets are revealed.
        const revealed = JSON.stringify(everything().map((r) => readableInputs(r.serializedInputs, true)));
        for (const credential of credentials) expect(revealed).toContain(credential);

        const visible = everything().map(nonSecretText).join("\n") + JSON.stringify(run.outputs);
        for (const credential of credentials) expect(visible).not.toContain(credential);
    });

    test("secret stack outputs are redacted", () => {
        expect(run.outputs.qbittorrentLogin).toEqual({ user: "admin", password: "[secret]" });
        expect(run.outputs.apiKeys).toEqual({
            prowlarr: "[secret]", sonarr: "[secret]", radarr: "[secret]", lidarr: "[secret]", bazarr: "[secret]", seerr: "[secret]",
        });
        expect(run.outputs.gluetunControlApiKey).toBe("[secret]");
    });
});

describe("the host", () => {
    const command = (script: string): CapturedResource => {
        const found = ofType(run, REMOTE_COMMAND).find((r) => r.name === `homelab-host-${script}`);
        if (!found) throw new Error(`no ${script} command`);
        return found;
    };

    test("HostHardening runs data-tree, firewall, fail2ban and vpn-recovery over SSH with the pinned host key", () => {
        const hardening = run.resources.find((r) => r.type === "homelab:host:HostHardening");
        expect(hardening).toBeDefined();
        for (const script of ["data-tree", "firewall", "fail2ban", "vpn-recovery"]) {
            const cmd = command(script);
            expect(cmd.parent).toBe(hardening!.urn);
            expect(readableInputs(cmd.serializedInputs.connection, true)).toMatchObject({ host: HOST, port: 22, user: "root", hostKey: SSH_HOST_KEY });
            expect(String(cmd.serializedInputs.create)).toMatch(/^bash -s -- create <</);
            expect(String(cmd.serializedInputs.delete)).toMatch(/^bash -s -- delete <</);
        }
        expect(command("fail2ban").dependencies).toContain(command("firewall").urn);
        // A changed tree (books dropped with Readarr) is an update that only adds folders, never a delete.
        expect(command("data-tree").serializedInputs.update).toBe(command("data-tree").serializedInputs.create);
        expect(String(command("data-tree").serializedInputs.create)).toContain("export MEDIA_KINDS='tv movies music'");
    });

    test("vpn-recovery follows the gateway by its app label and restarts the containers labelled as its members", () => {
        const script = String(command("vpn-recovery").serializedInputs.create);
        expect(script).toContain("export GATEWAY_APP='gluetun'");
        expect(script).toContain("export MEMBER_LABEL='homelab.vpn=true'");
        const labelled = [...containers(run).entries()]
            .filter(([, c]) => (c.serializedInputs.labels as { label: string; value: string }[]).some((l) => l.label === "homelab.vpn" && l.value === "true"))
            .map(([id]) => id);
        expect(labelled.sort()).toEqual([...VPN_MEMBERS].sort());
        expect(container(run, "gluetun").serializedInputs.labels).toContainEqual({ label: "homelab.app", value: "gluetun" });
    });

    test("the firewall opens exactly the ports containers publish on the LAN address", () => {
        const lanPorts = [...containers(run).values()].flatMap(portsOf).filter((p) => p.ip === LAN_BIND).map((p) => p.external);
        const script = String(command("firewall").serializedInputs.create);
        const exported = /export LAN_APP_PORTS='([^']*)'/.exec(script)?.[1] ?? "";
        expect(exported.split(" ").map(Number).sort()).toEqual([...lanPorts].sort());
        // FlareSolverr (an unauthenticated browser) is reachable from nothing but Prowlarr.
        expect(exported.split(" ").map(Number)).not.toContain(APP_PORTS.flaresolverr);
        expect(script).toContain("export PUBLIC_PORTS='80 443'");
        expect(script).toContain("export SSH_PORT='22'");
    });

    test("Fail2Ban starts after every app whose log it reads (Docker fills their volumes first)", () => {
        const fail2ban = command("fail2ban");
        const jailed = ["qbittorrent", "prowlarr", "sonarr", "radarr", "lidarr", "jellyfin", "seerr"];
        const script = String(fail2ban.serializedInputs.create);
        for (const id of jailed) {
            expect({ id, jail: script.includes(`homelab-${id}|`) }).toEqual({ id, jail: true });
            expect({ id, after: fail2ban.dependencies.includes(container(run, id).urn) }).toEqual({ id, after: true });
        }
    });

    test("Seerr's jail follows the link Seerr 3.x keeps to its dated log (in Jellyseerr's volume), never a file the host creates", () => {
        const script = String(command("fail2ban").serializedInputs.create);
        const jail = /^homelab-seerr\|.*$/m.exec(/export JAILS='([^']*)'/.exec(script)?.[1] ?? "")?.[0];
        // server/logger.ts writes logs/seerr-YYYY-MM-DD.log and keeps logs/seerr.log linked to it (createSymlink):
        // a regular file in the link's place would stop Seerr from making it. Seerr writes as 1000:1000.
        expect(jail).toBe("homelab-seerr|seerr|/var/lib/docker/volumes/homelab-jellyseerr-config/_data/logs/seerr.log|1000:1000|link");
    });

    test("containers that use the data tree start after it exists", () => {
        const dataTree = command("data-tree").urn;
        for (const id of [...SHARED_DATA_APPS, "jellyfin"]) {
            expect(container(run, id).dependencies).toContain(dataTree);
        }
    });

    test("the Docker provider dials ssh://root@host:22 and verifies the pinned host key", () => {
        const providers = ofType(run, DOCKER_PROVIDER);
        expect(providers).toHaveLength(1);
        const provider = providers[0];
        expect(provider.serializedInputs.host).toBe(`ssh://root@${HOST}:22`);
        const raw = provider.serializedInputs.sshOpts;
        const sshOpts = (typeof raw === "string" ? JSON.parse(raw) : raw) as string[];
        expect(sshOpts).toContain("StrictHostKeyChecking=yes");
        expect(sshOpts.join(" ")).not.toMatch(/StrictHostKeyChecking=(no|accept-new)/);
        expect(sshOpts.join(" ")).toMatch(/UserKnownHostsFile=\S+known_hosts/);
        for (const r of run.resources.filter((res) => res.type.startsWith("docker:"))) {
            expect(r.provider.startsWith(`${provider.urn}::`)).toBe(true);
        }
    });
});

describe("stack outputs", () => {
    test("deploy target, VPN namespace and enabled apps", () => {
        expect(run.outputs.deployTarget).toBe(`ssh://root@${HOST}:22`);
        expect(run.outputs.vpnNamespace).toEqual({ gateway: "gluetun", members: VPN_MEMBERS });
        expect(run.outputs.enabledApps).toEqual([
            "Gluetun", "qBittorrent", "Prowlarr", "FlareSolverr", "Sonarr", "Radarr", "Lidarr", "Bazarr", "Jellyfin", "Seerr", "Caddy",
        ]);
        expect(run.outputs.hostHardening).toBe("ufw, fail2ban, data tree, vpn recovery");
    });

    test("URLs: proxy host per browsable app, LAN URL per published app", () => {
        const urls = run.outputs.urls as Record<string, { proxy?: string; lan?: string }>;
        expect(Object.keys(urls).sort()).toEqual(DEFAULT_APPS.filter((id) => id !== "gluetun" && id !== "caddy").sort());
        expect(urls.jellyfin).toEqual({ proxy: `https://jellyfin.${DOMAIN}`, lan: `http://${LAN_BIND}:8096` });
        expect(urls.seerr).toEqual({ proxy: `https://requests.${DOMAIN}`, lan: `http://${LAN_BIND}:5055` });
        expect(urls.qbittorrent).toEqual({ proxy: `https://qbittorrent.${DOMAIN}`, lan: `http://${LAN_BIND}:8080` });
        // FlareSolverr is an unauthenticated browser: neither proxied nor published.
        expect(urls.flaresolverr).toEqual({ proxy: undefined, lan: undefined });
        for (const [id, url] of Object.entries(urls)) if (id !== "flaresolverr") expect(url.lan).toBe(`http://${LAN_BIND}:${APP_PORTS[id]}`);
    });

    test("proxy routes point VPN members at the gateway", () => {
        expect(run.outputs.proxyRoutes).toEqual(expect.arrayContaining([
            `qbittorrent.${DOMAIN} -> gluetun:8080 (LAN only)`,
            `prowlarr.${DOMAIN} -> gluetun:9696 (LAN only)`,
            `sonarr.${DOMAIN} -> sonarr:8989 (LAN only)`,
            `jellyfin.${DOMAIN} -> jellyfin:8096`,
        ]));
    });

    test("wiring links: bridge apps reach members via the gateway, members reach bridge apps by fixed address", () => {
        expect(run.outputs).not.toHaveProperty("connections");
        const connections = (run.outputs.wiring as { links: Record<string, string> }).links;
        const addressOf = (id: string) => inputs(container(run, id)).networksAdvanced![0].ipv4Address;
        expect(connections["Sonarr -> qBittorrent"]).toBe("http://gluetun:8080 (category tv)");
        expect(connections["Radarr -> qBittorrent"]).toBe("http://gluetun:8080 (category movies)");
        expect(connections["Prowlarr -> FlareSolverr"]).toBe("http://localhost:8191");
        // Gluetun's DNS does not know Docker's container names: from the namespace, only addresses work.
        for (const [title, id] of [["Sonarr", "sonarr"], ["Radarr", "radarr"], ["Lidarr", "lidarr"]]) {
            expect(connections[`Prowlarr -> ${title}`]).toBe(`http://${addressOf(id)}:${APP_PORTS[id]}`);
        }
        expect(connections["Seerr -> Jellyfin"]).toBe("http://jellyfin:8096");
        expect(connections["Seerr -> Sonarr"]).toBe("http://sonarr:8989");
        expect(Object.keys(connections).some((k) => k.includes("Readarr"))).toBe(false);
    });

    test("every container is a docker Container under one of the stack's components", () => {
        const components = new Set(run.resources.filter((r) => r.type.startsWith("homelab:")).map((r) => r.urn));
        for (const c of ofType(run, CONTAINER)) expect(components.has(c.parent)).toBe(true);
    });
});

describe("Seerr replaces Jellyseerr and keeps its data", () => {
    const byName = (name: string): CapturedResource => {
        const found = run.resources.filter((r) => r.name === name);
        if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
        return found[0];
    };
    const variables = (r: CapturedResource) => Object.fromEntries(
        [...String(r.serializedInputs.create).matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));

    test("Seerr runs as the image's user 1000 with Docker's init, on Jellyseerr's config volume, at requests.<domain>", () => {
        const seerr = inputs(container(run, "seerr"));
        expect(seerr.image).toBeDefined();
        expect(ofType(run, REMOTE_IMAGE).map((r) => String(r.serializedInputs.name))).toContain("ghcr.io/seerr-team/seerr:v3.1.0");
        expect(container(run, "seerr").serializedInputs).toMatchObject({ user: "1000:1000", init: true });
        expect(seerr.volumes).toEqual([{ volumeName: "homelab-jellyseerr-config", containerPath: "/app/config" }]);
        expect(containers(run).has("jellyseerr")).toBe(false);
        expect(run.outputs.proxyRoutes).toContain(`requests.${DOMAIN} -> seerr:5055`);
    });

    test("every kept resource that was renamed names its Jellyseerr predecessor, so `pulumi up` updates it instead of deleting it", () => {
        expect(Object.fromEntries(["homelab-streaming-seerr", "homelab-streaming-seerr-config", "homelab-streaming-seerr-api-key", "homelab-wiring-seerr"]
            .map((name) => [name, byName(name).aliases]))).toEqual({
            "homelab-streaming-seerr": ["homelab-streaming-jellyseerr"],
            "homelab-streaming-seerr-config": ["homelab-streaming-jellyseerr-config"],
            "homelab-streaming-seerr-api-key": ["homelab-streaming-jellyseerr-api-key"],
            "homelab-wiring-seerr": ["homelab-wiring-jellyseerr"],
        });
        // The volume's inputs are exactly those of today's Jellyseerr volume (name and label: a changed label would
        // replace it), so Pulumi sees no change at all.
        expect(byName("homelab-streaming-seerr-config").serializedInputs).toEqual({ name: "homelab-jellyseerr-config", labels: [{ label: "homelab.app", value: "jellyseerr" }] });
    });

    test("the config volume is handed to 1000:1000 after the old container stopped and before Seerr starts", () => {
        const step = byName("homelab-streaming-seerr-config-owner");
        expect(step.type).toBe(REMOTE_COMMAND);
        expect(variables(step)).toEqual({
            VOLUME: "homelab-jellyseerr-config", CONFIG_PATH: "/app/config", IMAGE: "ghcr.io/seerr-team/seerr:v3.1.0", OWNER: "1000:1000", OLD_CONTAINER: "jellyseerr",
        });
        expect(step.dependencies).toEqual(expect.arrayContaining([byName("homelab-streaming-seerr-config").urn, byName("homelab-streaming-seerr-image").urn]));
        expect(container(run, "seerr").dependencies).toContain(step.urn);
    });

    test("Seerr is restarted after the wiring saved its proxy trust, before the public routes open", () => {
        const restart = byName("homelab-wiring-seerr-restart");
        expect(variables(restart)).toEqual({ CONTAINER: "seerr", PORT: "5055", WAIT_SECONDS: "180" });
        expect(restart.dependencies).toContain(byName("homelab-wiring-seerr").urn);
        expect(restart.propertyDependencies.triggers).toEqual([byName("homelab-wiring-seerr").urn]);
        expect(container(run, "caddy").dependencies).toContain(restart.urn);
    });
});

test("the graph keeps every URN, parent and provider of the single-host program before homelab:hosts (no replacement on upgrade)", () => {
    expect(graphRows(run)).toEqual(recordedSingleHostGraph("default"));
});
