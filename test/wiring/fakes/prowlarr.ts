/**
 * Stateful fake of Prowlarr (2.5.2.5491; FAKE_OF says what was read where), written from its API code: the forms
 * login (host config, /login), the create-time connection tests (see servarr-http.ts), tags, indexer proxies (FlareSolverr among them),
 * applications (Sonarr, Radarr, Lidarr, Readarr settings), `/ping` and `system/status`. Same wire behaviour as
 * the Servarr fake (see servarr-http.ts); a tag still used by a proxy or an application answers 409 on delete,
 * as TagService.Delete throws ModelConflictException.
 */
import {
    FakeHttpServer, failure, FieldSpec, HttpAnswer, ImplementationSpec, ProviderStore, rejectIfAny, RouteTable, serveRoutes, validUrl,
    Reach, hostPortOf, LoginState, loginRoutes, defaultHostConfig,
} from "./servarr-http";

import type { FakeProvenance } from "./provenance";
import { alertNotificationSpecs } from "./servarr-notifications";

export const PROWLARR_VERSION = "2.5.2.5491";

export const FAKE_OF: FakeProvenance = {
    app: "prowlarr",
    version: PROWLARR_VERSION,
    repository: "Prowlarr/Prowlarr",
    sources: [
        "src/Prowlarr.Api.V1/ProviderControllerBase.cs: CreateProvider (Test when Enable, whatever forceSave), UpdateProvider",
        "src/NzbDrone.Core/IndexerProxies/IndexerProxyDefinition.cs: Enable => Tags.Any()",
        "src/NzbDrone.Core/IndexerProxies/FlareSolverr/FlareSolverr.cs: Test (ProxyValidationUnableToConnect on Host)",
        "src/NzbDrone.Core/Applications/Sonarr/Sonarr.cs (and Radarr, Lidarr): Test against baseUrl",
        "src/Prowlarr.Api.V1/Config/HostConfigController.cs: GetHostConfig, SaveHostConfig (_userService.Upsert)",
        "src/NzbDrone.Core/Authentication/UserService.cs: FindUser, Upsert",
        "src/Prowlarr.Http/Authentication/AuthenticationController.cs: Login",
        "src/NzbDrone.Core/Tags/TagService.cs: Delete (ModelConflictException when in use)",
        "src/NzbDrone.Core/Notifications/NotificationDefinition.cs: OnGrab, IncludeManualGrabs, OnHealthIssue, IncludeHealthWarnings, OnHealthRestored, OnApplicationUpdate; Enable",
        "src/NzbDrone.Core/Notifications/Ntfy/NtfySettings.cs, Gotify/GotifySettings.cs, Webhook/WebhookSettings.cs (no Headers): fields and validators",
    ],
    assumed: ["read at v2.3.5.5327, the newest tag in the mirror; 2.4/2.5 release notes list no change to these endpoints"],
};

const SYNC_LEVELS = ["disabled", "addOnly", "fullSync"];

/** What Prowlarr finds when it tries an application for real: the app's URL and API key as the app accepts them. */
export interface ReachableApp { baseUrl: string; apiKey: string }

function applicationSpec(implementation: string, port: number, categories: number[], opts: FakeProwlarrOptions): ImplementationSpec {
    const fields: FieldSpec[] = [
        { name: "prowlarrUrl", value: "http://localhost:9696" },
        { name: "baseUrl", value: `http://localhost:${port}` },
        { name: "apiKey", value: null, privacy: "apiKey" },
        { name: "syncCategories", value: categories, type: "select", advanced: true },
    ];
    if (implementation === "Sonarr") {
        fields.push({ name: "animeSyncCategories", value: [5070], type: "select", advanced: true },
            { name: "syncAnimeStandardFormatSearch", value: true, type: "checkbox", advanced: true });
    }
    fields.push({ name: "syncRejectBlocklistedTorrentHashesWhileGrabbing", value: false, type: "checkbox", advanced: true });
    const categoriesRequired = implementation === "Radarr" || implementation === "Readarr";
    return {
        implementation, implementationName: implementation, configContract: `${implementation}Settings`, fields,
        template: { syncLevel: "addOnly", enable: true },
        validate: (v) => [
            ...validUrl("BaseUrl", v.baseUrl),
            ...validUrl("ProwlarrUrl", v.prowlarrUrl),
            ...(typeof v.apiKey === "string" && v.apiKey.trim() ? [] : [failure("ApiKey", "'Api Key' must not be empty.")]),
            ...(categoriesRequired && !(Array.isArray(v.syncCategories) && v.syncCategories.length > 0) ? [failure("SyncCategories", "'Sync Categories' must not be empty.")] : []),
        ],
        test: (v) => {
            // Sonarr/Radarr/...Test -> the app's system/status at baseUrl: nothing answering there fails on BaseUrl.
            const at = hostPortOf(v.baseUrl);
            if (opts.reach && (!at || !opts.reach(at.host, at.port))) {
                return [failure("BaseUrl", `Unable to complete application test, cannot connect to ${implementation}.`)];
            }
            const app = opts.apps?.[implementation];
            if (!app || app.baseUrl !== v.baseUrl) return [failure("BaseUrl", `Unable to complete application test, cannot connect to ${implementation}.`)];
            return app.apiKey === v.apiKey ? [] : [failure("ApiKey", "API Key is invalid")];
        },
    };
}

