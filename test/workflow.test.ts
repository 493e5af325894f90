/** The pull-request workflow parses, and every npm script it runs exists. */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const ROOT = path.join(__dirname, "..");
const workflow = parse(fs.readFileSync(path.join(ROOT, ".github", "workflows", "preview.yml"), "utf8")) as {
    on: Record<string, unknown>;
    jobs: Record<string, { steps: Array<{ name?: string; id?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> }> }>;
};
const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
const runs = steps.map((s) => s.run ?? "").join("\n");

/** Scripts a `run:` invokes: `npm run X`, `npm run-script X`, and the lifecycle shorthands. */
function npmScripts(text: string): string[] {
    const found = new Set<string>();
    for (const m of text.matchAll(/\bnpm\s+(?:run|run-script)\s+([\w:.-]+)/g)) found.add(m[1]);
    for (const m of text.matchAll(/\bnpm\s+(test|start|stop|restart)\b/g)) found.add(m[1]);
    return [...found];
}

describe("preview workflow", () => {
    it("runs on pull requests", () => {
        expect(Object.keys(workflow.on)).toContain("pull_request");
    });

    it("uses Node 22", () => {
        const setup = steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
        expect(String(setup?.with?.["node-version"])).toBe("22");
    });

    it("installs with npm ci, tests, and plans stack dev", () => {
        expect(runs).toMatch(/\bnpm ci\b/);
        expect(runs).toMatch(/\bnpm test\b/);
        expect(runs).toMatch(/npm run plan -- --stack dev/);
    });

    it.each(npmScripts(runs))("calls the npm script '%s', which package.json defines", (script) => {
        expect(Object.keys(scripts)).toContain(script);
    });

    it("writes the plan and the Mermaid diagram to the job summary", () => {
        expect(runs).toContain("$GITHUB_STEP_SUMMARY");
        expect(runs).toContain("docs/stack.md");
    });

    it("runs pulumi preview with the policy pack only when the secrets exist, and says so when skipped", () => {
        const preview = steps.find((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "preview");
        expect(preview?.uses).toBe("pulumi/actions@v6");
        expect(preview?.with).toMatchObject({ "comment-on-pr": true, policyPacks: "policies" });
        const gate = steps.find((s) => s.id === "secrets");
        expect(gate?.run).toContain("PULUMI_ACCESS_TOKEN");
        expect(gate?.run).toContain("::notice");
        expect(preview?.if).toBe("steps.secrets.outputs.available == 'true'");
    });
});
