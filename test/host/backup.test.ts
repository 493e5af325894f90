/**
 * Issue 9: backups proven on a real Debian 12 host. The program's `homelab-backup` step (taken from the
 * program under the mock engine) runs over SSH; an app volume with a SQLite database that is written while
 * the backup runs is backed up by the real systemd service, destroyed, and put back with `npm run restore`
 * (the real CLI, reading a stack file and the deploy key the way the program leaves them); retention, the
 * timer after a reboot, and every kind of bad input are checked. Its own host, network and names
 * (homelab-daytwo-*, 10.214.7.0/24), so it can run beside the hardening suite.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { BRINGUP, BUSYBOX, REPO, Run, must, run, userMachine } from "./host";

jest.setTimeout(120_000);

const HOST = "homelab-daytwo-host";
const NET = "homelab-daytwo-net";
const SUBNET = "10.214.7.0/24";
const HOST_IP = "10.214.7.10";
const NOBODY_IP = "10.214.7.99";
const STACK = "daytwo";
const REPOSITORY = "/srv/backup/restic";
const VOLUME = "homelab-sonarr-config";
const DATA = `/var/lib/docker/volumes/${VOLUME}/_data`;
const APP = "sonarr";

let home: string;
let stackFile: string;
let hostKey: string;
/** The create step as remote.Command runs it: the command string, and the script with the password on stdin. */
let create: { command: string; stdin: string };
let remove: string;
const timings: Record<string, number> = {};

function onHost(script: string): Run {
    return run("docker", ["exec", "-i", HOST, "bash", "-c", script]);
}
function mustOnHost(script: string): string {
    const r = onHost(script);
    if (r.status !== 0) throw new Error(`on host: ${script}\nexit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}
function overSsh(command: string | { command: string; stdin: string }): Run {
    const files = path.join(home, ".ssh", "homelab-media");
    const step = typeof command === "string" ? { command, stdin: "" } : command;
    return run("ssh", ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${files}/${STACK}.known_hosts`, "-o", "BatchMode=yes",
        "-o", "IdentitiesOnly=yes", "-i", `${files}/${STACK}.key`, `root@${HOST_IP}`, step.command], { env: { ...process.env, HOME: home }, input: step.stdin });
}

/** The stack's config as Pulumi.<stack>.yaml holds it (secrets as `secure:` values the CLI cannot read offline). */
function stackConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        "homelab:host": HOST_IP,
        "homelab:sshHostKey": hostKey,
        "homelab:sshPrivateKey": { secure: "v1:PLACEHOLDER" },
        "homelab:wireguardPrivateKey": { secure: "v1:PLACEHOLDER" },
        "homelab:lanSubnet": "10.214.7.0/25",
        "homelab:lanBindAddress": HOST_IP,
        "homelab:domain": "media.test",
        "homelab:backup": { repository: REPOSITORY, keep: { daily: 7, weekly: 4 } },
        ...overrides,
    };
}

function writeStackFile(file: string, overrides: Record<string, unknown> = {}): string {
    fs.writeFileSync(file, toYaml({ config: stackConfig(overrides) }));
    return file;
}

/** `npm run restore` as a user runs it: the CLI, their HOME (deploy key and known_hosts), the stack file. */
function restore(args: string[], file = stackFile): Run {
    return run(process.execPath, ["-r", path.join(REPO, "scripts", "register-ts.js"), path.join(REPO, "scripts", "restore.ts"),
        ...args, "--stack", STACK, "--stack-file", file], { env: { ...process.env, HOME: home }, timeoutMs: 110_000 });
}

/** `npm run status -- --json`: only its backup lines matter on this host (no media stack runs here). */
function backupStatus(): string[] {
    const r = run(process.execPath, ["-r", path.join(REPO, "scripts", "register-ts.js"), path.join(REPO, "scripts", "status.ts"), "--json",
        "--stack", STACK, "--stack-file", stackFile], { env: { ...process.env, HOME: home }, timeoutMs: 110_000 });
    expect([r.status, r.stderr]).toEqual([1, ""]);
    const report = JSON.parse(r.stdout) as { lines: { section: string; name: string; ok: boolean; text: string }[] };
    return report.lines.filter((l) => l.section === "backups").map((l) => `${l.ok ? "ok" : "BAD"} ${l.name}: ${l.text}`);
}

