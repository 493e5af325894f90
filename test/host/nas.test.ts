/**
 * Issue 15: the data root on a NAS, on two real Debian 12 hosts (systemd, nested Docker engine): the server and
 * a second host standing for the NAS. This machine's kernel has no NFS or CIFS client, so the share is mounted
 * with sshfs over FUSE, through the same script and the same kind of unit the program installs for NFS and SMB
 * (components/host/data-mount.sh: a `fuse.sshfs` mount unit, the docker.service drop-in, the retry timer, the
 * immutable mountpoint). The NFS and SMB units the program renders are installed too and checked with
 * `systemd-analyze verify`; their mount fails here (no kernel client) and the deploy says so. Scripts run as
 * `remote.Command` sends them (the whole command string to bash); the data tree's and the NFS/SMB commands
 * are taken from the program under the mock engine. Own network and names: nas-*, 10.218.0.0/24.
 */
import { BRINGUP, BUSYBOX, must, run, Run } from "./host";
import { HomelabConfig, parseConfig } from "../../components/config";
import { mountUnitName, mountVariables } from "../../components/data-mount";
import { renderRemoteScript } from "../../components/host-scripts";
import { evaluateStatus, parseFacts, probeScript, StatusLine } from "../../scripts/status";
import type { ProgramRun } from "../../scripts/mock-engine";
import * as crypto from "crypto";

jest.setTimeout(180_000);

const NET = "nas-net";
const SUBNET = "10.218.0.0/24";
const SERVER = { name: "nas-server", ip: "10.218.0.10" };
const NAS = { name: "nas-nas", ip: "10.218.0.11" };
const DATA_ROOT = "/srv/homelab/data";
const UNIT = mountUnitName(DATA_ROOT);
const SHARE = `${NAS.ip}:/export/data`;
const OTHER_SHARE = `${NAS.ip}:/export/data2`;
const SMB_PASSWORD = "nas-smb-password-do-not-leak";
/**
 * sshfs standing for a hard NFS mount: the NAS's media user (uid 1000, like an NFS export mapped to PUID), the
 * server's pinned key (the user from root's ssh_config: sshfs has no option for it), and `reconnect` (a hard NFS mount resumes by itself when the NAS is back).
 */
const SSHFS_OPTIONS = ["_netdev", "allow_other", "IdentityFile=/root/.ssh/nas_key", "UserKnownHostsFile=/root/.ssh/nas_known_hosts",
    "StrictHostKeyChecking=yes", "BatchMode=yes", "ConnectTimeout=5", "ServerAliveInterval=5", "ServerAliveCountMax=2", "reconnect"];
/** A container that uses the data root, like qBittorrent: writes a heartbeat under torrents/ every second. */
const WRITER = "writer";

