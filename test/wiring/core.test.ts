/**
 * The wiring framework: the core client against a recording node:http app on 127.0.0.1 (local mode), and
 * wiringProvider with a small "counter" implementation, serialized from its resource class under setMocks and
 * run by the real dynamic-provider host over gRPC.
 */
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "../../components/config";
import { WiringError, openClient, withClient } from "../../components/wiring/core/client";
import { appConnection } from "../../components/wiring/core/connection";
import { WiringBaseInputs, WiringImplementation, wiringProvider, wiringSecretOutputs } from "../../components/wiring/core/provider";
import { MASKED, secretHash } from "../../components/wiring/core/secrets";
import { AppAddress, AppConnection } from "../../components/wiring/core/types";
import { WIRING_VERSION, wiringVersion } from "../../components/wiring/core/version";
import { DynamicProviderHost, Props, UNKNOWN, grpcMessage, registration, startDynamicProviderHost } from "../support/dynamic-provider-host";
import { SSH_HOST_KEY, SSH_PRIVATE_KEY, rawConfig } from "../support/fixtures";

// ---------------------------------------------------------------------------------------------------------
// A recording app: every request (method, url, headers, body) is kept; routes are set per test.

interface Recorded { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }
type Route = (req: Recorded) => { status?: number; body?: unknown; headers?: Record<string, string> };

interface RecordingApp { port: number; requests: Recorded[]; routes: Map<string, Route>; close(): Promise<void> }

async function startApp(): Promise<RecordingApp> {
    const requests: Recorded[] = [];
    const routes = new Map<string, Route>();
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
            const recorded = { method: req.method!, url: req.url!, headers: req.headers, body };
            requests.push(recorded);
            const route = routes.get(`${req.method} ${req.url!.split("?")[0]}`);
            const answer = route ? route(recorded) : { status: 404, body: "no such route" };
            const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? null);
            res.writeHead(answer.status ?? 200, { "Content-Type": "application/json", ...answer.headers });
            res.end(text);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as { port: number }).port,
        requests,
        routes,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}

let app: RecordingApp;
let address: AppAddress;
const local: AppConnection = { kind: "local" };

beforeAll(async () => {
    app = await startApp();
    address = { host: "127.0.0.1", port: app.port, basePath: "/base" };
});
afterAll(async () => {
    await app?.close();
});
beforeEach(() => {
    app.requests.length = 0;
    app.routes.clear();
});

// ---------------------------------------------------------------------------------------------------------

