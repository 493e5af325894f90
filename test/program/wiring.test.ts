/**
 * The default remote stack wires its apps on deploy: one dynamic-provider resource per connection, each
 * ordered after the containers it talks to and fed the credentials it uses (recorded by the engine as
 * property dependencies on the generated secrets), the provider reaching apps at their fixed stack addresses
 * over the pinned SSH connection, the URLs written into the apps as the calling app sees them, and Caddy
 * (every public route) created only after Jellyfin's and Seerr's first-run setup. The credentials are
 * fixed before the apps' first start: Bazarr's API key and forms login in a seeded config.yaml (copied only
 * into a Bazarr without settings), Seerr's API key in its environment.
 */
import * as crypto from "crypto";
import { parse } from "yaml";
import { HOST, LAN_SUBNET, programOptions, SSH_HOST_KEY, SSH_KEY_MARKER } from "../support/fixtures";
import { CapturedResource, isSecretEnvelope, ProgramRun, readableInputs, runProgram } from "../../scripts/mock-engine";
import { container, env, envOf, nonSecretText, ofType, programModule, revealOutput, upload } from "../support/graph";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions());
}, 30_000);

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
const WIRING = "homelab-wiring";

/** Fixed stack addresses in 172.30.0.0/24, written down from the catalog order (gluetun .10 ... caddy .21). */
const ADDRESS = { gluetun: "172.30.0.10", sonarr: "172.30.0.14", radarr: "172.30.0.15", lidarr: "172.30.0.16", bazarr: "172.30.0.18", jellyfin: "172.30.0.19", seerr: "172.30.0.20", caddy: "172.30.0.21" };

/** What each wiring resource talks to: the app it calls and the apps whose addresses it stores. */
const TALKS_TO: Record<string, string[]> = {
    qbittorrent: ["gluetun", "qbittorrent"],
    sonarr: ["sonarr", "gluetun", "qbittorrent", "jellyfin"],
    radarr: ["radarr", "gluetun", "qbittorrent", "jellyfin"],
    lidarr: ["lidarr", "gluetun", "qbittorrent", "jellyfin"],
    "prowlarr-sonarr": ["gluetun", "prowlarr", "sonarr"],
    "prowlarr-radarr": ["gluetun", "prowlarr", "radarr"],
    "prowlarr-lidarr": ["gluetun", "prowlarr", "lidarr"],
    "prowlarr-flaresolverr": ["gluetun", "prowlarr", "flaresolverr"],
    "jellyfin-setup": ["jellyfin"],
    jellyfin: ["jellyfin"],
    seerr: ["seerr", "jellyfin", "sonarr", "radarr"],
    bazarr: ["bazarr", "sonarr", "radarr"],
};

function wiring(key: string): CapturedResource {
    const found = run.resources.find((r) => r.type === DYNAMIC && r.name === `${WIRING}-${key}`);
    if (!found) throw new Error(`no wiring resource ${key}`);
    return found;
}

const urnOf = (name: string) => {
    const found = run.resources.find((r) => r.name === name);
    if (!found) throw new Error(`no resource named ${name}`);
    return found.urn;
};

/** Inputs with secrets revealed. */
const revealed = (r: CapturedResource) => readableInputs(r.serializedInputs, true) as Record<string, unknown>;

describe("what is wired", () => {
    test("one resource per connection, under the Wiring component, for the default apps", () => {
        const component = run.resources.find((r) => r.type === "homelab:wiring:Wiring");
        expect(component?.name).toBe(WIRING);
        const wired = ofType(run, DYNAMIC);
        expect(wired.map((r) => r.name.slice(WIRING.length + 1)).sort()).toEqual(Object.keys(TALKS_TO).sort());
        for (const r of wired) expect(r.parent).toBe(component!.urn);
    });

    test("every resource carries the provider version, so changed wiring code reaches existing resources", () => {
        for (const r of ofType(run, DYNAMIC)) expect(r.serializedInputs.providerVersion).toMatch(/^[0-9a-f]{16}$/);
    });
});

