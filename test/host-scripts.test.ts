/**
 * Secrets of the host scripts (the restic password, the SMB credentials, the alert channels' tokens) never go
 * into a command string: sshd runs it as `$SHELL -c <command>`, in every process list while the step runs.
 */
import { renderRemoteScript, renderStdinScript, SECRET_VARIABLES } from "../components/host-scripts";

const BACKUP = { REPOSITORY: "/mnt/usb/homelab", SCHEDULE: "daily", KEEP_DAILY: 7, KEEP_WEEKLY: 4, KEEP_MONTHLY: 0, DOCKER_ROOT: "/var/lib/docker", RUNNER: "#!/bin/sh\n" };
const MOUNT = { DATA_ROOT: "/srv/homelab/data", MOUNT_UNIT: "srv-homelab-data.mount", MOUNT_WHAT: "//nas.lan/data", MOUNT_TYPE: "cifs", MOUNT_OPTIONS: "vers=3", CREDENTIALS_FILE: "/etc/homelab/credentials/srv-homelab-data.smb" };
const SECRET = "restic-password-do-not-leak";

test("a secret variable on stdin: the command is only `bash -s -- <action>`", () => {
    const step = renderStdinScript("backup", "create", { ...BACKUP, PASSWORD: SECRET }, { sudo: true });
    expect(step.command).toBe("sudo -n bash -s -- create");
    expect(step.stdin).toContain(`export PASSWORD='${SECRET}'\n`);
});

test.each([
    ["backup", "PASSWORD"],
    ["data-mount", "CREDENTIALS"],
] as const)("%s: %s in a command string is refused, naming the variable", (script, name) => {
    expect(SECRET_VARIABLES[script]).toContain(name);
    const variables = script === "backup" ? { ...BACKUP, PASSWORD: SECRET } : { ...MOUNT, CREDENTIALS: `username=media\npassword=${SECRET}\n` };
    expect(() => renderRemoteScript(script, "create", variables as never, { sudo: false }))
        .toThrow(`${script}.sh: ${name} must travel on stdin (renderStdinScript), never in a command string`);
});

test("the same scripts without their secret (delete) still render as one command string", () => {
    expect(renderRemoteScript("backup", "delete", BACKUP, { sudo: false })).toMatch(/^bash -s -- delete <<'HOMELAB_SCRIPT_EOF'\n/);
    expect(renderRemoteScript("data-mount", "delete", MOUNT, { sudo: false })).not.toContain("CREDENTIALS=");
});