describe("core client", () => {
    it("sends JSON and form bodies with Content-Length, never chunked, under the base path", async () => {
        app.routes.set("POST /base/api/items", () => ({ status: 201, body: { id: 7 } }));
        app.routes.set("POST /base/api/form", () => ({ body: "Ok." }));
        await withClient("Demo", local, address, async (c) => {
            expect(await c.json<{ id: number }>("add item", { method: "POST", path: "/api/items", json: { name: "ä", tags: [1] }, query: { forceSave: true, skip: undefined } })).toEqual({ id: 7 });
            await c.call("send form", { method: "POST", path: "/api/form", form: { a: "1 2", b: "x&y" } });
        });
        const [json, form] = app.requests;
        expect(json.url).toBe("/base/api/items?forceSave=true");
        expect(json.headers["transfer-encoding"]).toBeUndefined();
        expect(json.headers["content-length"]).toBe(String(Buffer.byteLength(json.body)));
        expect(json.headers["content-type"]).toBe("application/json");
        expect(JSON.parse(json.body)).toEqual({ name: "ä", tags: [1] });
        expect(form.headers["transfer-encoding"]).toBeUndefined();
        expect(form.headers["content-type"]).toBe("application/x-www-form-urlencoded");
        expect(new URLSearchParams(form.body).get("b")).toBe("x&y");
        expect(form.headers.host).toBe(`127.0.0.1:${app.port}`);
    });

    it("keeps the cookies an app sets and sends them back, per client", async () => {
        app.routes.set("POST /base/login", () => ({ body: "Ok.", headers: { "Set-Cookie": "SID=abc123; HttpOnly; path=/" } }));
        app.routes.set("GET /base/me", () => ({ body: {} }));
        await withClient("Demo", local, address, async (c) => {
            await c.call("log in", { method: "POST", path: "/login" });
            await c.call("who am I", { method: "GET", path: "/me" });
        });
        await withClient("Demo", local, address, (c) => c.call("who am I", { method: "GET", path: "/me" }));
        expect(app.requests.map((r) => r.headers.cookie)).toEqual([undefined, "SID=abc123", undefined]);
    });

    it("fails with one line naming the app, the address, the step and what the app said", async () => {
        app.routes.set("POST /base/api/rootfolder", () => ({ status: 400, body: "Folder\nis not writable" }));
        const err = await withClient("Demo", local, address, (c) => c.call("add root folder", { method: "POST", path: "/api/rootfolder", json: {} })).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WiringError);
        expect((err as Error).message).toBe(`Demo at 127.0.0.1:${app.port}/base: add root folder failed: HTTP 400 Folder is not writable`);
    });

    it("accepts only the statuses it is told to expect", async () => {
        app.routes.set("POST /base/category", () => ({ status: 409, body: "exists" }));
        await withClient("Demo", local, address, async (c) => {
            expect((await c.call("create category", { method: "POST", path: "/category" }, [200, 409])).status).toBe(409);
            await expect(c.call("create category", { method: "POST", path: "/category" })).rejects.toThrow("create category failed: HTTP 409 exists");
        });
    });

    it("waits for an app with bounded retries, and gives up within the budget with the last reason", async () => {
        let calls = 0;
        app.routes.set("GET /base/ping", () => (++calls < 3 ? { status: 503, body: "starting" } : { body: "pong" }));
        await withClient("Demo", local, address, (c) => c.waitReady("wait until ready", { method: "GET", path: "/ping" }), { readyTimeoutSeconds: 5 });
        expect(calls).toBe(3);

        app.routes.set("GET /base/ping", () => ({ status: 503, body: "starting" }));
        const started = Date.now();
        const err = await withClient("Demo", local, address, (c) => c.waitReady("wait until ready", { method: "GET", path: "/ping" }), { readyTimeoutSeconds: 1 })
            .catch((e: Error) => e);
        expect(Date.now() - started).toBeLessThan(2_000);
        expect((err as Error).message).toMatch(new RegExp(`^Demo at 127\\.0\\.0\\.1:${app.port}/base: wait until ready failed: not ready after \\d+ tries in 1 s: HTTP 503 starting$`));
    });

    it("reports a connection refused as the step that could not reach the app", async () => {
        const closedAddress = { host: "127.0.0.1", port: 1, basePath: "" };
        const { client, close } = openClient("Demo", local, closedAddress);
        await expect(client.call("read settings", { method: "GET", path: "/" })).rejects.toThrow(/^Demo at 127\.0\.0\.1:1: read settings failed: connect ECONNREFUSED 127\.0\.0\.1:1$/);
        close();
    });
});

describe("secrets", () => {
    it("hashes a credential for the state without revealing it, the same way every time", () => {
        expect(secretHash("hunter2")).toBe(secretHash("hunter2"));
        expect(secretHash("hunter2")).not.toBe(secretHash("hunter3"));
        expect(secretHash("hunter2")).toMatch(/^[0-9a-f]{64}$/);
        expect(MASKED).toBe("********");
    });
});