describe("order: each resource after the containers it talks to", () => {
    test.each(Object.entries(TALKS_TO))("%s depends on %j", (key, apps) => {
        const deps = wiring(key).dependencies;
        for (const app of apps) expect(deps).toContain(container(run, app).urn);
    });

    test("the library managers are wired after qBittorrent's categories, Seerr after Jellyfin and the servers it adds", () => {
        expect(wiring("sonarr").dependencies).toContain(wiring("qbittorrent").urn);
        expect(wiring("sonarr").dependencies).toContain(wiring("jellyfin").urn);
        expect(wiring("jellyfin").dependencies).toContain(wiring("jellyfin-setup").urn);
        for (const before of ["jellyfin-setup", "jellyfin", "sonarr", "radarr"]) expect(wiring("seerr").dependencies).toContain(wiring(before).urn);
        for (const before of ["sonarr", "radarr"]) expect(wiring("bazarr").dependencies).toContain(wiring(before).urn);
    });
});

describe("credentials: inputs from the generated secrets, never plain", () => {
    /** [wiring resource, input, the generator it must come from] */
    const SOURCES: [string, string, string][] = [
        ["qbittorrent", "password", "homelab-downloader-webui-password"],
        ["sonarr", "apiKey", "homelab-arr-sonarr-api-key"],
        ["sonarr", "downloadClientPassword", "homelab-downloader-webui-password"],
        ["sonarr", "jellyfinApiKey", "homelab-wiring-jellyfin"],
        ["prowlarr-sonarr", "apiKey", "homelab-arr-prowlarr-api-key"],
        ["prowlarr-sonarr", "appApiKey", "homelab-arr-sonarr-api-key"],
        ["prowlarr-flaresolverr", "apiKey", "homelab-arr-prowlarr-api-key"],
        ["jellyfin-setup", "adminPassword", "homelab-streaming-jellyfin-admin-password"],
        ["jellyfin", "adminPassword", "homelab-streaming-jellyfin-admin-password"],
        ["seerr", "apiKey", "homelab-streaming-seerr-api-key"],
        ["seerr", "jellyfinAdminPassword", "homelab-streaming-jellyfin-admin-password"],
        ["seerr", "sonarr", "homelab-arr-sonarr-api-key"],
        ["bazarr", "apiKey", "homelab-arr-bazarr-api-key"],
        ["bazarr", "authPassword", "homelab-arr-bazarr-password"],
        ["bazarr", "radarr", "homelab-arr-radarr-api-key"],
    ];

    test.each(SOURCES)("%s.%s comes from %s and travels as a secret", (key, input, source) => {
        const r = wiring(key);
        expect(r.propertyDependencies[input]).toContain(urnOf(source));
        expect(JSON.stringify(r.serializedInputs[input])).toContain("1b47061264138c4ac30d75fd1eb44270");
    });

    test("the keys the wiring uses are the ones the apps were started with", () => {
        expect(revealed(wiring("sonarr")).apiKey).toBe(env(container(run, "sonarr"), "SONARR__AUTH__APIKEY"));
        expect(revealed(wiring("prowlarr-radarr")).appApiKey).toBe(env(container(run, "radarr"), "RADARR__AUTH__APIKEY"));
        expect(revealed(wiring("seerr")).apiKey).toBe(env(container(run, "seerr"), "API_KEY"));
        const seed = upload(container(run, "bazarr"), "/defaults/homelab/bazarr-config.yaml").revealed;
        expect(seed).toContain(`apikey: "${String(revealed(wiring("bazarr")).apiKey)}"`);
    });

    test("no wiring resource shows a credential outside a secret", () => {
        const visible = ofType(run, DYNAMIC).map(nonSecretText).join("\n");
        expect(visible).not.toContain(SSH_KEY_MARKER);
        for (const r of ofType(run, DYNAMIC)) {
            const plain = revealed(r);
            for (const key of ["password", "apiKey", "appApiKey", "adminPassword", "authPassword", "jellyfinAdminPassword"]) {
                if (typeof plain[key] === "string") expect(visible).not.toContain(plain[key] as string);
            }
        }
    });
});

