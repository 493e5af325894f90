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
interface PackageRule { matchDatasources?: string[]; matchPackageNames?: string[]; allowedVersions?: string; groupName?: string; versioning?: string }
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

    it("every tag-scheme rule parses the catalog's current tag of its image", () => {
        for (const rule of config.packageRules.filter((r) => r.versioning?.startsWith("regex:"))) {
            const scheme = new RegExp(rule.versioning!.slice("regex:".length));
            const images = catalogImages.filter((i) => matchesName(rule, i.split(":")[0]));
            expect(images).toHaveLength(1);
            expect([images[0], scheme.test(images[0].split(":").pop()!)]).toEqual([images[0], true]);
        }
    });
});
