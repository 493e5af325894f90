/**
 * Issue 14 on a real Debian 12 host: the watcher as the program installs it (components/host/watch.sh over
 * SSH, its variables from components/watcher.ts for a stack config), the probe of `npm run status`, the
 * stack's stand-ins on the host's engine (as in test/host/status.test.ts), real backups (homelab-backup),
 * Debian's node_exporter, a data root on a small tmpfs of the test's own, and an HTTP receiver on the test
 * network standing for the webhook (never a public service). Watcher rounds are started directly
 * (`systemctl start homelab-watch.service`, what the timer does) to keep the suite short; the forwarded
 * port's grace is 20 s here instead of 5 minutes. Own host, network and names: alerts-*, 10.217.0.0/24.
 */
import * as fs from "fs";
import * as path from "path";
import { BRINGUP, BUSYBOX, must, Run, run, userMachine } from "./host";
import { ECHO_CGI, FOREVER, STAND_IN_WGET } from "./daytwo";
import { CATALOG } from "../../components/catalog";
import { HomelabConfig, parseConfig } from "../../components/config";
import { backupVariables } from "../../components/backup";
import { renderStdinScript, shellQuote } from "../../components/host-scripts";
import { statusVariables, watchVariables } from "../../components/watcher";

// Watcher rounds take 10-20 s each on an idle machine, much longer on a loaded one: a bound for a stuck test, not a budget.
jest.setTimeout(600_000);

const HOST = "alerts-host";
const NET = "alerts-net";
const SUBNET = "10.217.0.0/24";
const HOST_IP = "10.217.0.10";
const ECHO = { name: "alerts-echo", ip: "10.217.0.30" };
const RECEIVER = { name: "alerts-receiver", ip: "10.217.0.40" };
/**
 * The stand-ins' network. The apps without a fixed address get theirs from the upper half only: at a reboot the
 * engine starts the containers in no set order, and one could otherwise take Gluetun's fixed address first.
 */
const INNER = { name: "alerts-inner", subnet: "172.31.98.0/24", ipRange: "172.31.98.128/25", gateway: "172.31.98.1", gluetun: "172.31.98.2" };
const APPS = ["gluetun", "qbittorrent", "prowlarr", "sonarr", "radarr", "jellyfin", "caddy"] as const;
const IN_VPN = new Set<string>(["qbittorrent", "prowlarr"]);
const DATA = "/srv/homelab/data";
/** The receiver's CGI: each POST body on a line of its own in /tmp/received. */
const HOOK_CGI = '#!/bin/sh\nbusybox head -c "$CONTENT_LENGTH" >> /tmp/received\necho >> /tmp/received\nprintf "Content-Type: text/plain\\r\\n\\r\\nok\\n"\n';

let home: string;
let sshKey: string;
let cfg: HomelabConfig;

