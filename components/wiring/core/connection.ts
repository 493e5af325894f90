/** The program's deploy target as the wiring's AppConnection. */
import * as pulumi from "@pulumi/pulumi";
import { HomelabConfig } from "../../config";
import { AppConnection } from "./types";

/**
 * How the wiring reaches the Docker host: directly in local mode, otherwise through SSH with the same user,
 * key and pinned host key as the remote commands. The private key stays a secret.
 */
export function appConnection(cfg: Pick<HomelabConfig, "target">): pulumi.Output<AppConnection> {
    const target = cfg.target;
    if (target.kind === "local") return pulumi.output<AppConnection>({ kind: "local" });
    return pulumi.secret(target.privateKey).apply((privateKey): AppConnection => ({
        kind: "ssh",
        host: target.host,
        port: target.port,
        user: target.user,
        hostKey: target.hostKey,
        privateKey,
    }));
}
