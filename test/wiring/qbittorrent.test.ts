/**
 * qBittorrent's wiring against a real qBittorrent (Debian's qbittorrent-nox, started with the config the
 * program seeds), reached through a real SSH tunnel (Debian's sshd on 127.0.0.1), with the provider
 * serialized from the resource class under setMocks and run by the real dynamic-provider host over gRPC,
 * the way `pulumi up`, `pulumi refresh` and `pulumi destroy` drive it.
 */
import * as pulumi from "@pulumi/pulumi";
import { AppConnection } from "../../components/wiring/core/types";
import { WIRING_VERSION } from "../../components/wiring/core/version";
import { QbittorrentWiring } from "../../components/wiring/qbittorrent";
import { DYNAMIC_RESOURCE_TYPE, DynamicProviderHost, Props, Registration, registration, startDynamicProviderHost } from "../support/dynamic-provider-host";
import { TestSshd, startSshd } from "../support/sshd";
import { Deployed, UpResult, closedPort, destroy, failure, refresh, up } from "../support/wiring-lifecycle";
import { RunningQbittorrent, startQbittorrent } from "./apps/qbittorrent-nox";

let qbt: RunningQbittorrent;
let sshd: TestSshd;
let host: DynamicProviderHost;
let wiring: Registration;
let connection: Extract<AppConnection, { kind: "ssh" }>;
/** The app's own state before the first deploy (what destroy must give back). */
let before: Snapshot;

/** The resource's state as the engine keeps it between operations. */
let state: Deployed | undefined;

interface Snapshot { categories: Record<string, string>; preferences: Record<string, unknown> }

async function snapshot(): Promise<Snapshot> {
    const categories = Object.fromEntries(Object.values(await qbt.api.categories()).map((c) => [c.name, c.savePath]));
    const prefs = await qbt.api.preferences();
    const preferences = Object.fromEntries(["save_path", "auto_tmm_enabled", "upnp", "listen_port", "random_port"].map((k) => [k, prefs[k]]));
    return { categories, preferences };
}

/** `pulumi up` for this one resource; the state carries over to the next test. */
async function upWith(inputs: Props): Promise<UpResult["operation"]> {
    const result = await up(host, inputs, state);
    state = result.state;
    return result.operation;
}

function inputs(overrides: Props = {}): Props {
    return { ...wiring.inputs, ...overrides };
}

const accepted = () => (sshd.log().match(/Accepted publickey/g) ?? []).length;

beforeAll(async () => {
    // Assigned as each starts, so afterAll stops what did start when another one fails.
    await Promise.all([
        startQbittorrent().then((started) => (qbt = started)),
        startSshd().then((started) => (sshd = started)),
        startDynamicProviderHost({ name: "qbittorrent-wiring" }).then((started) => (host = started)),
    ]);
    connection = { kind: "ssh", host: sshd.host, port: sshd.port, user: sshd.user, hostKey: sshd.hostKey, privateKey: sshd.privateKey };
    wiring = await registration("qbittorrent-wiring", () => new QbittorrentWiring("qbittorrent-wiring", {
        connection: pulumi.secret(connection),
        address: { host: "127.0.0.1", port: qbt.port, basePath: "" },
        username: qbt.username,
        password: pulumi.secret(qbt.password),
        kinds: ["tv", "movies", "music"],
    }));
    // The owner made a `movies` category by hand before the first deploy.
    expect(await qbt.api.createCategory("movies", "/data/torrents/movies")).toBe(200);
    before = await snapshot();
}, 60_000);

afterAll(async () => {
    await Promise.all([host?.stop(), sshd?.stop(), qbt?.stop()]);
});

