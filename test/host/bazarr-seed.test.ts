/**
 * Bazarr's first-start seed, run for real: the init script the program uploads to /custom-cont-init.d is run
 * by bash as root (as the linuxserver base image runs it, after /config was handed to the app user) in a
 * Debian container, against a config volume in each state Bazarr can leave it in. Only a Bazarr without
 * settings gets the seed; whatever a user or Bazarr already wrote stays.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BAZARR_SEED, BAZARR_SEED_SCRIPT, bazarrSeedConfig, bazarrSeedScript } from "../../components/arr-suite";
import { BRINGUP, must, run } from "./host";

jest.setTimeout(120_000);

const IMAGE = process.env.HOMELAB_TEST_IMAGE ?? "homelab-test/debian-host:bookworm-v3";
const SEED = bazarrSeedConfig("0123456789abcdef0123456789abcdef", "admin", "correct horse");
const EXISTING = "auth:\n  apikey: \"users-own-key\"\ngeneral:\n  theme: dark\n";

let dir: string;

beforeAll(() => {
    must("bash", [BRINGUP, "engine"]);
    must("bash", [BRINGUP, "image"], { timeoutMs: 600_000 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-bazarr-seed-"));
    fs.writeFileSync(path.join(dir, "seed.yaml"), SEED);
    fs.writeFileSync(path.join(dir, "seed.sh"), bazarrSeedScript(), { mode: 0o755 });
});

afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Prepares /config with `setup`, runs the init script, returns the resulting config.yaml, its owner and mode. */
function seedInto(volume: string, setup: string): { file: string; owner: string; log: string } {
    const config = path.join(dir, volume);
    fs.mkdirSync(config, { recursive: true });
    const script = [
        "set -e",
        "useradd -M -u 1000 abc",
        "cd /config",
        setup,
        `/bin/bash ${BAZARR_SEED_SCRIPT}`,
        "echo '---'",
        "stat -c '%U:%G %a' /config/config/config.yaml 2>/dev/null || echo 'absent'",
        "echo '---'",
        "cat /config/config/config.yaml 2>/dev/null || true",
    ].join("\n");
    const r = run("docker", [
        "run", "--rm", "--name", `homelab-wiringprog-bazarr-${volume}`, "--network", "none", "--entrypoint", "/bin/bash",
        "-v", `${config}:/config`,
        "-v", `${path.join(dir, "seed.yaml")}:${BAZARR_SEED}:ro`,
        "-v", `${path.join(dir, "seed.sh")}:${BAZARR_SEED_SCRIPT}:ro`,
        IMAGE, "-c", script,
    ]);
    if (r.status !== 0) throw new Error(`seed run failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    const [log, owner, file] = r.stdout.split("---\n");
    return { log, owner: owner.trim(), file };
}

test("a new Bazarr (empty volume) gets the seed, owned by the app user and readable by it only", () => {
    const result = seedInto("new", "true");
    expect(result.file).toBe(SEED);
    expect(result.owner).toBe("abc:abc 600");
    expect(result.log).toContain("homelab: seeded /config/config/config.yaml");
});

test("the empty config.yaml a first start creates is seeded too", () => {
    expect(seedInto("empty", "mkdir -p config && : > config/config.yaml").file).toBe(SEED);
});

test("an existing config is left exactly as it is", () => {
    const result = seedInto("existing", `mkdir -p config && printf '%s' '${EXISTING}' > config/config.yaml && chown -R abc:abc config`);
    expect(result.file).toBe(EXISTING);
    expect(result.log).not.toContain("seeded");
});

test("a legacy config.ini (which Bazarr converts itself) is not overridden by a seed", () => {
    const result = seedInto("legacy", "mkdir -p config && echo '[general]' > config/config.ini");
    expect(result.owner).toBe("absent");
});

test("a second start of a seeded Bazarr keeps what the user changed since", () => {
    seedInto("restart", "true");
    const changed = SEED.replace("type: form", "type: basic");
    fs.writeFileSync(path.join(dir, "restart", "config", "config.yaml"), changed);
    expect(seedInto("restart", "true").file).toBe(changed);
});
