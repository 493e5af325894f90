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
import { DYNAMIC_RESOURCE_TYPE, DynamicProviderHost, Props, Registration, grpcMessage, registration, startDynamicProviderHost } from "../support/dynamic-provider-host";
import { TestSshd, freePort, startSshd } from "../support/sshd";
import { RunningQbittorrent, startQbittorrent } from "./apps/qbittorrent-nox";

let qbt: RunningQbittorrent;
let sshd: TestSshd;
let host: DynamicProviderHost;
let wiring: Registration;
let connection: Extract<AppConnection, { kind: "ssh" }>;
/** The app's own state before the first deploy (what destroy must give back). */
let before: Snapshot;

/** The resource's state as the engine keeps it between operations. */
let state: { id: string; outputs: Props } | undefined;

interface Snapshot { categories: Record<string, string>; preferences: Record<string, unknown> }

async function snapshot(): Promise<Snapshot> {
    const categories = Object.fromEntries(Object.values(await qbt.api.categories()).map((c) => [c.name, c.savePath]));
    const prefs = await qbt.api.preferences();
    const preferences = Object.fromEntries(["save_path", "auto_tmm_enabled", "upnp", "listen_port", "random_port"].map((k) => [k, prefs[k]]));
    return { categories, preferences };
}

/** `pulumi up` for this one resource: check, then create or diff (+ update when there are changes). */
async function up(inputs: Props): Promise<"created" | "updated" | "unchanged"> {
    const checked = await host.check(state?.outputs ?? {}, inputs);
    expect(checked.failures).toEqual([]);
    if (!state) {
        const created = await host.create(checked.inputs);
        state = { id: created.id, outputs: created.props };
        return "created";
    }
    const diff = await host.diff(state.id, state.outputs, checked.inputs);
    if (diff.changes === "none") return "unchanged";
    expect(diff.replaces).toEqual([]);
    state.outputs = await host.update(state.id, state.outputs, checked.inputs);
    return "updated";
}

function inputs(overrides: Props = {}): Props {
    return { ...wiring.inputs, ...overrides };
}

