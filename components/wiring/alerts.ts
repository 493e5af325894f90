/**
 * The apps' own notifications, sent where the watcher's alerts go (`homelab:alerts` ntfy, Gotify, webhook):
 * - `ServarrAlerts`: one connection ("notification") in Sonarr, Radarr, Lidarr or Prowlarr for one channel, named
 *   `homelab alerts (<channel>)`: health issues (warnings too) and their recovery, and in the library managers
 *   imports, upgrades and imports that need a person. Prowlarr has no imports: health only.
 * - `SeerrAlerts`: Seerr's notification agent of one channel (a single agent per kind in Seerr), on for the
 *   request notifications: pending, approved, auto-approved, auto-requested, available, declined, failed.
 *
 * Facts read at the pinned versions (Sonarr 4.0.19, Radarr 6.0.3, Lidarr 2.14.5, Prowlarr 2.3.5, Seerr 3.1.0):
 * - Servarr implementations `Ntfy` (NtfySettings: serverUrl, accessToken, topics, priority), `Gotify`
 *   (GotifySettings: server, appToken, priority), `Webhook` (WebhookSettings: url, method); the triggers each
 *   implementation supports are the On* methods it overrides (NotificationBase.SupportsOn*), and the ones below
 *   are supported by all three in each app. Tokens (privacy apiKey) come back masked.
 * - A connection is enabled when any On* trigger is on (NotificationDefinition.Enable); `POST` of an enabled one
 *   runs its test whatever forceSave says, and the test sends a message to the channel. So a connection is
 *   created with its triggers off (not validated, not tested: ProviderControllerBase.GetDefinition validates
 *   only enabled definitions), then switched on by a `PUT ?forceSave=true` (validated, not tested): a deploy
 *   neither depends on the channel answering nor sends test messages.
 * - Seerr: `GET/POST /api/v1/settings/notifications/<ntfy|gotify|webhook>` (server/routes/settings/notifications.ts);
 *   ntfy and Gotify store the body as sent (tokens readable), the webhook's `jsonPayload` travels as a JSON
 *   string and is read back decoded; `types` is a bitmask of server/lib/notifications/index.ts `Notification`
 *   (0 means every kind, so it is always set).
 */
import * as pulumi from "@pulumi/pulumi";
import { AppClient } from "./core/client";
import { WiringBaseInputs, WiringImplementation, wiringProvider, wiringSecretOutputs } from "./core/provider";
import { WiringResource } from "./core/resource";
import { secretHash } from "./core/secrets";
import type { AppAddress, AppConnection } from "./core/types";
import { WIRING_VERSION } from "./core/version";
import {
    apiDelete, apiGet, apiSend, createdIds, fieldValue, findProvider, ProviderResource, providerRewritingChangedSecrets, providerTemplate,
    ServarrApi, trackCreated, withFields,
} from "./servarr";

export type AlertChannel = "ntfy" | "gotify" | "webhook";
export const ALERT_CHANNELS: readonly AlertChannel[] = ["ntfy", "gotify", "webhook"];

/** Where a channel delivers: ntfy a server and a topic, Gotify a server, a webhook a URL; tokens travel apart. */
export interface AlertTarget { channel: AlertChannel; url: string; topic?: string }

// ---------------------------------------------------------------------------------------------------------------
// Sonarr, Radarr, Lidarr, Prowlarr

export type ServarrAlertApp = "sonarr" | "radarr" | "lidarr" | "prowlarr";

interface ServarrAlertFacts { title: string; prefix: string; triggers: string[] }

const HEALTH = ["onHealthIssue", "includeHealthWarnings", "onHealthRestored"];

/** Each app's API and the triggers the wiring turns on (NotificationDefinition of each app). */
export const SERVARR_ALERT_APPS: Readonly<Record<ServarrAlertApp, ServarrAlertFacts>> = {
    sonarr: { title: "Sonarr", prefix: "/api/v3", triggers: ["onDownload", "onUpgrade", "onManualInteractionRequired", ...HEALTH] },
    radarr: { title: "Radarr", prefix: "/api/v3", triggers: ["onDownload", "onUpgrade", "onManualInteractionRequired", ...HEALTH] },
    lidarr: { title: "Lidarr", prefix: "/api/v1", triggers: ["onReleaseImport", "onUpgrade", "onImportFailure", ...HEALTH] },
    prowlarr: { title: "Prowlarr", prefix: "/api/v1", triggers: HEALTH },
};