function proxySpecs(opts: FakeProwlarrOptions): ImplementationSpec[] {
    const template = { link: "", onHealthIssue: false, supportsOnHealthIssue: false, includeHealthWarnings: false };
    return [
        {
            implementation: "FlareSolverr", implementationName: "FlareSolverr", configContract: "FlareSolverrSettings",
            fields: [{ name: "host", value: "http://localhost:8191/" }, { name: "requestTimeout", value: 60, advanced: true }],
            template: { ...template, link: "https://github.com/FlareSolverr/FlareSolverr" },
            validate: (v) => [
                ...(typeof v.host === "string" && v.host.trim() ? [] : [failure("Host", "'Host' must not be empty.")]),
                ...(typeof v.requestTimeout === "number" && v.requestTimeout >= 1 && v.requestTimeout <= 180 ? [] : [failure("RequestTimeout", "'Request Timeout' must be between 1 and 180.")]),
            ],
            // FlareSolverr.Test: GET <host>/ping through FlareSolverr ... fails on Host with ProxyValidationUnableToConnect.
            test: (v) => {
                const at = hostPortOf(v.host);
                if (opts.reach && (!at || !opts.reach(at.host, at.port))) return [failure("Host", "Unable to connect to proxy: Connection refused")];
                return opts.flaresolverrUrl !== undefined && v.host === opts.flaresolverrUrl ? [] : [failure("Host", "Unable to connect to proxy")];
            },
        },
        {
            implementation: "Http", implementationName: "Http", configContract: "HttpSettings",
            fields: [{ name: "host", value: null }, { name: "port", value: 8080 }, { name: "username", value: null, privacy: "userName" },
                { name: "password", value: null, type: "password", privacy: "password" }],
            template: { ...template },
            validate: () => [],
        },
    ];
}

export interface Tag { id: number; label: string }

export interface ProwlarrState { tags: Tag[]; proxies: ProviderStore; applications: ProviderStore; notifications: ProviderStore; login: LoginState }

/** NotificationResource of Prowlarr: no imports, health and grabs only (NotificationDefinition). */
const NOTIFICATION_TEMPLATE = {
    link: "", onGrab: false, includeManualGrabs: false, onHealthIssue: false, includeHealthWarnings: false, onHealthRestored: false, onApplicationUpdate: false,
};

export interface FakeProwlarrOptions {
    apiKey: string;
    /** The apps Prowlarr can reach, by implementation, for `applications/test`. */
    apps?: Partial<Record<string, ReachableApp>>;
    /** The FlareSolverr URL that answers, for `indexerproxy/test`. */
    flaresolverrUrl?: string;
    /** What answers inside Prowlarr's container (or namespace), for the connection tests (default: everything). */
    reach?: Reach;
}

export interface FakeProwlarr extends FakeHttpServer {
    state: ProwlarrState;
    options: FakeProwlarrOptions;
    behindBack: {
        setApplicationField(name: string, field: string, value: unknown): void;
        addTag(label: string): Tag;
        addApplication(name: string, implementation: string, fields: Record<string, unknown>, syncLevel?: string): number;
        addProxy(name: string, fields: Record<string, unknown>, tags: number[]): number;
        removeProxy(name: string): void;
    };
    snapshot(): unknown;
}

