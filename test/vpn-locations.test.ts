/**
 * The ProtonVPN names shipped with the program (components/data/protonvpn-locations.json): where they come
 * from, and that the generator (scripts/vpn-locations.ts) reads both of its sources as described.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CATALOG } from "../components/catalog";
import { VPN_LOCATIONS } from "../components/config";
import { locationsFromCountryTable, locationsFromServersJson, LOCATIONS_FILE } from "../scripts/vpn-locations";

test("the list is for the Gluetun version the catalog pins, and names its source", () => {
    expect(`qmcgaw/gluetun:${VPN_LOCATIONS.gluetunVersion}`).toBe(CATALOG.gluetun.image);
    expect(VPN_LOCATIONS.source).toMatch(new RegExp(`^qdm12/gluetun ${VPN_LOCATIONS.gluetunVersion.replace(/\./g, "\\.")} internal/`));
    expect(VPN_LOCATIONS.countries).toEqual(expect.arrayContaining(["Netherlands", "Switzerland", "United States", "Germany"]));
    expect(VPN_LOCATIONS.countries).not.toContain("Netherland");
});

test("servers.json: the protonvpn section's countries and cities, each once, sorted", () => {
    const sample = JSON.stringify({
        version: 1,
        mullvad: { servers: [{ country: "Mars", city: "Olympus" }] },
        protonvpn: { version: 4, timestamp: 1, servers: [
            { country: "Switzerland", city: "Zurich", hostname: "ch-01" }, { country: "Netherlands", city: "Amsterdam" },
            { country: "Switzerland", city: "Geneva" }, { country: "Netherlands", city: "Amsterdam" },
        ] },
    });
    const locations = locationsFromServersJson(sample, "v9.9.9");
    expect(locations.countries).toEqual(["Netherlands", "Switzerland"]);
    expect(locations.cities).toEqual(["Amsterdam", "Geneva", "Zurich"]);
    expect(locations.source).toBe("qdm12/gluetun v9.9.9 internal/storage/servers.json (protonvpn servers: country, city)");
});

test("countries.go: the names of Gluetun's country-code table", () => {
    const go = 'package constants\n\nfunc CountryCodes() map[string]string {\n\treturn map[string]string{\n\t\t"nl":  "Netherlands",\n\t\t"ch":  "Switzerland",\n\t}\n}\n';
    expect(locationsFromCountryTable(go, "v9.9.9").countries).toEqual(["Netherlands", "Switzerland"]);
});

// Where the Gluetun repository is at hand (the search tool's mirror on the machine it was made on), the shipped
// file is exactly what the generator writes from it.
const MIRROR = process.env.GLUETUN_GIT_DIR ?? "/work/.mirror/qdm12+gluetun/repo";
const hasMirror = fs.existsSync(path.join(MIRROR, "HEAD"));
if (!hasMirror) console.warn(`no Gluetun git directory at ${MIRROR} (set GLUETUN_GIT_DIR): the regeneration check is skipped`);
(hasMirror ? test : test.skip)("the shipped file is what scripts/vpn-locations.ts makes from Gluetun at the pinned tag", () => {
    const before = fs.readFileSync(LOCATIONS_FILE, "utf8");
    const out = path.join(fs.mkdtempSync("/tmp/homelab-vpn-"), "locations.json");
    const r = spawnSync(process.execPath, ["-r", "./scripts/register-ts.js", "scripts/vpn-locations.ts", "--git-dir", MIRROR, "--out", out], {
        cwd: path.join(__dirname, ".."), encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(fs.readFileSync(out, "utf8")).toBe(before);
}, 30_000);