/** Time and message of an operation expected to fail. */
async function failure(operation: () => Promise<unknown>): Promise<{ message: string; seconds: number }> {
    const started = Date.now();
    try {
        await operation();
    } catch (err) {
        return { message: grpcMessage(err), seconds: (Date.now() - started) / 1000 };
    }
    throw new Error("the operation succeeded");
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
        kinds: ["tv", "movies", "music", "books"],
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
        expect(wiring.inputs.categories).toEqual({ tv: "/data/torrents/tv", movies: "/data/torrents/movies", music: "/data/torrents/music", books: "/data/torrents/books" });
    });

    it("first deploy wires every category and preference, never the listening port, adopting what exists", async () => {
        expect(await up(inputs())).toBe("created");
        const now = await snapshot();
        expect(now.categories).toEqual({ tv: "/data/torrents/tv", movies: "/data/torrents/movies", music: "/data/torrents/music", books: "/data/torrents/books" });
        expect(now.preferences).toMatchObject({ save_path: "/data/torrents", auto_tmm_enabled: true, upnp: false, listen_port: qbt.torrentingPort });
        expect(state!.outputs.created).toEqual(["category:books", "category:music", "category:tv"]);
        expect(state!.outputs.observed).toEqual({
            categories: now.categories,
            preferences: { save_path: "/data/torrents", auto_tmm_enabled: true, upnp: false },
        });
    });

    it("a second up with nothing changed needs no update and leaves the app as it is", async () => {
        const held = await snapshot();
        const contacts = accepted();
        expect(await up(inputs())).toBe("unchanged");
        expect(await snapshot()).toEqual(held);
        // check and diff (all that `pulumi preview` runs) did not open the tunnel.
        expect(accepted()).toBe(contacts);
    });

    it("a change behind the program's back is found by refresh and repaired by the next up", async () => {
        expect(await qbt.api.editCategory("tv", "/elsewhere/tv")).toBe(200);
        expect(await qbt.api.setPreferences({ upnp: true })).toBe(200);
        const refreshed = await host.read(state!.id, state!.outputs);
        expect(refreshed.props.observed).toMatchObject({ categories: { tv: "/elsewhere/tv" }, preferences: { upnp: true } });
        // The refreshed inputs say what the app holds, so the next preview shows the drift itself.
        expect(refreshed.inputs).toMatchObject({ categories: { ...(wiring.inputs.categories as object), tv: "/elsewhere/tv" }, preferences: { upnp: true } });
        state!.outputs = refreshed.props;

        expect(await up(inputs())).toBe("updated");
        const now = await snapshot();
        expect(now.categories.tv).toBe("/data/torrents/tv");
        expect(now.preferences).toMatchObject({ upnp: false, listen_port: qbt.torrentingPort });
        expect(await up(inputs())).toBe("unchanged");
    });

    it("a library app switched off loses its category; one switched back on gets it again", async () => {
        const { categories } = wiring.inputs as { categories: Record<string, string> };
        const { music: _music, ...withoutMusic } = categories;
        expect(await up(inputs({ categories: withoutMusic }))).toBe("updated");
        expect(Object.keys((await snapshot()).categories).sort()).toEqual(["books", "movies", "tv"]);
        expect(state!.outputs.created).toEqual(["category:books", "category:tv"]);

        expect(await up(inputs())).toBe("updated");
        expect((await snapshot()).categories.music).toBe("/data/torrents/music");
    });

    it("changed provider code reaches the existing resource (providerVersion is an input)", async () => {
        const checked = await host.check(state!.outputs, inputs({ providerVersion: "0000000000000000" }));
        expect((await host.diff(state!.id, state!.outputs, checked.inputs)).changes).toBe("some");
    });

    it("an unreachable app fails with one line naming the app, its address and the step, in bounded time", async () => {
        const closed = await freePort();
        const { message, seconds } = await failure(() => host.create(inputs({ address: { host: "127.0.0.1", port: closed, basePath: "" }, readyTimeoutSeconds: 2 })));
        expect(message).toMatch(new RegExp(`^qBittorrent at 127\\.0\\.0\\.1:${closed}: wait until ready failed: not ready after \\d+ tries in 2 s: .+`));
        expect(message).not.toContain("\n");
        expect(seconds).toBeLessThan(6);
    });

    it("an unreachable host fails with one line naming the SSH step, in bounded time", async () => {
        const closed = await freePort();
        const { message, seconds } = await failure(() => host.create(inputs({ connection: { ...connection, port: closed }, readyTimeoutSeconds: 2 })));
        expect(message).toMatch(new RegExp(`^qBittorrent at 127\\.0\\.0\\.1:${qbt.port}: wait until ready failed: not ready after \\d+ tries in 2 s: SSH to ${sshd.user}@127\\.0\\.0\\.1:${closed}: connect ECONNREFUSED 127\\.0\\.0\\.1:${closed}$`));
        expect(seconds).toBeLessThan(6);
    });

    it("a host that does not show the pinned host key is refused", async () => {
        const contacts = accepted();
        const { message, seconds } = await failure(() => host.create(inputs({ connection: { ...connection, hostKey: sshd.otherHostKey } })));
        expect(message).toBe(`qBittorrent at 127.0.0.1:${qbt.port}: SSH to ${sshd.user}@127.0.0.1:${sshd.port} failed: the host key does not match the pinned one (ssh-ed25519)`);
        expect(seconds).toBeLessThan(5);
        expect(accepted()).toBe(contacts);
    });

    it("a wrong WebUI password fails clearly", async () => {
        const { message } = await failure(() => host.create(inputs({ password: "not-the-password" })));
        expect(message).toBe(`qBittorrent at 127.0.0.1:${qbt.port}: log in failed: the WebUI refused user ${qbt.username}: Fails.`);
    });

    it("destroy removes what it created and leaves the adopted category: the app is as it was before", async () => {
        await host.delete(state!.id, state!.outputs);
        state = undefined;
        expect(await snapshot()).toEqual(before);
    });
});