function on(host: { name: string }, script: string, input?: string): Run {
    return run("docker", ["exec", "-i", host.name, "bash", "-c", script], { input });
}
function mustOn(host: { name: string }, script: string, input?: string): string {
    const r = on(host, script, input);
    if (r.status !== 0) throw new Error(`on ${host.name}: ${script}\nexit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}
/** A command string exactly as `remote.Command` sends it: the SSH session runs it with bash -c. */
function send(command: string): Run {
    return on(SERVER, 'exec bash -c "$(cat)"', command);
}

function sshfsMount(action: "create" | "delete", what: string): string {
    return renderRemoteScript("data-mount", action, {
        ...mountVariables(DATA_ROOT, { what, type: "fuse.sshfs", options: SSHFS_OPTIONS }),
        MOUNT_TIMEOUT: 15,
        RETRY_INTERVAL: "10s",
    }, { sudo: false });
}

async function waitFor(what: string, check: () => boolean, seconds: number): Promise<void> {
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
        if (check()) return;
        await new Promise((r) => setTimeout(r, 2000));
    }
    throw new Error(`timed out after ${seconds} s waiting for: ${what}`);
}

function writerRunning(): boolean {
    return on(SERVER, `docker inspect -f '{{.State.Running}}' ${WRITER} 2>/dev/null`).stdout.trim() === "true";
}
function writerStartedAt(): number {
    return Date.parse(mustOn(SERVER, `docker inspect -f '{{.State.StartedAt}}' ${WRITER}`).trim()) / 1000;
}
/** Reboots the server (systemd gets SIGRTMIN+3, then boots again); returns the time it went down. */
function reboot(): number {
    const at = Date.now() / 1000;
    must("docker", ["restart", SERVER.name]);
    return at;
}
/** This boot's journal lines of these units as [unix time, message]. */
function journal(since: number, units: string[]): [number, string][] {
    const out = mustOn(SERVER, `journalctl -o short-unix --no-pager --since @${Math.floor(since)} ${units.map((u) => `-u '${u}'`).join(" ")}`);
    return out.split("\n").filter((l) => /^\d+\.\d+ /.test(l)).map((l) => [Number(l.split(" ")[0]), l.split(": ").slice(1).join(": ")]);
}
function firstAt(lines: [number, string][], pattern: RegExp): number | undefined {
    return lines.find(([, m]) => pattern.test(m))?.[0];
}

let nfsRun: ProgramRun;
let smbRun: ProgramRun;
let statusCfg: HomelabConfig;

function commandOf(programRun: ProgramRun, suffix: string): { create: string; delete: string } {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { readableInputs } = require("../../scripts/mock-engine") as typeof import("../../scripts/mock-engine");
    const found = programRun.resources.filter((r) => r.type === "command:remote:Command" && r.name.endsWith(suffix));
    expect(found).toHaveLength(1);
    const inputs = readableInputs(found[0].serializedInputs, true) as { create: string; delete: string };
    return { create: inputs.create, delete: inputs.delete };
}

function programConfig(storage: Record<string, unknown>, dataRoot: string): Record<string, unknown> {
    return {
        "homelab:host": SERVER.ip,
        "homelab:sshHostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINIkGIsefXZqW6E3vBEugIe6Sbo4NsBvoku7b0llCsx3",
        "homelab:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nnas-test\n-----END OPENSSH PRIVATE KEY-----\n",
        "homelab:wireguardPrivateKey": crypto.randomBytes(32).toString("base64"),
        "homelab:lanSubnet": "10.218.0.0/25",
        "homelab:domain": "media.test",
        "homelab:dataRoot": dataRoot,
        "homelab:storage": JSON.stringify(storage),
    };
}

function storageStatus(): StatusLine[] {
    const facts = parseFacts(send(probeScript(statusCfg)).stdout);
    return evaluateStatus(statusCfg, facts).filter((l) => l.section === "storage");
}

beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const engine = require("../../scripts/mock-engine") as typeof import("../../scripts/mock-engine");
    const nfs = { type: "nfs", server: NAS.ip, export: "/export/data" };
    nfsRun = await engine.runProgram({ config: programConfig(nfs, DATA_ROOT), secretKeys: ["homelab:sshPrivateKey", "homelab:wireguardPrivateKey"], preview: false, revealSecrets: true });
    const smb = { type: "smb", server: NAS.ip, share: "data", username: "media", password: SMB_PASSWORD };
    smbRun = await engine.runProgram({ config: programConfig(smb, "/srv/smbdata"), secretKeys: ["homelab:sshPrivateKey", "homelab:wireguardPrivateKey", "homelab:storage"], preview: false, revealSecrets: true });
    statusCfg = parseConfig({ host: SERVER.ip, sshHostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINIkGIsefXZqW6E3vBEugIe6Sbo4NsBvoku7b0llCsx3",
        sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n", wireguardPrivateKey: crypto.randomBytes(32).toString("base64"),
        lanSubnet: "10.218.0.0/25", dataRoot: DATA_ROOT, ipEchoUrl: `http://${NAS.ip}:9/ip`, storage: nfs, apps: { lidarr: false, bazarr: false, jellyseerr: false, flaresolverr: false } }, () => true);

    run("docker", ["rm", "-f", SERVER.name, NAS.name]);
    run("docker", ["network", "rm", NET]);
    must("docker", ["network", "create", "--subnet", SUBNET, NET]);
    must("bash", [BRINGUP, "up", SERVER.name, NET, SERVER.ip]);
    must("bash", [BRINGUP, "up", NAS.name, NET, NAS.ip]);
    must("bash", [BRINGUP, "busybox", BUSYBOX]);
    must("bash", ["-c", `docker save ${BUSYBOX} | docker exec -i ${SERVER.name} docker load`]);
    // The NAS: a media user (uid/gid 1000 = PUID/PGID) owning the exports; the server logs in with its own key.
    const serverKey = mustOn(SERVER, "install -d -m 700 /root/.ssh && ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/nas_key && cat /root/.ssh/nas_key.pub");
    const nasHostKey = mustOn(NAS, [
        "groupadd -g 1000 media && useradd -m -u 1000 -g 1000 media",
        "install -d -m 700 -o media -g media /home/media/.ssh && cat > /home/media/.ssh/authorized_keys && chown media:media /home/media/.ssh/authorized_keys",
        "install -d -o media -g media /export/data /export/data2 /export/other",
        "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub",
    ].join(" && "), serverKey);
    mustOn(SERVER, `echo '${NAS.ip} ${nasHostKey.trim()}' > /root/.ssh/nas_known_hosts && printf 'Host ${NAS.ip}\n    User media\n' > /root/.ssh/config`);
}, 600_000);

