/**
 * The TypeScript path that `npm run plan` and `pulumi up` use (Pulumi.yaml's nodeargs) keeps functions
 * serializable: Pulumi turns a dynamic provider into JS text from its functions' own source (closure
 * serialization), and runs that text in a plain Node process. A transpiler that injects helpers into function
 * bodies (esbuild's keepNames `__name()`, TypeScript's `__awaiter` for old targets, Sucrase's ES transforms)
 * would leak them into that text, so a change of transpiler must pass this test first.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";

const ROOT = path.join(__dirname, "..");

/** Node arguments `pulumi up` runs the program with. */
function pulumiNodeArgs(): string[] {
    const project = parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: { typescript?: boolean; nodeargs?: string } } };
    expect(project.runtime.options.typescript).toBe(false); // no ts-node on top of it
    return (project.runtime.options.nodeargs ?? "").split(/\s+/).filter(Boolean);
}

const HELPERS = /\b(__awaiter|__generator|__name|__spread\w*|__rest|__publicField|__defNormalProp|__decorate|_optionalChain\w*|_nullishCoalesce|_asyncNullishCoalesce|_asyncOptionalChain\w*|_defineProperty|_define_property|_class_private_field\w*|_async_to_generator|_object_spread\w*)\b/;

describe("closure serialization through the project's TypeScript path", () => {
    let serialized: { text: string; exportName: string };

    beforeAll(() => {
        const run = spawnSync(process.execPath, [...pulumiNodeArgs(), path.join("test", "fixtures", "closure", "serialize.ts")], { cwd: ROOT, encoding: "utf8" });
        expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
        serialized = JSON.parse(run.stdout) as typeof serialized;
    }, 60_000);

    test("npm run plan uses the same path as pulumi up", () => {
        const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
        expect(scripts.plan).toBe(`node ${pulumiNodeArgs().join(" ")} scripts/plan.ts`);
    });

    test("the serialized provider is plain ES2022: no helper was injected into a function body", () => {
        expect(serialized.text).toContain("async function /*create*/(inputs) {");
        expect(serialized.text).toContain("const { subnet, offset = 10, label } = inputs;");
        expect(serialized.text).toContain("await new Promise(");
        expect(serialized.text).toMatch(/\{ \.\.\.inputs, address, .*label: label\?\.toUpperCase\(\) \?\? null/);
        expect(serialized.text).not.toMatch(HELPERS);
    });

    test("the serialized provider runs in a plain Node process, as Pulumi's dynamic provider host runs it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-closure-"));
        try {
            const file = path.join(dir, "provider.js");
            fs.writeFileSync(file, serialized.text);
            const call = `require(${JSON.stringify(file)}).${serialized.exportName}().create({ subnet: "172.30.0.0/24", offset: 21, label: "caddy" })` +
                ".then((r) => process.stdout.write(JSON.stringify(r)))";
            const run = spawnSync(process.execPath, ["-e", call], { cwd: dir, encoding: "utf8" });
            expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
            const result = JSON.parse(run.stdout) as { id: string; outs: Record<string, unknown> };
            expect(result.outs).toEqual({ subnet: "172.30.0.0/24", offset: 21, label: "CADDY", address: "172.30.0.21", valid: true, bumps: 1 });
            expect(result.id).toMatch(/^[0-9a-f]{12}$/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