describe("qBittorrent wiring through SSH and the dynamic-provider host", () => {
    it("registers as a dynamic resource whose serialized provider holds no credential", () => {
        expect(wiring.captured.type).toBe(DYNAMIC_RESOURCE_TYPE);
        expect(typeof wiring.serializedProvider).toBe("string");
        const provider = wiring.serializedProvider as string;
        expect(provider).not.toContain(qbt.password);
        expect(provider).not.toContain(sshd.privateKey.split("\n")[1]);
        expect(provider).toMatch(/require\("ssh2/);
        expect(wiring.inputs.providerVersion).toBe(WIRING_VERSION);
        // Outputs repeat the inputs: the ones holding the SSH key and the WebUI password are stored as secrets.
        expect(wiring.additionalSecretOutputs.sort()).toEqual(["connection", "password"]);
        expect(wiring.inputs.categories).toEqual({ tv: "/data/torrents/tv", movies: "/data/torrents/movies", music: "/data/torrents/music" });
    });

    it("first deploy wires every category and preference, never the listening port, adopting what exists", async () => {
        expect(await upWith(inputs())).toBe("create");
        const now = await snapshot();
        expect(now.categories).toEqual({ tv: "/data/torrents/tv", movies: "/data/torrents/movies", music: "/data/torrents/music" });
        expect(now.preferences).toMatchObject({ save_path: "/data/torrents", auto_tmm_enabled: true, upnp: false, listen_port: qbt.torrentingPort });
        expect(state!.props.created).toEqual(["category:music", "category:tv"]);
        expect(state!.props.observed).toEqual({
            categories: now.categories,
            preferences: { save_path: "/data/torrents", auto_tmm_enabled: true, upnp: false },
        });
    });

    it("a second up with nothing changed needs no update and leaves the app as it is", async () => {
        const held = await snapshot();
        const contacts = accepted();
        expect(await upWith(inputs())).toBe("same");
        expect(await snapshot()).toEqual(held);
        // check and diff (all that `pulumi preview` runs) did not open the tunnel.
        expect(accepted()).toBe(contacts);
    });

    it("a change behind the program's back is found by refresh and repaired by the next up", async () => {
        expect(await qbt.api.editCategory("tv", "/elsewhere/tv")).toBe(200);
        expect(await qbt.api.setPreferences({ upnp: true, save_path: "/elsewhere", auto_tmm_enabled: false })).toBe(200);
        const refreshed = await refresh(host, state!);
        expect(refreshed.props.observed).toMatchObject({ categories: { tv: "/elsewhere/tv" }, preferences: { upnp: true, save_path: "/elsewhere", auto_tmm_enabled: false } });
        // The refreshed inputs say what the app holds, so the next preview shows the drift itself.
        expect(refreshed.inputs).toMatchObject({ categories: { ...(wiring.inputs.categories as object), tv: "/elsewhere/tv" }, preferences: { upnp: true } });
        state = refreshed;

        expect(await upWith(inputs())).toBe("update");
        const now = await snapshot();
        expect(now.categories.tv).toBe("/data/torrents/tv");
        expect(now.preferences).toMatchObject({ save_path: "/data/torrents", auto_tmm_enabled: true, upnp: false, listen_port: qbt.torrentingPort });
        expect(await upWith(inputs())).toBe("same");
    });

    it("the listening port Gluetun's hook sets is not drift: refresh and up leave it", async () => {
        const forwarded = await closedPort();
        expect(await qbt.api.setPreferences({ listen_port: forwarded, random_port: false })).toBe(200);
        state = await refresh(host, state!);
        expect(await upWith(inputs())).toBe("same");
        expect((await snapshot()).preferences.listen_port).toBe(forwarded);
        // The hook's port back, as before (destroy's test compares with the app before the first deploy).
        expect(await qbt.api.setPreferences({ listen_port: qbt.torrentingPort })).toBe(200);
    });

    it("a library app switched off loses its category; one switched back on gets it again", async () => {
        const { categories } = wiring.inputs as { categories: Record<string, string> };
        const { music: _music, ...withoutMusic } = categories;
        expect(await upWith(inputs({ categories: withoutMusic }))).toBe("update");
        expect(Object.keys((await snapshot()).categories).sort()).toEqual(["movies", "tv"]);
        expect(state!.props.created).toEqual(["category:tv"]);

        expect(await upWith(inputs())).toBe("update");
        expect((await snapshot()).categories.music).toBe("/data/torrents/music");
    });

    it("changed provider code reaches the existing resource (providerVersion is an input)", async () => {
        const checked = await host.check(state!.props, inputs({ providerVersion: "0000000000000000" }));
        expect((await host.diff(state!.id, state!.props, checked.inputs)).changes).toBe("some");
    });

    it("an unreachable app fails with one line naming the app, its address and the step, in bounded time", async () => {
        const closed = await closedPort();
        const { message, ms } = await failure(() => host.create(inputs({ address: { host: "127.0.0.1", port: closed, basePath: "" }, readyTimeoutSeconds: 1 })));
        expect(message).toMatch(new RegExp(`^qBittorrent at 127\\.0\\.0\\.1:${closed}: wait until ready failed: not ready after \\d+ tries in 1 s: .+`));
        expect(message).not.toContain("\n");
        expect(ms).toBeLessThan(4_000);
    });

    it("an unreachable host fails with one line naming the SSH step, in bounded time", async () => {
        const closed = await closedPort();
        const { message, ms } = await failure(() => host.create(inputs({ connection: { ...connection, port: closed }, readyTimeoutSeconds: 1 })));
        expect(message).toMatch(new RegExp(`^qBittorrent at 127\\.0\\.0\\.1:${qbt.port}: wait until ready failed: not ready after \\d+ tries in 1 s: SSH to ${sshd.user}@127\\.0\\.0\\.1:${closed}: connect ECONNREFUSED 127\\.0\\.0\\.1:${closed}$`));
        expect(ms).toBeLessThan(4_000);
    });

    it("a host that does not show the pinned host key is refused", async () => {
        const contacts = accepted();
        const { message, ms } = await failure(() => host.create(inputs({ connection: { ...connection, hostKey: sshd.otherHostKey } })));
        expect(message).toBe(`qBittorrent at 127.0.0.1:${qbt.port}: SSH to ${sshd.user}@127.0.0.1:${sshd.port} failed: the host key does not match the pinned one (ssh-ed25519)`);
        expect(ms).toBeLessThan(5_000);
        expect(accepted()).toBe(contacts);
    });

    it("a deploy key the host does not authorize is refused without waiting", async () => {
        const { message, ms } = await failure(() => host.create(inputs({ connection: { ...connection, privateKey: sshd.unauthorizedPrivateKey } })));
        expect(message).toBe(`qBittorrent at 127.0.0.1:${qbt.port}: SSH to ${sshd.user}@127.0.0.1:${sshd.port} failed: the host refused the key of user ${sshd.user}`);
        expect(ms).toBeLessThan(5_000);
    });

    it("a wrong WebUI password fails clearly", async () => {
        const { message } = await failure(() => host.create(inputs({ password: "not-the-password" })));
        expect(message).toBe(`qBittorrent at 127.0.0.1:${qbt.port}: log in failed: the WebUI refused user ${qbt.username}: Fails.`);
    });

    it("destroy removes what it created and leaves the adopted category: the app is as it was before", async () => {
        await destroy(host, state!);
        state = undefined;
        expect(await snapshot()).toEqual(before);
    });
});
