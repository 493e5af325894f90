/**
 * Issue 4: host hardening proven on a real Debian 12 host over real SSH.
 * Brings up a disposable Debian host (systemd, sshd, nested Docker) with test/host/debian-host.sh, runs the
 * HostHardening command strings over SSH with a pinned host key, and checks the result with real packets.
 */
import * as fs from "fs";
import * as path from "path";
import {
    BRINGUP, BUSYBOX, GATEWAY, HOST_IP, HOST_NAME, LAN_CLIENT, NETWORK, REPO, SUBNET, WAN_CLIENT,
    Ssh, exported, httpFrom, must, mustOnHost, onHost, overSsh, run, setUpSsh,
} from "./host";
import { HostScriptVariables, renderRemoteScript } from "../../components/host-scripts";
import { Commands, SCRIPTS, loadScripts } from "./scripts";

jest.setTimeout(120_000);

const timings: Record<string, number> = {};
let ssh: Ssh;
let commands: Commands;
let lanPort: number;
let publicPort: number;
let closedPort: number;
let pristine: string;

function timed<T>(label: string, fn: () => T): T {
    const start = Date.now();
    try { return fn(); } finally { timings[label] = (Date.now() - start) / 1000; }
}

/** Runs a script action over SSH and fails with its output when it does not succeed. */
function runScript(script: (typeof SCRIPTS)[number], action: "create" | "delete"): string {
    const r = overSsh(ssh, commands[script][action]);
    if (r.status !== 0) throw new Error(`${script} ${action} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout + r.stderr;
}

/** Everything a second run must leave identical. */
function snapshot(): string {
    return mustOnHost(`
        iptables-save | grep -v '^#' | sed -E 's/\\[[0-9]+:[0-9]+\\]//'
        echo ---; ufw status verbose; echo ---; ufw show added
        echo ---; sha256sum /etc/ufw/*.rules /etc/default/ufw /etc/fail2ban/jail.d/* /etc/fail2ban/filter.d/homelab-* 2>/dev/null
        echo ---; find /srv/homelab/data -printf '%p %U:%G %m\\n' 2>/dev/null | sort
        echo ---; sha256sum /etc/systemd/system/homelab-* 2>/dev/null; ls /etc/systemd/system/timers.target.wants
        echo ---; cat /var/lib/homelab/fail2ban.placeholders 2>/dev/null
        echo ---; find /var/lib/docker/volumes -path '*/_data*' -printf '%p %U:%G %m\\n' | sort
        echo ---; systemctl show -p ActiveEnterTimestamp fail2ban.service ${RELOAD}.timer
    `);
}

/** Files the delete steps must bring back to what they were before create. */
function ufwFiles(): string {
    // user.rules is rewritten by ufw on every change (same rules, different layout): compare the rules.
    return mustOnHost("sha256sum /etc/ufw/before*.rules /etc/ufw/after*.rules /etc/default/ufw; ufw status verbose; ufw show added; iptables -S DOCKER-USER; ls /etc/fail2ban/jail.d /etc/fail2ban/filter.d /etc/systemd/system /etc/systemd/system/timers.target.wants; ls -d /var/lib/homelab 2>&1 || true");
}

function isoParts(d = new Date()) {
    const iso = d.toISOString(); // 2024-05-01T10:00:00.123Z
    return { date: iso.slice(0, 10), time: iso.slice(11, 19), ms: iso.slice(20, 23), iso };
}

/** A failed-login line in each app's real log format. */
function failureLine(kind: string, ip: string, n = 1): string {
    const t = isoParts();
    switch (kind) {
        case "servarr": return `${t.date} ${t.time}.${t.ms[0]}|Warn|Auth|Auth-Failure ip ${ip} username 'admin'`;
        case "jellyfin": return `[${t.date} ${t.time}.${t.ms} +00:00] [INF] [42] Jellyfin.Server.Implementations.Users.UserManager: Authentication request for "admin" has been denied (IP: "${ip}").`;
        case "qbittorrent": return `(W) ${t.date}T${t.time} - WebAPI login failure. Reason: invalid credentials, attempt count: ${n}, IP: ::ffff:${ip}, username: admin`;
        case "seerr": return `${t.iso} [warn][Auth]: Failed login attempt from user with incorrect Jellyfin credentials {"account":{"ip":"${ip}","email":"admin","password":"__REDACTED__"}}`;
        default: throw new Error(kind);
    }
}

/** Sample logs: failures in every documented variant (must match, with this IP) and normal lines (must not). */
const SAMPLES: Record<string, { lines: string[]; ips: string[]; misses: number }> = {
    servarr: {
        lines: [
            "2024-05-01 10:00:00.1|Warn|Auth|Auth-Failure ip 203.0.113.9 username 'admin'",
            "2024-05-01 10:00:01.4|Warn|Auth|Auth-Failure ip 203.0.113.10 username 'x ip 198.51.100.66 username'",
            "2024-05-01 10:00:02.0|Info|Auth|Auth-Success ip 203.0.113.11 username 'admin'",
            "2024-05-01 10:00:03.0|Info|RssSyncService|RSS Sync Completed. Reports found: 0",
        ],
        ips: ["203.0.113.9", "203.0.113.10"], misses: 2,
    },
    jellyfin: {
        lines: [
            '[2024-05-01 10:00:00.123 +00:00] [INF] [42] Jellyfin.Server.Implementations.Users.UserManager: Authentication request for "bob" has been denied (IP: "203.0.113.9").',
            '[2024-05-01 10:00:00.456 +02:00] [INF] [17] Jellyfin.Server.Implementations.Users.UserManager: Authentication request for "bob" has been denied (IP: 203.0.113.10).',
            '[2024-05-01 10:00:00.789 +00:00] [INF] [17] Jellyfin.Server.Implementations.Users.UserManager: Authentication request for "x (IP: 198.51.100.66)" has been denied (IP: "203.0.113.11").',
            '[2024-05-01 10:00:01.000 +00:00] [INF] [42] Jellyfin.Server.Implementations.Users.UserManager: Authentication request for "bob" has succeeded.',
        ],
        ips: ["203.0.113.9", "203.0.113.10", "203.0.113.11"], misses: 1,
    },
    qbittorrent: {
        lines: [
            "(W) 2024-05-01T10:00:00 - WebAPI login failure. Reason: invalid credentials, attempt count: 1, IP: ::ffff:203.0.113.9, username: admin",
            "(W) 2024-05-01T10:00:01 - WebAPI login failure. Reason: invalid credentials, attempt count: 2, IP: 203.0.113.10, username: a, IP: 198.51.100.66",
            "(W) 2024-05-01T10:00:02 - WebAPI login failure. Reason: IP has been banned, IP: ::ffff:203.0.113.11, username: admin",
            "(N) 2024-05-01T10:00:03 - WebAPI login success. IP: ::ffff:203.0.113.12",
        ],
        ips: ["203.0.113.9", "203.0.113.10", "203.0.113.11"], misses: 1,
    },
    seerr: {
        lines: [
            '2024-05-01T10:00:00.123Z [warn][Auth]: Failed login attempt from user with incorrect Jellyfin credentials {"account":{"ip":"203.0.113.9","email":"bob","password":"__REDACTED__"}}',
            '2024-05-01T10:00:01.123Z [warn][API]: Failed sign-in attempt using invalid Seerr password {"ip":"::ffff:203.0.113.10","email":"bob@example.org"}',
            '2024-05-01T10:00:02.123Z [info][Auth]: Successful login {"account":{"ip":"203.0.113.11"}}',
        ],
        ips: ["203.0.113.9", "203.0.113.10"], misses: 1,
    },
};

interface Jail { name: string; kind: string; logpath: string; owner: string; follow?: string }

function jails(): Jail[] {
    return exported(commands.fail2ban.create, "JAILS").split("\n").filter(Boolean).map((l) => {
        const [name, kind, logpath, owner, follow] = l.split("|");
        return { name, kind, logpath, owner, follow };
    });
}

/** The fail2ban variables the program passes, to run the script with a variation of them. */
function fail2banVars(): HostScriptVariables["fail2ban"] {
    const c = commands.fail2ban.create;
    return {
        SSH_PORT: Number(exported(c, "SSH_PORT")), JAILS: exported(c, "JAILS"), DOCKER_SUBNET: exported(c, "DOCKER_SUBNET"),
        BAN_TIME: exported(c, "BAN_TIME"), FIND_TIME: exported(c, "FIND_TIME"), MAX_RETRY: Number(exported(c, "MAX_RETRY")),
        LOG_WAIT_SECONDS: Number(exported(c, "LOG_WAIT_SECONDS")),
    };
}

const RELOAD = "homelab-fail2ban-reload";

/** The Docker volume a log lies in: `<docker root>/volumes/<name>/_data`. */
function volumeOf(logpath: string): { dir: string; name: string; root: string } {
    const m = logpath.match(/^((\/.*)\/volumes\/([^/]+)\/_data)\//);
    if (!m) throw new Error(`not in a Docker volume: ${logpath}`);
    return { dir: m[1], root: m[2], name: m[3] };
}

/** Seerr 3.x's dated file for today, next to the link it keeps pointed at it. */
function seerrLog(link: string): string {
    return path.join(path.dirname(link), `seerr-${new Date().toISOString().slice(0, 10)}.log`);
}

/** Jellyfin's file name for the day of `d`: log_YYYYMMDD.log. */
function jellyfinLog(logpath: string, d = new Date()): string {
    return logpath.replace("*", `log_${d.toISOString().slice(0, 10).replace(/-/g, "")}`);
}

/** Names of the jails fail2ban runs. */
function runningJails(): string[] {
    const m = mustOnHost("fail2ban-client status").match(/Jail list:\s*(.*)$/m);
    return (m?.[1] ?? "").split(/,\s*/).filter(Boolean).sort();
}

/** The n-th address of an IPv4 subnet. */
function addressIn(cidr: string, n: number): string {
    const [base] = cidr.split("/");
    const v = base.split(".").reduce((a, o) => a * 256 + Number(o), 0) + n;
    return [24, 16, 8, 0].map((b) => Math.floor(v / 2 ** b) % 256).join(".");
}

/** Runs a shell command in a container as the jail's app runs: its uid:gid, its config volume at /config. */
function asApp(j: Jail, script: string): string {
    return mustOnHost(`docker run --rm --user ${j.owner} -v ${volumeOf(j.logpath).name}:/config ${BUSYBOX} sh -c '${script}'`);
}

/**
 * What the first start of each app leaves on the host: Docker created the config volume and the app wrote
 * its config into it as its uid:gid. Jellyfin's image makes /config root-owned 0777 and Jellyfin logs at once
 * (log/log_YYYYMMDD.log); Seerr logs at once too (logs/seerr-YYYY-MM-DD.log and its relative link
 * logs/seerr.log); the other apps have not written their log yet (fail2ban must create it).
 */
function startApps(): void {
    must("bash", ["-c", `docker save ${BUSYBOX} | docker exec -i ${HOST_NAME} docker load`]);
    for (const j of jails()) {
        const vol = volumeOf(j.logpath);
        const [uid, gid] = j.owner.split(":");
        const glob = j.logpath.includes("*");
        mustOnHost(`set -e
            docker volume create ${vol.name} >/dev/null
            test "$(docker volume inspect -f '{{.Mountpoint}}' ${vol.name})" = ${vol.dir}
            install -o ${uid} -g ${gid} -m 0644 /dev/null ${vol.dir}/settings.json
            ${glob ? `chmod 0777 ${vol.dir}
            install -d -o ${uid} -g ${gid} -m 0755 "$(dirname '${j.logpath}')"
            echo "[$(date -u '+%F %T').000 +00:00] [INF] [1] Main: Jellyfin version: 10.10.7" > ${jellyfinLog(j.logpath)}
            chown ${uid}:${gid} ${jellyfinLog(j.logpath)}` : ""}
            ${j.follow === "link" ? `install -d -o ${uid} -g ${gid} -m 0755 "$(dirname '${j.logpath}')"
            echo "$(date -u '+%FT%T').000Z [info][Server]: Server ready on port 5055 " > ${seerrLog(j.logpath)}
            ln -s ${path.basename(seerrLog(j.logpath))} ${j.logpath}` : ""}`);
    }
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
        if (check()) return;
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
    const start = Date.now();
    timed("engine+image", () => must("bash", [BRINGUP, "image"], { timeoutMs: 480_000 }));
    must("bash", [BRINGUP, "busybox", BUSYBOX]);
    for (const c of [HOST_NAME, LAN_CLIENT.name, WAN_CLIENT.name]) run("docker", ["rm", "-f", c]);
    run("docker", ["network", "rm", NETWORK]);
    must("docker", ["network", "create", "--subnet", SUBNET, "--gateway", GATEWAY, NETWORK]);
    timed("host boot", () => must("bash", [BRINGUP, "up", HOST_NAME, NETWORK, HOST_IP]));
    for (const c of [LAN_CLIENT, WAN_CLIENT]) {
        must("docker", ["run", "-d", "--name", c.name, "--network", NETWORK, "--ip", c.ip, BUSYBOX, "sleep", "3600"]);
    }
    ssh = setUpSsh();
    const hostKey = fs.readFileSync(ssh.knownHosts, "utf8").trim().split(" ").slice(1).join(" ");
    const loaded = await loadScripts(hostKey, fs.readFileSync(ssh.key, "utf8"));
    commands = loaded.commands;
    const lanPorts = exported(commands.firewall.create, "LAN_APP_PORTS").split(/\s+/).filter(Boolean).map(Number);
    const publicPorts = exported(commands.firewall.create, "PUBLIC_PORTS").split(/\s+/).filter(Boolean).map(Number);
    lanPort = lanPorts[0];
    publicPort = publicPorts[0];
    closedPort = [9999, 9998, 9997].find((p) => !lanPorts.includes(p) && !publicPorts.includes(p))!;
    pristine = ufwFiles();
    timings["bring-up total"] = (Date.now() - start) / 1000;
}, 600_000);

afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(`host suite: scripts from the program's command resources; timings (s): ${JSON.stringify(timings)}`);
    if (process.env.HOMELAB_TEST_KEEP) return;
    for (const c of [HOST_NAME, LAN_CLIENT.name, WAN_CLIENT.name]) run("docker", ["rm", "-f", c]);
    run("docker", ["network", "rm", NETWORK]);
    if (ssh) fs.rmSync(ssh.dir, { recursive: true, force: true });
});

