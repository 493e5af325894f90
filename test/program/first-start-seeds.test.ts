/**
 * Credentials fixed before the apps' first start, so the wiring can use them at once: Bazarr's API key and
 * forms login in a seeded config.yaml (copied only into a Bazarr without settings), Jellyseerr's API key in
 * its environment. Both secret end to end.
 */
import * as crypto from "crypto";
import { parse } from "yaml";
import { programOptions } from "../support/fixtures";
import { isSecretEnvelope, ProgramRun, runProgram } from "../../scripts/mock-engine";
import { container, envOf, programModule, revealOutput, upload } from "../support/graph";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions());
}, 30_000);

const SEED = "/defaults/homelab/bazarr-config.yaml";
const SCRIPT = "/custom-cont-init.d/50-homelab-seed-config";

test("Bazarr's seed holds its API key and a forms login whose password is the bazarrLogin output, as Bazarr stores it (MD5)", async () => {
    const seed = upload(container(run, "bazarr"), SEED);
    expect(isSecretEnvelope(seed.raw)).toBe(true);
    const login = await revealOutput(programModule().bazarrLogin as { user: string; password: unknown }) as { user: string; password: string };
    const password = await revealOutput(login.password as never) as string;
    const apiKey = await revealOutput((programModule().apiKeys as Record<string, unknown>).bazarr as never) as string;
    expect(parse(seed.revealed)).toEqual({
        auth: { apikey: apiKey, type: "form", username: "admin", password: crypto.createHash("md5").update(password).digest("hex") },
    });
    expect(apiKey).toMatch(/^[0-9a-f]{32}$/);
});

test("the seed is copied by an init script the linuxserver image runs before Bazarr, and only into an empty config", () => {
    const uploads = container(run, "bazarr").serializedInputs.uploads as { file: string; executable?: boolean; content: unknown }[];
    const script = uploads.find((u) => u.file === SCRIPT);
    expect(script?.executable).toBe(true);
    expect(isSecretEnvelope(script?.content)).toBe(false);
    const text = String(script?.content);
    expect(text).toContain('if [ ! -s "$config" ]');
    expect(text).toContain(`cp ${SEED} "$config"`);
    expect(text).toContain("config=/config/config/config.yaml");
});

test("Jellyseerr starts with the API key the wiring uses, as a secret env entry", async () => {
    const entry = envOf(container(run, "jellyseerr")).get("API_KEY");
    expect(entry?.secret).toBe(true);
    const apiKey = await revealOutput((programModule().apiKeys as Record<string, unknown>).jellyseerr as never);
    expect(entry?.value).toBe(apiKey);
});