/** What the restore must not change when it refuses: the app's container start and the volume's content. */
function appState(): string {
    return mustOnHost(`docker inspect -f '{{.State.Running}} {{.State.StartedAt}}' ${APP}; cd ${DATA} && find . -printf '%p %U:%G %m %s\\n' | sort`);
}

function sql(query: string): string {
    return mustOnHost(`sqlite3 ${DATA}/sonarr.db "${query}"`).trim();
}

function startedAt(): string {
    return mustOnHost(`docker inspect -f '{{.State.StartedAt}}' ${APP}`).trim();
}

/** The programs' command strings for the backup step, from the program itself under the mock engine. */
async function programCommands(): Promise<{ create: { command: string; stdin: string }; delete: string }> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const engine = require("../../scripts/mock-engine") as typeof import("../../scripts/mock-engine");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const plan = require("../../scripts/plan") as typeof import("../../scripts/plan");
    const { config, secretKeys } = plan.readStackConfig(stackFile);
    const result = await engine.runProgram({ config, secretKeys, preview: false, stack: STACK });
    const steps = result.resources.filter((r) => r.type === "command:remote:Command" && r.name === "homelab-backup-backup");
    if (steps.length !== 1) throw new Error(`expected one homelab-backup-backup command, found ${steps.length}`);
    const inputs = engine.readableInputs(steps[0].serializedInputs, true) as { create: string; stdin: string; delete: string };
    return { create: { command: inputs.create, stdin: inputs.stdin }, delete: inputs.delete };
}

/** The app's container: its config volume at /config, as uid 1000, stopping at once on SIGTERM like an app. */
const APP_CONTAINER = `docker run -d --name ${APP} --user 1000:1000 -v ${VOLUME}:/config ${BUSYBOX} sh -c 'trap "exit 0" TERM; while :; do sleep 1; done' >/dev/null`;

/** An app's first start: its config volume (labelled as the program labels it) filled by the app as 1000:1000. */
function startApp(): void {
    mustOnHost(`set -e
        docker volume create --label homelab.app=${APP} ${VOLUME} >/dev/null
        docker volume create --label homelab.app=jellyfin homelab-jellyfin-cache >/dev/null
        echo transcode > /var/lib/docker/volumes/homelab-jellyfin-cache/_data/segment.ts
        cd ${DATA}
        install -d -o 1000 -g 1000 logs MediaCover/1 Backups
        echo '<Config><ApiKey>0123456789abcdef</ApiKey></Config>' > config.xml
        echo 'log line' > logs/sonarr.txt; head -c 4096 /dev/urandom > MediaCover/1/poster.jpg
        sqlite3 logs.db "CREATE TABLE logs(m TEXT); INSERT INTO logs VALUES ('x');"
        sqlite3 sonarr.db "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);" >/dev/null
        for i in $(seq 1 200); do echo "INSERT INTO t(v) VALUES (hex(randomblob(1000)));"; done | sqlite3 sonarr.db
        chown -R 1000:1000 .
        ${APP_CONTAINER}`);
}

/**
 * Sonarr keeps writing its database: one row per transaction until /tmp/stop-writer exists. (From the host,
 * as root: Docker's volume folder is root-only, and the test image has no sqlite3 for a container.)
 */
function startWriter(): void {
    mustOnHost(`rm -f /tmp/stop-writer; nohup bash -c '
        while [ ! -e /tmp/stop-writer ]; do
            for i in $(seq 1 50); do echo "BEGIN; INSERT INTO t(v) VALUES (hex(randomblob(3000))); COMMIT;"; done |
                sqlite3 -cmd ".timeout 10000" ${DATA}/sonarr.db || exit 1
        done; echo done > /tmp/writer-done' >/tmp/writer.log 2>&1 &`);
}

async function stopWriter(): Promise<void> {
    mustOnHost("touch /tmp/stop-writer");
    const end = Date.now() + 30_000;
    while (Date.now() < end && onHost("test -e /tmp/writer-done").status !== 0) await new Promise((r) => setTimeout(r, 200));
    expect(mustOnHost("cat /tmp/writer-done /tmp/writer.log")).toBe("done\n");
}

function restic(args: string): string {
    return mustOnHost(`set -a; . /etc/homelab/backup.env; set +a; restic ${args}`);
}

