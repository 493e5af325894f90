/**
 * One host script run as a command resource on the Docker host, wherever that is: over SSH with the stack's
 * pinned host key (`homelab:host` set), or on this machine when the stack deploys to the local Docker engine.
 * For steps that only need the Docker CLI (the app steps beside the containers); HostHardening's steps need
 * the host itself and run over SSH only.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { HomelabConfig } from "./config";
import { sshConnection } from "./host-hardening";
import { HostScript, HostScriptVariables, renderRemoteScript } from "./host-scripts";

export function hostStep<S extends HostScript>(
    name: string,
    cfg: HomelabConfig,
    script: S,
    variables: HostScriptVariables[S],
    opts: pulumi.CustomResourceOptions & { triggers?: pulumi.Input<unknown[]> },
): command.remote.Command | command.local.Command {
    const { triggers, ...options } = opts;
    const sudo = cfg.target.kind === "ssh" && cfg.target.user !== "root";
    const create = renderRemoteScript(script, "create", variables, { sudo });
    const scripts = { create, update: create, delete: renderRemoteScript(script, "delete", variables, { sudo }), triggers };
    return cfg.target.kind === "ssh"
        ? new command.remote.Command(name, { connection: sshConnection(cfg.target), ...scripts }, options)
        : new command.local.Command(name, { ...scripts, interpreter: ["/bin/sh", "-c"] }, options);
}
