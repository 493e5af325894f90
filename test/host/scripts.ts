/**
 * The exact command strings HostHardening sends: taken from the program's `command:remote:Command`
 * resources under the mock engine, never rewritten here.
 */
import * as crypto from "crypto";
import { HostScript } from "../../components/host-scripts";
import type { ProgramRun } from "../../scripts/mock-engine";
import { HOST_IP, LAN_SUBNET } from "./host";

export type Commands = Record<HostScript, { create: string; delete: string }>;
export interface Scripts { commands: Commands; connection?: unknown }

export const SCRIPTS: HostScript[] = ["data-tree", "firewall", "fail2ban", "vpn-recovery"];

export function programConfig(hostKey: string, privateKey: string): Record<string, unknown> {
    return {
        "homelab:host": HOST_IP,
        "homelab:sshPort": 22,
        "homelab:sshUser": "root",
        "homelab:sshHostKey": hostKey,
        "homelab:sshPrivateKey": privateKey,
        "homelab:puid": 1000,
        "homelab:pgid": 1000,
        "homelab:dataRoot": "/srv/homelab/data",
        "homelab:lanSubnet": LAN_SUBNET,
        "homelab:lanBindAddress": HOST_IP,
        "homelab:domain": "media.test",
        "homelab:acmeEmail": "admin@media.test",
        "homelab:wireguardPrivateKey": crypto.randomBytes(32).toString("base64"),
        "homelab:vpnPortForwarding": true,
    };
}

/** The program under the mock engine (not a preview: ids known), stack outputs with secrets revealed. */
export async function runTheProgram(hostKey: string, privateKey: string): Promise<ProgramRun> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const engine = require("../../scripts/mock-engine") as typeof import("../../scripts/mock-engine");
    return engine.runProgram({
        config: programConfig(hostKey, privateKey),
        secretKeys: ["homelab:sshPrivateKey", "homelab:wireguardPrivateKey"],
        preview: false,
        revealSecrets: true,
    });
}

export async function loadScripts(hostKey: string, privateKey: string, run?: ProgramRun): Promise<Scripts> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const engine = require("../../scripts/mock-engine") as typeof import("../../scripts/mock-engine");
    const result = run ?? await runTheProgram(hostKey, privateKey);
    const commands = {} as Commands;
    let connection: unknown;
    for (const s of SCRIPTS) {
        const found = result.resources.filter((r) => r.type === "command:remote:Command" && r.name.endsWith(`-${s}`));
        if (found.length !== 1) throw new Error(`expected one command:remote:Command named *-${s}, found ${found.length}`);
        const inputs = engine.readableInputs(found[0].serializedInputs, true) as Record<string, unknown>;
        if (typeof inputs.create !== "string" || typeof inputs.delete !== "string") {
            throw new Error(`*-${s}: create/delete are not plain strings: ${JSON.stringify({ create: inputs.create, delete: inputs.delete }).slice(0, 300)}`);
        }
        commands[s] = { create: inputs.create, delete: inputs.delete };
        connection = inputs.connection;
    }
    return { commands, connection };
}