/** The snapshot's files relative to the volume and the staging folder. */
function snapshotFiles(id: string): string[] {
    return restic(`ls ${id}`).split("\n").filter((l) => l.startsWith("/"))
        .map((l) => l.replace(`${DATA}`, "DATA").replace(`/var/lib/homelab/backup-staging/${VOLUME}`, "STAGE"))
        .filter((l) => l.startsWith("DATA/") || l.startsWith("STAGE/")).sort();
}

function runService(): string {
    const r = onHost("systemctl start homelab-backup.service; echo result=$(systemctl show -p Result --value homelab-backup.service)");
    const journal = mustOnHost("journalctl -u homelab-backup.service -o cat --no-pager -n 30");
    expect([r.stdout.trim(), journal]).toEqual(["result=success", expect.any(String)]);
    return journal;
}

function latestSnapshot(): { id: string; time: string } {
    const list = JSON.parse(restic(`snapshots --json --tag volume=${VOLUME}`)) as { short_id: string; time: string }[];
    const last = list.sort((a, b) => a.time.localeCompare(b.time)).pop()!;
    return { id: last.short_id, time: last.time };
}

let rowsBefore: number;
let rowsAfter: number;
let firstSnapshot: string;

beforeAll(async () => {
    const start = Date.now();
    must("bash", [BRINGUP, "image"], { timeoutMs: 480_000 });
    must("bash", [BRINGUP, "busybox", BUSYBOX]);
    run("docker", ["rm", "-f", HOST]);
    run("docker", ["network", "rm", NET]);
    must("docker", ["network", "create", "--subnet", SUBNET, NET]);
    must("bash", [BRINGUP, "up", HOST, NET, HOST_IP]);
    timings["host up"] = (Date.now() - start) / 1000;
    ({ home, hostKey } = userMachine(HOST, STACK, "homelab-daytwo-home-"));
    stackFile = writeStackFile(path.join(home, `Pulumi.${STACK}.yaml`));
    const commands = await programCommands();
    create = commands.create;
    remove = commands.delete;
    fs.writeFileSync(path.join(home, ".ssh", "homelab-media", `${STACK}.known_hosts`), `${HOST_IP} ${hostKey}\n`, { mode: 0o600 });
    must("bash", ["-c", `docker save ${BUSYBOX} | docker exec -i ${HOST} docker load -q`]);
    timings["bring-up total"] = (Date.now() - start) / 1000;
}, 600_000);

afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(`backup suite timings (s): ${JSON.stringify(timings)}`);
    if (process.env.HOMELAB_TEST_KEEP) return;
    run("docker", ["rm", "-f", HOST]);
    run("docker", ["network", "rm", NET]);
    if (home) fs.rmSync(home, { recursive: true, force: true });
});

test("shellcheck passes on the backup step and its runner", () => {
    const files = ["backup.sh", "homelab-backup.sh"].map((f) => path.join(REPO, "components", "host", f));
    const r = run("shellcheck", ["-x", "-s", "bash", ...files]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
});

test("create over SSH: restic repository initialised, settings private, timer enabled and waiting; the password in no process list", () => {
    expect(create.stdin).toContain(`export REPOSITORY='${REPOSITORY}'`);
    const password = /^export PASSWORD='([^']+)'$/m.exec(create.stdin)?.[1] ?? "";
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(create.command).not.toContain(password);
    // Every process's command line, sampled while the step runs (sshd runs the command string as `bash -c <command>`).
    mustOnHost("(while :; do ps -eo args; sleep 0.05; done) > /root/ps.log 2>&1 & echo $! > /root/ps.pid");
    const r = overSsh(create);
    mustOnHost("kill $(cat /root/ps.pid)");
    expect(mustOnHost("grep -c 'bash -s -- create' /root/ps.log").trim()).not.toBe("0");
    expect(mustOnHost("cat /root/ps.log")).not.toContain(password);
    expect(mustOnHost("cat /etc/homelab/backup.password")).toBe(`${password}\n`);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toContain(`homelab: initialised the backup repository ${REPOSITORY}`);
    expect(r.stdout).toContain(`homelab: backups to ${REPOSITORY} scheduled (daily) on ${HOST}`);
    expect(mustOnHost("stat -c '%n %U %a' /etc/homelab /etc/homelab/backup.env /etc/homelab/backup.password /usr/local/sbin/homelab-backup")).toBe(
        "/etc/homelab root 700\n/etc/homelab/backup.env root 600\n/etc/homelab/backup.password root 600\n/usr/local/sbin/homelab-backup root 755\n");
    expect(mustOnHost("systemctl is-enabled homelab-backup.timer; systemctl is-active homelab-backup.timer")).toBe("enabled\nactive\n");
    expect(mustOnHost("systemctl show -p TimersCalendar --value homelab-backup.timer")).toMatch(/OnCalendar=\*-\*-\* 00:00:00/);
    expect(mustOnHost(`test -f ${REPOSITORY}/config && echo repo`)).toBe("repo\n");
});