export async function startProwlarr(options: FakeProwlarrOptions): Promise<FakeProwlarr> {
    let lastId = 200;
    const nextId = (): number => ++lastId;
    const infoLink = (impl: string): string => `https://wiki.servarr.com/prowlarr/supported#${impl.toLowerCase()}`;
    const state: ProwlarrState = {
        tags: [],
        // IndexerProxyDefinition.Enable => Tags.Any(): a tagged proxy is tested on create.
        proxies: new ProviderStore(proxySpecs(options), nextId, infoLink, undefined, (record) => record.tags.length > 0),
        login: { user: null, hostConfig: defaultHostConfig(9696, options.apiKey, "Prowlarr") },
        // NotificationDefinition.Enable => OnHealthIssue || OnHealthRestored || OnApplicationUpdate || OnGrab.
        notifications: new ProviderStore(alertNotificationSpecs({ template: NOTIFICATION_TEMPLATE, gotifyExtra: [], webhookHeaders: false, reach: options.reach }), nextId, infoLink, undefined,
            (record) => Object.entries(record.props).some(([key, value]) => /^on[A-Z]/.test(key) && value === true)),
        applications: new ProviderStore([
            applicationSpec("Lidarr", 8686, [3000, 3010, 3030, 3040, 3050, 3060], options),
            applicationSpec("Radarr", 7878, [2000, 2010, 2020, 2030, 2040, 2045, 2050, 2060, 2070, 2080, 2090], options),
            applicationSpec("Readarr", 8787, [3030, 7000, 7010, 7020, 7030, 7040, 7050, 7060], options),
            applicationSpec("Sonarr", 8989, [5000, 5010, 5020, 5030, 5040, 5045, 5050, 5090], options),
        ], nextId, infoLink, (props) =>
            SYNC_LEVELS.includes(String(props.syncLevel)) ? [] : [failure("SyncLevel", `The JSON value could not be converted to ApplicationSyncLevel: ${String(props.syncLevel)}`)]),
    };
    const esc = "\\/api\\/v1";
    const tagInUse = (id: number): boolean => [...state.proxies.items, ...state.applications.items].some((p) => p.tags.includes(id));
    const addTag = (label: string): HttpAnswer => {
        if (!label.trim()) rejectIfAny([failure("Label", "'Label' must not be empty.")]);
        if (!/^[a-z0-9-]+$/i.test(label)) rejectIfAny([failure("Label", "Allowed characters a-z, 0-9 and -", label)]);
        const existing = state.tags.find((t) => t.label === label.toLowerCase());
        if (existing) return new HttpAnswer(201, existing);
        const tag = { id: nextId(), label: label.toLowerCase() };
        state.tags.push(tag);
        return new HttpAnswer(201, tag);
    };
    const routes: RouteTable[] = [
        { method: "GET", pattern: /^\/ping$/, route: () => ({ status: "OK" }), anonymous: true },
        { method: "GET", pattern: new RegExp(`^${esc}/system/status$`), route: () => ({ appName: "Prowlarr", version: PROWLARR_VERSION, urlBase: "" }) },
        { method: "GET", pattern: new RegExp(`^${esc}/tag$`), route: () => state.tags },
        { method: "POST", pattern: new RegExp(`^${esc}/tag$`), route: (r) => addTag(String((r.body as Record<string, unknown> | undefined)?.label ?? "")) },
        {
            method: "DELETE", pattern: new RegExp(`^${esc}/tag/(\\d+)$`), route: (_r, m) => {
                const tag = state.tags.find((t) => t.id === Number(m[1]));
                if (!tag) throw new HttpAnswer(404, { message: "NotFound" });
                if (tagInUse(tag.id)) throw new HttpAnswer(409, { message: `'${tag.label}' cannot be deleted since it's still in use` });
                state.tags.splice(state.tags.indexOf(tag), 1);
                return new HttpAnswer(200);
            },
        },
        ...loginRoutes("/api/v1", state.login),
        ...state.proxies.routes("/api/v1/indexerproxy"),
        ...state.applications.routes("/api/v1/applications"),
        ...state.notifications.routes("/api/v1/notification"),
    ];
    const server = await serveRoutes(() => options.apiKey, routes);
    const add = (store: ProviderStore, name: string, implementation: string, fields: Record<string, unknown>, tags: number[], props: Record<string, unknown>): number => {
        const spec = store.spec(implementation)!;
        const id = nextId();
        store.items.push({
            id, name, implementation, configContract: spec.configContract, tags,
            values: { ...Object.fromEntries(spec.fields.map((f) => [f.name, f.value])), ...fields }, props: { ...spec.template, ...props },
        });
        return id;
    };
    return {
        ...server,
        state,
        options,
        behindBack: {
            setApplicationField: (name, field, value) => {
                const app = state.applications.items.find((a) => a.name === name);
                if (!app) throw new Error(`fake Prowlarr: no application named ${name}`);
                app.values[field] = value;
            },
            addTag: (label) => {
                const tag = { id: nextId(), label };
                state.tags.push(tag);
                return tag;
            },
            addApplication: (name, implementation, fields, syncLevel = "addOnly") => add(state.applications, name, implementation, fields, [], { syncLevel }),
            addProxy: (name, fields, tags) => add(state.proxies, name, "FlareSolverr", fields, tags, {}),
            removeProxy: (name) => {
                const p = state.proxies.items.find((x) => x.name === name);
                if (p) state.proxies.items.splice(state.proxies.items.indexOf(p), 1);
            },
        },
        snapshot: () => JSON.parse(JSON.stringify({ tags: state.tags, proxies: state.proxies.items, applications: state.applications.items })),
    };
}
