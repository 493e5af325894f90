/**
 * Runs the project's TypeScript without a type-check or a build step a user must remember:
 * `node -r ./scripts/register-ts.js file.ts` (npm run plan, and `pulumi up` through Pulumi.yaml's nodeargs).
 * Types are checked by `npm test` (tsc).
 *
 * Sucrase only strips types and turns imports into require() calls, keeping every line where it was, so stack
 * traces are right without source maps. ES syntax is left as written (ES2022 runs as is on Node 22): no helper
 * is ever injected into a function body, so Pulumi can serialize a function from its own source text (dynamic
 * providers, closure serialization); test/transpile.test.ts proves it.
 *
 * Two caches under node_modules/.cache make a run after the first faster still: the transpiled files (keyed by
 * their content and everything that shapes the output, so an edit is never served stale) and V8's code cache
 * of every module loaded after this file (Node checks each entry against the source).
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { enableCompileCache } = require("module");
const { addHook } = require("pirates");
const { SUCRASE_OPTIONS, transpile } = require("./transpile");

const CACHE_ROOT = path.join(__dirname, "..", "node_modules", ".cache");
const TRANSPILED_DIR = path.join(CACHE_ROOT, "homelab-ts");
// Anything that changes the output changes the key: Sucrase's version, the options, this file and transpile.js.
const CACHE_KEY = JSON.stringify([require("sucrase/package.json").version, SUCRASE_OPTIONS, fs.readFileSync(__filename, "utf8"), fs.readFileSync(require.resolve("./transpile"), "utf8")]);

function cachedTranspile(code, filePath) {
    const key = crypto.createHash("sha256").update(CACHE_KEY).update("\0").update(filePath).update("\0").update(code).digest("hex");
    const cached = path.join(TRANSPILED_DIR, `${key}.js`);
    try {
        return fs.readFileSync(cached, "utf8");
    } catch {
        // Not transpiled yet (or no cache): below.
    }
    const output = transpile(code, filePath);
    try {
        fs.mkdirSync(TRANSPILED_DIR, { recursive: true });
        const partial = `${cached}.${process.pid}`;
        fs.writeFileSync(partial, output);
        fs.renameSync(partial, cached); // atomic: a concurrent run never reads half a file
    } catch {
        // A read-only tree still runs, uncached.
    }
    return output;
}

addHook(cachedTranspile, { exts: [".ts"], ignoreNodeModules: true });
enableCompileCache?.(path.join(CACHE_ROOT, "homelab-node-compile")); // Node 22.1 and later
