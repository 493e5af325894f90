/**
 * A stateful Bazarr (v1.6.0) written from its API and settings code (bazarr/api/system/settings.py, app/config.py):
 * - `/api/system/settings` needs the API key (header `X-API-KEY`, query or form `apikey`), else 401;
 * - `POST` reads only form fields (`settings-<section>-<key>`): a JSON body is accepted and ignored (204);
 *   values are cast like Bazarr does ("true"/"false" to booleans, digits to integers except for string keys such as
 *   passwords, "None"/"null" to None) and validated: a boolean key given "True" or a port out of range answers 406
 *   and changes nothing;
 * - `settings-auth-password` is stored as its MD5 hex digest, and `GET` returns that digest (never the password);
 * - a change of the sonarr/radarr section (or use_sonarr/use_radarr) restarts that SignalR client
 *   (app/config.py save_settings), which builds the URL with url_sonarr/url_radarr: the in-memory base_url loses its
 *   trailing slash, so "/" reads back as "" (bazarr/sonarr/info.py, bazarr/radarr/info.py); and its start loop
 *   retries every 5 s while the app cannot be reached, so the POST does not answer until it can
 *   (app/signalr_client.py).
 * Checked against a real Bazarr run from source (master of 2025-05) with the program's seeded config: GET before
 * the save held base_url "/"; the save answered 204 in about 2 s with Sonarr/Radarr fakes listening and then read
 * back base_url "" (the wiring before the fix failed there with "Bazarr did not keep the sonarr, radarr settings");
 * with Sonarr/Radarr on closed ports the save gave no answer within 30 s.
 * Writes (accepted POSTs with settings) are counted in `state.writes`.
 */
import { createHash } from "node:crypto";
import { FakeRequest, FakeReply, reply, serveFake } from "./media-fake-http";
import type { FakeProvenance } from "./provenance";

export const BAZARR_VERSION = "v1.6.0";

export const FAKE_OF: FakeProvenance = {
    app: "bazarr",
    version: BAZARR_VERSION,
    repository: "morpheus65535/bazarr",
    sources: [
        "bazarr/api/system/settings.py: SystemSettings.get, SystemSettings.post",
        "bazarr/app/config.py: validators, save_settings (sonarr_changed/radarr_changed -> signalr restart)",
        "bazarr/app/signalr_client.py: SonarrSignalrClientLegacy/SonarrSignalrClient/RadarrSignalrClient start loops (retry every 5 s)",
        "bazarr/sonarr/info.py: url_sonarr (rewrites settings.sonarr.base_url)",
        "bazarr/radarr/info.py: url_radarr (rewrites settings.radarr.base_url)",
        "bazarr/utilities/helper.py / app/config.py: auth.password stored as md5 hex",
    ],
    assumed: [
        "read in the morpheus65535/bazarr mirror at master (2025-05, v1.5.2 era; the mirror has no v1.6.0 tag): the code above is unchanged since v1.0 per the issue's notes, and the run against a real Bazarr from source is the check",
    ],
};

type Value = string | number | boolean | null;
export type FakeBazarrSettings = Record<string, Record<string, Value>>;

export interface FakeBazarrState {
    settings: FakeBazarrSettings;
    writes: string[];
    /** Settings POSTs that are waiting for Sonarr/Radarr to answer (the SignalR start loop). */
    blocked: number;
}

/** What answers inside Bazarr's container, by the ip and port written into its settings (default: everything). */
export type BazarrReach = (host: string, port: number) => boolean;

export interface FakeBazarr {
    port: number;
    state: FakeBazarrState;
    close(): Promise<void>;
}

const BOOLEAN_KEYS = ["general.use_sonarr", "general.use_radarr", "sonarr.ssl", "radarr.ssl", "sonarr.only_monitored", "radarr.only_monitored"];
const PORT_KEYS = ["sonarr.port", "radarr.port"];
const STRING_KEYS = ["password", "chmod"];
const EMPTY_VALUES = ["None", "null", "undefined"];
const AUTH_TYPES = [null, "basic", "form"];

export const md5 = (value: string) => createHash("md5").update(value, "utf8").digest("hex");

function defaults(apiKey: string): FakeBazarrSettings {
    return {
        general: { use_sonarr: false, use_radarr: false, base_url: "", ip: "*", port: 6767 },
        auth: { apikey: apiKey, type: null, username: "", password: "" },
        sonarr: { ip: "127.0.0.1", port: 8989, base_url: "/", ssl: false, apikey: "", only_monitored: false },
        radarr: { ip: "127.0.0.1", port: 7878, base_url: "/", ssl: false, apikey: "", only_monitored: false },
    };
}