function onHost(script: string, input?: string): Run {
    return run("docker", ["exec", "-i", HOST, "bash", "-c", script], { input });
}
function mustOnHost(script: string, input?: string): string {
    const r = onHost(script, input);
    if (r.status !== 0) throw new Error(`on host: ${script}\nexit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}
/** A script run the way remote.Command runs it: over SSH as root, with the pinned host key. */
function overSsh(command: string, stdin: string): string {
    return must("ssh", ["-i", sshKey, "-o", `UserKnownHostsFile=${path.join(home, ".ssh", "homelab-media", "known_hosts")}`, "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes", `root@${HOST_IP}`, command], { input: stdin, timeoutMs: 300_000 });
}

interface Message { check: string; state: string; kind: string; reason: string; host: string; time: string }
function received(): Message[] {
    const r = run("docker", ["exec", RECEIVER.name, "sh", "-c", "cat /tmp/received 2>/dev/null || true"]);
    return r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Message);
}
let seen = 0;
/** Messages that arrived since the last call. */
function newMessages(): string[] {
    const all = received();
    const fresh = all.slice(seen);
    seen = all.length;
    return fresh.map((m) => `${m.check} ${m.kind} ${m.state}: ${m.reason}`);
}
/** One watcher round, as the timer starts it. */
function watcherRound(): void {
    mustOnHost("systemctl start homelab-watch.service");
}
function rounds(n: number): void {
    for (let i = 0; i < n; i++) watcherRound();
}

function standIn(id: (typeof APPS)[number]): string {
    const network = id === "gluetun" ? `--network ${INNER.name} --ip ${INNER.gluetun}` : IN_VPN.has(id) ? "--network container:gluetun" : `--network ${INNER.name}`;
    const main = id === "qbittorrent" ? `busybox nc -l -p 6881 & ${FOREVER}` : FOREVER;
    return `docker rm -f ${id} >/dev/null 2>&1; docker tag ${BUSYBOX} ${CATALOG[id].image} && docker run -d --restart always --name ${id} ${network} \
        --memory ${CATALOG[id].memoryMb}m --health-cmd true --health-interval 1s --health-start-period 0s --label homelab.app=${id} ${CATALOG[id].image} \
        sh -c '${main}' >/dev/null${id === "gluetun" ? `
        docker exec -i gluetun sh -c "busybox mkdir -p /usr/local/bin /tmp/gluetun && echo 6881 > /tmp/gluetun/forwarded_port && cat > /usr/local/bin/wget && busybox chmod 755 /usr/local/bin/wget" <<'WGET_EOF'
${STAND_IN_WGET}WGET_EOF` : ""}`;
}

/** Gluetun's namespace: a tunnel interface (a veth pair), the default route through it, the test subnet direct. */
function tunnelUp(): void {
    mustOnHost(`set -e; pid=$(docker inspect -f '{{.State.Pid}}' gluetun)
        nsenter -t $pid -n ip link add tun0 type veth peer name tun0-far 2>/dev/null || true
        nsenter -t $pid -n ip addr replace 10.2.0.2/32 dev tun0
        nsenter -t $pid -n ip link set tun0-far up
        nsenter -t $pid -n ip link set tun0 up
        nsenter -t $pid -n ip route replace default dev tun0
        nsenter -t $pid -n ip route replace ${SUBNET} via ${INNER.gateway}`);
}
function tunnelDown(): void {
    mustOnHost("pid=$(docker inspect -f '{{.State.Pid}}' gluetun); nsenter -t $pid -n ip link set tun0 down");
}

async function waitFor(what: string, ok: () => boolean, ms = 90_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (ok()) return;
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`timed out waiting for ${what}`);
}

function install(): void {
    // The program's watch step for this stack, with a 20 s grace for the forwarded port and a 2 minute timer.
    const alertsEnv = `WEBHOOK_URL=${shellQuote(`http://${RECEIVER.ip}:8080/cgi-bin/hook`)}`;
    const script = renderStdinScript("watch", "create", { ...watchVariables(cfg), PORT_GRACE: 20, INTERVAL: 120, ALERTS_ENV: alertsEnv }, { sudo: false });
    overSsh(script.command, script.stdin);
}

beforeAll(async () => {
    const start = Date.now();
    must("bash", [BRINGUP, "image"], { timeoutMs: 480_000 });
    must("bash", [BRINGUP, "busybox", BUSYBOX]);
    for (const c of [HOST, ECHO.name, RECEIVER.name]) run("docker", ["rm", "-f", c]);
    run("docker", ["network", "rm", NET]);
    must("docker", ["network", "create", "--subnet", SUBNET, NET]);
    must("bash", [BRINGUP, "up", HOST, NET, HOST_IP]);
    must("docker", ["run", "-d", "--name", ECHO.name, "--network", NET, "--ip", ECHO.ip, "--cap-add", "NET_ADMIN", BUSYBOX, "sh", "-c", FOREVER]);
    must("docker", ["exec", "-i", ECHO.name, "sh", "-c", "busybox mkdir -p /www/cgi-bin && cat > /www/cgi-bin/ip && busybox chmod 755 /www/cgi-bin/ip"], { input: ECHO_CGI });
    must("docker", ["exec", ECHO.name, "busybox", "ip", "route", "add", INNER.subnet, "via", HOST_IP]);
    must("docker", ["exec", ECHO.name, "busybox", "httpd", "-p", "8080", "-h", "/www"]);
    must("docker", ["run", "-d", "--name", RECEIVER.name, "--network", NET, "--ip", RECEIVER.ip, BUSYBOX, "sh", "-c", FOREVER]);
    must("docker", ["exec", "-i", RECEIVER.name, "sh", "-c", "busybox mkdir -p /www/cgi-bin /tmp && cat > /www/cgi-bin/hook && busybox chmod 755 /www/cgi-bin/hook"], { input: HOOK_CGI });
    must("docker", ["exec", RECEIVER.name, "busybox", "httpd", "-p", "8080", "-h", "/www"]);

    let hostKey: string;
    ({ home, hostKey } = userMachine(HOST, "alerts", "alerts-home-"));
    sshKey = path.join(home, ".ssh", "homelab-media", "alerts.key");
    fs.writeFileSync(path.join(home, ".ssh", "homelab-media", "known_hosts"), `${HOST_IP} ${hostKey}\n`);
    cfg = parseConfig({
        host: HOST_IP, sshHostKey: hostKey, sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n",
        wireguardPrivateKey: `${"A".repeat(43)}=`, lanSubnet: "10.217.0.0/25", lanBindAddress: HOST_IP, domain: "media.test",
        ipEchoUrl: `http://${ECHO.ip}:8080/cgi-bin/ip`, vpnPortForwarding: "true",
        apps: { lidarr: false, bazarr: false, seerr: false, flaresolverr: false },
        backup: { repository: "/srv/backup" },
    }, () => true);

    must("bash", ["-c", `docker save ${BUSYBOX} | docker exec -i ${HOST} docker load -q`]);
    const lanPort = statusVariables(cfg).LAN_PORTS.split(" ")[0];
    // The data root: a 64 MiB filesystem of the test's own, mounted again at every boot, torrents/ and media/ on it.
    mustOnHost(`set -e; mkdir -p ${DATA}
        echo 'tmpfs ${DATA} tmpfs size=64m 0 0' >> /etc/fstab
        printf 'd ${DATA}/torrents 0755 root root -\\nd ${DATA}/media 0755 root root -\\n' > /etc/tmpfiles.d/alerts-test.conf
        mount ${DATA} && systemd-tmpfiles --create /etc/tmpfiles.d/alerts-test.conf
        docker network create -o com.docker.network.bridge.enable_ip_masquerade=false --subnet ${INNER.subnet} --ip-range ${INNER.ipRange} --gateway ${INNER.gateway} ${INNER.name} >/dev/null
        ${APPS.map((id) => standIn(id)).join("\n")}
        docker run -d --restart always --name lan-answer -p ${HOST_IP}:${lanPort}:80 ${BUSYBOX} httpd -f -p 80 >/dev/null
        docker volume create --label homelab.app=sonarr sonarr-config >/dev/null
        echo hello > /var/lib/docker/volumes/sonarr-config/_data/config.xml`);
    tunnelUp();
    await waitFor("healthy stand-ins", () => onHost(`docker inspect -f '{{.State.Health.Status}}' ${APPS.join(" ")}`).stdout.trim().split("\n").every((s) => s === "healthy"));
    // Backups as the program installs them, and one good run.
    const backup = renderStdinScript("backup", "create", { ...backupVariables(cfg, cfg.backup!), PASSWORD: "alerts-test-password" }, { sudo: false });
    overSsh(backup.command, backup.stdin);
    mustOnHost("systemctl start homelab-backup.service");
    install();
    // eslint-disable-next-line no-console
    console.log(`alerts suite bring-up: ${((Date.now() - start) / 1000).toFixed(1)} s`);
}, 900_000);