test("shellcheck passes on components/host/*.sh and the bring-up script", () => {
    const dir = path.join(REPO, "components", "host");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".sh")).map((f) => path.join(dir, f));
    expect(files.map((f) => path.basename(f)).sort()).toEqual(expect.arrayContaining(["data-tree.sh", "fail2ban.sh", "firewall.sh"]));
    const r = run("shellcheck", ["-x", "-s", "bash", ...files, BRINGUP]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
});

test("the scripts are the program's command strings", () => {
    for (const s of SCRIPTS) {
        expect(commands[s].create).toMatch(/^(sudo -n )?bash -s -- create <<'HOMELAB_SCRIPT_EOF'\n/);
        expect(commands[s].delete).toMatch(/^(sudo -n )?bash -s -- delete <<'HOMELAB_SCRIPT_EOF'\n/);
        expect(commands[s].create).toContain(fs.readFileSync(path.join(REPO, "components", "host", `${s}.sh`), "utf8"));
    }
});

test("create runs over SSH with the pinned host key; a wrong host key is refused", () => {
    const bad = run("ssh", ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${ssh.wrongKnownHosts}`, "-o", "BatchMode=yes",
        "-i", ssh.key, `root@${HOST_IP}`, "true"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
    timed("first create (4 scripts)", () => {
        expect(runScript("data-tree", "create")).toMatch(/homelab: data tree ready/);
        expect(runScript("firewall", "create")).toMatch(/homelab: firewall active on homelab-test-host/);
        expect(runScript("vpn-recovery", "create")).toMatch(/homelab: vpn recovery watching gluetun on homelab-test-host/);
        // The lead runs fail2ban after the app containers exist: their volumes are populated by then.
        startApps();
        const out = runScript("fail2ban", "create");
        expect(out).toMatch(/homelab: fail2ban running on homelab-test-host/);
        expect(out).not.toContain("skipped");
    });
    expect(runningJails()).toEqual(["sshd", ...jails().map((j) => j.name)].sort());
});

test("fail2ban: a missing log is created as the app's uid:gid (dirs 0755, file 0644); a glob is never invented", () => {
    const list = jails();
    expect(list.find((j) => j.kind === "seerr")?.owner).toBe("1000:1000"); // Seerr runs as its image's user (Jellyseerr ran as root)
    expect(list.some((j) => j.owner === "1000:1000")).toBe(true); // PUID:PGID
    const created: string[] = [];
    for (const j of list) {
        const vol = volumeOf(j.logpath);
        if (j.logpath.includes("*")) {
            // Only what Jellyfin wrote itself; its volume keeps the image's root 0777.
            expect(mustOnHost(`ls -A $(dirname '${j.logpath}')`).trim()).toBe(path.basename(jellyfinLog(j.logpath)));
            expect(mustOnHost(`stat -c '%u:%g %a' ${vol.dir}`).trim()).toBe("0:0 777");
            continue;
        }
        if (j.follow === "link") {
            // Only what Seerr wrote itself: its link, still a link, and its dated file.
            const dated = path.basename(seerrLog(j.logpath));
            expect(mustOnHost(`ls -A $(dirname '${j.logpath}')`).trim().split("\n").sort()).toEqual([dated, path.basename(j.logpath)].sort());
            expect(mustOnHost(`readlink ${j.logpath}`).trim()).toBe(dated);
            continue;
        }
        const rel = j.logpath.slice(vol.dir.length + 1).split("/");
        const paths = rel.map((_, k) => `${vol.dir}/${rel.slice(0, k + 1).join("/")}`);
        const stats = mustOnHost(`stat -c '%n %u:%g %a %F' ${paths.join(" ")}`).trim().split("\n");
        expect(stats).toEqual(paths.map((p, k) => `${p} ${j.owner} ${k === paths.length - 1 ? "644 regular empty file" : "755 directory"}`));
        created.push(...paths.map((p, k) => `${k === paths.length - 1 ? "file" : "dir"} ${p}`));
        // The app, a container running as its uid:gid with the volume at /config, can open its log for writing
        // and create its rotated files next to it.
        asApp(j, `: >> /config/${rel.join("/")} && : > /config/${rel.join("/")}.1 && rm /config/${rel.join("/")}.1`);
    }
    expect(mustOnHost("cat /var/lib/homelab/fail2ban.placeholders").trim().split("\n")).toEqual(created);
});

test("data tree: every directory owned by PUID:PGID with mode 2775; imports can be hardlinks", () => {
    const root = exported(commands["data-tree"].create, "DATA_ROOT");
    const uid = exported(commands["data-tree"].create, "PUID");
    const gid = exported(commands["data-tree"].create, "PGID");
    const kinds = exported(commands["data-tree"].create, "MEDIA_KINDS").split(/\s+/);
    const expected = [root, `${root}/torrents`, `${root}/media`,
        ...kinds.flatMap((k) => [`${root}/torrents/${k}`, `${root}/media/${k}`])].sort();
    const listing = mustOnHost(`find ${root} -type d -printf '%p %U:%G %m\\n' | sort`).trim().split("\n");
    expect(listing).toEqual(expected.map((d) => `${d} ${uid}:${gid} 2775`));
    for (const k of ["tv", "movies", "music", "books"]) expect(kinds).toContain(k);
    // An app running as PUID:PGID writes a download and imports it as a hardlink.
    const out = mustOnHost(`cd ${root} && setpriv --reuid=${uid} --regid=${gid} --clear-groups sh -c 'echo x > torrents/tv/ep.mkv && ln torrents/tv/ep.mkv media/tv/ep.mkv' && stat -c '%h %u:%g' media/tv/ep.mkv; rm -f torrents/tv/ep.mkv media/tv/ep.mkv`);
    expect(out.trim()).toBe(`2 ${uid}:${gid}`);
});

test("ufw: active, default deny incoming, SSH allowed; SSH reachable from inside and outside the LAN", () => {
    const status = mustOnHost("ufw status verbose");
    expect(status).toMatch(/Status: active/);
    expect(status).toMatch(/Default: deny \(incoming\)/);
    expect(status).toMatch(/^22\/tcp +ALLOW IN +Anywhere/m);
    expect(overSsh(ssh, "echo still-here").stdout.trim()).toBe("still-here");
    for (const c of [LAN_CLIENT, WAN_CLIENT]) {
        expect(run("docker", ["exec", c.name, "sh", "-c", `nc -w 3 ${HOST_IP} 22 </dev/null | head -c 8`]).stdout).toBe("SSH-2.0-");
    }
});

test("published ports obey the firewall: LAN-only app refused from outside, proxy port open, others closed", () => {
    // A nested app container on the stack's subnet, publishing a LAN app port, a proxy port and an unlisted one.
    const image = run("bash", ["-c", `docker save ${BUSYBOX} | docker exec -i ${HOST_NAME} docker load`]);
    expect(image.status).toBe(0);
    const dockerSubnet = exported(commands.firewall.create, "DOCKER_SUBNET");
    mustOnHost(`docker network inspect homelab-test >/dev/null 2>&1 || docker network create --subnet ${dockerSubnet} homelab-test >/dev/null
        for p in ${lanPort} ${publicPort} ${closedPort}; do
            docker rm -f app-$p >/dev/null 2>&1 || true
            docker run -d --name app-$p --network homelab-test -p $p:8000 ${BUSYBOX} httpd -f -p 8000 -h /bin >/dev/null
        done`);
    const answered = (s: string) => /^HTTP\/1\.[01] \d{3}/.test(s);
    expect(answered(httpFrom(LAN_CLIENT, HOST_IP, lanPort))).toBe(true);
    expect(httpFrom(WAN_CLIENT, HOST_IP, lanPort)).toMatch(/timed out|^$/);
    expect(answered(httpFrom(WAN_CLIENT, HOST_IP, publicPort))).toBe(true);
    expect(answered(httpFrom(LAN_CLIENT, HOST_IP, publicPort))).toBe(true);
    expect(httpFrom(LAN_CLIENT, HOST_IP, closedPort)).toMatch(/timed out|^$/);
    expect(httpFrom(WAN_CLIENT, HOST_IP, closedPort)).toMatch(/timed out|^$/);
    const rules = mustOnHost("iptables -S DOCKER-USER");
    expect(rules).toContain(`--ctorigdstport ${lanPort} -j RETURN`);
});

test("fail2ban: each filter matches its app's real log lines (fail2ban-regex on the host)", () => {
    for (const [kind, sample] of Object.entries(SAMPLES)) {
        const file = `/tmp/homelab-sample-${kind}.log`;
        mustOnHost(`cat > ${file}`, sample.lines.join("\n") + "\n");
        const out = mustOnHost(`fail2ban-regex -v ${file} /etc/fail2ban/filter.d/homelab-${kind}.conf`);
        const total = sample.lines.length;
        expect([kind, out.match(/^Lines: .*$/m)?.[0]]).toEqual([kind, `Lines: ${total} lines, 0 ignored, ${total - sample.misses} matched, ${sample.misses} missed`]);
        const ips = [...out.matchAll(/^\|\s+(\d+\.\d+\.\d+\.\d+)\s+\w{3} \w{3}/gm)].map((m) => m[1]);
        expect([kind, ips]).toEqual([kind, sample.ips]);
        expect(out).not.toContain("198.51.100.66");
    }
});

test("fail2ban: sshd jail runs on the systemd journal; every app jail runs and bans in DOCKER-USER", async () => {
    const sshd = mustOnHost("fail2ban-client status sshd");
    expect(sshd).toMatch(/Journal matches:\s+_SYSTEMD_UNIT=sshd.service \+ _COMM=sshd/);
    const config = mustOnHost("fail2ban-client -d");
    expect(config).toContain("['add', 'sshd', 'systemd']");
    const list = jails();
    expect(list.length).toBeGreaterThan(0);
    expect(new Set(list.map((j) => j.kind))).toEqual(new Set(["servarr", "jellyfin", "qbittorrent", "seerr"]));
    const maxRetry = Number(exported(commands.fail2ban.create, "MAX_RETRY"));
    // First jail: ban the LAN client for real and watch its packets get refused, then unban.
    list.forEach((jail, i) => {
        const ip = i === 0 ? LAN_CLIENT.ip : `203.0.113.${100 + i}`;
        const monitored = mustOnHost(`fail2ban-client get ${jail.name} logpath`).match(/- (\/\S+)/)?.[1];
        expect(monitored).toBeDefined();
        const lines = Array.from({ length: maxRetry }, (_, n) => failureLine(jail.kind, ip, n + 1)).join("\n") + "\n";
        mustOnHost(`cat >> '${monitored}'`, lines);
    });
    for (const [i, jail] of list.entries()) {
        const ip = i === 0 ? LAN_CLIENT.ip : `203.0.113.${100 + i}`;
        await waitFor(`${jail.name} to ban ${ip}`, () => mustOnHost(`fail2ban-client status ${jail.name}`).includes(ip));
        const chain = mustOnHost(`iptables -S DOCKER-USER; iptables -S f2b-${jail.name}`);
        expect(chain).toContain(`-A DOCKER-USER -p tcp -j f2b-${jail.name}`);
        expect(chain).toContain(`-A f2b-${jail.name} -s ${ip}/32 -j REJECT`);
    }
    // Banned: fail2ban's REJECT in DOCKER-USER answers the published port with "connection refused".
    expect(httpFrom(LAN_CLIENT, HOST_IP, lanPort)).toMatch(/Connection refused/);
    mustOnHost("fail2ban-client unban --all");
    expect(httpFrom(LAN_CLIENT, HOST_IP, lanPort)).toMatch(/^HTTP/);
});

test("fail2ban: failed logins from the stack's Docker subnet (the reverse proxy) are never banned; from outside they are", async () => {
    const subnet = exported(commands.fail2ban.create, "DOCKER_SUBNET");
    expect(subnet).toBe(exported(commands.firewall.create, "DOCKER_SUBNET"));
    const proxyIp = addressIn(subnet, 50);
    const outsideIp = "198.51.100.7";
    // A stand-in for Caddy on the stack's network, in front of the app container published on the LAN port.
    const appIp = mustOnHost(`docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' app-${lanPort}`).trim();
    mustOnHost(`docker rm -f homelab-proxy >/dev/null 2>&1 || true
        docker run -d --name homelab-proxy --network homelab-test --ip ${proxyIp} ${BUSYBOX} sleep 3600 >/dev/null`);
    const viaProxy = () => onHost(`docker exec homelab-proxy sh -c 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 3 ${appIp} 8000 2>&1 | head -n 1'`).stdout.trim();
    expect(viaProxy()).toMatch(/^HTTP\/1\.[01] \d{3}/);
    const maxRetry = Number(exported(commands.fail2ban.create, "MAX_RETRY"));
    const list = jails();
    for (const jail of list) {
        const ignored = mustOnHost(`fail2ban-client get ${jail.name} ignoreip`);
        for (const net of [subnet, "127.0.0.0/8", "::1"]) expect([jail.name, ignored]).toEqual([jail.name, expect.stringContaining(net)]);
        const monitored = mustOnHost(`fail2ban-client get ${jail.name} logpath`).match(/- (\/\S+)/)![1];
        // Twice as many failures from the proxy as from the outside address, interleaved.
        const lines = Array.from({ length: 2 * maxRetry }, (_, n) => [failureLine(jail.kind, proxyIp, n + 1),
            ...(n < maxRetry ? [failureLine(jail.kind, outsideIp, n + 1)] : [])]).flat();
        mustOnHost(`cat >> '${monitored}'`, lines.join("\n") + "\n");
    }
    for (const jail of list) {
        await waitFor(`${jail.name} to ban ${outsideIp}`, () => mustOnHost(`fail2ban-client status ${jail.name}`).includes(outsideIp));
        const status = mustOnHost(`fail2ban-client status ${jail.name}`);
        expect([jail.name, status.match(/Banned IP list:\s*(.*)$/m)?.[1].trim()]).toEqual([jail.name, outsideIp]);
        expect([jail.name, status.match(/Currently failed:\s*(\d+)/)?.[1]]).toEqual([jail.name, "0"]);
        const chain = mustOnHost(`iptables -S f2b-${jail.name}`);
        expect(chain).toContain(`-s ${outsideIp}/32 -j REJECT`);
        expect(chain).not.toContain(proxyIp);
    }
    expect(mustOnHost(`grep -c 'Ignore ${proxyIp} by ip' /var/log/fail2ban.log`).trim()).toBe(String(2 * maxRetry * list.length));
    // Real packets: the proxy still reaches the app through DOCKER-USER...
    expect(viaProxy()).toMatch(/^HTTP\/1\.[01] \d{3}/);
    // ...and a ban of its address is what would have cut every site off (the self-DoS the ignore list prevents).
    mustOnHost(`fail2ban-client set ${list[0].name} banip ${proxyIp}`);
    expect(viaProxy()).toMatch(/Connection refused/);
    mustOnHost("fail2ban-client unban --all");
    expect(viaProxy()).toMatch(/^HTTP\/1\.[01] \d{3}/);
    // sshd keeps fail2ban's default (nothing but its own addresses ignored).
    expect(mustOnHost("fail2ban-client get sshd ignoreip")).not.toContain(subnet);
});

test("fail2ban: the reload timer makes a glob jail read a log file created after fail2ban started (Jellyfin's next day)", async () => {
    const globJails = jails().filter((j) => j.logpath.includes("*"));
    expect(globJails.map((j) => j.kind)).toEqual(["jellyfin"]);
    expect(mustOnHost(`systemctl is-enabled ${RELOAD}.timer; systemctl is-active ${RELOAD}.timer`).trim().split("\n")).toEqual(["enabled", "active"]);
    expect(mustOnHost(`systemctl show -p NextElapseUSecRealtime --value ${RELOAD}.timer`).trim()).not.toBe("");
    expect(mustOnHost(`grep '^ExecStart=' /etc/systemd/system/${RELOAD}.service`).trim().split("\n"))
        .toEqual(globJails.map((j) => `ExecStart=/usr/bin/fail2ban-client reload ${j.name}`));
    const maxRetry = Number(exported(commands.fail2ban.create, "MAX_RETRY"));
    const ip = "203.0.113.61";
    for (const j of globJails) {
        const next = jellyfinLog(j.logpath, new Date(Date.now() + 86_400_000));
        asApp(j, `: > /config/${next.slice(volumeOf(j.logpath).dir.length + 1)}`);
        // fail2ban expanded the glob when it started: the new file is not watched...
        expect(mustOnHost(`fail2ban-client get ${j.name} logpath`)).not.toContain(next);
        // ...until the timer's service runs.
        mustOnHost(`systemctl start ${RELOAD}.service`);
        expect(mustOnHost(`systemctl show -p Result --value ${RELOAD}.service`).trim()).toBe("success");
        expect(mustOnHost(`fail2ban-client get ${j.name} logpath`)).toContain(next);
        mustOnHost(`cat >> ${next}`, Array.from({ length: maxRetry }, (_, n) => failureLine(j.kind, ip, n + 1)).join("\n") + "\n");
        await waitFor(`${j.name} to ban ${ip} from ${next}`, () => onHost(`iptables -S f2b-${j.name}`).stdout.includes(`-s ${ip}/32 -j REJECT`));
        expect(mustOnHost("iptables -S DOCKER-USER")).toContain(`-A DOCKER-USER -p tcp -j f2b-${j.name}`);
    }
    mustOnHost("fail2ban-client unban --all");
});

test("fail2ban: a link jail follows the app's link to the next day's log without a reload (Seerr's rotation)", async () => {
    const linkJails = jails().filter((j) => j.follow === "link");
    expect(linkJails.map((j) => j.kind)).toEqual(["seerr"]);
    const maxRetry = Number(exported(commands.fail2ban.create, "MAX_RETRY"));
    const ip = "203.0.113.62";
    for (const j of linkJails) {
        const next = path.join(path.dirname(j.logpath), "seerr-2099-01-01.log");
        // What the app (root in its container) does at midnight: a new dated file, then the link repointed at it.
        mustOnHost(`set -e; cd ${path.dirname(j.logpath)}; echo "$(date -u +%FT%T).000Z [info][Server]: rotated " > ${path.basename(next)}; ` +
            `ln -sfn ${path.basename(next)} ${path.basename(j.logpath)}`);
        mustOnHost(`cat >> ${next}`, Array.from({ length: maxRetry }, (_, n) => failureLine(j.kind, ip, n + 1)).join("\n") + "\n");
        await waitFor(`${j.name} to ban ${ip} from ${next}`, () => onHost(`iptables -S f2b-${j.name}`).stdout.includes(`-s ${ip}/32 -j REJECT`));
    }
    mustOnHost("fail2ban-client unban --all");
});

test("fail2ban: a jail whose volume is missing or empty, whose glob matches nothing or whose link is missing, is skipped; the rest runs", () => {
    const vars = fail2banVars();
    const root = volumeOf(jails()[0].logpath).root;
    const v = (name: string) => `${root}/volumes/${name}/_data`;
    mustOnHost(`set -e
        docker volume create homelab-test-empty >/dev/null
        docker volume create homelab-test-noglob >/dev/null; install -d -o 1000 -g 1000 ${v("homelab-test-noglob")}/log
        docker volume create homelab-test-fresh >/dev/null; install -o 1000 -g 1000 /dev/null ${v("homelab-test-fresh")}/settings.json
        docker volume create homelab-test-nolink >/dev/null; install -d ${v("homelab-test-nolink")}/logs`);
    const listVolumes = () => mustOnHost(`find ${root}/volumes -printf '%p %U:%G %m\\n' | sort`).trim().split("\n");
    const before = listVolumes();
    const extra = [
        `homelab-novolume|servarr|${v("homelab-test-novolume")}/logs/x.txt|1000:1000`,
        `homelab-emptyvolume|servarr|${v("homelab-test-empty")}/logs/x.txt|1000:1000`,
        `homelab-noglob|jellyfin|${v("homelab-test-noglob")}/log/*.log|1000:1000`,
        `homelab-fresh|servarr|${v("homelab-test-fresh")}/logs/fresh.txt|1000:1000`,
        `homelab-nolink|seerr|${v("homelab-test-nolink")}/logs/seerr.log|0:0|link`,
    ];
    const started = Date.now();
    const r = overSsh(ssh, renderRemoteScript("fail2ban", "create", { ...vars, JAILS: [vars.JAILS, ...extra].join("\n"), LOG_WAIT_SECONDS: 4 }, { sudo: false }));
    expect([r.status, r.stderr]).toEqual([0, ""]);
    // It waited for the apps (4 s in all here; the program gives them 180 s), then skipped.
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    const later = "once the app has started, run this step again: pulumi up --replace <URN of homelab-host-fail2ban, from pulumi stack --show-urns>";
    expect(r.stdout).toContain(`homelab: homelab-novolume skipped on homelab-test-host: ${v("homelab-test-novolume")} is not populated yet (the app has not started); ${later}\n`);
    expect(r.stdout).toContain(`homelab: homelab-emptyvolume skipped on homelab-test-host: ${v("homelab-test-empty")} is not populated yet (the app has not started); ${later}\n`);
    expect(r.stdout).toContain(`homelab: homelab-noglob skipped on homelab-test-host: no file matches ${v("homelab-test-noglob")}/log/*.log yet (the app has not written its log); ${later}\n`);
    // An app's own link is never replaced by a file (Seerr could then never make it).
    expect(r.stdout).toContain(`homelab: homelab-nolink skipped on homelab-test-host: the app has not linked ${v("homelab-test-nolink")}/logs/seerr.log to its log yet; ${later}\n`);
    expect(r.stdout).not.toMatch(/homelab-fresh skipped/);
    // Nothing written into the missing, the empty or the glob volume; only the fresh jail's log was created.
    const after = listVolumes();
    expect(after.filter((l) => !before.includes(l))).toEqual([
        `${v("homelab-test-fresh")}/logs 1000:1000 755`, `${v("homelab-test-fresh")}/logs/fresh.txt 1000:1000 644`]);
    expect(before.filter((l) => !after.includes(l))).toEqual([]);
    expect(runningJails()).toEqual(["sshd", "homelab-fresh", ...jails().map((j) => j.name)].sort());
    // The program's own jails again (the fresh placeholder stays recorded: delete removes it while empty).
    runScript("fail2ban", "create");
    expect(runningJails()).toEqual(["sshd", ...jails().map((j) => j.name)].sort());
});

test("fail2ban: an app that fills its volume while the step waits gets its jail", () => {
    const vars = fail2banVars();
    const root = volumeOf(jails()[0].logpath).root;
    const late = `${root}/volumes/homelab-test-late/_data`;
    // The app's first start, 3 s after the step began: its volume fills and it writes its log.
    mustOnHost(`docker volume create homelab-test-late >/dev/null
        nohup sh -c 'sleep 3; install -d -o 1000 -g 1000 ${late}/logs; install -o 1000 -g 1000 /dev/null ${late}/logs/late.txt' >/dev/null 2>&1 &`);
    const extra = `homelab-late|servarr|${late}/logs/late.txt|1000:1000`;
    const r = overSsh(ssh, renderRemoteScript("fail2ban", "create", { ...vars, JAILS: [vars.JAILS, extra].join("\n"), LOG_WAIT_SECONDS: 30 }, { sudo: false }));
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).not.toContain("skipped");
    expect(runningJails()).toContain("homelab-late");
    runScript("fail2ban", "create");
    mustOnHost("docker volume rm homelab-test-late >/dev/null");
    expect(runningJails()).toEqual(["sshd", ...jails().map((j) => j.name)].sort());
});

