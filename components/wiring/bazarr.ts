/**
 * Bazarr wiring: connected to Sonarr and Radarr, forms authentication on. Bazarr's API key is fixed before first
 * boot (the program seeds `/config/config/config.yaml` auth.apikey) and sent as `X-API-KEY`.
 * `POST /api/system/settings` takes form fields `settings-<section>-<key>` only (a JSON body is silently ignored),
 * booleans as lowercase "true"/"false" (anything else answers 406); Bazarr stores the password as its MD5 digest
 * and `GET` returns that digest (bazarr/api/system/settings.py, app/config.py).
 *
 * Saving Sonarr/Radarr settings restarts Bazarr's SignalR clients (app/config.py save_settings), whose start loop
 * retries every 5 s until the app answers (app/signalr_client.py): while Sonarr or Radarr cannot be reached the
 * POST does not return. The wiring plan therefore runs this resource after the Sonarr and Radarr wiring, which
 * wait until each answers.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { AppAddress, AppConnection } from "./core/types";
import { AppClient, WiringError } from "./core/client";
import { secretHash } from "./core/secrets";
import { WiringBaseInputs, WiringImplementation, wiringProvider, wiringSecretOutputs } from "./core/provider";
import { WiringResource } from "./core/resource";
import { WIRING_VERSION } from "./core/version";

/** Sonarr or Radarr as Bazarr reaches it. */
export interface BazarrArrConnection {
    ip: string;
    port: number;
    /** URL base of the app, "/" at the root. */
    baseUrl: string;
    ssl: boolean;
    apiKey: string;
}

export interface BazarrInputs extends WiringBaseInputs {
    /** Bazarr's own API key (seeded in config.yaml auth.apikey). */
    apiKey: string;
    authUsername: string;
    authPassword: string;
    /** Absent when the app is switched off. */
    sonarr?: BazarrArrConnection;
    radarr?: BazarrArrConnection;
}

export interface BazarrArrState { enabled: boolean; ip: string; port: number; baseUrl: string; ssl: boolean; apiKeyHash: string }

export interface BazarrState {
    sonarr: BazarrArrState;
    radarr: BazarrArrState;
    authType: string;
    authUsername: string;
    /** secretHash of the MD5 digest Bazarr holds for the password. */
    authPasswordHash: string;
}

type ArrKind = "sonarr" | "radarr";
const ARR_KINDS: readonly ArrKind[] = ["sonarr", "radarr"];
const AUTH = "auth";

type Section = Record<string, string | number | boolean | null | undefined>;
interface BazarrSettings { general: Section; auth: Section; sonarr: Section; radarr: Section }

function fail(c: AppClient, step: string, reason: string): never {
    throw new WiringError(c.app, c.address, step, reason, false);
}

const md5 = (value: string) => createHash("md5").update(value, "utf8").digest("hex");
const keyHeader = (inputs: BazarrInputs) => ({ "X-API-KEY": inputs.apiKey });
/** Bazarr collapses repeated slashes and keeps "/" for the root. */
const normalBaseUrl = (url: string) => (url === "" ? "/" : url.replace(/\/{2,}/g, "/"));
/**
 * The base URL as Bazarr holds it once it has built the app's URL: `url_sonarr` / `url_radarr`
 * (bazarr/sonarr/info.py, bazarr/radarr/info.py) rewrite the in-memory setting, "" and "/" to "", "x/" to "/x", every
 * time a settings change restarts the SignalR clients, and `GET /api/system/settings` returns that memory. So
 * "/" saved reads back as "": compare in this form.
 */
export function heldBaseUrl(url: string): string {
    const collapsed = url.replace(/\/{2,}/g, "/");
    const rooted = collapsed === "" || collapsed === "/" ? "/" : collapsed.startsWith("/") ? collapsed : `/${collapsed}`;
    return rooted.endsWith("/") ? rooted.slice(0, -1) : rooted;
}

function arrState(settings: BazarrSettings, kind: ArrKind): BazarrArrState {
    const section = settings[kind];
    return {
        enabled: settings.general[`use_${kind}`] === true,
        ip: String(section.ip ?? ""),
        port: Number(section.port ?? 0),
        baseUrl: String(section.base_url ?? "/"),
        ssl: section.ssl === true,
        apiKeyHash: secretHash(String(section.apikey ?? "")),
    };
}

async function observe(c: AppClient, inputs: BazarrInputs): Promise<BazarrState> {
    const res = await c.call("read settings", { method: "GET", path: "/api/system/settings", headers: keyHeader(inputs) }, [200, 401]);
    if (res.status === 401) fail(c, "read settings", "the API key is refused: Bazarr was not started with the program's config.yaml auth.apikey");
    const settings = res.json<BazarrSettings>();
    return {
        sonarr: arrState(settings, "sonarr"),
        radarr: arrState(settings, "radarr"),
        authType: String(settings.auth.type ?? ""),
        authUsername: String(settings.auth.username ?? ""),
        authPasswordHash: secretHash(String(settings.auth.password ?? "")),
    };
}

function arrMatches(wanted: BazarrArrConnection, held: BazarrArrState): boolean {
    return held.enabled && held.ip === wanted.ip && held.port === wanted.port && heldBaseUrl(held.baseUrl) === heldBaseUrl(wanted.baseUrl) && held.ssl === wanted.ssl && held.apiKeyHash === secretHash(wanted.apiKey);
}

