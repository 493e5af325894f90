/**
 * The alert connections of the Servarr fakes (Sonarr, Radarr, Lidarr, Prowlarr): the `Ntfy`, `Gotify` and `Webhook`
 * notification implementations with their settings classes' fields, defaults and validators, as read at each app's
 * pinned version (the sources are listed in the FAKE_OF of servarr.ts and prowlarr.ts):
 * - NtfySettings (field order 0-7): serverUrl, accessToken (privacy apiKey), userName, password, priority (3),
 *   topics, tags, clickUrl; NtfySettingsValidator: Topics not empty, Priority 1-5, ServerUrl/ClickUrl valid URLs
 *   when set, user name and password together unless an access token is set, each topic not empty, matching
 *   `[a-zA-Z0-9_-]+` (unanchored, as the app writes it) and none of InvalidTopics;
 * - GotifySettings: server, appToken (privacy apiKey), priority (5), and per app the poster and metadata-link
 *   fields; GotifySettingsValidator: Server a valid URL, AppToken not empty;
 * - WebhookSettings: url, method (1 = POST), username, password, headers (not in Prowlarr); Url a valid URL.
 * The apps ignore unknown JSON fields; these fakes refuse them (servarr-http.ts), so a misspelt field fails a test.
 */
import { failure, FieldSpec, hostPortOf, ImplementationSpec, Reach, validUrl, ValidationFailure } from "./servarr-http";

/** NtfySettingsValidator.InvalidTopics. */
export const NTFY_INVALID_TOPICS = ["announcements", "app", "docs", "settings", "stats", "mytopic-rw", "mytopic-ro", "mytopic-wo"];

export interface AlertSpecOptions {
    /** The notification resource's own properties (link and every trigger, off), as `/schema` shows them. */
    template: Record<string, unknown>;
    /** Gotify fields after priority (IncludeSeriesPoster, MetadataLinks, ... differ per app). */
    gotifyExtra: FieldSpec[];
    /** WebhookSettings.Headers (Sonarr, Radarr, Lidarr; Prowlarr has none). */
    webhookHeaders: boolean;
    /** What answers from inside the app's container, for the connection tests (default: everything). */
    reach?: Reach;
}

/**
 * Ntfy.Test / Gotify.Test / Webhook.Test send a test message; one that cannot be delivered fails on the server's
 * field ("Unable to send test message"). ntfy's server defaults to https://ntfy.sh.
 */
function deliveryTest(reach: Reach | undefined, property: string, url: unknown): ValidationFailure[] {
    const at = hostPortOf(url);
    if (!reach || (at && reach(at.host, at.port))) return [];
    return [failure(property, `Unable to send test message: connection refused (${String(url)})`)];
}

const blank = (v: unknown): boolean => v === undefined || v === null || String(v).trim() === "";

function ntfyProblems(v: Record<string, unknown>): ValidationFailure[] {
    const out: ValidationFailure[] = [];
    const topics = Array.isArray(v.topics) ? (v.topics as unknown[]) : [];
    if (topics.length === 0) out.push(failure("Topics", "'Topics' must not be empty."));
    if (typeof v.priority !== "number" || v.priority < 1 || v.priority > 5) out.push(failure("Priority", `'Priority' must be between 1 and 5. You entered ${String(v.priority)}.`, v.priority));
    if (!blank(v.serverUrl)) out.push(...validUrl("ServerUrl", v.serverUrl));
    if (!blank(v.clickUrl)) out.push(...validUrl("ClickUrl", v.clickUrl));
    if (blank(v.accessToken) && !blank(v.password) && blank(v.userName)) out.push(failure("UserName", "'User Name' must not be empty."));
    if (blank(v.accessToken) && !blank(v.userName) && blank(v.password)) out.push(failure("Password", "'Password' must not be empty."));
    topics.forEach((t, i) => {
        if (blank(t)) out.push(failure(`Topics[${i}]`, `'Topics' must not be empty.`, t));
        else if (!/[a-zA-Z0-9_-]+/.test(String(t)) || NTFY_INVALID_TOPICS.includes(String(t))) out.push(failure(`Topics[${i}]`, "Invalid topic", t));
    });
    return out;
}

export function alertNotificationSpecs(opts: AlertSpecOptions): ImplementationSpec[] {
    const template = { ...opts.template };
    return [
        {
            implementation: "Ntfy", implementationName: "ntfy.sh", configContract: "NtfySettings", template,
            fields: [
                { name: "serverUrl", value: null, type: "url" }, { name: "accessToken", value: null, type: "password", privacy: "apiKey" },
                { name: "userName", value: null, privacy: "userName" }, { name: "password", value: null, type: "password", privacy: "password" },
                { name: "priority", value: 3, type: "select" }, { name: "topics", value: [], type: "tag" }, { name: "tags", value: [], type: "tag" },
                { name: "clickUrl", value: null, type: "url" },
            ],
            validate: ntfyProblems,
            test: (v) => deliveryTest(opts.reach, "ServerUrl", blank(v.serverUrl) ? "https://ntfy.sh" : v.serverUrl),
        },
        {
            implementation: "Gotify", implementationName: "Gotify", configContract: "GotifySettings", template,
            fields: [
                { name: "server", value: null }, { name: "appToken", value: null, privacy: "apiKey" }, { name: "priority", value: 5, type: "select" },
                ...opts.gotifyExtra,
            ],
            validate: (v) => [
                ...validUrl("Server", v.server),
                ...(blank(v.appToken) ? [failure("AppToken", "'App Token' must not be empty.")] : []),
            ],
            test: (v) => deliveryTest(opts.reach, "Server", v.server),
        },
        {
            implementation: "Webhook", implementationName: "Webhook", configContract: "WebhookSettings", template,
            fields: [
                { name: "url", value: null, type: "url" }, { name: "method", value: 1, type: "select" }, { name: "username", value: null, privacy: "userName" },
                { name: "password", value: null, type: "password", privacy: "password" },
                ...(opts.webhookHeaders ? [{ name: "headers", value: [], type: "keyValueList", advanced: true }] : []),
            ],
            validate: (v) => validUrl("Url", v.url),
            test: (v) => deliveryTest(opts.reach, "Url", v.url),
        },
    ];
}
