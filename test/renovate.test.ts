/**
 * Image updates: renovate.json must find exactly the catalog's pinned images (so an app added to the catalog
 * cannot be missed), group the linuxserver ones, and never propose `latest`.
 */
import * as fs from "fs";
import * as path from "path";
import { APP_IDS, CATALOG } from "../components/catalog";

const ROOT = path.join(__dirname, "..");
const CATALOG_FILE = "components/catalog.ts";

interface RegexManager { customType: string; managerFilePatterns: string[]; matchStrings: string[]; datasourceTemplate: string }
interface PackageRule { description?: string; matchDatasources?: string[]; matchPackageNames?: string[]; allowedVersions?: string; groupName?: string; versioning?: string }
interface RenovateConfig { customManagers: RegexManager[]; packageRules: PackageRule[] }

const config = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8")) as RenovateConfig;

/** Renovate's `/.../` pattern form as a RegExp. */
function slashRegex(pattern: string): RegExp {
    const m = pattern.match(/^\/(.*)\/([a-z]*)$/s);
    if (!m) throw new Error(`not a /regex/ pattern: ${pattern}`);
    return new RegExp(m[1], m[2]);
}

/** Renovate's package-name globs (`*` within a segment, `**` across segments). */
function globRegex(glob: string): RegExp {
    const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*/g, "\u0000").replace(/\*/g, "[^/]*").replace(/\u0000/g, ".*");
    return new RegExp(`^${escaped}$`);
}

function matchesName(rule: PackageRule, name: string): boolean {
    return (rule.matchPackageNames ?? []).some((p) => (p.startsWith("/") ? slashRegex(p) : globRegex(p)).test(name));
}

/** What Renovate extracts from a file: every match of every matchString of the managers for that file. */
function extract(file: string, content: string): string[] {
    return config.customManagers
        .filter((m) => m.managerFilePatterns.some((p) => slashRegex(p).test(file)))
        .flatMap((m) => m.matchStrings.flatMap((s) => [...content.matchAll(new RegExp(s, "g"))]))
        .map((match) => {
            const g = match.groups ?? {};
            return `${g.depName}:${g.currentValue}${g.currentDigest ? `@${g.currentDigest}` : ""}`;
        });
}

const catalogImages = APP_IDS.map((id) => CATALOG[id].image).sort();
const catalogSource = fs.readFileSync(path.join(ROOT, CATALOG_FILE), "utf8");

describe("renovate.json", () => {
    it("finds exactly the catalog's pinned images in components/catalog.ts, as Docker images", () => {
        expect(config.customManagers).toHaveLength(1);
        expect(config.customManagers[0]).toMatchObject({ customType: "regex", datasourceTemplate: "docker" });
        expect(extract(CATALOG_FILE, catalogSource).sort()).toEqual(catalogImages);
    });

    it("would find an app added to the catalog, with a digest or a registry path", () => {
        const added = catalogSource.replace(
            "export const CATALOG: Readonly<Record<AppId, AppSpec>> = {",
            `$&\n    newapp: {\n        image: "ghcr.io/example/new-app:1.2.3@sha256:${"a".repeat(64)}",\n    },`,
        );
        expect(extract(CATALOG_FILE, added).sort()).toEqual([...catalogImages, `ghcr.io/example/new-app:1.2.3@sha256:${"a".repeat(64)}`].sort());
    });

    it("reads no other file", () => {
        expect(extract("index.ts", catalogSource)).toEqual([]);
        expect(extract("test/fixtures/components/catalog.tsx", catalogSource)).toEqual([]);
    });

    it("never proposes latest for any Docker image", () => {
        const rules = config.packageRules.filter((r) => r.allowedVersions && r.matchDatasources?.includes("docker") && !r.matchPackageNames);
        expect(rules).toHaveLength(1);
        const allowed = rules[0].allowedVersions!;
        expect(allowed.startsWith("!")).toBe(true);
        const excluded = slashRegex(allowed.slice(1));
        expect(excluded.test("latest")).toBe(true);
        // Only `latest` is excluded: every pinned tag of the catalog stays an allowed version.
        for (const image of catalogImages) expect([image, excluded.test(image.split(":").pop()!)]).toEqual([image, false]);
    });

    it("groups every linuxserver image, and only those, in one pull request", () => {
        const groupOf = (name: string) => config.packageRules.filter((r) => r.groupName && matchesName(r, name)).map((r) => r.groupName);
        for (const image of catalogImages) {
            const name = image.split(":")[0];
            expect([name, groupOf(name)]).toEqual([name, name.startsWith("lscr.io/linuxserver/") ? ["linuxserver images"] : []]);
        }
    });

    const schemes = config.packageRules.filter((r) => r.versioning?.startsWith("regex:"));
    const schemeOf = (name: string): RegExp[] =>
        schemes.filter((r) => matchesName(r, name)).map((r) => new RegExp(r.versioning!.slice("regex:".length)));

    it("every tag-scheme rule parses the catalog's current tag of each image it names", () => {
        for (const rule of schemes) {
            const scheme = new RegExp(rule.versioning!.slice("regex:".length));
            const images = catalogImages.filter((i) => matchesName(rule, i.split(":")[0]));
            expect([rule.description, images.length > 0]).toEqual([rule.description, true]);
            for (const image of images) expect([image, scheme.test(image.split(":").pop()!)]).toEqual([image, true]);
        }
    });

    // Docker versioning reads "-ls316" as a compatibility suffix and would never leave the pinned build.
    it("every linuxserver image has exactly one tag scheme", () => {
        for (const name of catalogImages.map((i) => i.split(":")[0]).filter((n) => n.startsWith("lscr.io/linuxserver/"))) {
            expect([name, schemeOf(name).length]).toEqual([name, 1]);
        }
    });

    it("the schemes take the next stable build and never a develop, nightly or libtorrent-1 build", () => {
        // Tags as linuxserver publishes them (linuxserver/docker-<app> tags).
        const cases: [string, string, boolean][] = [
            ["lscr.io/linuxserver/sonarr", "4.0.19.2979-ls317", true],
            ["lscr.io/linuxserver/sonarr", "develop-4.0.18.2978-ls176", false],
            ["lscr.io/linuxserver/radarr", "nightly-6.3.0.10498-ls7", false],
            ["lscr.io/linuxserver/lidarr", "develop-3.1.3.4987-ls259", false],
            ["lscr.io/linuxserver/prowlarr", "2.5.2.5491-ls156", true],
            ["lscr.io/linuxserver/qbittorrent", "5.2.4_v2.0.13-ls470", true],
            ["lscr.io/linuxserver/qbittorrent", "libtorrentv1-5.2.3_v1.2.20-ls126", false],
            ["lscr.io/linuxserver/bazarr", "v1.6.1-ls361", true],
            ["lscr.io/linuxserver/bazarr", "development-v1.6.1-beta.27-ls9", false],
        ];
        for (const [name, tag, taken] of cases) expect([name, tag, schemeOf(name)[0].test(tag)]).toEqual([name, tag, taken]);
    });
});