function authMatches(inputs: BazarrInputs, held: BazarrState): boolean {
    return held.authType === "form" && held.authUsername === inputs.authUsername && held.authPasswordHash === secretHash(md5(inputs.authPassword));
}

const bool = (value: boolean) => (value ? "true" : "false");

function arrFields(kind: ArrKind, wanted: BazarrArrConnection): Record<string, string> {
    return {
        [`settings-general-use_${kind}`]: "true",
        [`settings-${kind}-ip`]: wanted.ip,
        [`settings-${kind}-port`]: String(wanted.port),
        [`settings-${kind}-base_url`]: normalBaseUrl(wanted.baseUrl),
        [`settings-${kind}-ssl`]: bool(wanted.ssl),
        [`settings-${kind}-apikey`]: wanted.apiKey,
    };
}

async function save(c: AppClient, inputs: BazarrInputs, step: string, form: Record<string, string>): Promise<void> {
    const res = await c.call(step, { method: "POST", path: "/api/system/settings", headers: keyHeader(inputs), form }, [204, 406]);
    if (res.status === 406) fail(c, step, `Bazarr refused the settings: ${res.text.slice(0, 200)}`);
}

export const bazarrImplementation: WiringImplementation<BazarrInputs, BazarrState> = {
    app: "Bazarr",
    // Without the key Bazarr answers 401: enough to know it is up (observe then says if the key is wrong).
    ready: { req: { method: "GET", path: "/api/system/settings" }, expect: [200, 401] },
    secretOutputs: ["apiKey", "authPassword", "sonarr", "radarr"],
    check: (inputs) => [
        ...(inputs.apiKey ? [] : ["apiKey must not be empty"]),
        ...(inputs.authUsername && inputs.authPassword ? [] : ["authUsername and authPassword must not be empty"]),
    ],
    observe,
    converge: async (c, inputs, _observed, created) => {
        const held = await observe(c, inputs);
        const form: Record<string, string> = {};
        let next = [...created];
        for (const kind of ARR_KINDS) {
            const wanted = inputs[kind];
            if (wanted && !arrMatches(wanted, held[kind])) {
                Object.assign(form, arrFields(kind, wanted));
                if (!held[kind].enabled && !next.includes(kind)) next.push(kind);
            } else if (!wanted && next.includes(kind)) {
                form[`settings-general-use_${kind}`] = "false";
                next = next.filter((e) => e !== kind);
            }
        }
        if (!authMatches(inputs, held)) {
            Object.assign(form, { "settings-auth-type": "form", "settings-auth-username": inputs.authUsername, "settings-auth-password": inputs.authPassword });
            if (held.authType !== "form" && !next.includes(AUTH)) next.push(AUTH);
        }
        if (Object.keys(form).length > 0) await save(c, inputs, "save settings", form);
        const state = await observe(c, inputs);
        // Bazarr answers 204 even when it ignored what it was sent: read back to be sure.
        const unapplied = ARR_KINDS.filter((kind) => inputs[kind] !== undefined && !arrMatches(inputs[kind] as BazarrArrConnection, state[kind]));
        if (unapplied.length > 0 || !authMatches(inputs, state)) fail(c, "save settings", `Bazarr did not keep the ${[...unapplied, ...(authMatches(inputs, state) ? [] : ["authentication"])].join(", ")} settings`);
        return { state, created: next };
    },
    // Forms authentication stays on after destroy (turning a login off is never done behind a user's back).
    remove: async (c, inputs, created) => {
        const form: Record<string, string> = {};
        for (const kind of ARR_KINDS) if (created.includes(kind)) form[`settings-general-use_${kind}`] = "false";
        if (Object.keys(form).length > 0) await save(c, inputs, "disconnect Sonarr/Radarr", form);
    },
    matches: (inputs, observed) =>
        authMatches(inputs, observed) &&
        ARR_KINDS.every((kind) => {
            const wanted = inputs[kind];
            return wanted === undefined || arrMatches(wanted, observed[kind]);
        }),
};

const bazarrProvider = wiringProvider(bazarrImplementation);

export interface BazarrArgs {
    connection: pulumi.Input<AppConnection>;
    /** Bazarr's stack address, port and base path. */
    address: pulumi.Input<AppAddress>;
    /** Bazarr's API key, the value the program seeds in `/config/config/config.yaml` auth.apikey (secret). */
    apiKey: pulumi.Input<string>;
    /** Forms-authentication login (the password is generated by the program). */
    authUsername: pulumi.Input<string>;
    authPassword: pulumi.Input<string>;
    /** Sonarr / Radarr as seen from Bazarr's container; absent when the app is switched off. */
    sonarr?: pulumi.Input<BazarrArrConnection>;
    radarr?: pulumi.Input<BazarrArrConnection>;
    readyTimeoutSeconds?: pulumi.Input<number>;
}

/** Bazarr connected to Sonarr/Radarr with forms authentication. Destroy disconnects what it connected. */
export class BazarrWiring extends WiringResource {
    /** What the app held after the last create/update/refresh (null under mocks). */
    declare public readonly observed: pulumi.Output<BazarrState | null>;
    declare public readonly created: pulumi.Output<string[]>;

    constructor(name: string, args: BazarrArgs, opts?: pulumi.CustomResourceOptions) {
        super("bazarr", bazarrProvider, name, { ...args, providerVersion: WIRING_VERSION, observed: undefined, created: undefined }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(bazarrImplementation)],
        });
    }
}
