/**
 * WIRING_VERSION: a hash of the wiring sources (components/wiring/**\/*.ts), computed when the program loads.
 * Every wiring resource takes it as its `providerVersion` input, so a change of the provider code is a
 * change of input and reaches resources that already exist (Pulumi would otherwise keep running the code
 * serialized into their state).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The directory of every app's wiring (this file's parent). */
export const WIRING_DIR = path.resolve(__dirname, "..");

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true })
        .flatMap((entry) => {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) return sourceFiles(full);
            return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
        });
}

/** sha256 over every source's relative path and content, in a stable order (first 16 hex digits). */
export function wiringVersion(dir: string = WIRING_DIR): string {
    const hash = crypto.createHash("sha256");
    for (const file of sourceFiles(dir).sort()) {
        hash.update(path.relative(dir, file).split(path.sep).join("/"));
        hash.update("\0");
        hash.update(fs.readFileSync(file));
        hash.update("\0");
    }
    return hash.digest("hex").slice(0, 16);
}

export const WIRING_VERSION = wiringVersion();
