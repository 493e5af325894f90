/**
 * systemd calendar expressions (`OnCalendar=`, man systemd.time "Calendar Events"), checked at config time so a
 * schedule systemd cannot parse is refused before anything is deployed. The rules follow systemd's own parser
 * (src/shared/calendarspec.c: calendar_spec_from_string, parse_weekdays, parse_date, parse_calendar_time,
 * parse_chain, prase_one, parse_component_decimal, calendar_spec_valid); test/calendar.test.ts compares this
 * function with `systemd-analyze calendar` on a corpus of expressions.
 */

const SHORTHANDS = new Set([
    "minutely", "hourly", "daily", "monthly", "weekly", "yearly", "annually", "quarterly",
    "semiannually", "semi-annually", "biannually", "bi-annually",
]);
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const USEC_PER_SEC = 1_000_000;
const INT_MAX = 2 ** 31 - 1;
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;

interface Component { start: number; stop: number; repeat: number }

class Invalid extends Error {}

/** A cursor over the expression, as systemd's parser walks its `const char **p`. */
class Cursor {
    constructor(private readonly text: string, public at = 0) {}
    ch(): string { return this.text[this.at] ?? ""; }
    get atEnd(): boolean { return this.at >= this.text.length; }
    startsWith(s: string): boolean { return this.text.startsWith(s, this.at); }
    rest(): string { return this.text.slice(this.at); }
    skipSpaces(): void { while (this.ch() === " ") this.at++; }
}

function parseDecimal(c: Cursor, usec: boolean): number {
    const digits = /^\d+/.exec(c.rest());
    if (!digits) throw new Invalid();
    c.at += digits[0].length;
    let value = Number(digits[0]);
    if (usec) {
        value *= USEC_PER_SEC;
        // One "." is a decimal point, ".." is a range.
        if (c.ch() === "." && !c.startsWith("..")) {
            c.at++;
            const fraction = /^\d+/.exec(c.rest());
            if (!fraction) throw new Invalid();
            c.at += fraction[0].length;
            // Six digits kept, the seventh rounds (parse_fractional_part_u).
            const six = Number(fraction[0].slice(0, 6).padEnd(6, "0"));
            value += six + (fraction[0].length > 6 && Number(fraction[0][6]) >= 5 ? 1 : 0);
        }
    }
    if (value > INT_MAX) throw new Invalid();
    return value;
}

function parseOne(c: Cursor, usec: boolean, into: Component[]): void {
    const start = parseDecimal(c, usec);
    let stop = -1;
    let repeat = 0;
    if (c.startsWith("..")) {
        c.at += 2;
        stop = parseDecimal(c, usec);
    }
    if (c.ch() === "/") {
        c.at++;
        repeat = parseDecimal(c, usec);
        if (repeat === 0) throw new Invalid();
    }
    into.push({ start, stop, repeat });
    if (c.ch() === ",") {
        c.at++;
        parseOne(c, usec, into);
    }
}

/** A component list; `*` alone is "any" (undefined). */
function parseChain(c: Cursor, usec: boolean): Component[] | undefined {
    if (c.ch() === "*") {
        c.at++;
        return undefined;
    }
    const chain: Component[] = [];
    parseOne(c, usec, chain);
    return chain;
}

function parseWeekdays(c: Cursor): void {
    let first = true;
    let previous = -1;
    let inRange = false;
    for (;;) {
        const word = /^[A-Za-z]+/.exec(c.rest())?.[0].toLowerCase() ?? "";
        const day = WEEKDAYS.findIndex((d) => d === word || d.slice(0, 3) === word);
        if (day < 0) {
            if (first) return;
            throw new Invalid();
        }
        c.at += word.length;
        if (inRange && day < previous) throw new Invalid();
        inRange = false;
        previous = day;
        first = false;
        if (c.startsWith("..") || c.ch() === "-") {
            c.at += c.ch() === "-" ? 1 : 2;
            inRange = true;
            continue;
        }
        if (c.ch() === ",") {
            c.at++;
            continue;
        }
        if (c.ch() === " ") {
            c.skipSpaces();
            return;
        }
        if (c.atEnd) return;
        throw new Invalid();
    }
}

