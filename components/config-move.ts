/**
 * ConfigMove: carries an app's config volume along when `homelab:placement` moves the app to another host
 * (components/host/config-move.sh, run on the deploying machine over SSH to the hosts). Declared for stacks
 * with `homelab:hosts` only; a single-host stack has nowhere to move to, and its graph stays as it was.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AppId } from "./catalog";
import { HomelabConfig } from "./config";
import { hostBashCommand } from "./docker-host";
import { renderRemoteScript } from "./host-scripts";
import { hostOf } from "./placement";

/** True when apps can move between hosts: `homelab:hosts` declares more than one. */
export function appsCanMove(cfg: HomelabConfig): boolean {
    return cfg.hosts.length > 1;
}

/**
 * The step that moves `volume` to the app's host before its container is created there. Only a change of the
 * app's host (its trigger) runs it again: an update of anything else does nothing.
 */
export function configMove(name: string, cfg: HomelabConfig, id: AppId, volume: docker.Volume, opts: pulumi.CustomResourceOptions): command.local.Command {
    const host = hostOf(cfg, id);
    const others = cfg.hosts.filter((h) => h !== host);
    const variables = pulumi.all([volume.name, hostBashCommand(cfg, host), ...others.map((h) => hostBashCommand(cfg, h))])
        .apply(([volumeName, target, ...shells]) => ({
            APP: id,
            VOLUME: volumeName,
            VOLUME_DIR: `${cfg.dockerRoot}/volumes/${volumeName}/_data`,
            TARGET: host.name,
            TARGET_SHELL: target,
            OTHERS: others.map((h, i) => `${h.name}=${shells[i]}`).join("\n"),
        }));
    // The container's options without what is the container's own (its engine, its former names).
    const { provider: _provider, aliases: _aliases, ...local } = opts;
    return new command.local.Command(`${name}-config-move`, {
        create: variables.apply((v) => renderRemoteScript("config-move", "create", v, { sudo: false })),
        update: `echo "homelab: ${id} stays on ${host.name}: nothing to move"`,
        delete: variables.apply((v) => renderRemoteScript("config-move", "delete", v, { sudo: false })),
        triggers: [host.name],
        interpreter: ["/bin/sh", "-c"],
    }, { ...local, dependsOn: [volume] });
}