test("a second create changes nothing", () => {
    const state = () => mustOnHost("sha256sum /etc/homelab/* /usr/local/sbin/homelab-backup /etc/systemd/system/homelab-backup.*; ls /srv/backup/restic/keys; systemctl show -p ActiveEnterTimestamp homelab-backup.timer");
    const before = state();
    const r = overSsh(create);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).not.toContain("initialised");
    expect(state()).toEqual(before);
});

test("the service backs up the app's volume while its SQLite database is being written; caches and logs stay out", async () => {
    startApp();
    rowsBefore = Number(sql("SELECT count(*) FROM t"));
    startWriter();
    await new Promise((r) => setTimeout(r, 1500));
    const start = Date.now();
    const journal = runService();
    timings["backup run"] = (Date.now() - start) / 1000;
    await stopWriter();
    rowsAfter = Number(sql("SELECT count(*) FROM t"));
    expect(rowsAfter).toBeGreaterThan(rowsBefore + 50); // the writer really wrote during the backup
    expect(journal).toContain(`homelab: backed up ${VOLUME} (${APP})`);
    expect(journal).toMatch(/homelab: backup done: 1 volumes to \/srv\/backup\/restic/);
    expect(journal).not.toContain("jellyfin-cache");
    firstSnapshot = latestSnapshot().id;
    const files = snapshotFiles(firstSnapshot);
    expect(files).toEqual(expect.arrayContaining(["DATA/config.xml", "DATA/Backups", "STAGE/sonarr.db"]));
    // The live database (and its WAL) never, logs and caches never.
    expect(files.filter((f) => /sonarr\.db|logs|MediaCover/.test(f) && f !== "STAGE/sonarr.db")).toEqual([]);
    expect(mustOnHost("cat /var/lib/homelab/backup.last")).toMatch(/^last_success=\d+\nvolumes=1\n$/);
    expect(onHost("ls /var/lib/homelab/backup-staging").stdout.trim()).toBe("");
});

test("volume wiped while the app runs: restore stops it, puts the data back intact, starts it again", () => {
    const configBefore = mustOnHost(`sha256sum ${DATA}/config.xml`);
    const started = startedAt();
    mustOnHost(`find ${DATA} -mindepth 1 -delete`);
    const start = Date.now();
    const r = restore([APP]);
    timings["restore"] = (Date.now() - start) / 1000;
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.trim().split("\n")).toEqual([`homelab: stopped ${APP}`, `homelab: restored ${VOLUME} from snapshot latest`, `homelab: started ${APP}`]);
    expect(mustOnHost(`docker inspect -f '{{.State.Running}}' ${APP}`).trim()).toBe("true");
    expect(startedAt()).not.toBe(started);
    expect(mustOnHost(`sha256sum ${DATA}/config.xml`)).toBe(configBefore);
    expect(sql("PRAGMA integrity_check")).toBe("ok");
    // A consistent copy from some moment of the backup: every committed row up to it, no gap, no torn row.
    const [count, max] = sql("SELECT count(*), max(id) FROM t").split("|").map(Number);
    expect(count).toBe(max);
    expect(count).toBeGreaterThanOrEqual(rowsBefore);
    expect(count).toBeLessThanOrEqual(rowsAfter);
    expect(sql("SELECT count(*) FROM t WHERE length(v) NOT IN (2000, 6000)")).toBe("0");
    // Owners and modes as the app left them; the database writable again; logs not restored.
    expect(mustOnHost(`stat -c '%u:%g %a' ${DATA} ${DATA}/sonarr.db ${DATA}/config.xml`)).toBe("1000:1000 755\n1000:1000 644\n1000:1000 644\n");
    sql("INSERT INTO t(v) VALUES ('after restore')");
    expect(onHost(`test -e ${DATA}/logs`).status).not.toBe(0);
});

