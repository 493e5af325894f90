/**
 * A NAS data root (homelab:storage smb): the mount step on the host before the data tree, its command a secret
 * (the SMB password travels inside it, on the SSH session's stdin), a change of share shown as a replacement
 * (triggers), the apps after the tree, the config volumes still Docker volumes on the server's disk.
 */
import { programOptions } from "../support/fixtures";
import { isSecretEnvelope, ProgramRun, readableInputs, runProgram } from "../../scripts/mock-engine";
import { container, inputs, ofType, REMOTE_COMMAND } from "../support/graph";

const PASSWORD = "nas-test-password-do-not-leak";
let run: ProgramRun;

beforeAll(async () => {
    const options = programOptions({ storage: { type: "smb", server: "nas.lan", share: "data", username: "media", password: PASSWORD, options: "noserverino" } });
    run = await runProgram({ ...options, secretKeys: [...options.secretKeys, "homelab:storage"] });
}, 60_000);

function step(name: string) {
    const found = ofType(run, REMOTE_COMMAND).filter((r) => r.name === name);
    expect(found).toHaveLength(1);
    return found[0];
}

test("the mount step: a secret create carrying the credentials, a delete without them, triggers naming the share", () => {
    const mount = step("homelab-data-data-mount");
    expect(mount.parent).toMatch(/homelab:host:DataMount::homelab-data$/);
    expect(isSecretEnvelope(mount.serializedInputs.create)).toBe(true);
    expect(isSecretEnvelope(mount.serializedInputs.update)).toBe(true);
    const create = readableInputs(mount.serializedInputs.create, true) as string;
    expect(create).toMatch(/^bash -s -- create <<'HOMELAB_SCRIPT_EOF'\n/);
    expect(create).toContain(`export CREDENTIALS='username=media\npassword=${PASSWORD}\n'\n`);
    expect(create).toContain("export MOUNT_WHAT='//nas.lan/data'\nexport MOUNT_TYPE='cifs'\n");
    expect(create).toContain("export MOUNT_UNIT='srv-homelab-data.mount'\n");
    expect(JSON.stringify(mount.serializedInputs.delete)).not.toContain(PASSWORD);
    expect(mount.serializedInputs.triggers).toEqual(["/srv/homelab/data", "cifs", "//nas.lan/data",
        "vers=3,credentials=/etc/homelab/credentials/srv-homelab-data.smb,uid=1000,gid=1000,file_mode=0664,dir_mode=0775,nobrl,iocharset=utf8,noatime,_netdev,noserverino"]);
    expect(JSON.stringify(mount.serializedInputs.triggers)).not.toContain(PASSWORD);
});

test("the data tree (and its hardlink check) runs on the share after the mount; the apps after the tree", () => {
    const tree = step("homelab-host-data-tree");
    expect(tree.dependencies).toContain(step("homelab-data-data-mount").urn);
    const create = readableInputs(tree.serializedInputs.create, true) as string;
    expect(create).toContain("export STORAGE='smb'\nexport STORAGE_SOURCE='//nas.lan/data'\n");
    for (const id of ["qbittorrent", "sonarr", "jellyfin"]) {
        expect({ id, after: container(run, id).dependencies.includes(tree.urn) }).toEqual({ id, after: true });
    }
});

test("config volumes stay Docker volumes on the server; only the data root is the share", () => {
    const sonarr = inputs(container(run, "sonarr"));
    if (!sonarr.volumes) throw new Error("sonarr has no volumes");
    expect(sonarr.volumes.filter((v) => v.hostPath !== undefined).map((v) => v.hostPath)).toEqual(["/srv/homelab/data"]);
    expect(sonarr.volumes.find((v) => v.containerPath === "/config")?.volumeName).toBe("homelab-sonarr-config");
    expect(run.outputs.dataStorage).toBe("/srv/homelab/data mounted from //nas.lan/data (smb); app config volumes stay on the server's disk");
    expect(JSON.stringify(run.outputs)).not.toContain(PASSWORD);
});