afterAll(() => {
    if (process.env.HOMELAB_TEST_KEEP) return;
    for (const c of [HOST, ECHO.name, RECEIVER.name]) run("docker", ["rm", "-f", c]);
    run("docker", ["network", "rm", NET]);
    if (home) fs.rmSync(home, { recursive: true, force: true });
});

test("shellcheck passes on the watcher and its install step", () => {
    const r = run("shellcheck", ["-s", "bash", ...["homelab-watch.sh", "watch.sh"].map((f) => path.join(__dirname, "..", "..", "components", "host", f))]);
    expect(r.stdout + r.stderr).toBe("");
});

test("installed: the timer, the probe of npm run status, the tokens' file mode 600; a healthy stack sends nothing", () => {
    expect(mustOnHost("systemctl is-enabled homelab-watch.timer; systemctl is-active homelab-watch.timer").split("\n").slice(0, 2)).toEqual(["enabled", "active"]);
    expect(mustOnHost("cat /usr/local/sbin/homelab-status")).toBe(fs.readFileSync(path.join(__dirname, "..", "..", "scripts", "status-probe.sh"), "utf8"));
    expect(mustOnHost("stat -c '%a %U' /etc/homelab/alerts.env").trim()).toBe("600 root");
    rounds(2);
    // Every verdict that is not ok (the fourth tab-separated field; grep has no \t).
    const status = mustOnHost("homelab-status | awk -F'\\t' '$1 == \"check\" && $4 != \"ok\"'");
    expect(status).toBe("");
    expect(newMessages()).toEqual([]);
});

