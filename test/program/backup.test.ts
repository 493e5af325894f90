/**
 * Backups on: one `homelab-backup` step on the host over SSH, the runner and the settings in its script, the
 * generated restic password only on the session's stdin (a secret), never in a command string; the password
 * exported as a secret.
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
    // The script and its variables arrive on the SSH session's stdin.
    expect(inputs.create).toBe("bash -s -- create");
    expect(inputs.stdin).toContain(fs.readFileSync(path.join(__dirname, "..", "..", "components", "host", "backup.sh"), "utf8"));
    expect(inputs.stdin).toContain("export REPOSITORY='/mnt/usb/homelab'\n");
    expect(inputs.stdin).toContain("export SCHEDULE='*-*-* 03:30:00'\n");
    expect(inputs.stdin).toContain("export KEEP_DAILY='7'\nexport KEEP_WEEKLY='8'\nexport KEEP_MONTHLY='0'\n");
    expect(inputs.stdin).toContain("export DOCKER_ROOT='/var/lib/docker'\n");
    // The runner travels inside the script (no file copy), quoted intact.
    expect(inputs.stdin).toContain(`export RUNNER='${RUNNER.replace(/'/g, `'\\''`)}'\n`);
    expect(step.parent).toMatch(/homelab:host:Backup::homelab-backup$/);
});

test("the password travels only on the session's stdin (a secret): in no command string, which sshd runs as `$SHELL -c <command>`", async () => {
    const step = backupStep();
    const password = String(await revealOutput(programModule().backupPassword));
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(isSecretEnvelope(step.serializedInputs.stdin)).toBe(true);
    expect(readableInputs(step.serializedInputs.stdin, true) as string).toContain(`export PASSWORD='${password}'\n`);
    for (const command of ["create", "update", "delete"]) {
        const text = step.serializedInputs[command];
        expect({ command, type: typeof text }).toEqual({ command, type: "string" });
        expect({ command, password: String(text).includes(password) || String(text).includes("export PASSWORD=") }).toEqual({ command, password: false });
    }
    expect(step.serializedInputs.create).toBe("bash -s -- create");
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
