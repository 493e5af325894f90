/**
 * Jest runs the project's TypeScript transpiled exactly as `pulumi up` runs it (scripts/transpile.js), so the
 * functions Pulumi serializes in the tests are the ones it serializes in a deploy. Lines stay where they are,
 * so stack traces need no source maps (test/support/stack-limit.js turns Jest's mapping off).
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const { SUCRASE_OPTIONS, transpile } = require("../../scripts/transpile");

const KEY = JSON.stringify([require("sucrase/package.json").version, SUCRASE_OPTIONS, fs.readFileSync(require.resolve("../../scripts/transpile"), "utf8"), fs.readFileSync(__filename, "utf8")]);

module.exports = {
    process(source, filePath) {
        return { code: transpile(source, filePath) };
    },
    getCacheKey(source, filePath) {
        return crypto.createHash("sha256").update(KEY).update("\0").update(filePath).update("\0").update(source).digest("hex");
    },
};
