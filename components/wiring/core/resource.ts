/**
 * The base of every wiring resource: what `pulumi.dynamic.Resource` does (a `pulumi-nodejs:dynamic:Resource`
 * whose `__provider` input is the provider serialized by Pulumi's closure serializer), with the serialized
 * text kept in a cache on disk.
 *
 * Serializing the providers costs about a second on every evaluation of the program (`pulumi up`, `preview`,
 * the offline plan), more than loading the rest of the program; the text only changes with the code. The
 * cache key therefore covers everything the text is made from: the sources of every component, the locked
 * package versions, Node.js, and how the TypeScript was transpiled (the function text differs between
 * transpilers).
 *
 * A provider that captured a secret is refused: credentials are inputs of the resources, never part of the
 * provider's code (Pulumi would otherwise make the whole `__provider` a secret and keep it in every state).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { wiringProvider } from "./provider";

const REPO = path.join(__dirname, "..", "..", "..");
const CACHE_DIR = path.join(REPO, "node_modules", ".cache", "homelab-providers");
const DYNAMIC_RESOURCE_TYPE = "pulumi-nodejs:dynamic:Resource";

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) return sourceFiles(file);
        return entry.name.endsWith(".ts") || entry.name.endsWith(".js") ? [file] : [];
    }).sort();
}

let salt: string | undefined;

/** What every serialized text depends on besides the provider itself. */
function cacheSalt(): string {
    if (salt !== undefined) return salt;
    const hash = crypto.createHash("sha256");
    for (const file of [...sourceFiles(path.join(REPO, "components")), path.join(REPO, "package-lock.json")]) {
        hash.update(`${path.relative(REPO, file)}\0`).update(fs.readFileSync(file)).update("\0");
    }
    hash.update(process.version).update(process.execArgv.join(" ")).update(process.env.JEST_WORKER_ID ? "jest" : "node");
    hash.update(wiringProvider.toString());
    salt = hash.digest("hex");
    return salt;
}

function readCache(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

function writeCache(file: string, text: string): void {
    try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, file);
    } catch {
        // A cache that cannot be written only costs the next run its time.
    }
}

const serialized = new Map<string, Promise<string>>();

/** The provider's serialized text, from the cache when the code is unchanged. */
export async function serializedProvider(key: string, provider: pulumi.dynamic.ResourceProvider): Promise<string> {
    const file = path.join(CACHE_DIR, `${crypto.createHash("sha256").update(`${cacheSalt()}\0${key}`).digest("hex")}.js`);
    const cached = readCache(file);
    if (cached !== undefined) return cached;
    const fn = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    if (fn.containsSecrets) throw new Error(`the ${key} wiring provider captured a secret in its code: pass credentials as inputs`);
    writeCache(file, fn.text);
    return fn.text;
}

/**
 * `key` names the provider (unique among the wiring providers): the providers are made by one factory, so
 * their own function text alone does not tell them apart.
 */
export abstract class WiringResource extends pulumi.CustomResource {
    constructor(key: string, provider: pulumi.dynamic.ResourceProvider, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        let text = serialized.get(key);
        if (text === undefined) {
            text = serializedProvider(key, provider);
            serialized.set(key, text);
        }
        super(DYNAMIC_RESOURCE_TYPE, name, { ...props, __provider: text }, opts);
    }
}
