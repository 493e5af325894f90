import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS, DEFAULTS } from "../components/config";

const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
const referenceTable = readme.slice(readme.indexOf("## Configuration reference"), readme.indexOf("## Layout"));

describe("README configuration reference", () => {
    it.each(CONFIG_KEYS)("documents homelab:%s", (key) => {
        expect(referenceTable).toMatch(new RegExp("`" + key + "`"));
    });

    it("states the same defaults as components/config.ts", () => {
        const plainDefaults: [string, unknown][] = Object.entries(DEFAULTS).filter(([, v]) => typeof v !== "object");
        for (const [key, value] of plainDefaults) {
            const row = referenceTable.split("\n").find((line) => line.includes("`" + key + "`"));
            expect({ key, row }).toEqual({ key, row: expect.stringContaining("`" + String(value) + "`") });
        }
    });
});