test("a --snapshot restores that snapshot; the volume destroyed with its container comes back, labelled", () => {
    mustOnHost(`echo '<Config>changed</Config>' > ${DATA}/config.xml
        docker volume create --label homelab.app=radarr homelab-radarr-config >/dev/null
        echo radarr > /var/lib/docker/volumes/homelab-radarr-config/_data/config.xml`);
    const journal = runService();
    expect(journal).toContain("homelab: backed up homelab-radarr-config (radarr)");
    const snapshot = latestSnapshot().id;
    // Retention keeps one snapshot per day: the first one of today is gone now.
    expect(snapshot).not.toBe(firstSnapshot);
    expect(restore([APP, "--snapshot", firstSnapshot]).stderr.trim()).toBe(`homelab: no snapshot ${firstSnapshot} in ${REPOSITORY}`);
    mustOnHost(`echo '<Config>after the backup</Config>' > ${DATA}/config.xml
        docker rm -f ${APP} >/dev/null && docker volume rm ${VOLUME} >/dev/null`);
    const r = restore([APP, "--snapshot", snapshot]);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.trim().split("\n")).toEqual([
        `homelab: restored ${VOLUME} from snapshot ${snapshot}`,
        `homelab: there is no container ${APP}: pulumi up creates it with the restored volume`,
    ]);
    expect(mustOnHost(`docker volume inspect -f '{{index .Labels "homelab.app"}}' ${VOLUME}`).trim()).toBe(APP);
    expect(mustOnHost(`cat ${DATA}/config.xml`)).toBe("<Config>changed</Config>\n");
    expect(sql("PRAGMA integrity_check")).toBe("ok");
    mustOnHost(APP_CONTAINER);
    expect(mustOnHost(`docker exec ${APP} cat /config/config.xml`)).toBe("<Config>changed</Config>\n");
    // Another app's snapshot is refused.
    const radarr = (JSON.parse(restic("snapshots --json --tag app=radarr")) as { short_id: string }[])[0].short_id;
    const other = restore([APP, "--snapshot", radarr]);
    expect([other.status, other.stderr.trim()]).toEqual([2, `homelab: snapshot ${radarr} is not a backup of ${APP}`]);
});

test("retention: 7 daily and 4 weekly snapshots are kept per volume", () => {
    // Five weeks of nightly backups made earlier (restic --time), then tonight's run applies the policy.
    const now = Number(mustOnHost("date +%s"));
    const backups = Array.from({ length: 35 }, (_, d) => new Date((now - (d + 1) * 86_400) * 1000).toISOString().slice(0, 19).replace("T", " "));
    mustOnHost(`set -a; . /etc/homelab/backup.env; set +a
        for t in ${backups.map((t) => `'${t}'`).join(" ")}; do
            restic backup --quiet --time "$t" --host homelab --tag homelab --tag app=${APP} --tag volume=${VOLUME} ${DATA}/config.xml
        done`);
    const before = (JSON.parse(restic(`snapshots --json --tag volume=${VOLUME}`)) as unknown[]).length;
    expect(before).toBeGreaterThanOrEqual(36);
    runService();
    const kept = (JSON.parse(restic(`snapshots --json --tag volume=${VOLUME}`)) as { time: string }[]).map((s) => new Date(s.time).getTime() / 1000);
    const days = new Set(kept.map((t) => Math.round((now - t) / 86_400)));
    // Today and the six days before it; then one per week for the weeks before, no more than 4 in all.
    for (const d of [0, 1, 2, 3, 4, 5, 6]) expect([d, days.has(d)]).toEqual([d, true]);
    expect(kept.length).toBeGreaterThanOrEqual(9);
    expect(kept.length).toBeLessThanOrEqual(11);
    expect(Math.max(...kept.map((t) => now - t))).toBeLessThan(28 * 86_400);
});

test("status: the age of the last good backup", () => {
    expect(backupStatus()).toEqual([expect.stringMatching(/^ok last: \d+m \d+s ago to \/srv\/backup\/restic$/)]);
});