test("the tunnel down: exactly one alert within two runs, naming the check; back: exactly one recovery; then silence", () => {
    tunnelDown();
    rounds(2);
    expect(newMessages()).toEqual(["vpn/tunnel alert failing: tun0 is down (interfaces up: lo tun0-far eth0)"]);
    tunnelUp();
    rounds(2);
    expect(newMessages()).toEqual(["vpn/tunnel recovery ok: tun0 up"]);
    rounds(2);
    expect(newMessages()).toEqual([]);
    const message = received()[0];
    expect(message).toMatchObject({ check: "vpn/tunnel", state: "failing", host: HOST });
    expect(message.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test("the forwarded port changed without qBittorrent following: one alert after the grace period", async () => {
    mustOnHost("docker exec gluetun sh -c 'echo 51413 > /tmp/gluetun/forwarded_port'");
    watcherRound();
    expect(newMessages()).toEqual([]);
    await new Promise((r) => setTimeout(r, 21_000));
    rounds(2);
    expect(newMessages()).toEqual(["vpn/port alert failing: forwarded 51413, but qBittorrent does not listen on it (listening: 6881)"]);
    mustOnHost("docker exec gluetun sh -c 'echo 6881 > /tmp/gluetun/forwarded_port'");
    watcherRound();
    expect(newMessages()).toEqual(["vpn/port recovery ok: forwarded 6881, qBittorrent listening on it"]);
});

test("a backup forced to fail (a damaged database in an app volume): one alert", () => {
    mustOnHost(`printf 'SQLite format 3\\000%0200d' 0 > /var/lib/docker/volumes/sonarr-config/_data/sonarr.db
        systemctl start homelab-backup.service; systemctl is-failed homelab-backup.service`);
    rounds(2);
    expect(newMessages()).toEqual(["backups/run alert failing: the last run failed (exit-code): journalctl -u homelab-backup"]);
    mustOnHost("rm /var/lib/docker/volumes/sonarr-config/_data/sonarr.db && systemctl start homelab-backup.service");
    watcherRound();
    expect(newMessages()).toEqual(["backups/run recovery ok: no longer reported by homelab-status"]);
});

test("the data root filled close to full: one alert", () => {
    mustOnHost(`dd if=/dev/zero of=${DATA}/torrents/big bs=1M count=60 status=none`);
    rounds(2);
    expect(newMessages()).toEqual([expect.stringMatching(new RegExp(`^storage/free alert failing: \\d+ MiB free of 64 MiB under ${DATA} \\(less than 6 MiB\\)$`))]);
    mustOnHost(`rm ${DATA}/torrents/big`);
    watcherRound();
    expect(newMessages()).toEqual([expect.stringMatching(new RegExp(`^storage/free recovery ok: \\d+ MiB free of 64 MiB under ${DATA}$`))]);
});

// Another check than the tunnel's: the tunnel already changed twice this hour, and a third and fourth change
// would meet the flapping limit (FLAP_LIMIT an hour, test/host/watcher.test.ts), which holds messages back by design.
test("the receiver down during a failure, then up: the alert arrives on a later run, once", () => {
    mustOnHost(`iptables -I OUTPUT -d ${RECEIVER.ip} -p tcp -j REJECT --reject-with tcp-reset`);
    try {
        mustOnHost("docker stop -t 1 jellyfin >/dev/null");
        rounds(2);
        expect(newMessages()).toEqual([]);
        expect(mustOnHost("ls /var/lib/homelab/watch/outbox/webhook").split("\n").filter(Boolean)).toEqual(["apps_jellyfin.json", "apps_jellyfin.reason"]);
        expect(mustOnHost("journalctl -u homelab-watch --no-pager -n 50")).toContain("webhook: not delivered, kept for the next run");
    } finally {
        mustOnHost(`iptables -D OUTPUT -d ${RECEIVER.ip} -p tcp -j REJECT --reject-with tcp-reset`);
    }
    rounds(2);
    expect(newMessages()).toEqual([expect.stringMatching(/^apps\/jellyfin alert failing: is exited; /)]);
    mustOnHost("docker start jellyfin >/dev/null");
    mustOnHost("for i in $(seq 90); do [ \"$(docker inspect -f '{{.State.Health.Status}}' jellyfin)\" = healthy ] && exit 0; sleep 1; done; exit 1");
    watcherRound();
    expect(newMessages()).toEqual([expect.stringMatching(/^apps\/jellyfin recovery ok: running, healthy, /)]);
});

test("node_exporter on the LAN bind address serves the homelab_* metrics with the values the checks found", () => {
    watcherRound();
    expect(mustOnHost("ss -Hltn 'sport = :9100' | awk '{print $4}'").trim()).toBe(`${HOST_IP}:9100`);
    const metrics = must("docker", ["exec", RECEIVER.name, "wget", "-qO-", `http://${HOST_IP}:9100/metrics`]);
    const value = (series: string) => metrics.split("\n").find((l) => l.startsWith(`${series} `))?.split(" ")[1];
    expect(value('homelab_check_up{check="vpn/tunnel"}')).toBe("1");
    expect(value('homelab_check_up{check="storage/free"}')).toBe("1");
    expect(value("homelab_vpn_forwarded_port")).toBe("6881");
    expect(value("homelab_vpn_public_address_differs")).toBe("1");
    expect(value("homelab_vpn_tunnel_up")).toBe("1");
    expect(value(`homelab_filesystem_size_bytes{filesystem="data",path="${DATA}"}`)).toBe("6.7108864e+07");
    expect(value("homelab_backup_last_run_ok")).toBe("1");
    expect(Number(value("homelab_backup_age_seconds"))).toBeLessThan(600);
    expect(value('homelab_app_healthy{app="sonarr"}')).toBe("1");
    expect(value("homelab_lan_reachable")).toBe("1");
    expect(value("homelab_alerts_undelivered")).toBe("0");
    expect(metrics).toContain('node_textfile_scrape_error 0');
});

test("a reboot: the timer is back and the state is kept (a failure already reported is not reported again)", async () => {
    mustOnHost("docker update --restart no radarr >/dev/null && docker stop -t 1 radarr >/dev/null");
    rounds(2);
    expect(newMessages()).toEqual([expect.stringMatching(/^apps\/radarr alert failing: is exited; /)]);
    must("docker", ["restart", "-t", "5", HOST]);
    // The nested engine (vfs storage) restarts every stand-in at boot: minutes on a loaded machine.
    await waitFor("the host's engine after the reboot", () => onHost("docker info >/dev/null 2>&1 && docker inspect -f '{{.State.Running}}' gluetun").stdout.trim() === "true", 300_000);
    // The stand-ins' namespace loses its veth tunnel on a reboot; qBittorrent and Prowlarr rejoin Gluetun's new one.
    tunnelUp();
    mustOnHost(`${standIn("qbittorrent")}\n${standIn("prowlarr")}`);
    await waitFor("healthy stand-ins", () => onHost(`docker inspect -f '{{.State.Health.Status}}' ${APPS.filter((a) => a !== "radarr").join(" ")}`).stdout.trim().split("\n").every((s) => s === "healthy"));
    expect(mustOnHost("systemctl is-active homelab-watch.timer").trim()).toBe("active");
    rounds(2);
    expect(newMessages()).toEqual([]);
    expect(mustOnHost("grep -h '^effective=' /var/lib/homelab/watch/checks/apps_radarr")).toBe("effective=failing\n");
});
