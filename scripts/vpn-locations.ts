/**
 * Generates components/data/protonvpn-locations.json: the ProtonVPN country (and, where the data is readable,
 * city) names that Gluetun accepts in SERVER_COUNTRIES / SERVER_CITIES at the pinned Gluetun version.
 *
 *   node -r ./scripts/register-ts.js scripts/vpn-locations.ts --git-dir DIR [--tag vX.Y.Z] [--out FILE]
 *
 * DIR is a clone (bare is fine) of github.com/qdm12/gluetun; the tag defaults to the catalog's Gluetun pin.
 * Source, in order of preference (Gluetun validates SERVER_COUNTRIES case-insensitively against the names in
 * its server data, `internal/configuration/settings/serverselection.go` validateServerFilters):
 *   1. `internal/storage/servers.json` at the tag: the `protonvpn` section's `country` and `city` fields.
 *   2. When that blob cannot be read (the file is over 4 MiB and a partial clone may not hold it):
 *      `internal/constants/countries.go` at the tag, the code-to-name table the ProtonVPN updater names every
 *      server's country with (`internal/provider/protonvpn/updater/servers.go`, codeToCountry). Those names
 *      are a superset of the countries in the server data (a country without servers is not refused), and no
 *      city list can be derived from it (cities come from Proton's API into servers.json).
 * Only names are taken (data facts), no code.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CATALOG } from "../components/catalog";

export const LOCATIONS_FILE = path.join(__dirname, "..", "components", "data", "protonvpn-locations.json");

export interface VpnLocations {
    gluetunVersion: string;
    source: string;
    note: string;
    countries: string[];
    /** Undefined when the source has no cities (then city names are not checked). */
    cities?: string[];
}

function gitShow(gitDir: string, spec: string): string | undefined {
    const r = spawnSync("git", ["--git-dir", gitDir, "show", spec], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    return r.status === 0 ? r.stdout : undefined;
}

const sortedUnique = (names: string[]) => [...new Set(names.filter(Boolean))].sort((a, b) => a.localeCompare(b, "en"));

export function locationsFromServersJson(text: string, version: string): VpnLocations {
    const data = JSON.parse(text) as { protonvpn?: { servers?: { country?: string; city?: string }[] } };
    const servers = data.protonvpn?.servers ?? [];
    return {
        gluetunVersion: version,
        source: `qdm12/gluetun ${version} internal/storage/servers.json (protonvpn servers: country, city)`,
        note: "The names Gluetun accepts in SERVER_COUNTRIES and SERVER_CITIES for ProtonVPN at this version (compared case-insensitively).",
        countries: sortedUnique(servers.map((s) => s.country ?? "")),
        cities: sortedUnique(servers.map((s) => s.city ?? "")),
    };
}

export function locationsFromCountryTable(goSource: string, version: string): VpnLocations {
    const names = [...goSource.matchAll(/^\s*"[a-z]{2,3}":\s*"([^"]+)",\s*$/gm)].map((m) => m[1]);
    return {
        gluetunVersion: version,
        source: `qdm12/gluetun ${version} internal/constants/countries.go (CountryCodes, the names the ProtonVPN updater gives every server's country)`,
        note: "internal/storage/servers.json at this version could not be read (over 4 MiB, not in the snapshot used): these are the country names "
            + "Gluetun's server data can hold for ProtonVPN, a superset of the countries with servers; cities are not checked.",
        countries: sortedUnique(names),
    };
}

function main(): void {
    const args = process.argv.slice(2);
    const gitDir = args[args.indexOf("--git-dir") + 1];
    if (!args.includes("--git-dir") || !gitDir) throw new Error("usage: scripts/vpn-locations.ts --git-dir DIR [--tag vX.Y.Z]");
    const tag = args.includes("--tag") ? args[args.indexOf("--tag") + 1] : `v${CATALOG.gluetun.image.split(":v").pop()}`;
    const servers = gitShow(gitDir, `${tag}:internal/storage/servers.json`);
    let locations: VpnLocations;
    if (servers) {
        locations = locationsFromServersJson(servers, tag);
    } else {
        const table = gitShow(gitDir, `${tag}:internal/constants/countries.go`);
        if (!table) throw new Error(`neither servers.json nor countries.go is readable at ${tag} in ${gitDir}`);
        locations = locationsFromCountryTable(table, tag);
    }
    const out = args.includes("--out") ? args[args.indexOf("--out") + 1] : LOCATIONS_FILE;
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(locations, null, 1)}\n`);
    console.log(`Wrote ${path.relative(process.cwd(), out)}: ${locations.countries.length} countries${locations.cities ? `, ${locations.cities.length} cities` : ""} from ${locations.source}`);
}

if (require.main === module) main();