describe("the provider's connection and addresses", () => {
    test("it goes over SSH to the deploy host with the pinned host key; the whole connection is a secret", () => {
        for (const r of ofType(run, DYNAMIC)) {
            expect(isSecretEnvelope(r.serializedInputs.connection)).toBe(true);
            expect(revealed(r).connection).toEqual({ kind: "ssh", host: HOST, port: 22, user: "root", hostKey: SSH_HOST_KEY, privateKey: expect.stringContaining(SSH_KEY_MARKER) });
        }
    });

    test.each([
        ["qbittorrent", ADDRESS.gluetun, 8080],
        ["sonarr", ADDRESS.sonarr, 8989],
        ["prowlarr-sonarr", ADDRESS.gluetun, 9696],
        ["prowlarr-flaresolverr", ADDRESS.gluetun, 9696],
        ["jellyfin-setup", ADDRESS.jellyfin, 8096],
        ["seerr", ADDRESS.seerr, 5055],
        ["bazarr", ADDRESS.bazarr, 6767],
    ])("%s is reached at %s:%d from the Docker host (VPN members at the gateway)", (key, host, port) => {
        expect(revealed(wiring(key)).address).toEqual({ host, port, basePath: "" });
    });
});

describe("what is written into the apps: addresses as the calling app sees them", () => {
    test("library managers reach qBittorrent through the gateway's alias, with their category and the hardlink layout", () => {
        expect(revealed(wiring("sonarr"))).toMatchObject({
            kind: "sonarr", rootFolderPath: "/data/media/tv",
            downloadClient: { host: "gluetun", port: 8080, username: "admin", category: "tv", useSsl: false },
            jellyfin: { host: "jellyfin", port: 8096 },
        });
        expect(revealed(wiring("radarr"))).toMatchObject({ rootFolderPath: "/data/media/movies", downloadClient: { category: "movies" } });
        expect(revealed(wiring("qbittorrent"))).toMatchObject({
            username: "admin",
            categories: { tv: "/data/torrents/tv", movies: "/data/torrents/movies", music: "/data/torrents/music" },
            preferences: { save_path: "/data/torrents", auto_tmm_enabled: true, upnp: false },
        });
    });

    test("Prowlarr (in the VPN namespace) reaches the library managers by fixed address, they reach it through the gateway", () => {
        expect(revealed(wiring("prowlarr-sonarr"))).toMatchObject({
            name: "Sonarr", implementation: "Sonarr", baseUrl: `http://${ADDRESS.sonarr}:8989`, prowlarrUrl: "http://gluetun:9696",
        });
        expect(revealed(wiring("prowlarr-lidarr"))).toMatchObject({ implementation: "Lidarr", baseUrl: `http://${ADDRESS.lidarr}:8686` });
        expect(revealed(wiring("prowlarr-flaresolverr"))).toMatchObject({ flaresolverrUrl: "http://localhost:8191/", tag: "flaresolverr" });
    });

    test("Jellyfin: the configured admin, one library per media kind, Caddy as the only known proxy, the LAN as local network", () => {
        expect(revealed(wiring("jellyfin-setup"))).toMatchObject({ adminUser: "admin" });
        expect(revealed(wiring("jellyfin"))).toMatchObject({
            adminUser: "admin",
            libraries: [
                { name: "Shows", collectionType: "tvshows", path: "/data/media/tv" },
                { name: "Movies", collectionType: "movies", path: "/data/media/movies" },
                { name: "Music", collectionType: "music", path: "/data/media/music" },
            ],
            knownProxies: [ADDRESS.caddy],
            localNetworkSubnets: [LAN_SUBNET],
        });
    });

    test("Seerr signs in to Jellyfin by its Docker name and adds Sonarr and Radarr with their media folders", () => {
        const seerr = revealed(wiring("seerr"));
        expect(seerr).toMatchObject({
            jellyfinHost: "jellyfin", jellyfinPort: 8096, jellyfinUseSsl: false, jellyfinUrlBase: "", jellyfinAdminUser: "admin",
            sonarr: { name: "Sonarr", hostname: "sonarr", port: 8989, rootFolder: "/data/media/tv", useSsl: false },
            radarr: { name: "Radarr", hostname: "radarr", port: 7878, rootFolder: "/data/media/movies" },
        });
        expect(wiring("seerr").propertyDependencies.jellyfinAdminUserId).toContain(wiring("jellyfin-setup").urn);
    });

    test("Bazarr reaches Sonarr and Radarr by their Docker names, with forms login", () => {
        expect(revealed(wiring("bazarr"))).toMatchObject({
            authUsername: "admin",
            sonarr: { ip: "sonarr", port: 8989, baseUrl: "", ssl: false },
            radarr: { ip: "radarr", port: 7878, baseUrl: "", ssl: false },
        });
    });
});

