/**
 * `homelab:wiring: false`: no wiring resource at all, the apps start blank and the public routes are served
 * at once, with a warning that the first visitor of Jellyfin and Seerr becomes their administrator. What
 * does not need the wiring stays: Bazarr's seeded login and API key, Seerr's fixed API key.
 */
import * as pulumi from "@pulumi/pulumi";
import { programOptions } from "../support/fixtures";
import { ProgramRun, runProgram } from "../../scripts/mock-engine";
import { container, env, upload } from "../support/graph";

let run: ProgramRun;
const warnings: string[] = [];

beforeAll(async () => {
    jest.spyOn(pulumi.log, "warn").mockImplementation(async (message: string) => {
        warnings.push(message);
    });
    run = await runProgram(programOptions({ wiring: false }));
}, 30_000);

test("no wiring component and no wiring resource is declared", () => {
    expect(run.resources.filter((r) => r.type === "homelab:wiring:Wiring" || r.type === "pulumi-nodejs:dynamic:Resource")).toEqual([]);
    expect(run.resources.map((r) => r.name).filter((n) => n.includes("jellyfin-admin"))).toEqual([]);
});

test("Caddy waits for the app containers only, and a warning says who becomes administrator", () => {
    const caddy = container(run, "caddy");
    const urns = new Map(run.resources.map((r) => [r.urn, r.type]));
    expect(caddy.dependencies.map((urn) => urns.get(urn)).filter((t) => t?.startsWith("pulumi-nodejs:dynamic"))).toEqual([]);
    expect(warnings.join("\n")).toMatch(/homelab:wiring is false.*first visitor becomes their administrator/);
});

test("the `wiring` output lists the links to enter by hand, and there is no Jellyfin login to show", () => {
    const summary = run.outputs.wiring as { automatic: boolean; apps: Record<string, string[]>; links: Record<string, string>; byHand: string[] };
    expect(summary.automatic).toBe(false);
    expect(summary.apps).toEqual({});
    expect(summary.links["Sonarr -> qBittorrent"]).toBe("http://gluetun:8080 (category tv)");
    expect(summary.byHand[0]).toMatch(/^Everything: homelab:wiring is false/);
    expect(run.outputs.jellyfinLogin).toBeUndefined();
});

test("Bazarr's login and Seerr's API key are still fixed before first start", () => {
    expect(upload(container(run, "bazarr"), "/defaults/homelab/bazarr-config.yaml").revealed).toMatch(/type: form/);
    expect(env(container(run, "seerr"), "API_KEY")).toMatch(/^[0-9a-f]{32}$/);
    expect(run.outputs.bazarrLogin).toEqual({ user: "admin", password: "[secret]" });
});