/** The implementation of each channel and the settings fields that carry its target and its token. */
const SERVARR_CHANNELS: Readonly<Record<AlertChannel, { implementation: string; tokenField?: string }>> = {
    ntfy: { implementation: "Ntfy", tokenField: "accessToken" },
    gotify: { implementation: "Gotify", tokenField: "appToken" },
    webhook: { implementation: "Webhook" },
};

export const alertConnectionName = (channel: AlertChannel): string => `homelab alerts (${channel})`;

function servarrTargetFields(target: AlertTarget): Record<string, unknown> {
    switch (target.channel) {
        case "ntfy": return { serverUrl: target.url, topics: [target.topic ?? ""] };
        case "gotify": return { server: target.url };
        case "webhook": return { url: target.url, method: 1 };
    }
}

export interface ServarrAlertsInputs extends WiringBaseInputs {
    app: ServarrAlertApp;
    apiKey: string;
    name: string;
    target: AlertTarget;
    /** ntfy's access token (optional) or Gotify's app token (required); none for a webhook. */
    token?: string;
}

export interface ServarrAlertsObserved {
    connection: {
        id: number; name: string; implementation: string; target: AlertTarget; triggers: string[];
        /** Set when the token input changed: the app masks it, so only a rewrite makes it hold the new one. */
        tokenStale: boolean;
    } | null;
}

function servarrApi(c: AppClient, inputs: ServarrAlertsInputs): ServarrApi {
    return { c, prefix: SERVARR_ALERT_APPS[inputs.app].prefix, apiKey: inputs.apiKey };
}

function targetOf(channel: AlertChannel, p: ProviderResource): AlertTarget {
    const text = (name: string) => String(fieldValue(p, name) ?? "");
    switch (channel) {
        case "ntfy": {
            const topics = fieldValue(p, "topics");
            return { channel, url: text("serverUrl"), topic: Array.isArray(topics) ? topics.join(",") : "" };
        }
        case "gotify": return { channel, url: text("server") };
        case "webhook": return { channel, url: text("url") };
    }
}

async function observeServarrAlerts(c: AppClient, inputs: ServarrAlertsInputs): Promise<ServarrAlertsObserved> {
    const found = await findProvider(servarrApi(c, inputs), "notification", inputs.name);
    if (!found) return { connection: null };
    return {
        connection: {
            id: found.id, name: found.name, implementation: found.implementation, target: targetOf(inputs.target.channel, found),
            triggers: SERVARR_ALERT_APPS[inputs.app].triggers.filter((t) => found[t] === true), tokenStale: false,
        },
    };
}

export function servarrAlertsMatch(inputs: ServarrAlertsInputs, o: ServarrAlertsObserved): boolean {
    const held = o.connection;
    const want = inputs.target;
    return held !== null && !held.tokenStale && held.implementation === SERVARR_CHANNELS[want.channel].implementation
        && held.target.url === want.url && (want.channel !== "ntfy" || held.target.topic === want.topic)
        && SERVARR_ALERT_APPS[inputs.app].triggers.every((t) => held.triggers.includes(t));
}

