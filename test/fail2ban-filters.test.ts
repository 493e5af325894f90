/**
 * The Fail2Ban filters of components/host/fail2ban.sh against the apps' real failed-login lines, checked
 * without a host: the filter is printed by the script's own shell function and matched the way fail2ban
 * does (the date cut out of the line, <ADDR> an address). `npm run test:host` runs fail2ban-regex for real.
 */
import { execFileSync } from "child_process";
import * as path from "path";

const SCRIPT = path.join(__dirname, "..", "components", "host", "fail2ban.sh");

/** The filter file body the script writes for a kind, from its own `filter_body` function. */
function filterBody(kind: string): string {
    return execFileSync("bash", ["-c", `source <(sed -n '/^filter_body() {/,/^}/p' "$0"); filter_body "$1"`, SCRIPT, kind], { encoding: "utf8" });
}

/** The failregex as a JS RegExp (the Python syntax used is common to both), <ADDR> captured as `addr`. */
function failRegex(kind: string): RegExp {
    const line = filterBody(kind).split("\n").find((l) => l.startsWith("failregex = "));
    if (!line) throw new Error(`no failregex for ${kind}`);
    return new RegExp(line.slice("failregex = ".length).replace("<ADDR>", "(?<addr>\\d{1,3}(?:\\.\\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:]+)"));
}

/** What fail2ban matches: the line with its ISO 8601 date cut out. */
function withoutDate(line: string): string {
    return line.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/, "");
}

/**
 * A line as Seerr v3.1.0 (server/logger.ts `hformat`) writes it to logs/seerr-YYYY-MM-DD.log: winston's ISO
 * timestamp, `[level]`, `[label]`, `: message `, then the metadata as JSON.
 */
function seerrLine(level: string, label: string, message: string, metadata: Record<string, unknown>): string {
    return `2026-11-26T08:00:00.123Z [${level}][${label}]: ${message} ${JSON.stringify(metadata)}`;
}

describe("Seerr 3.x", () => {
    const regex = () => failRegex("seerr");
    // The failed sign-ins of v3.1.0's server/routes/auth.ts (logger.warn), with the client address where it logs it.
    const failures: [string, string, string][] = [
        ["wrong Jellyfin password", seerrLine("warn", "Auth", "Failed login attempt from user with incorrect Jellyfin credentials",
            { account: { ip: "::ffff:203.0.113.9", email: "bob", password: "__REDACTED__" } }), "203.0.113.9"],
        ["wrong local password", seerrLine("warn", "API", "Failed sign-in attempt using invalid Seerr password",
            { ip: "203.0.113.10", email: "bob@example.org" }), "203.0.113.10"],
        ["wrong local password of an existing user", seerrLine("warn", "API", "Failed sign-in attempt using invalid Seerr password",
            { ip: "203.0.113.11", email: "alice@example.org", userId: 2 }), "203.0.113.11"],
        ["a user name that carries another address", seerrLine("warn", "Auth", "Failed login attempt from user with incorrect Jellyfin credentials",
            { account: { ip: "203.0.113.12", email: '"ip":"198.51.100.66"', password: "__REDACTED__" } }), "203.0.113.12"],
        ["a Jellyfin user without admin rights", seerrLine("warn", "Auth", "Failed login attempt from user without admin permissions",
            { account: { ip: "203.0.113.13", email: "carol" } }), "203.0.113.13"],
        ["an unimported Jellyfin user", seerrLine("warn", "API", "Failed sign-in attempt by unimported Jellyfin user with access to the media server",
            { ip: "::ffff:203.0.113.14", jellyfinUserId: "abc", jellyfinUsername: "dave" }), "203.0.113.14"],
        ["an IPv6 client", seerrLine("warn", "API", "Failed sign-in attempt using invalid Seerr password",
            { ip: "2001:db8::7", email: "bob@example.org" }), "2001:db8::7"],
    ];

    test.each(failures)("a failed sign-in is matched with the client's address: %s", (_what, line, ip) => {
        expect(regex().exec(withoutDate(line))?.groups?.addr).toBe(ip);
    });

    test.each([
        seerrLine("info", "API", "Sign-in attempt from Jellyfin user with access to the media server; creating initial admin user for Seerr",
            { ip: "203.0.113.20", jellyfinUsername: "bob" }),
        seerrLine("info", "API", "Found matching Jellyfin user; updating user with Jellyfin", { ip: "203.0.113.21", jellyfinUsername: "bob" }),
        seerrLine("debug", "Jobs", "Starting scheduled job: Download Sync", {}),
    ])("a normal line is not a failure: %s", (line) => {
        expect(regex().test(withoutDate(line))).toBe(false);
    });
});