afterAll(() => {
    run("docker", ["rm", "-f", SERVER.name, NAS.name]);
    run("docker", ["network", "rm", NET]);
});

test("NAS up: the unit mounts the share, Docker requires it, the tree is made on the share as PUID:PGID and the hardlink check passes", () => {
    const mounted = send(sshfsMount("create", SHARE));
    expect(mounted.status).toBe(0);
    expect(mounted.stdout).toMatch(new RegExp(`${SHARE} mounted at ${DATA_ROOT} \\(${UNIT}\\); Docker requires it`));
    expect(mustOn(SERVER, `findmnt -n -o SOURCE,FSTYPE --mountpoint ${DATA_ROOT}`).trim().split(/\s+/)).toEqual([SHARE, "fuse.sshfs"]);
    expect(mustOn(SERVER, "systemctl show -p RequiresMountsFor -p After docker.service")).toContain(UNIT);
    expect(mustOn(SERVER, `systemctl is-enabled ${UNIT}`).trim()).toBe("enabled");
    // Idempotent: a second run changes nothing and keeps Docker up.
    expect(send(sshfsMount("create", SHARE)).stdout).not.toMatch(/stopping Docker/);

    const tree = send(commandOf(nfsRun, "-data-tree").create);
    expect(tree.stdout).toMatch(/data tree ready under \/srv\/homelab\/data .*hardlinks from torrents\/ to media\/ work/);
    expect(mustOn(NAS, "stat -c '%n %u:%g' /export/data/torrents/tv /export/data/media/movies").trim().split("\n"))
        .toEqual(["/export/data/torrents/tv 1000:1000", "/export/data/media/movies 1000:1000"]);
    expect(mustOn(NAS, "ls -A /export/data/torrents /export/data/media")).not.toContain(".homelab-hardlink-check");

    mustOn(SERVER, `docker run -d --name ${WRITER} --restart unless-stopped --user 1000:1000 -v ${DATA_ROOT}:/data ${BUSYBOX} sh -c 'while :; do date +%s >> /data/torrents/heartbeat; sleep 1; done'`);
    expect(storageStatus().map((l) => `${l.name} ${l.ok}`)).toEqual(["mount true", "free true", "hardlinks true"]);
});

test("NAS up at boot: the share is mounted, then Docker starts, then the container (journal timestamps)", async () => {
    const down = reboot();
    await waitFor("the writer container after the reboot", writerRunning, 120);
    const lines = journal(down, [UNIT, "docker.service"]);
    const mounted = firstAt(lines, /^Mounted srv-homelab-data\.mount/);
    const dockerStarting = firstAt(lines, /^Starting docker\.service/);
    expect(mounted).toBeDefined();
    expect(dockerStarting).toBeDefined();
    expect(mounted!).toBeLessThan(dockerStarting!);
    expect(dockerStarting!).toBeLessThan(writerStartedAt());
});

test("NAS down at boot: Docker and the container stay down, nothing is written under the mountpoint; NAS back: all come up without a person", async () => {
    must("docker", ["stop", NAS.name]);
    const down = reboot();
    await waitFor("a failed mount attempt", () => journal(down, [UNIT]).some(([, m]) => /Failed to mount|failed/i.test(m)), 90);
    await new Promise((r) => setTimeout(r, 12_000)); // at least one retry of the timer
    expect(on(SERVER, "systemctl is-active docker.service").stdout.trim()).not.toBe("active");
    expect(journal(down, ["docker.service"]).some(([, m]) => /^Started docker\.service/.test(m))).toBe(false);
    expect(journal(down, ["docker.service"]).some(([, m]) => /Dependency failed/.test(m))).toBe(true);
    expect(on(SERVER, `findmnt -n --mountpoint ${DATA_ROOT}`).stdout).toBe("");
    expect(mustOn(SERVER, `ls -A ${DATA_ROOT} | wc -l`).trim()).toBe("0");
    const write = on(SERVER, `touch ${DATA_ROOT}/intruder; mkdir ${DATA_ROOT}/torrents`);
    expect(write.status).not.toBe(0);
    expect(write.stderr).toMatch(/Operation not permitted/);
    expect(mustOn(SERVER, `lsattr -d ${DATA_ROOT}`)).toMatch(/^-*i/);

    const back = Date.now() / 1000;
    must("docker", ["start", NAS.name]);
    await waitFor("mount and writer after the NAS came back", writerRunning, 150);
    expect(writerStartedAt()).toBeGreaterThan(back);
    expect(mustOn(SERVER, `findmnt -n -o SOURCE --mountpoint ${DATA_ROOT}`).trim()).toBe(SHARE);
    const before = Number(mustOn(NAS, "tail -n 1 /export/data/torrents/heartbeat"));
    await new Promise((r) => setTimeout(r, 3000));
    expect(Number(mustOn(NAS, "tail -n 1 /export/data/torrents/heartbeat"))).toBeGreaterThan(before);
});