describe("WIRING_VERSION", () => {
    it("is a hash of the wiring sources that changes with any of them", () => {
        expect(WIRING_VERSION).toBe(wiringVersion());
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-wiring-version-"));
        try {
            fs.mkdirSync(path.join(dir, "core"));
            fs.writeFileSync(path.join(dir, "core", "client.ts"), "export const a = 1;\n");
            fs.writeFileSync(path.join(dir, "sonarr.ts"), "export const b = 1;\n");
            const first = wiringVersion(dir);
            fs.writeFileSync(path.join(dir, "notes.md"), "not a source\n");
            expect(wiringVersion(dir)).toBe(first);
            fs.writeFileSync(path.join(dir, "core", "client.ts"), "export const a = 2;\n");
            expect(wiringVersion(dir)).not.toBe(first);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("appConnection", () => {
    it("is local in local mode, and the SSH target with its key kept secret otherwise", async () => {
        const unwrap = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
        const isSecret = (o: pulumi.Output<unknown>) => (o as unknown as { isSecret: Promise<boolean> }).isSecret;
        expect(await unwrap(appConnection({ target: { kind: "local" } }))).toEqual({ kind: "local" });
        const ssh = appConnection(parseConfig(rawConfig({ sshPort: 2222, sshUser: "deploy" }), () => true));
        expect(await unwrap(ssh)).toEqual({ kind: "ssh", host: "192.168.1.10", port: 2222, user: "deploy", hostKey: SSH_HOST_KEY, privateKey: SSH_PRIVATE_KEY });
        expect(await isSecret(ssh)).toBe(true);
    });
});

// ---------------------------------------------------------------------------------------------------------
// wiringProvider, through the real dynamic-provider host

interface CounterInputs extends WiringBaseInputs { name: string; value: number; apiKey: string }
interface CounterObserved { value: number; apiKeyHash: string }

/** A counter app: GET/PUT /counters/<name> holds { value, apiKey } (the key comes back masked). */
const counterWiring: WiringImplementation<CounterInputs, CounterObserved> = {
    app: "Counter",
    ready: { req: { method: "GET", path: "/ping" } },
    check: (inputs) => (inputs.value < 0 ? [`value must be 0 or more, got ${inputs.value}`] : []),
    observe: async (c, inputs) => {
        const res = await c.call("read counter", { method: "GET", path: `/counters/${inputs.name}` }, [200, 404]);
        if (res.status === 404) return undefined;
        const held = res.json<{ value: number; apiKey: string; apiKeyHash?: string }>();
        return { value: held.value, apiKeyHash: held.apiKeyHash ?? "" };
    },
    converge: async (c, inputs, observed, created) => {
        await c.call("write counter", { method: "PUT", path: `/counters/${inputs.name}`, json: { value: inputs.value, apiKey: inputs.apiKey } });
        const ids = observed === undefined ? [...created, `counter:${inputs.name}`] : created;
        return { state: { value: inputs.value, apiKeyHash: secretHash(inputs.apiKey) }, created: ids };
    },
    remove: async (c, _inputs, created) => {
        for (const id of created) await c.call(`remove ${id}`, { method: "DELETE", path: `/counters/${id.split(":")[1]}` });
    },
    matches: (inputs, observed) => inputs.value === observed.value && secretHash(inputs.apiKey) === observed.apiKeyHash,
    secretOutputs: ["apiKey"],
};
const counterProvider = wiringProvider(counterWiring);

class CounterWiring extends pulumi.dynamic.Resource {
    constructor(name: string, args: Omit<CounterInputs, "providerVersion">) {
        super(counterProvider, name, { ...args, providerVersion: WIRING_VERSION, observed: undefined, created: undefined },
            { additionalSecretOutputs: wiringSecretOutputs(counterWiring) });
    }
}

/** The counter app's state, with the key masked on GET like the *arr apps do. */
function serveCounters(): Map<string, { value: number; apiKey: string }> {
    const counters = new Map<string, { value: number; apiKey: string }>();
    app.routes.set("GET /base/ping", () => ({ body: "pong" }));
    for (const name of ["hits", "misses"]) {
        app.routes.set(`GET /base/counters/${name}`, () => {
            const held = counters.get(name);
            return held ? { body: { value: held.value, apiKey: MASKED, apiKeyHash: secretHash(held.apiKey) } } : { status: 404 };
        });
        app.routes.set(`PUT /base/counters/${name}`, (req) => {
            counters.set(name, JSON.parse(req.body) as { value: number; apiKey: string });
            return {};
        });
        app.routes.set(`DELETE /base/counters/${name}`, () => {
            counters.delete(name);
            return {};
        });
    }
    return counters;
}

describe("wiringProvider in the dynamic-provider host", () => {
    let host: DynamicProviderHost;
    let hits: Props;

    beforeAll(async () => {
        host = await startDynamicProviderHost({ name: "counter" });
        const registered = await registration("hits", () => new CounterWiring("hits", { connection: local, address, name: "hits", value: 3, apiKey: "key-1" }));
        hits = registered.inputs;
        expect(registered.additionalSecretOutputs.sort()).toEqual(["apiKey", "connection"]);
    }, 60_000);
    afterAll(async () => {
        await host?.stop();
    });

    const writes = () => app.requests.filter((r) => r.method !== "GET").length;

    it("check reports the base inputs' and the implementation's problems, one line each, without the app", async () => {
        const checked = await host.check({}, { ...hits, value: -1, address: { host: "127.0.0.1" } });
        expect(checked.failures.map((f) => f.reason)).toEqual(["Counter: address must be { host, port, basePath }"]);
        const bad = await host.check({}, { ...hits, value: -1 });
        expect(bad.failures.map((f) => f.reason)).toEqual(["Counter: value must be 0 or more, got -1"]);
        const badKey = await host.check({}, { ...hits, connection: { kind: "ssh", host: "h", port: 22, user: "u", privateKey: "k", hostKey: "AAAA" } });
        expect(badKey.failures.map((f) => f.reason)).toEqual(["Counter: connection.hostKey must be `<type> <base64>` (the pinned host key)"]);
        expect(app.requests).toEqual([]);
    });

    it("check does not judge values that are not known yet (preview)", async () => {
        const preview = await host.check({}, { ...hits, connection: UNKNOWN, apiKey: UNKNOWN, value: -1 });
        expect(preview.failures).toEqual([]);
    });

    it("create observes and converges; diff, read, update and delete follow the app", async () => {
        const counters = serveCounters();
        counters.set("misses", { value: 9, apiKey: "theirs" });

        const created = await host.create(hits);
        expect(created.id).toBe(`counter@127.0.0.1:${app.port}/base`);
        expect(counters.get("hits")).toEqual({ value: 3, apiKey: "key-1" });
        expect(created.props).toMatchObject({ name: "hits", value: 3, observed: { value: 3, apiKeyHash: secretHash("key-1") }, created: ["counter:hits"] });
        let outputs = created.props;

        // A second up with nothing changed: diff says so without contacting the app.
        app.requests.length = 0;
        expect((await host.diff(created.id, outputs, hits)).changes).toBe("none");
        // A changed key is seen through its hash, a changed value as an input; still no contact.
        expect((await host.diff(created.id, outputs, { ...hits, apiKey: "key-2" })).changes).toBe("some");
        expect((await host.diff(created.id, outputs, { ...hits, value: 4 })).changes).toBe("some");
        expect((await host.diff(created.id, outputs, { ...hits, value: UNKNOWN })).changes).toBe("some");
        // How long to wait for the app is no reason to update it.
        expect((await host.diff(created.id, outputs, { ...hits, readyTimeoutSeconds: 5 })).changes).toBe("none");
        expect(app.requests).toEqual([]);

        // Drift behind the program's back: refresh finds it, the next diff reports it, update repairs it.
        counters.set("hits", { value: 100, apiKey: "key-1" });
        const refreshed = await host.read(created.id, outputs);
        expect(refreshed.props.observed).toEqual({ value: 100, apiKeyHash: secretHash("key-1") });
        expect(refreshed.inputs).toMatchObject({ name: "hits", value: 3 });
        expect(refreshed.inputs).not.toHaveProperty("observed");
        outputs = refreshed.props;
        expect((await host.diff(created.id, outputs, hits)).changes).toBe("some");
        outputs = await host.update(created.id, outputs, hits);
        expect(counters.get("hits")!.value).toBe(3);
        expect(outputs.created).toEqual(["counter:hits"]);

        // Delete removes only what this resource created.
        const before = writes();
        await host.delete(created.id, outputs);
        expect(counters.has("hits")).toBe(false);
        expect(counters.get("misses")).toEqual({ value: 9, apiKey: "theirs" });
        expect(writes() - before).toBe(1);
    });

    it("adopts what exists, and then leaves it on delete without contacting the app", async () => {
        const counters = serveCounters();
        counters.set("hits", { value: 1, apiKey: "old" });
        const created = await host.create(hits);
        expect(created.props.created).toEqual([]);
        expect(counters.get("hits")).toEqual({ value: 3, apiKey: "key-1" });
        app.requests.length = 0;
        await host.delete(created.id, created.props);
        expect(app.requests).toEqual([]);
        expect(counters.get("hits")).toEqual({ value: 3, apiKey: "key-1" });
    });

    it("reports a failing step as one line through the gRPC error", async () => {
        serveCounters();
        app.routes.set("PUT /base/counters/hits", () => ({ status: 500, body: "disk full" }));
        const err = await host.create(hits).catch((e: unknown) => e);
        expect(grpcMessage(err)).toBe(`Counter at 127.0.0.1:${app.port}/base: write counter failed: HTTP 500 disk full`);
    });
});
