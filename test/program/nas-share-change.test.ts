/**
 * Changing the share (server, export, share, options) replaces the mount step: its `triggers` change, which the
 * command provider turns into a replacement (`pulumi preview` shows `+-` with the triggers as the reason). The new
 * step's create stops Docker (the apps stop), swaps the unit and starts Docker again (the apps start); the old
 * step's delete then leaves the unit alone (both proven on real hosts by test/host/nas.test.ts). A new SMB
 * password is an update in place (the credentials file is rewritten), never a replacement; an unchanged setting
 * is no change at all.
 */
import * as path from "path";
import { ProgramRun, readableInputs, runProgram } from "../../scripts/mock-engine";
import { REMOTE_COMMAND } from "../support/graph";

const NFS = { type: "nfs", server: "nas.lan", export: "/volume1/data" };
const SMB = { type: "smb", server: "nas.lan", share: "data", username: "media", password: "first-password-do-not-leak" };
const SHARES: Record<string, unknown> = {
    nfs: NFS,
    "nfs-same": { ...NFS },
    "nfs-server": { ...NFS, server: "192.168.1.6" },
    "nfs-export": { ...NFS, export: "/volume2/data" },
    "nfs-options": { ...NFS, options: "vers=4.1" },
    smb: SMB,
    "smb-share": { ...SMB, share: "media" },
    "smb-options": { ...SMB, options: "noserverino" },
    "smb-password": { ...SMB, password: "second-password-do-not-leak" },
};

let run: ProgramRun;

beforeAll(async () => {
    process.env.HOMELAB_TEST_SHARES = JSON.stringify(SHARES);
    run = await runProgram({ config: {}, programPath: path.join(__dirname, "..", "fixtures", "nas-shares.ts") });
}, 60_000);

function mountStep(share: string): { triggers: string[]; create: string; update: string; delete: string; stdin?: string } {
    const found = run.resources.filter((r) => r.type === REMOTE_COMMAND && r.name === `${share}-data-mount`);
    expect(found).toHaveLength(1);
    return readableInputs(found[0].serializedInputs, true) as { triggers: string[]; create: string; update: string; delete: string; stdin?: string };
}

test.each([
    ["nfs", "nfs-server", "192.168.1.6:/volume1/data"],
    ["nfs", "nfs-export", "nas.lan:/volume2/data"],
    ["nfs", "nfs-options", "hard,proto=tcp,timeo=600,retrans=2,noatime,_netdev,vers=4.1"],
    ["smb", "smb-share", "//nas.lan/media"],
    ["smb", "smb-options", "vers=3,credentials=/etc/homelab/credentials/srv-homelab-data.smb,uid=1000,gid=1000,file_mode=0664,dir_mode=0775,nobrl,iocharset=utf8,noatime,_netdev,noserverino"],
])("%s -> %s: the triggers change (a replacement), naming the new %s", (before, after, shown) => {
    const old = mountStep(before).triggers;
    const next = mountStep(after).triggers;
    expect(next).not.toEqual(old);
    expect(next).toContain(shown);
    expect(old).not.toContain(shown);
});

test("the same share again: identical triggers and scripts (no change in the preview)", () => {
    const { create, update, delete: remove, triggers } = mountStep("nfs");
    expect(mountStep("nfs-same")).toMatchObject({ create, update, delete: remove, triggers });
});

test("a new SMB password: same triggers (no replacement), only the secret stdin differs (an update rewrites the credentials file)", () => {
    const first = mountStep("smb");
    const second = mountStep("smb-password");
    expect(second.triggers).toEqual(first.triggers);
    expect([second.create, second.update, second.delete]).toEqual([first.create, first.update, first.delete]);
    expect(second.stdin).not.toEqual(first.stdin);
    expect(second.stdin).toContain("password=second-password-do-not-leak");
    expect(JSON.stringify(second.triggers)).not.toContain("password");
});

test("the replacing create is the one that swaps the unit with the apps stopped and started; delete only removes its own unit", () => {
    const { create, delete: remove } = mountStep("nfs-server");
    expect(create).toContain("export MOUNT_WHAT='192.168.1.6:/volume1/data'\n");
    // data-mount.sh: a changed unit while mounted stops Docker (the apps), swaps it, starts Docker again.
    expect(create).toMatch(/mountpoint -q "\$DATA_ROOT" && \[\[ "\$unit_changed" == yes \]\]; then[\s\S]*stop_docker/);
    expect(remove).toContain("export MOUNT_WHAT='192.168.1.6:/volume1/data'\n");
    expect(remove).toMatch(/grep -qxF "What=\$MOUNT_WHAT" "\$UNIT_FILE"[\s\S]*\(replaced\); left in place/);
});