test("a ufw reload by the firewall script keeps fail2ban's DOCKER-USER jumps", async () => {
    const jail = jails()[0];
    mustOnHost(`fail2ban-client set ${jail.name} banip 203.0.113.77`);
    // Force the firewall script down its reload path (after.rules differs), as on a changed deployment.
    mustOnHost("sed -i '/^# END HOMELAB DOCKER-USER$/i # changed' /etc/ufw/after.rules");
    runScript("firewall", "create");
    await waitFor("fail2ban to restore its jump", () => onHost("iptables -S DOCKER-USER").stdout.includes(`-j f2b-${jail.name}`));
    expect(mustOnHost(`iptables -S f2b-${jail.name}`)).toContain("203.0.113.77");
    mustOnHost("fail2ban-client unban --all");
});

test("running everything a second time changes nothing", () => {
    const before = snapshot();
    timed("second create (4 scripts)", () => { for (const s of SCRIPTS) runScript(s, "create"); });
    expect(snapshot()).toEqual(before);
});

test("docker -H ssh:// reaches the host's engine with the pinned key and refuses a wrong one", () => {
    // The docker CLI has no flag for ssh options (docker/cli#6088); it runs `ssh` from PATH with
    // `-o ConnectTimeout=30 -T -l USER -p PORT -- HOST docker system dial-stdio`. The provider prepends its
    // sshOpts to that same command; a wrapper on PATH does exactly the same here.
    const wrap = (knownHosts: string) => {
        const dir = fs.mkdtempSync(path.join(ssh.dir, "bin-"));
        const opts = ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "BatchMode=yes", "-i", ssh.key];
        fs.writeFileSync(path.join(dir, "ssh"), `#!/bin/sh\nexec /usr/bin/ssh ${opts.map((o) => `'${o}'`).join(" ")} "$@"\n`, { mode: 0o755 });
        return { ...process.env, PATH: `${dir}:${process.env.PATH}` };
    };
    const url = `ssh://root@${HOST_IP}:22`;
    const ok = run("docker", ["-H", url, "ps", "--format", "{{.Names}}"], { env: wrap(ssh.knownHosts) });
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toContain(`app-${lanPort}`);
    const bad = run("docker", ["-H", url, "ps"], { env: wrap(ssh.wrongKnownHosts) });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/Host key verification failed/);
});

