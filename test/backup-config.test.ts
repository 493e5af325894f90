/** The backup and status settings: defaults, accepted forms, and one clear line per bad value. */
import { rawConfig } from "./support/fixtures";
import { ConfigError, DEFAULTS, parseConfig } from "../components/config";

const allSecret = (): boolean => true;

function problemsOf(overrides: Record<string, unknown>): string[] {
    try {
        parseConfig(rawConfig(overrides), allSecret);
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
    }
    throw new Error(`config was accepted: ${JSON.stringify(overrides)}`);
}

test("backups are off by default; the echo service has its default", () => {
    const cfg = parseConfig(rawConfig(), allSecret);
    expect(cfg.backup).toBeUndefined();
    expect(cfg.ipEchoUrl).toBe(DEFAULTS.ipEchoUrl);
});

test("a repository turns them on with the defaults: daily, 7 daily and 4 weekly", () => {
    expect(parseConfig(rawConfig({ backup: { repository: "/mnt/usb/homelab" } }), allSecret).backup).toEqual({
        repository: "/mnt/usb/homelab", schedule: "daily", keep: { daily: 7, weekly: 4, monthly: 0 },
    });
});

test("accepts the CLI's JSON-encoded map, an sftp target and a calendar expression", () => {
    const cfg = parseConfig(rawConfig({
        backup: '{"repository":"sftp:backup@nas.lan:/srv/restic/homelab","schedule":"Mon *-*-* 02:00:00","keep":{"daily":"3","monthly":6}}',
        ipEchoUrl: "http://10.0.0.5:8080/ip",
    }), allSecret);
    expect(cfg.backup).toEqual({ repository: "sftp:backup@nas.lan:/srv/restic/homelab", schedule: "Mon *-*-* 02:00:00", keep: { daily: 3, weekly: 4, monthly: 6 } });
    expect(cfg.ipEchoUrl).toBe("http://10.0.0.5:8080/ip");
});

test.each([
    [{ backup: { repository: "usb/homelab" } }, "homelab:backup.repository: must be an absolute path on the host"],
    [{ backup: { repository: "/mnt/../etc" } }, "homelab:backup.repository: must be an absolute path on the host"],
    [{ backup: { repository: "s3:s3.amazonaws.com/bucket" } }, "homelab:backup.repository: must be an absolute path on the host"],
    [{ backup: { repository: "/mnt/usb", schedule: "daily; rm -rf /" } }, "homelab:backup.schedule: must be a systemd calendar expression"],
    [{ backup: { repository: "/mnt/usb", keep: { daily: -1 } } }, "homelab:backup.keep.daily: must be 0 or more"],
    [{ backup: { repository: "/mnt/usb", keep: { yearly: 2 } } }, `homelab:backup.keep: "yearly" is not a setting here`],
    [{ backup: { repository: "/mnt/usb", keep: { daily: 0, weekly: 0 } } }, "homelab:backup.keep: keeps no snapshot at all"],
    [{ backup: { repo: "/mnt/usb" } }, `homelab:backup: "repo" is not a setting here`],
    [{ host: undefined, sshHostKey: undefined, sshPrivateKey: undefined, backup: { repository: "/mnt/usb" } }, "homelab:backup.repository: backups run on the server"],
    [{ ipEchoUrl: "ftp://example.com/ip" }, "homelab:ipEchoUrl: must be an http:// or https:// URL"],
    [{ ipEchoUrl: "https://example.com/$(id)" }, "homelab:ipEchoUrl: must be an http:// or https:// URL"],
])("%j is refused: %s", (overrides, message) => {
    const problems = problemsOf(overrides);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
});

test.each(["every night", "03:30 am", "*/5:00", "25:00", "Mon..Sun 1:00 Mars/Olympus"])("a schedule systemd cannot parse, %j, is refused at config time", (schedule) => {
    expect(problemsOf({ backup: { repository: "/mnt/usb", schedule } })).toEqual([
        expect.stringMatching(/^homelab:backup\.schedule: must be a systemd calendar expression \(OnCalendar=\); systemd cannot parse /),
    ]);
});

test.each(["daily", "Mon..Fri 02:00", "*-*-* 03:30:00", "Sat *-*-1..7 04:00 Europe/Berlin", "weekly"])("%j is a schedule systemd accepts", (schedule) => {
    expect(parseConfig(rawConfig({ backup: { repository: "/mnt/usb", schedule } }), allSecret).backup?.schedule).toBe(schedule);
});