async function convergeServarrAlerts(c: AppClient, inputs: ServarrAlertsInputs, observed: ServarrAlertsObserved | undefined, created: string[]) {
    const api = servarrApi(c, inputs);
    const o = observed ?? await observeServarrAlerts(c, inputs);
    if (o.connection && servarrAlertsMatch(inputs, o)) {
        return { state: o, created: trackCreated(created, "notification", o.connection.id, false) };
    }
    const channel = SERVARR_CHANNELS[inputs.target.channel];
    const triggers = SERVARR_ALERT_APPS[inputs.app].triggers;
    let existing = await findProvider(api, "notification", inputs.name);
    let createdNow = false;
    if (existing && existing.implementation !== channel.implementation) {
        // Another kind under our name (the user's, or the channel changed): it cannot be turned into this one.
        await apiDelete(api, `replace notification ${inputs.name}`, `notification/${existing.id}`);
        existing = undefined;
    }
    if (!existing) {
        // Created switched off (no test message, nothing validated yet), switched on below.
        const template = await providerTemplate(api, "notification", channel.implementation);
        const off = Object.fromEntries(Object.keys(template).filter((k) => /^on[A-Z]/.test(k)).map((k) => [k, false]));
        const saved = await apiSend<ProviderResource>(api, `add notification ${inputs.name}`, "POST", "notification", { ...template, ...off, name: inputs.name }, { forceSave: true });
        existing = saved;
        createdNow = true;
    }
    const current = await apiGet<ProviderResource>(api, `read notification ${inputs.name}`, `notification/${existing.id}`);
    const values = { ...servarrTargetFields(inputs.target), ...(channel.tokenField ? { [channel.tokenField]: inputs.token ?? "" } : {}) };
    const body = { ...withFields(api, current, values), name: inputs.name, ...Object.fromEntries(triggers.map((t) => [t, true])) };
    await apiSend(api, `switch on notification ${inputs.name}`, "PUT", `notification/${existing.id}`, body, { forceSave: true });
    return { state: await observeServarrAlerts(c, inputs), created: trackCreated(created, "notification", existing.id, createdNow) };
}

async function removeServarrAlerts(c: AppClient, inputs: ServarrAlertsInputs, created: string[]): Promise<void> {
    for (const id of createdIds(created, "notification")) await apiDelete(servarrApi(c, inputs), `remove notification ${inputs.name}`, `notification/${id}`);
}

/** Problems of a target, shared by both resources. */
function targetProblems(target: AlertTarget | undefined, token: string | undefined): string[] {
    if (!target) return [];
    const problems: string[] = [];
    if (!ALERT_CHANNELS.includes(target.channel)) problems.push(`target.channel must be one of ${ALERT_CHANNELS.join(", ")}`);
    if (typeof target.url === "string" && !/^https?:\/\/[^/]+/.test(target.url)) problems.push(`target.url must be an http(s) URL, got "${target.url}"`);
    if (target.channel === "ntfy" && typeof target.topic === "string" && !/^[-_A-Za-z0-9]{1,64}$/.test(target.topic)) problems.push(`target.topic is not an ntfy topic: "${target.topic}"`);
    if (target.channel === "gotify" && token === "") problems.push("token is required for Gotify");
    return problems;
}

export const servarrAlertsImplementation: WiringImplementation<ServarrAlertsInputs, ServarrAlertsObserved> = {
    app: "Servarr",
    check: (inputs) => [
        ...(SERVARR_ALERT_APPS[inputs.app] ? [] : [`app must be one of ${Object.keys(SERVARR_ALERT_APPS).join(", ")}`]),
        ...targetProblems(inputs.target, inputs.token),
    ],
    ready: { req: { method: "GET", path: "/ping" }, expect: [200] },
    observe: observeServarrAlerts,
    converge: convergeServarrAlerts,
    remove: removeServarrAlerts,
    matches: servarrAlertsMatch,
    refreshedInputs: (inputs, o) => ({ ...inputs, target: o.connection?.target ?? { ...inputs.target, url: "" } }),
    secretOutputs: ["apiKey", "token"],
};

const servarrAlertsProvider = providerRewritingChangedSecrets({
    ...servarrAlertsImplementation,
    appOf: (inputs: ServarrAlertsInputs) => SERVARR_ALERT_APPS[inputs.app]?.title ?? servarrAlertsImplementation.app,
}, ["token"], (o) => ({ connection: o.connection && { ...o.connection, tokenStale: true } }));

export interface ServarrAlertsArgs {
    app: ServarrAlertApp;
    connection: pulumi.Input<AppConnection>;
    /** The app as the provider reaches it. */
    address: pulumi.Input<AppAddress>;
    apiKey: pulumi.Input<string>;
    target: AlertTarget;
    token?: pulumi.Input<string>;
    /** Default `homelab alerts (<channel>)`. */
    name?: pulumi.Input<string>;
    readyTimeoutSeconds?: pulumi.Input<number>;
}