test("a failing step says what failed on which host and leaves SSH working", () => {
    const vars = { ...fail2banVars(), JAILS: "homelab-bogus|nope|/var/log/bogus.log|0:0" };
    const r = overSsh(ssh, renderRemoteScript("fail2ban", "create", vars, { sudo: false }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("homelab: fail2ban (jail homelab-bogus: unknown filter kind 'nope') failed on homelab-test-host");
    expect(overSsh(ssh, "echo still-here").stdout.trim()).toBe("still-here");
});

test("delete removes exactly what create added (and only empty data directories)", () => {
    mustOnHost("docker rm -f $(docker ps -aq) >/dev/null; docker network rm homelab-test >/dev/null");
    const fresh = `${volumeOf(jails()[0].logpath).root}/volumes/homelab-test-fresh/_data`;
    const logs = jails().map((j) => (j.logpath.includes("*") ? jellyfinLog(j.logpath) : j.logpath));
    let f2bOut = "";
    timed("delete (4 scripts)", () => {
        for (const s of [...SCRIPTS].reverse()) {
            const out = timed(`delete ${s}`, () => runScript(s, "delete"));
            if (s === "fail2ban") f2bOut = out;
        }
    });
    // Debian's own config cannot start (its sshd jail wants /var/log/auth.log): stopped at once, not after 30 s.
    expect(f2bOut).toContain("homelab: fail2ban does not start with the distribution's own configuration on homelab-test-host (left stopped)");
    expect(timings["delete fail2ban"]).toBeLessThan(10);
    expect(onHost("systemctl is-active fail2ban").stdout.trim()).not.toMatch(/^(active|activating)$/);
    // The reload timer is gone from disk and from systemd.
    expect(mustOnHost("ls /etc/systemd/system /etc/systemd/system/timers.target.wants")).not.toContain(RELOAD);
    expect(mustOnHost(`systemctl list-units --all --no-legend '${RELOAD}*'`).trim()).toBe("");
    // Placeholders nobody wrote to are gone (file and directories); logs the apps wrote and the volumes stay.
    expect(mustOnHost(`find ${fresh} -mindepth 1 -printf '%P\\n' | sort`).trim().split("\n")).toEqual(["settings.json"]);
    for (const log of logs) expect([log, onHost(`test -s ${log}`).status]).toEqual([log, 0]);
    expect(onHost("test -e /var/lib/homelab").status).not.toBe(0);
    expect(mustOnHost("iptables -S DOCKER-USER")).not.toMatch(/conntrack|f2b-/);
    expect(mustOnHost("cat /etc/ufw/after.rules")).not.toContain("HOMELAB");
    expect(mustOnHost("ls /etc/fail2ban/jail.d /etc/fail2ban/filter.d")).not.toMatch(/homelab/);
    expect(onHost(`test -e ${exported(commands["data-tree"].create, "DATA_ROOT")}`).status).not.toBe(0);
    expect(ufwFiles()).toEqual(pristine);
    expect(overSsh(ssh, "echo still-here").stdout.trim()).toBe("still-here");
    // Deleting twice is fine too.
    for (const s of [...SCRIPTS].reverse()) runScript(s, "delete");
});