test("NAS lost while running: writes fail instead of landing on the local disk, and status says the share does not answer", async () => {
    must("docker", ["stop", NAS.name]);
    const write = on(SERVER, `timeout 60 sh -c 'echo lost > ${DATA_ROOT}/torrents/lost.txt'`);
    expect(write.status).not.toBe(0);
    // The folder under the mount, seen through a bind of / without its submounts: still empty.
    expect(mustOn(SERVER, `mkdir -p /mnt/under && mount --bind / /mnt/under && ls -A /mnt/under${DATA_ROOT} | wc -l; umount /mnt/under`).trim()).toBe("0");
    const lost = storageStatus();
    expect(lost.map((l) => l.name)).toEqual(["mount"]);
    expect(lost[0].ok).toBe(false);
    expect(lost[0].text).toMatch(new RegExp(`^${DATA_ROOT} from ${SHARE}: ${SHARE} does not answer`));

    must("docker", ["start", NAS.name]);
    await waitFor("the share answering again", () => on(SERVER, `timeout 10 stat ${DATA_ROOT}/torrents`).status === 0, 90);
    expect(storageStatus().every((l) => l.ok)).toBe(true);
});

test("the hardlink check fails clearly when torrents/ and media/ are on two filesystems (two exports)", () => {
    mustOn(SERVER, `sshfs -o ${SSHFS_OPTIONS.filter((o) => o !== "_netdev").join(",")} ${NAS.ip}:/export/other ${DATA_ROOT}/media`);
    try {
        const tree = send(commandOf(nfsRun, "-data-tree").create);
        expect(tree.status).not.toBe(0);
        expect(tree.stderr).toMatch(/hardlink check \(torrents\/ and media\/ are on different filesystems, imports would be full copies: torrents\/ and media\/ must be on ONE export and dataset of the NAS/);
        const status = storageStatus();
        expect(status.find((l) => l.name === "hardlinks")).toMatchObject({ ok: false, text: expect.stringMatching(/not on one filesystem/) });
    } finally {
        mustOn(SERVER, `fusermount3 -u ${DATA_ROOT}/media || umount -l ${DATA_ROOT}/media`);
    }
});

test("another share: the apps stop, the unit changes, the apps start; the old delete leaves it alone; delete gives the folder back", () => {
    const before = writerStartedAt();
    const swapped = send(sshfsMount("create", OTHER_SHARE));
    expect(swapped.status).toBe(0);
    expect(swapped.stdout).toMatch(/stopping Docker \(the apps stop\)[\s\S]*Docker started again \(the apps start\)/);
    expect(mustOn(SERVER, `findmnt -n -o SOURCE --mountpoint ${DATA_ROOT}`).trim()).toBe(OTHER_SHARE);
    expect(mustOn(SERVER, `grep '^What=' /etc/systemd/system/${UNIT}`).trim()).toBe(`What=${OTHER_SHARE}`);
    expect(writerRunning()).toBe(true);
    expect(writerStartedAt()).toBeGreaterThan(before);

    expect(send(sshfsMount("delete", SHARE)).stdout).toMatch(/no longer mounts .* \(replaced\); left in place/);
    expect(mustOn(SERVER, `findmnt -n -o SOURCE --mountpoint ${DATA_ROOT}`).trim()).toBe(OTHER_SHARE);

    const removed = send(sshfsMount("delete", OTHER_SHARE));
    expect(removed.status).toBe(0);
    expect(on(SERVER, `findmnt -n --mountpoint ${DATA_ROOT}`).stdout).toBe("");
    expect(on(SERVER, `ls /etc/systemd/system/${UNIT} /etc/systemd/system/docker.service.d/homelab-*.conf 2>/dev/null`).stdout).toBe("");
    expect(mustOn(SERVER, `lsattr -d ${DATA_ROOT}`)).not.toMatch(/^-*i/);
    expect(mustOn(SERVER, "systemctl is-active docker.service").trim()).toBe("active");
});

test("the program's SMB and NFS units pass systemd-analyze verify; the SMB password is only in the mode-600 credentials file", async () => {
    const smb = commandOf(smbRun, "-data-mount");
    expect(smb.delete).not.toContain(SMB_PASSWORD);
    // Every process's command line, sampled while the create runs.
    mustOn(SERVER, "(while :; do ps -eo args; sleep 0.05; done) > /root/ps.log 2>&1 & echo $! > /root/ps.pid");
    const created = send(smb.create);
    mustOn(SERVER, "kill $(cat /root/ps.pid)");
    // No CIFS client in this kernel: the deploy stops, naming the share.
    expect(created.status).not.toBe(0);
    expect(created.stderr).toMatch(new RegExp(`mounting //${NAS.ip}/data at /srv/smbdata failed`));
    expect(mustOn(SERVER, "stat -c '%a %U:%G' /etc/homelab/credentials/srv-smbdata.smb /etc/homelab/credentials").trim().split("\n"))
        .toEqual(["600 root:root", "700 root:root"]);
    expect(mustOn(SERVER, "cat /etc/homelab/credentials/srv-smbdata.smb")).toBe(`username=media\npassword=${SMB_PASSWORD}\n`);
    const unit = mustOn(SERVER, "cat /etc/systemd/system/srv-smbdata.mount");
    expect(unit).toMatch(/^Options=vers=3,credentials=\/etc\/homelab\/credentials\/srv-smbdata\.smb,uid=1000,gid=1000,file_mode=0664,dir_mode=0775,nobrl,/m);
    expect(mustOn(SERVER, "grep -c ps /root/ps.log").trim()).not.toBe("0");
    for (const where of ["grep -rl -- 'PASSWORD' /etc/systemd /run/systemd 2>/dev/null; true", "cat /root/ps.log", "journalctl --no-pager -b"]) {
        expect(mustOn(SERVER, where.replace("PASSWORD", SMB_PASSWORD))).not.toContain(SMB_PASSWORD);
    }

    const nfs = commandOf(nfsRun, "-data-mount");
    // Media left in the local folder (a server moving to a NAS): a share is never mounted over it.
    mustOn(SERVER, `docker rm -f ${WRITER} >/dev/null && mkdir -p ${DATA_ROOT}/media && echo film > ${DATA_ROOT}/media/old.mkv`);
    const refused = send(nfs.create);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(new RegExp(`${DATA_ROOT} on the server's disk is not empty: move its content onto the NAS share ${SHARE} first`));
    expect(mustOn(SERVER, "systemctl is-active docker.service").trim()).toBe("active");
    mustOn(SERVER, `rm -rf ${DATA_ROOT}/media`);
    // The NFS unit of the same data root the sshfs tests used: written, then refused by the kernel.
    const nfsCreated = send(nfs.create);
    expect(nfsCreated.status).not.toBe(0);
    expect(nfsCreated.stderr).toMatch(new RegExp(`mounting ${SHARE} at ${DATA_ROOT} failed`));
    expect(mustOn(SERVER, `grep -E '^(What|Type|Options)=' /etc/systemd/system/${UNIT}`).trim().split("\n")).toEqual([
        `What=${SHARE}`, "Type=nfs", "Options=vers=4.2,hard,proto=tcp,timeo=600,retrans=2,noatime,_netdev"]);
    const verify = on(SERVER, `systemd-analyze verify /etc/systemd/system/srv-smbdata.mount /etc/systemd/system/${UNIT} /etc/systemd/system/homelab-remount-*.service /etc/systemd/system/homelab-remount-*.timer`);
    expect({ status: verify.status, out: verify.stdout + verify.stderr }).toEqual({ status: 0, out: "" });

    expect(send(smb.delete).status).toBe(0);
    expect(send(nfs.delete).status).toBe(0);
    expect(on(SERVER, "ls /etc/homelab/credentials/ /etc/systemd/system/*.mount 2>/dev/null").stdout.trim()).toBe("/etc/homelab/credentials/:");
    expect(mustOn(SERVER, "systemctl is-active docker.service").trim()).toBe("active");
});