test("bad input: one clear line each, non-zero exit, nothing changed", () => {
    const state = appState();
    const expectRefused = (r: Run, line: RegExp) => {
        expect(r.status).not.toBe(0);
        expect(r.stdout).toBe("");
        expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(line)]);
    };
    expectRefused(restore(["sabnzbd"]), /^homelab: unknown app "sabnzbd": apps with backed-up volumes are gluetun, qbittorrent, /);
    expectRefused(restore([APP, "--snapshot", "not-an-id"]), /^restore: --snapshot needs a snapshot id/);
    expectRefused(restore([APP, "--snapshot", "deadbeef"]), /^homelab: no snapshot deadbeef in \/srv\/backup\/restic$/);
    expectRefused(restore(["gluetun"]), /^homelab: no backup of gluetun in \/srv\/backup\/restic$/);
    const other = mustOnHost("ssh-keygen -q -t ed25519 -N '' -f /tmp/other <<<y >/dev/null; cut -d' ' -f1,2 /tmp/other.pub").trim();
    expectRefused(restore([APP], writeStackFile(path.join(home, "wrong-key.yaml"), { "homelab:sshHostKey": other })),
        /^homelab: the host key of 10\.214\.7\.10:22 does not match homelab:sshHostKey: refused, nothing was done$/);
    // The real known_hosts again (the CLI pins whatever the stack file says).
    const start = Date.now();
    expectRefused(restore([APP], writeStackFile(path.join(home, "unreachable.yaml"), { "homelab:host": NOBODY_IP })),
        /^homelab: cannot reach 10\.214\.7\.99:22 over SSH \(.+\): nothing was done$/);
    timings["unreachable refused after"] = (Date.now() - start) / 1000;
    expectRefused(restore([APP], writeStackFile(path.join(home, "off.yaml"), { "homelab:backup": { schedule: "daily" } })),
        /^homelab: backups are off for stack daytwo \(homelab:backup.repository is not set\): nothing to restore$/);
    mustOnHost(`mv ${REPOSITORY} ${REPOSITORY}.away`);
    expectRefused(restore([APP]), /^homelab: no backup repository at \/srv\/backup\/restic on homelab-daytwo-host \(is the disk mounted\?\)$/);
    expect(backupStatus()).toContainEqual("BAD repository: no backup repository at /srv/backup/restic on homelab-daytwo-host (is the disk mounted?)");
    mustOnHost(`mv ${REPOSITORY}.away ${REPOSITORY}; cp -a /etc/homelab/backup.password /tmp/pw; echo wrong > /etc/homelab/backup.password`);
    expectRefused(restore([APP]), /^homelab: wrong password for the backup repository \/srv\/backup\/restic \(it was initialised with another password\)$/);
    expect(backupStatus()).toContainEqual("BAD repository: wrong password for the backup repository /srv/backup/restic (it was initialised with another password)");
    mustOnHost("cp -a /tmp/pw /etc/homelab/backup.password");
    expect(appState()).toBe(state);
    // A repository made with another password (say, by another stack) fails the create step the same way.
    mustOnHost(`mv ${REPOSITORY} ${REPOSITORY}.keep && RESTIC_PASSWORD=other restic init --quiet -r ${REPOSITORY} >/dev/null`);
    const r = overSsh(create);
    mustOnHost(`rm -rf ${REPOSITORY} && mv ${REPOSITORY}.keep ${REPOSITORY}`);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toBe(`homelab: backup (wrong password for the backup repository ${REPOSITORY} (it was initialised with another password)) failed on ${HOST}`);
    const again = overSsh(create);
    expect([again.status, again.stderr, again.stdout.includes("initialised")]).toEqual([0, "", false]);
    expect(appState()).toBe(state);
});

test("the timer is active after a reboot", () => {
    must("docker", ["restart", "-t", "5", HOST]);
    let state = "";
    for (let i = 0; i < 60 && !/^active\nactive\n/.test(state); i++) {
        state = onHost("systemctl is-active ssh homelab-backup.timer; systemctl is-enabled homelab-backup.timer").stdout;
        if (!/^active\nactive\n/.test(state)) must("sleep", ["1"]);
    }
    expect(state).toBe("active\nactive\nenabled\n");
    expect(mustOnHost("systemctl show -p NextElapseUSecRealtime --value homelab-backup.timer").trim()).not.toBe("");
});

test("delete removes the timer, the runner and the settings, and keeps the repository", () => {
    const r = overSsh(remove);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toContain(`homelab: backup timer removed on ${HOST}; the repository ${REPOSITORY} is kept`);
    expect(onHost("systemctl list-unit-files --no-legend 'homelab-backup*'").stdout.trim()).toBe("");
    expect(onHost("ls /etc/homelab /usr/local/sbin/homelab-backup").status).not.toBe(0);
    expect(mustOnHost(`ls ${REPOSITORY}`)).toContain("snapshots");
    expect(overSsh(remove).status).toBe(0);
});