export class ServarrAlerts extends WiringResource {
    declare public readonly observed: pulumi.Output<ServarrAlertsObserved | null>;
    declare public readonly created: pulumi.Output<string[]>;

    constructor(name: string, args: ServarrAlertsArgs, opts?: pulumi.CustomResourceOptions) {
        super("servarr-alerts", servarrAlertsProvider, name, {
            app: args.app,
            connection: args.connection,
            address: args.address,
            apiKey: args.apiKey,
            name: args.name ?? alertConnectionName(args.target.channel),
            target: args.target,
            token: args.token,
            readyTimeoutSeconds: args.readyTimeoutSeconds,
            providerVersion: WIRING_VERSION,
            observed: undefined,
            created: undefined,
        }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(servarrAlertsImplementation)],
        });
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Seerr

/** server/lib/notifications/index.ts `Notification`: the request notifications. */
export const SEERR_REQUEST_NOTIFICATIONS = {
    MEDIA_PENDING: 2, MEDIA_APPROVED: 4, MEDIA_AVAILABLE: 8, MEDIA_FAILED: 16, MEDIA_DECLINED: 64, MEDIA_AUTO_APPROVED: 128, MEDIA_AUTO_REQUESTED: 4096,
} as const;
export const SEERR_REQUEST_TYPES = Object.values(SEERR_REQUEST_NOTIFICATIONS).reduce((a, b) => a + b, 0);

/** Gotify's "normal" priority (Seerr sends what is stored; its agent sends nothing without one). */
const SEERR_GOTIFY_PRIORITY = 5;

interface SeerrAgent { enabled: boolean; embedPoster?: boolean; types?: number; options: Record<string, unknown> }

export interface SeerrAlertsInputs extends WiringBaseInputs {
    /** Seerr's API key. */
    apiKey: string;
    target: AlertTarget;
    token?: string;
}

export interface SeerrAlertsObserved {
    enabled: boolean;
    types: number;
    target: AlertTarget;
    tokenHash: string;
}

const agentPath = (channel: AlertChannel) => `/api/v1/settings/notifications/${channel}`;
const seerrHeaders = (inputs: SeerrAlertsInputs) => ({ "X-Api-Key": inputs.apiKey });

function readAgent(c: AppClient, inputs: SeerrAlertsInputs): Promise<SeerrAgent> {
    return c.json<SeerrAgent>(`read ${inputs.target.channel} notification settings`, { method: "GET", path: agentPath(inputs.target.channel), headers: seerrHeaders(inputs) });
}

function seerrTargetOf(channel: AlertChannel, agent: SeerrAgent): { target: AlertTarget; token: string } {
    const text = (key: string) => (typeof agent.options[key] === "string" ? agent.options[key] as string : "");
    switch (channel) {
        case "ntfy": return { target: { channel, url: text("url"), topic: text("topic") }, token: agent.options.authMethodToken === true ? text("token") : "" };
        case "gotify": return { target: { channel, url: text("url") }, token: text("token") };
        case "webhook": return { target: { channel, url: text("webhookUrl") }, token: "" };
    }
}

async function observeSeerrAlerts(c: AppClient, inputs: SeerrAlertsInputs): Promise<SeerrAlertsObserved> {
    const agent = await readAgent(c, inputs);
    const { target, token } = seerrTargetOf(inputs.target.channel, agent);
    return { enabled: agent.enabled === true, types: Number(agent.types ?? 0), target, tokenHash: secretHash(token) };
}

export function seerrAlertsMatch(inputs: SeerrAlertsInputs, o: SeerrAlertsObserved): boolean {
    const want = inputs.target;
    return o.enabled && o.types === SEERR_REQUEST_TYPES && o.target.url === want.url && (want.channel !== "ntfy" || o.target.topic === want.topic)
        && o.tokenHash === secretHash(inputs.token ?? "");
}