describe("public routes wait for the first-run setups", () => {
    test("Caddy, which serves every route, is created only after Jellyfin's and Seerr's setup", () => {
        const caddy = container(run, "caddy");
        expect(caddy.dependencies).toContain(wiring("jellyfin-setup").urn);
        expect(caddy.dependencies).toContain(wiring("seerr").urn);
    });
});

describe("stack outputs", () => {
    test("`wiring` says what is wired where, without a credential", () => {
        const summary = run.outputs.wiring as { automatic: boolean; apps: Record<string, string[]>; links: Record<string, string>; byHand: string[] };
        expect(summary.automatic).toBe(true);
        expect(summary.apps.Sonarr).toEqual([
            "root folder /data/media/tv", "download client qBittorrent at http://gluetun:8080 (category tv)", "hardlinks instead of copies",
            "quality profile 1080p", "Jellyfin at http://jellyfin:8096 told about imports",
        ]);
        expect(summary.apps.Jellyfin).toEqual(expect.arrayContaining([`known proxy ${ADDRESS.caddy} (Caddy)`, `local network ${LAN_SUBNET}`]));
        expect(summary.byHand[0]).toMatch(/^Prowlarr: add your indexers/);
        const text = JSON.stringify(summary);
        for (const r of ofType(run, DYNAMIC)) {
            const plain = revealed(r);
            for (const key of ["password", "apiKey", "adminPassword", "authPassword"]) {
                if (typeof plain[key] === "string") expect(text).not.toContain(plain[key] as string);
            }
        }
    });

    test("the new logins are secret outputs", () => {
        expect(run.outputs.jellyfinLogin).toEqual({ user: "admin", password: "[secret]" });
        expect(run.outputs.bazarrLogin).toEqual({ user: "admin", password: "[secret]" });
        expect(run.outputs.apiKeys).toMatchObject({ bazarr: "[secret]", seerr: "[secret]" });
    });
});

describe("first-start credentials", () => {
    const SEED = "/defaults/homelab/bazarr-config.yaml";
    const SCRIPT = "/custom-cont-init.d/50-homelab-seed-config";

    test("Bazarr's seed holds its API key and a forms login whose password is the bazarrLogin output, as Bazarr stores it (MD5)", async () => {
        const seed = upload(container(run, "bazarr"), SEED);
        expect(isSecretEnvelope(seed.raw)).toBe(true);
        const login = await revealOutput(programModule().bazarrLogin as { user: string; password: unknown }) as { user: string; password: string };
        const password = await revealOutput(login.password as never) as string;
        const apiKey = await revealOutput((programModule().apiKeys as Record<string, unknown>).bazarr as never) as string;
        expect(parse(seed.revealed)).toEqual({
            auth: { apikey: apiKey, type: "form", username: "admin", password: crypto.createHash("md5").update(password).digest("hex") },
        });
        expect(apiKey).toMatch(/^[0-9a-f]{32}$/);
    });

    test("the seed is copied by an init script the linuxserver image runs before Bazarr, and only into an empty config", () => {
        const uploads = container(run, "bazarr").serializedInputs.uploads as { file: string; executable?: boolean; content: unknown }[];
        const script = uploads.find((u) => u.file === SCRIPT);
        expect(script?.executable).toBe(true);
        expect(isSecretEnvelope(script?.content)).toBe(false);
        const text = String(script?.content);
        expect(text).toContain('if [ ! -s "$config" ]');
        expect(text).toContain(`cp ${SEED} "$config"`);
        expect(text).toContain("config=/config/config/config.yaml");
    });

    test("Seerr starts with the API key the wiring uses, as a secret env entry", async () => {
        const entry = envOf(container(run, "seerr")).get("API_KEY");
        expect(entry?.secret).toBe(true);
        const apiKey = await revealOutput((programModule().apiKeys as Record<string, unknown>).seerr as never);
        expect(entry?.value).toBe(apiKey);
    });
});
