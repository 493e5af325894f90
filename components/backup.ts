/**
 * Backup: restic and the `homelab-backup` systemd timer on the host, backing up every app volume (caches,
 * logs and transcodes left out; SQLite databases through SQLite's online backup) on a schedule to the
 * configured repository, with retention. The repository password is generated here and kept as a secret.
 */
import * as fs from "fs";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BackupSettings, HomelabConfig } from "./config";
import { SshTarget, sshConnection } from "./host-hardening";
import { BACKUP_RUNNER, HostScriptVariables, hostScriptPath, renderRemoteScript, renderStdinScript } from "./host-scripts";

export interface BackupArgs {
    cfg: HomelabConfig;
    target: SshTarget;
    settings: BackupSettings;
}

/** The backup step's variables, without the password (create adds it). */
export function backupVariables(cfg: HomelabConfig, settings: BackupSettings): HostScriptVariables["backup"] {
    return {
        REPOSITORY: settings.repository,
        SCHEDULE: settings.schedule,
        KEEP_DAILY: settings.keep.daily,
        KEEP_WEEKLY: settings.keep.weekly,
        KEEP_MONTHLY: settings.keep.monthly,
        DOCKER_ROOT: cfg.dockerRoot,
        RUNNER: fs.readFileSync(hostScriptPath(BACKUP_RUNNER), "utf8"),
    };
}

export class Backup extends pulumi.ComponentResource {
    /** The restic repository password (secret): needed to read the backups without the server. */
    public readonly password: pulumi.Output<string>;
    public readonly timer: command.remote.Command;

    constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:host:Backup", name, {}, opts);
        const { cfg, target, settings } = args;
        const sudo = target.user !== "root";
        const generated = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
        this.password = pulumi.secret(generated.result);
        const variables = backupVariables(cfg, settings);
        // The password travels with the script on the SSH session's stdin (a secret input), never in the command
        // string, which sshd runs as `$SHELL -c <command>` (visible in the process list while the step runs).
        const create = renderStdinScript("backup", "create", variables, { sudo }).command;
        const stdin = pulumi.secret(this.password.apply((password) => renderStdinScript("backup", "create", { ...variables, PASSWORD: password }, { sudo }).stdin));
        this.timer = new command.remote.Command(`${name}-backup`, {
            connection: sshConnection(target),
            create,
            update: create,
            stdin,
            delete: renderRemoteScript("backup", "delete", variables, { sudo }),
        }, { parent: this, deleteBeforeReplace: true });

        this.registerOutputs({ password: this.password, timer: this.timer });
    }
}