interface Spec { year?: Component[]; month?: Component[]; day?: Component[]; hour?: Component[]; minute?: Component[]; second?: Component[] }

function parseDate(c: Cursor, spec: Spec): void {
    if (c.atEnd) return;
    const t = new Cursor(c.rest());
    const first = parseChain(t, false);
    // A ':' (or the end) right after the first part: that was a time, not a date.
    if (t.atEnd || t.ch() === ":") return;
    if (t.ch() !== "-" && t.ch() !== "~") throw new Invalid();
    const endOfMonth = t.ch() === "~";
    t.at++;
    const second = parseChain(t, false);
    if (t.atEnd || t.ch() === " ") {
        t.skipSpaces();
        c.at += t.at;
        spec.month = first;
        spec.day = second;
        return;
    }
    if (endOfMonth || (t.ch() !== "-" && t.ch() !== "~")) throw new Invalid();
    t.at++;
    const third = parseChain(t, false);
    if (!t.atEnd && t.ch() !== " ") throw new Invalid();
    t.skipSpaces();
    c.at += t.at;
    // Two-digit years: 70..99 are 19xx, 0..69 are 20xx.
    spec.year = first?.map((y) => ({ ...y, start: fixYear(y.start), stop: y.stop < 0 ? y.stop : fixYear(y.stop) }));
    spec.month = second;
    spec.day = third;
}

function fixYear(year: number): number {
    return year < 70 ? year + 2000 : year < 100 ? year + 1900 : year;
}

function parseTime(c: Cursor, spec: Spec): void {
    if (c.atEnd) return;
    spec.hour = parseChain(c, false);
    if (c.ch() !== ":") throw new Invalid();
    c.at++;
    spec.minute = parseChain(c, false);
    if (c.atEnd) return;
    if (c.ch() !== ":") throw new Invalid();
    c.at++;
    spec.second = parseChain(c, true);
    if (!c.atEnd) throw new Invalid();
}

function chainValid(chain: Component[] | undefined, from: number, to: number): boolean {
    return (chain ?? []).every((x) => x.start >= from && x.start <= to && x.repeat <= to - from
        && (x.stop < 0 || (x.stop >= from && x.stop <= to && x.start <= x.stop)));
}

/**
 * True when systemd accepts `expression` as a calendar event. `isTimeZone` decides whether a trailing word is
 * a time zone (systemd: UTC, or a zone in the tz database).
 */
export function isSystemdCalendar(expression: string, isTimeZone: (name: string) => boolean): boolean {
    let text = expression;
    const lastSpace = text.lastIndexOf(" ");
    if (lastSpace >= 0) {
        const word = text.slice(lastSpace + 1);
        if (word.toUpperCase() === "UTC" || isTimeZone(word)) text = text.slice(0, lastSpace);
    }
    if (text === "") return false;
    if (text.startsWith("@")) return /^@\d+$/.test(text);
    if (SHORTHANDS.has(text.toLowerCase())) return true;
    try {
        const c = new Cursor(text);
        const spec: Spec = {};
        parseWeekdays(c);
        parseDate(c, spec);
        parseTime(c, spec);
        if (!c.atEnd) return false;
        return chainValid(spec.year, MIN_YEAR, MAX_YEAR) && chainValid(spec.month, 1, 12) && chainValid(spec.day, 1, 31)
            && chainValid(spec.hour, 0, 23) && chainValid(spec.minute, 0, 59) && chainValid(spec.second, 0, 60 * USEC_PER_SEC - 1);
    } catch (error) {
        if (error instanceof Invalid) return false;
        throw error;
    }
}