/** The agent's body: what Seerr holds, with the program's fields set (POST stores the body as the whole agent). */
function seerrAgentBody(inputs: SeerrAlertsInputs, held: SeerrAgent): SeerrAgent {
    const want = inputs.target;
    const token = inputs.token ?? "";
    const base = { ...held, enabled: true, types: SEERR_REQUEST_TYPES };
    switch (want.channel) {
        case "ntfy":
            return { ...base, options: { ...held.options, url: want.url, topic: want.topic ?? "", authMethodToken: token !== "", token, authMethodUsernamePassword: false } };
        case "gotify":
            return { ...base, options: { ...held.options, url: want.url, token, priority: typeof held.options.priority === "number" && held.options.priority > 0 ? held.options.priority : SEERR_GOTIFY_PRIORITY } };
        case "webhook":
            // GET answers the payload template decoded; POST wants it as JSON text (the UI's JSON.stringify).
            return { ...base, options: { ...held.options, webhookUrl: want.url, jsonPayload: JSON.stringify(held.options.jsonPayload ?? "") } };
    }
}

function saveAgent(c: AppClient, inputs: SeerrAlertsInputs, body: SeerrAgent, what: string): Promise<unknown> {
    return c.json(`${what} ${inputs.target.channel} notifications`, { method: "POST", path: agentPath(inputs.target.channel), headers: seerrHeaders(inputs), json: body });
}

const SEERR_AGENT_WAS_OFF = "agent:was-off";

async function convergeSeerrAlerts(c: AppClient, inputs: SeerrAlertsInputs, observed: SeerrAlertsObserved | undefined, created: string[]) {
    const o = observed ?? await observeSeerrAlerts(c, inputs);
    const track = created.length > 0 ? [...created] : [o.enabled ? "agent:was-on" : SEERR_AGENT_WAS_OFF];
    if (!seerrAlertsMatch(inputs, o)) await saveAgent(c, inputs, seerrAgentBody(inputs, await readAgent(c, inputs)), "turn on");
    return { state: await observeSeerrAlerts(c, inputs), created: track };
}

async function removeSeerrAlerts(c: AppClient, inputs: SeerrAlertsInputs, created: string[]): Promise<void> {
    // Seerr has one agent per kind: one the program switched on is switched off again; its settings stay.
    if (!created.includes(SEERR_AGENT_WAS_OFF)) return;
    const held = await readAgent(c, inputs);
    const body = inputs.target.channel === "webhook" ? { ...held, options: { ...held.options, jsonPayload: JSON.stringify(held.options.jsonPayload ?? "") } } : held;
    await saveAgent(c, inputs, { ...body, enabled: false }, "turn off");
}

export const seerrAlertsImplementation: WiringImplementation<SeerrAlertsInputs, SeerrAlertsObserved> = {
    app: "Seerr",
    check: (inputs) => targetProblems(inputs.target, inputs.token),
    ready: { req: { method: "GET", path: "/api/v1/status" }, expect: [200] },
    observe: observeSeerrAlerts,
    converge: convergeSeerrAlerts,
    remove: removeSeerrAlerts,
    matches: seerrAlertsMatch,
    refreshedInputs: (inputs, o) => ({ ...inputs, target: o.target }),
    secretOutputs: ["apiKey", "token"],
};

const seerrAlertsProvider = wiringProvider(seerrAlertsImplementation);

export interface SeerrAlertsArgs {
    connection: pulumi.Input<AppConnection>;
    address: pulumi.Input<AppAddress>;
    apiKey: pulumi.Input<string>;
    target: AlertTarget;
    token?: pulumi.Input<string>;
    readyTimeoutSeconds?: pulumi.Input<number>;
}

export class SeerrAlerts extends WiringResource {
    declare public readonly observed: pulumi.Output<SeerrAlertsObserved | null>;
    declare public readonly created: pulumi.Output<string[]>;

    constructor(name: string, args: SeerrAlertsArgs, opts?: pulumi.CustomResourceOptions) {
        super("seerr-alerts", seerrAlertsProvider, name, {
            connection: args.connection,
            address: args.address,
            apiKey: args.apiKey,
            target: args.target,
            token: args.token,
            readyTimeoutSeconds: args.readyTimeoutSeconds,
            providerVersion: WIRING_VERSION,
            observed: undefined,
            created: undefined,
        }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(seerrAlertsImplementation)],
        });
    }
}
