/**
 * The exact command strings HostHardening sends: taken from the program's `command:remote:Command`
 * resources under the mock engine when index.ts exists, otherwise rendered by `renderRemoteScript` with
 * the same kind of variables (until the program is written).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { HostScript, HostScriptVariables, renderRemoteScript } from "../../components/host-scripts";
import { HOST_IP, LAN_SUBNET, REPO } from "./host";

export type Commands = Record<HostScript, { create: string; delete: string }>;
export interface Scripts { source: "program" | "renderer"; commands: Commands; connection?: unknown }

export const SCRIPTS: HostScript[] = ["data-tree", "firewall", "fail2ban"];

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
    };
}

/** Variables used while index.ts does not exist (mirrors what HostHardening is expected to pass). */
export const FALLBACK_VARIABLES: { [S in HostScript]: HostScriptVariables[S] } = {
    "data-tree": { DATA_ROOT: "/srv/homelab/data", PUID: 1000, PGID: 1000, MEDIA_KINDS: "tv movies music books" },
    firewall: { SSH_PORT: 22, LAN_SUBNET, PUBLIC_PORTS: "80 443", LAN_APP_PORTS: "8096 8989 7878 8686 6767 9696 8080 5055", DOCKER_SUBNET: "172.30.0.0/24" },
    fail2ban: {
        SSH_PORT: 22,
        JAILS: [
            "homelab-sonarr|servarr|/srv/homelab/config/sonarr/logs/sonarr.txt",
            "homelab-radarr|servarr|/srv/homelab/config/radarr/logs/radarr.txt",
            "homelab-jellyfin|jellyfin|/srv/homelab/config/jellyfin/log/*.log",
            "homelab-qbittorrent|qbittorrent|/srv/homelab/config/qbittorrent/qBittorrent/logs/qbittorrent.log",
            "homelab-jellyseerr|jellyseerr|/srv/homelab/config/jellyseerr/logs/overseerr.log",
        ].join("\n"),
        BAN_TIME: "1h", FIND_TIME: "10m", MAX_RETRY: 3,
    },
};

export function renderAll(variables = FALLBACK_VARIABLES): Commands {
    const out = {} as Commands;
    for (const s of SCRIPTS) {
        out[s] = {
            create: renderRemoteScript(s, "create", variables[s] as never, { sudo: false }),
            delete: renderRemoteScript(s, "delete", variables[s] as never, { sudo: false }),
        };
    }
    return out;
}

export async function loadScripts(hostKey: string, privateKey: string): Promise<Scripts> {
    if (!fs.existsSync(path.join(REPO, "index.ts")) || process.env.HOMELAB_TEST_SCRIPTS === "renderer") {
        return { source: "renderer", commands: renderAll() };
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const engine = require("../../scripts/mock-engine") as typeof import("../../scripts/mock-engine");
    const result = await engine.runProgram({
        config: programConfig(hostKey, privateKey),
        secretKeys: ["homelab:sshPrivateKey", "homelab:wireguardPrivateKey"],
        preview: false,
    });
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
    return { source: "program", commands, connection };
}
