/**
 * WiringResource registers what `pulumi.dynamic.Resource` registers (a `pulumi-nodejs:dynamic:Resource` with
 * the provider serialized into `__provider`), takes the text from its disk cache when the code is unchanged,
 * and refuses a provider that captured a secret.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { serializedProvider, WiringResource } from "../../components/wiring/core/resource";
import { DYNAMIC_RESOURCE_TYPE, registration } from "../support/dynamic-provider-host";

const CACHE_DIR = path.join(__dirname, "..", "..", "node_modules", ".cache", "homelab-providers");
const GREETING = `cache-test-${process.pid}`;

const plainProvider: pulumi.dynamic.ResourceProvider = {
    create: async () => ({ id: "x", outs: { greeting: GREETING } }),
};

class PlainResource extends WiringResource {
    constructor(name: string, key: string) {
        super(key, plainProvider, name, {});
    }
}

function cacheFiles(): Map<string, string> {
    if (!fs.existsSync(CACHE_DIR)) return new Map();
    return new Map(fs.readdirSync(CACHE_DIR).map((f) => [f, fs.readFileSync(path.join(CACHE_DIR, f), "utf8")]));
}

test("registers a dynamic resource whose __provider is Pulumi's own serialization, and caches that text", async () => {
    const key = `test-plain-${process.pid}-${Date.now()}`;
    const before = cacheFiles();
    const r = await registration("plain", () => new PlainResource("plain", key));
    expect(r.captured.type).toBe(DYNAMIC_RESOURCE_TYPE);
    const provider = plainProvider; // the name pulumi.dynamic.Resource captures it under
    const expected = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    expect(r.serializedProvider).toBe(expected.text);

    const added = [...cacheFiles()].filter(([f]) => !before.has(f));
    expect(added.map(([, text]) => text)).toEqual([expected.text]);
    const [file] = added[0];
    try {
        // What a later run (a new process, same code) finds: the cached text, not a new serialization.
        fs.writeFileSync(path.join(CACHE_DIR, file), `${expected.text}\n// from the cache`);
        const again = await freshRegistration(key);
        expect(again).toBe(`${expected.text}\n// from the cache`);
    } finally {
        fs.rmSync(path.join(CACHE_DIR, file), { force: true });
    }
});

/** The same resource in a new module registry (as in a new process): its provider text comes from the disk. */
async function freshRegistration(key: string): Promise<unknown> {
    let text: unknown;
    await jest.isolateModulesAsync(async () => {
        const { WiringResource: Fresh } = require("../../components/wiring/core/resource") as typeof import("../../components/wiring/core/resource");
        const host = require("../support/dynamic-provider-host") as typeof import("../support/dynamic-provider-host");
        class Again extends Fresh {
            constructor() {
                super(key, plainProvider, "again", {});
            }
        }
        text = (await host.registration("again", () => new Again())).serializedProvider;
    });
    return text;
}

test("a provider that captured a secret is refused, naming the provider", async () => {
    const secret = pulumi.secret("do-not-capture");
    const leaky: pulumi.dynamic.ResourceProvider = {
        create: async () => ({ id: "x", outs: { leaked: secret } }),
    };
    await expect(serializedProvider("test-leaky", leaky)).rejects.toThrow("the test-leaky wiring provider captured a secret in its code: pass credentials as inputs");
});
