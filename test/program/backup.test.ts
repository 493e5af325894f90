/**
 * Backups on: one `homelab-backup` step on the host over SSH, its command a secret (it carries the generated
 * restic password), the runner and the settings inside it, the password exported as a secret.
 */
import { programOptions } from "../support/fixtures";
import * as fs from "fs";
import * as path from "path";
import { isSecretEnvelope, ProgramRun, readableInputs, runProgram } from "../../scripts/mock-engine";
import { ofType, programModule, REMOTE_COMMAND, revealOutput } from "../support/graph";
import { graphRows, recordedSingleHostGraph } from "../support/single-host-graph";

let run: ProgramRun;
const RUNNER = fs.readFileSync(path.join(__dirname, "..", "..", "components", "host", "homelab-backup.sh"), "utf8");

beforeAll(async () => {
    run = await runProgram(programOptions({
        backup: { repository: "/mnt/usb/homelab", schedule: "*-*-* 03:30:00", keep: { weekly: 8 } },
    }));
}, 30_000);

function backupStep() {
    const steps = ofType(run, REMOTE_COMMAND).filter((r) => r.name === "homelab-backup-backup");
    expect(steps).toHaveLength(1);
    return steps[0];
}

test("the step runs backup.sh over the stack's pinned SSH connection, in a Backup component", () => {
    const step = backupStep();
    const inputs = readableInputs(step.serializedInputs, true) as Record<string, string> & { connection: Record<string, unknown> };
    expect(inputs.connection).toMatchObject({ host: "192.168.1.10", port: 22, user: "root", hostKey: expect.stringMatching(/^ssh-ed25519 /) });
    expect(inputs.create).toMatch(/^bash -s -- create <<'HOMELAB_SCRIPT_EOF'\n/);
    expect(inputs.create).toContain(fs.readFileSync(path.join(__dirname, "..", "..", "components", "host", "backup.sh"), "utf8"));
    expect(inputs.create).toContain("export REPOSITORY='/mnt/usb/homelab'\n");
    expect(inputs.create).toContain("export SCHEDULE='*-*-* 03:30:00'\n");
    expect(inputs.create).toContain("export KEEP_DAILY='7'\nexport KEEP_WEEKLY='8'\nexport KEEP_MONTHLY='0'\n");
    expect(inputs.create).toContain("export DOCKER_ROOT='/var/lib/docker'\n");
    // The runner travels inside the command (no file copy), quoted intact.
    expect(inputs.create).toContain(`export RUNNER='${RUNNER.replace(/'/g, `'\\''`)}'\n`);
    expect(step.parent).toMatch(/homelab:host:Backup::homelab-backup$/);
});

test("create carries the generated password and is a secret; delete carries neither", async () => {
    const step = backupStep();
    expect(isSecretEnvelope(step.serializedInputs.create)).toBe(true);
    expect(isSecretEnvelope(step.serializedInputs.update)).toBe(true);
    const password = String(await revealOutput(programModule().backupPassword));
    expect(password.length).toBeGreaterThanOrEqual(20);
    const create = readableInputs(step.serializedInputs.create, true) as string;
    expect(create).toContain(`export PASSWORD='${password}'\n`);
    expect(typeof step.serializedInputs.delete).toBe("string");
    expect(step.serializedInputs.delete).not.toContain("export PASSWORD=");
    expect(step.serializedInputs.delete).toMatch(/^bash -s -- delete <<'HOMELAB_SCRIPT_EOF'\n/);
    expect(run.outputs.backupPassword).toBe("[secret]");
});

test("the password is a generated random.RandomPassword, and the stack says where backups go", () => {
    const passwords = ofType(run, "random:index/randomPassword:RandomPassword").filter((r) => r.name === "homelab-backup-password");
    expect(passwords).toHaveLength(1);
    expect(passwords[0].serializedInputs).toMatchObject({ length: 32, special: false });
    expect(run.outputs.backups).toBe("restic to /mnt/usb/homelab, *-*-* 03:30:00, keeping 7 daily, 8 weekly, 0 monthly");
});

test("the graph keeps every URN, parent and provider of the single-host program before homelab:hosts (no replacement on upgrade)", () => {
    expect(graphRows(run)).toEqual(recordedSingleHostGraph("backup"));
});