function cast(key: string, raw: string): Value {
    if (EMPTY_VALUES.includes(raw)) return null;
    if (raw === "true") return true;
    if (raw === "false") return false;
    if (!STRING_KEYS.includes(key) && /^-?\d+$/.test(raw)) return Number(raw);
    return raw;
}

/** The reason Bazarr's validators would refuse `value` for `section.key`, or undefined. */
function invalid(section: string, key: string, value: Value): string | undefined {
    const name = `${section}.${key}`;
    if (BOOLEAN_KEYS.includes(name) && typeof value !== "boolean") return `${name} must is_type_of bool but it is ${String(value)}`;
    if (PORT_KEYS.includes(name) && (typeof value !== "number" || value < 1 || value > 65535)) return `${name} must be an integer between 1 and 65535`;
    if (name === "auth.type" && !AUTH_TYPES.includes(value as string | null)) return `auth.type must is_in [None, 'basic', 'form']`;
    return undefined;
}

function authorized(state: FakeBazarrState, req: FakeRequest): boolean {
    const key = state.settings.auth.apikey;
    return [req.headers["x-api-key"], req.query.get("apikey"), req.form().get("apikey")].includes(String(key));
}

/** url_sonarr / url_radarr: the in-memory base_url loses its trailing slash; "" and "/" become "". */
function rewriteBaseUrl(value: Value): string {
    let url = typeof value === "string" ? value : "";
    if (url === "") url = "/";
    if (!url.startsWith("/")) url = `/${url}`;
    if (url.endsWith("/")) url = url.slice(0, -1);
    return url;
}

async function saveSettings(state: FakeBazarrState, req: FakeRequest, reach: BazarrReach, closed: () => boolean): Promise<FakeReply> {
    const changes: [string, string, Value][] = [];
    for (const [field, raw] of req.form()) {
        const parts = field.split("-");
        if (parts[0] !== "settings" || parts.length !== 3) continue;
        const [, section, key] = parts;
        let value = cast(key, raw);
        if (key === "base_url" && typeof value === "string") value = value.replace(/\/{2,}/g, "/");
        if (section === "auth" && key === "password" && value !== null && value !== state.settings.auth.password) value = md5(String(value));
        const problem = invalid(section, key, value);
        if (problem) return { status: 406, text: problem };
        changes.push([section, key, value]);
    }
    for (const [section, key, value] of changes) {
        state.settings[section] = { ...(state.settings[section] ?? {}), [key]: value };
    }
    if (changes.length > 0) state.writes.push(`POST /api/system/settings ${changes.map(([s, k]) => `${s}.${k}`).join(",")}`);
    // save_settings: a changed sonarr/radarr section (or use_sonarr/use_radarr) restarts that SignalR client, which
    // builds the URL with url_sonarr/url_radarr (rewriting base_url in memory) and retries until the app answers.
    for (const kind of ["sonarr", "radarr"] as const) {
        const changed = changes.some(([section, key]) => section === kind || (section === "general" && key === `use_${kind}`));
        if (!changed || state.settings.general[`use_${kind}`] !== true) continue;
        state.settings[kind].base_url = rewriteBaseUrl(state.settings[kind].base_url);
        const { ip, port } = state.settings[kind];
        state.blocked++;
        while (!reach(String(ip), Number(port)) && !closed()) await new Promise((resolve) => setTimeout(resolve, 50));
        state.blocked--;
    }
    return reply(204);
}

function handle(state: FakeBazarrState, req: FakeRequest, reach: BazarrReach, closed: () => boolean): FakeReply | Promise<FakeReply> {
    if (req.path === "/api/system/status" && req.method === "GET") {
        return authorized(state, req) ? reply(200, { data: { bazarr_version: BAZARR_VERSION.slice(1) } }) : reply(401);
    }
    if (req.path !== "/api/system/settings") return reply(404);
    if (!authorized(state, req)) return reply(401);
    if (req.method === "GET") return reply(200, { ...structuredClone(state.settings), notifications: { providers: [] } });
    if (req.method === "POST") return saveSettings(state, req, reach, closed);
    return reply(405);
}

export async function start(options: { apiKey: string; reach?: BazarrReach }): Promise<FakeBazarr> {
    const state: FakeBazarrState = { settings: defaults(options.apiKey), writes: [], blocked: 0 };
    let closed = false;
    const server = await serveFake((req) => handle(state, req, options.reach ?? (() => true), () => closed));
    return { port: server.port, state, close: () => { closed = true; return server.close(); } };
}
