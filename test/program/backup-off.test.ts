/** No backup repository configured: no timer is installed, no password generated, and the stack says so. */
import { programOptions } from "../support/fixtures";
import { ProgramRun, runProgram } from "../../scripts/mock-engine";
import { ofType, REMOTE_COMMAND } from "../support/graph";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions({ backup: { schedule: "weekly" } }));
}, 30_000);

test("no backup step, no Backup component, no password", () => {
    expect(ofType(run, REMOTE_COMMAND).map((r) => r.name).filter((n) => n.includes("backup"))).toEqual([]);
    expect(ofType(run, "homelab:host:Backup")).toEqual([]);
    expect(ofType(run, "random:index/randomPassword:RandomPassword").map((r) => r.name)).not.toContain("homelab-backup-password");
    expect(run.outputs.backups).toBe("off (homelab:backup.repository is not set)");
    expect(run.outputs.backupPassword).toBeUndefined();
});
