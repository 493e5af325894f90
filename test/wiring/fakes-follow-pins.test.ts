/**
 * A fake answers as one version of its app. This fails when the catalog pins a version of a wired app that no
 * fake (or stand-in) was checked against, so an image bump (Renovate's pull request) cannot land until someone
 * reads the new version's API, updates the fake and its FAKE_OF. Fakes are found by what they export: every
 * module under test/wiring/fakes and test/wiring/apps that exports FAKE_OF (one record or a list).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { APP_IDS, AppId, CATALOG, OPTIONAL_APPS, upstreamVersion } from "../../components/catalog";
import { parseConfig } from "../../components/config";
import { wiringPlan } from "../../components/wiring";
import { rawConfig } from "../support/fixtures";
import type { FakeProvenance } from "./fakes/provenance";

const FOLDERS = [path.join(__dirname, "fakes"), path.join(__dirname, "apps")];

function discoveredFakes(): { module: string; record: FakeProvenance }[] {
    const found: { module: string; record: FakeProvenance }[] = [];
    for (const folder of FOLDERS) {
        for (const file of fs.readdirSync(folder).filter((f) => f.endsWith(".ts")).sort()) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const mod = require(path.join(folder, file)) as { FAKE_OF?: FakeProvenance | FakeProvenance[] };
            if (mod.FAKE_OF === undefined) continue;
            for (const record of [mod.FAKE_OF].flat()) found.push({ module: `${path.basename(folder)}/${file}`, record });
        }
    }
    return found;
}

/** Every app that has wiring when every optional app is on (the apps whose APIs the wiring calls). */
function wiredApps(): AppId[] {
    const allOn = Object.fromEntries(OPTIONAL_APPS.filter((id) => APP_IDS.includes(id)).map((id) => [id, true]));
    const cfg = parseConfig(rawConfig({ apps: allOn }), () => true);
    return [...new Set(wiringPlan(cfg).flatMap((step) => step.talksTo))]
        // The gateway and FlareSolverr are only waited for; Readarr is retired (removed from the catalog with the new pins).
        .filter((id) => id !== "flaresolverr" && id !== "gluetun" && (id as string) !== "readarr").sort();
}

const strip = (version: string) => version.replace(/^v/, "");

test("upstreamVersion reads the app version out of the catalog's image references", () => {
    expect(upstreamVersion("lscr.io/linuxserver/sonarr:4.0.19.2979-ls316")).toBe("4.0.19.2979");
    expect(upstreamVersion("lscr.io/linuxserver/qbittorrent:5.2.3_v2.0.13-ls469")).toBe("5.2.3");
    expect(upstreamVersion("lscr.io/linuxserver/bazarr:v1.6.0-ls360")).toBe("1.6.0");
    expect(upstreamVersion("jellyfin/jellyfin:10.11.11")).toBe("10.11.11");
    expect(upstreamVersion("caddy:2.11.4-alpine")).toBe("2.11.4");
    expect(upstreamVersion("localhost:5000/jellyfin")).toBeUndefined();
    expect(upstreamVersion("ghcr.io/seerr-team/seerr:v3.1.0@sha256:abc")).toBe("3.1.0");
});

test("every wired app has a fake that follows the version the catalog pins", () => {
    const fakes = discoveredFakes();
    const apps = wiredApps();
    expect(apps.length).toBeGreaterThanOrEqual(7);
    const problems: string[] = [];
    for (const id of apps) {
        const pinned = upstreamVersion(CATALOG[id].image);
        const records = fakes.filter((f) => f.record.app === id);
        if (!pinned) problems.push(`${id}: cannot read a version from the pinned image ${CATALOG[id].image}`);
        else if (records.length === 0) problems.push(`${id}: no fake exports FAKE_OF for it (pinned ${pinned})`);
        else if (!records.some((f) => strip(f.record.version) === pinned)) {
            problems.push(`${id}: the catalog pins ${pinned} (${CATALOG[id].image}), the fake follows ${records.map((f) => `${f.record.version} in ${f.module}`).join(", ")}: read ${id}'s source at the new version, update the fake and its FAKE_OF`);
        }
    }
    expect(problems).toEqual([]);
});

test("every fake names its repository and the upstream files it follows", () => {
    for (const { module, record } of discoveredFakes()) {
        expect({ module, repository: /^[\w.-]+\/[\w.-]+$/.test(record.repository), sources: record.sources.length > 0 }).toEqual({ module, repository: true, sources: true });
        for (const source of record.sources) expect({ module, source, named: /\S+\.\w+/.test(source) }).toEqual({ module, source, named: true });
    }
});

test("qBittorrent: the catalog pins 5.x, Debian's qbittorrent-nox (what qbittorrent.test.ts runs) is older: the 5.x stand-in covers the gap", () => {
    const debian = execFileSync("qbittorrent-nox", ["--version"], { encoding: "utf8" }).trim();
    const version = /v?(\d+\.\d+\.\d+)/.exec(debian)?.[1] ?? "";
    // Recorded here so the gap is visible: the real app at the pin is not packaged for Debian 12.
    expect({ debian: version, pinned: upstreamVersion(CATALOG.qbittorrent.image) }).toEqual({ debian: expect.stringMatching(/^4\./), pinned: "5.2.3" });
    expect(discoveredFakes().some((f) => f.record.app === "qbittorrent" && f.module === "apps/qbittorrent-5x-standin.ts")).toBe(true);
});
