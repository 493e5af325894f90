/**
 * The backup schedule's check (components/calendar.ts) against systemd itself: every expression of the corpus
 * is given to the real `systemd-analyze calendar`, and both must agree on accepting or refusing it.
 */
import { spawnSync } from "child_process";
import { isSystemdCalendar } from "../components/calendar";
import { CALENDAR_CORPUS } from "./calendar-corpus";

function isTimeZone(name: string): boolean {
    try {
        new Intl.DateTimeFormat("en", { timeZone: name });
        return /^[A-Za-z]/.test(name);
    } catch {
        return false;
    }
}

const analyze = spawnSync("systemd-analyze", ["calendar", "daily"], { encoding: "utf8" });
const hasSystemd = analyze.error === undefined && analyze.status === 0;
if (!hasSystemd) console.warn("systemd-analyze is not installed here: the comparison with systemd is skipped (the fixed cases below still run)");

/**
 * The expressions systemd accepts, from one run over the whole corpus: each accepted one gets a block that
 * starts with its "Original form", or with its "Normalized form" alone when it is already normalized.
 */
function acceptedBySystemd(expressions: string[]): Set<string> {
    const run = spawnSync("systemd-analyze", ["calendar", "--", ...expressions], { encoding: "utf8" });
    const echoed = run.stdout.split(/\n\s*\n/).map((block) => /^ *(?:Original|Normalized) form: (.*)$/m.exec(block)?.[1]);
    return new Set(echoed.filter((e): e is string => e !== undefined));
}

(hasSystemd ? test : test.skip)("accepts and refuses exactly what systemd-analyze calendar does, on every expression of the corpus", () => {
    const accepted = acceptedBySystemd(CALENDAR_CORPUS);
    const verdicts = CALENDAR_CORPUS.map((expression) => ({ expression, systemd: accepted.has(expression), ours: isSystemdCalendar(expression, isTimeZone) }));
    expect(verdicts.filter((v) => v.systemd !== v.ours)).toEqual([]);
    // The corpus holds both kinds, or the comparison proves little.
    expect(verdicts.filter((v) => v.systemd).length).toBeGreaterThan(40);
    expect(verdicts.filter((v) => !v.systemd).length).toBeGreaterThan(40);
});

test.each([
    ["daily", true], ["Mon..Fri 02:00", true], ["*-*-* 03:30:00", true], ["03:30 Europe/Berlin", true], ["Sat *-*-1..7 04:00", true],
    ["every night", false], ["25:00", false], ["*-13-01", false], ["Tue..Mon 1:00", false], ["", false], ["*:0/60", false],
])("%j: %s", (expression, accepted) => {
    expect(isSystemdCalendar(expression, isTimeZone)).toBe(accepted);
});
