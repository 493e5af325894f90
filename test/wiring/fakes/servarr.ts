/**
 * Stateful fake of a Servarr library app (Sonarr, Radarr, Lidarr; Readarr's branches are left from before its
 * removal), one fake parameterised per app, written from the apps' API code at the pinned versions (Sonarr
 * 4.0.19.2979, Radarr 6.2.1.10461, Lidarr 3.1.0.4875; FAKE_OF says what was read where):
 * root folders, download clients, notifications (connections), quality profiles and their schema, media
 * management config, `/ping` and `system/status`. Answers with the real status codes (201 create, 202 update,
 * 200 delete, 401 without a valid X-Api-Key, 400 with [{propertyName, errorMessage}] on validation errors) and
 * masks secrets on read. `state` and `behindBack` change the app behind the program's back.
 */
import {
    FakeHttpServer, failure, FieldSpec, HttpAnswer, ImplementationSpec, ProviderStore, rejectIfAny, RouteTable, serveRoutes,
    validHost, ValidationFailure, Reach, LoginState, loginRoutes, defaultHostConfig,
} from "./servarr-http";

import type { FakeProvenance } from "./provenance";
import { alertNotificationSpecs } from "./servarr-notifications";

export type ServarrKind = "sonarr" | "radarr" | "lidarr" | "readarr";

/** What every Servarr fake follows, in each app's repository (same file layout, own API namespace). */
const SERVARR_SOURCES = (api: string, http: string): string[] => [
    `src/${api}/ProviderControllerBase.cs: CreateProvider (Test when Enable, whatever forceSave), UpdateProvider, TestProvider`,
    `src/${api}/Config/HostConfigController.cs: GetHostConfig, SaveHostConfig (_userService.Upsert), IsMatchingPassword`,
    "src/NzbDrone.Core/Authentication/UserService.cs: FindUser, Upsert, SetUserHashedPassword",
    `src/${http}/Authentication/AuthenticationController.cs: Login (redirect with loginFailed=true)`,
    "src/NzbDrone.Core/Download/Clients/QBittorrent/QBittorrent.cs: Test, TestConnection",
    "src/NzbDrone.Core/Notifications/MediaBrowser/MediaBrowserService.cs: Test; MediaBrowserProxy.cs: Notify (404 swallowed)",
    "src/NzbDrone.Core/Notifications/NotificationDefinition.cs: Enable",
    `src/${api}/RootFolders/RootFolderController.cs, Config/MediaManagementConfigController.cs, Profiles/Quality/QualityProfileController.cs`,
    "src/NzbDrone.Core/Notifications/Ntfy/NtfySettings.cs: NtfySettingsValidator (InvalidTopics), fields 0-7",
    "src/NzbDrone.Core/Notifications/Gotify/GotifySettings.cs: GotifySettingsValidator, fields; Webhook/WebhookSettings.cs: WebhookSettingsValidator",
    "src/NzbDrone.Core/Notifications/NotificationBase.cs: SupportsOn* (the On* methods Ntfy.cs, Gotify.cs, Webhook.cs override)",
    `src/${api}/ProviderControllerBase.cs: GetDefinition (settings validated only when Enable)`,
];

/** One record per app this fake stands for (the test of the pins reads them). */
export const FAKE_OF: FakeProvenance[] = [
    {
        app: "sonarr", version: "4.0.19.2979", repository: "Sonarr/Sonarr", sources: SERVARR_SOURCES("Sonarr.Api.V3", "Sonarr.Http"),
        assumed: ["the QBittorrentSettings field apiKey (new in 4.0.16+) is not modelled: the wiring never sets it"],
    },
    {
        app: "radarr", version: "6.2.1.10461", repository: "Radarr/Radarr", sources: SERVARR_SOURCES("Radarr.Api.V3", "Radarr.Http"),
        assumed: ["read at v6.0.3.10276, the newest tag in the mirror; 6.1/6.2 release notes list no change to these endpoints"],
    },
    {
        app: "lidarr", version: "3.1.0.4875", repository: "Lidarr/Lidarr", sources: SERVARR_SOURCES("Lidarr.Api.V1", "Lidarr.Http"),
        assumed: ["read at v2.14.5.4836, the newest tag in the mirror; 3.0 moved to .NET 8 and dropped Basic auth (release notes), the endpoints are assumed unchanged"],
    },
];

interface KindSpec {
    title: string;
    apiVersion: "v1" | "v3";
    version: string;
    mediaKind: string;
    /** The qBittorrent settings' category field (Readarr kept Lidarr's `musicCategory`). */
    categoryField: string;
    importedCategoryField: string;
    priorityNoun: string;
    defaultCategory: string;
    /** Lidarr/Readarr root folders carry a name and default quality/metadata profiles. */
    richRootFolders: boolean;
    /** Trigger properties of the notification resource. */
    triggers: string[];
    /** Whether the app has the Emby/Jellyfin ("MediaBrowser") connection, and whether it maps paths. */
    mediaBrowser: "none" | "plain" | "mapped";
    qualities?: "sonarr" | "radarr";
}

export const KINDS: Record<ServarrKind, KindSpec> = {
    sonarr: {
        title: "Sonarr", apiVersion: "v3", version: "4.0.19.2979", mediaKind: "tv", categoryField: "tvCategory",
        importedCategoryField: "tvImportedCategory", priorityNoun: "Tv", defaultCategory: "tv-sonarr", richRootFolders: false,
        triggers: ["onGrab", "onDownload", "onUpgrade", "onImportComplete", "onRename", "onSeriesAdd", "onSeriesDelete",
            "onEpisodeFileDelete", "onEpisodeFileDeleteForUpgrade", "onHealthIssue", "includeHealthWarnings", "onHealthRestored",
            "onApplicationUpdate", "onManualInteractionRequired"],
        mediaBrowser: "mapped", qualities: "sonarr",
    },
    radarr: {
        title: "Radarr", apiVersion: "v3", version: "6.2.1.10461", mediaKind: "movies", categoryField: "movieCategory",
        importedCategoryField: "movieImportedCategory", priorityNoun: "Movie", defaultCategory: "radarr", richRootFolders: false,
        triggers: ["onGrab", "onDownload", "onUpgrade", "onRename", "onMovieAdded", "onMovieDelete", "onMovieFileDelete",
            "onMovieFileDeleteForUpgrade", "onHealthIssue", "includeHealthWarnings", "onHealthRestored", "onApplicationUpdate",
            "onManualInteractionRequired"],
        mediaBrowser: "mapped", qualities: "radarr",
    },
    lidarr: {
        title: "Lidarr", apiVersion: "v1", version: "3.1.0.4875", mediaKind: "music", categoryField: "musicCategory",
        importedCategoryField: "musicImportedCategory", priorityNoun: "Music", defaultCategory: "lidarr", richRootFolders: true,
        triggers: ["onGrab", "onReleaseImport", "onUpgrade", "onRename", "onArtistAdd", "onArtistDelete", "onAlbumDelete",
            "onHealthIssue", "onHealthRestored", "onDownloadFailure", "onImportFailure", "onTrackRetag", "onApplicationUpdate",
            "includeHealthWarnings"],
        mediaBrowser: "plain",
    },
    readarr: {
        title: "Readarr", apiVersion: "v1", version: "0.4.18.2805", mediaKind: "books", categoryField: "musicCategory",
        importedCategoryField: "musicImportedCategory", priorityNoun: "Tv", defaultCategory: "readarr", richRootFolders: true,
        triggers: ["onGrab", "onReleaseImport", "onUpgrade", "onRename", "onAuthorAdded", "onAuthorDelete", "onBookDelete",
            "onBookFileDelete", "onBookFileDeleteForUpgrade", "onHealthIssue", "onDownloadFailure", "onImportFailure",
            "onBookRetag", "onApplicationUpdate", "includeHealthWarnings"],
        mediaBrowser: "none",
    },
};

// ----------------------------------------------------------------------------------------------------------------
// Qualities (Quality.cs of each app: id, name, source, resolution; weight groups give the schema's groups)

interface QualityRow { id: number; name: string; source: string; resolution: number; modifier?: string; weight: number; group?: string }

const SONARR_QUALITIES: QualityRow[] = [
    [0, "Unknown", "unknown", 0, 1], [1, "SDTV", "television", 480, 2], [12, "WEBRip-480p", "webRip", 480, 3, "WEB 480p"],
    [8, "WEBDL-480p", "web", 480, 3, "WEB 480p"], [2, "DVD", "dvd", 480, 4], [13, "Bluray-480p", "bluray", 480, 5],
    [22, "Bluray-576p", "bluray", 576, 6], [4, "HDTV-720p", "television", 720, 7], [9, "HDTV-1080p", "television", 1080, 8],
    [10, "Raw-HD", "televisionRaw", 1080, 9], [14, "WEBRip-720p", "webRip", 720, 10, "WEB 720p"], [5, "WEBDL-720p", "web", 720, 10, "WEB 720p"],
    [6, "Bluray-720p", "bluray", 720, 11], [15, "WEBRip-1080p", "webRip", 1080, 12, "WEB 1080p"],
    [3, "WEBDL-1080p", "web", 1080, 12, "WEB 1080p"], [7, "Bluray-1080p", "bluray", 1080, 13],
    [20, "Bluray-1080p Remux", "blurayRaw", 1080, 14], [16, "HDTV-2160p", "television", 2160, 15],
    [17, "WEBRip-2160p", "webRip", 2160, 16, "WEB 2160p"], [18, "WEBDL-2160p", "web", 2160, 16, "WEB 2160p"],
    [19, "Bluray-2160p", "bluray", 2160, 17], [21, "Bluray-2160p Remux", "blurayRaw", 2160, 18],
].map(([id, name, source, resolution, weight, group]) => ({ id, name, source, resolution, weight, group }) as QualityRow);

const RADARR_QUALITIES: QualityRow[] = [
    [0, "Unknown", "unknown", 0, "none", 1], [24, "WORKPRINT", "workprint", 0, "none", 2], [25, "CAM", "cam", 0, "none", 3],
    [26, "TELESYNC", "telesync", 0, "none", 4], [27, "TELECINE", "telecine", 0, "none", 5], [29, "REGIONAL", "dvd", 480, "regional", 6],
    [28, "DVDSCR", "dvd", 480, "screener", 7], [1, "SDTV", "tv", 480, "none", 8], [2, "DVD", "dvd", 0, "none", 9],
    [23, "DVD-R", "dvd", 480, "remux", 10], [8, "WEBDL-480p", "webdl", 480, "none", 11, "WEB 480p"],
    [12, "WEBRip-480p", "webrip", 480, "none", 11, "WEB 480p"], [20, "Bluray-480p", "bluray", 480, "none", 12],
    [21, "Bluray-576p", "bluray", 576, "none", 13], [4, "HDTV-720p", "tv", 720, "none", 14],
    [5, "WEBDL-720p", "webdl", 720, "none", 15, "WEB 720p"], [14, "WEBRip-720p", "webrip", 720, "none", 15, "WEB 720p"],
    [6, "Bluray-720p", "bluray", 720, "none", 16], [9, "HDTV-1080p", "tv", 1080, "none", 17],
    [3, "WEBDL-1080p", "webdl", 1080, "none", 18, "WEB 1080p"], [15, "WEBRip-1080p", "webrip", 1080, "none", 18, "WEB 1080p"],
    [7, "Bluray-1080p", "bluray", 1080, "none", 19], [30, "Remux-1080p", "bluray", 1080, "remux", 20],
    [16, "HDTV-2160p", "tv", 2160, "none", 21], [18, "WEBDL-2160p", "webdl", 2160, "none", 22, "WEB 2160p"],
    [17, "WEBRip-2160p", "webrip", 2160, "none", 22, "WEB 2160p"], [19, "Bluray-2160p", "bluray", 2160, "none", 23],
    [31, "Remux-2160p", "bluray", 2160, "remux", 24], [22, "BR-DISK", "bluray", 1080, "brdisk", 25],
    [10, "Raw-HD", "tv", 1080, "rawhd", 26],
].map(([id, name, source, resolution, modifier, weight, group]) => ({ id, name, source, resolution, modifier, weight, group }) as QualityRow);

export interface QualityItem { id?: number; name?: string; quality?: Record<string, unknown> | null; items: QualityItem[]; allowed: boolean }
export interface QualityProfile {
    id: number; name: string; upgradeAllowed: boolean; cutoff: number; items: QualityItem[];
    minFormatScore?: number; cutoffFormatScore?: number; minUpgradeFormatScore?: number; formatItems?: unknown[]; language?: unknown;
}

function qualityJson(q: QualityRow, kind: ServarrKind): Record<string, unknown> {
    const base: Record<string, unknown> = { id: q.id, name: q.name, source: q.source, resolution: q.resolution };
    if (kind === "radarr") base.modifier = q.modifier;
    return base;
}

/** GetDefaultProfile(""): one item per weight, groups (ids from 1000) where a weight holds several qualities. */
function schemaProfile(kind: ServarrKind): Omit<QualityProfile, "id"> {
    const rows = KINDS[kind].qualities === "radarr" ? RADARR_QUALITIES : SONARR_QUALITIES;
    const weights = [...new Set(rows.map((r) => r.weight))];
    let groupId = 1000;
    const items: QualityItem[] = weights.map((w) => {
        const group = rows.filter((r) => r.weight === w);
        if (group.length === 1) return { quality: qualityJson(group[0], kind), items: [], allowed: false };
        return { id: groupId++, name: group[0].group, items: group.map((q) => ({ quality: qualityJson(q, kind), items: [], allowed: false })), allowed: false };
    });
    const profile: Omit<QualityProfile, "id"> = {
        name: "", upgradeAllowed: false, cutoff: 0, items, minFormatScore: 0, cutoffFormatScore: 0, minUpgradeFormatScore: 1, formatItems: [],
    };
    if (kind === "radarr") profile.language = { id: 1, name: "English" };
    return profile;
}

function allQualityIds(kind: ServarrKind): number[] {
    return (KINDS[kind].qualities === "radarr" ? RADARR_QUALITIES : SONARR_QUALITIES).map((q) => q.id);
}

/** QualityProfileController's validators (name, cutoff, items). */
function validateProfile(kind: ServarrKind, p: Partial<QualityProfile>): ValidationFailure[] {
    const out: ValidationFailure[] = [];
    if (!p.name || !String(p.name).trim()) out.push(failure("Name", "'Name' must not be empty."));
    if (typeof p.minUpgradeFormatScore !== "number" || p.minUpgradeFormatScore < 1) {
        out.push(failure("MinUpgradeFormatScore", "'Min Upgrade Format Score' must be greater than or equal to '1'."));
    }
    const items = Array.isArray(p.items) ? p.items : [];
    if (items.length === 0) out.push(failure("Items", "'Items' must not be empty."));
    if (!items.some((i) => i.allowed)) out.push(failure("Items", "Must contain at least one allowed quality"));
    if (items.some((i) => i.name && i.quality)) out.push(failure("Items", "Individual qualities should not be named"));
    if (items.some((i) => !i.quality && (!i.items || i.items.length <= 1))) out.push(failure("Items", "Groups must contain multiple qualities"));
    if (items.some((i) => !i.quality && !i.id)) out.push(failure("Items", "Groups must have an ID"));
    if (items.some((i) => !i.quality && !i.name)) out.push(failure("Items", "Groups must have a name"));
    const seen: number[] = [];
    for (const i of items) for (const q of i.quality ? [i] : i.items ?? []) seen.push(Number(q.quality?.id));
    if (new Set(seen).size !== seen.length) out.push(failure("Items", "Qualities can only be used once"));
    if (!allQualityIds(kind).every((id) => seen.includes(id))) out.push(failure("Items", "Must contain all qualities"));
    const cutoffItem = items.find((i) => (!i.quality && i.id === p.cutoff) || i.quality?.id === p.cutoff);
    if (!cutoffItem?.allowed) out.push(failure("Cutoff", "Cutoff must be an allowed quality or group"));
    return out;
}

// ----------------------------------------------------------------------------------------------------------------
// Provider implementations

function qbittorrentSpec(kind: KindSpec, opts: FakeServarrOptions): ImplementationSpec {
    const k = { ...kind, categoryField: opts.categoryField ?? kind.categoryField };
    const fields: FieldSpec[] = [
        { name: "host", value: "localhost" }, { name: "port", value: 8080 }, { name: "useSsl", value: false, type: "checkbox" },
        { name: "urlBase", value: null, advanced: true }, { name: "username", value: null, privacy: "userName" },
        { name: "password", value: null, type: "password", privacy: "password" },
        { name: k.categoryField, value: k.defaultCategory }, { name: k.importedCategoryField, value: null, advanced: true },
        { name: `recent${k.priorityNoun}Priority`, value: 0, type: "select" }, { name: `older${k.priorityNoun}Priority`, value: 0, type: "select" },
        { name: "initialState", value: 0, type: "select" }, { name: "sequentialOrder", value: false, type: "checkbox" },
        { name: "firstAndLast", value: false, type: "checkbox" }, { name: "contentLayout", value: 0, type: "select" },
    ];
    const categoryPattern = /^([^\\/](\/?[^\\/])*)?$/;
    return {
        implementation: "QBittorrent", implementationName: "qBittorrent", configContract: "QBittorrentSettings", fields,
        template: { enable: true, protocol: "torrent", priority: 1, removeCompletedDownloads: true, removeFailedDownloads: true },
        validate: (v) => [
            ...validHost("Host", v.host),
            ...(typeof v.port === "number" && v.port >= 1 && v.port <= 65535 ? [] : [failure("Port", "'Port' must be between 1 and 65535.", v.port)]),
            ...(categoryPattern.test(String(v[k.categoryField] ?? "")) ? [] : [failure(k.categoryField, "Can not contain '\\', '//', or start/end with '/'")]),
        ],
        test: (v) => {
            const qb = opts.qbittorrent;
            // QBittorrent.TestConnection: a WebUI that does not answer at host:port fails on Host.
            if (opts.reach && !opts.reach(String(v.host), Number(v.port))) return [failure("Host", `Unable to connect to qBittorrent: connection refused (${String(v.host)}:${String(v.port)})`)];
            if (!qb || (qb.host !== undefined && qb.host !== v.host) || (qb.port !== undefined && qb.port !== v.port)) {
                return [failure("Host", "Unable to connect to qBittorrent")];
            }
            return v.username === qb.username && v.password === qb.password ? [] : [failure("Username", "Authentication failure")];
        },
    };
}

function mediaBrowserSpec(k: KindSpec, opts: FakeServarrOptions): ImplementationSpec {
    const fields: FieldSpec[] = [
        { name: "host", value: null }, { name: "port", value: 8096 }, { name: "useSsl", value: false, type: "checkbox" },
        { name: "urlBase", value: null, advanced: true }, { name: "apiKey", value: null, privacy: "apiKey" },
        { name: "notify", value: false, type: "checkbox" }, { name: "updateLibrary", value: true, type: "checkbox" },
    ];
    if (k.mediaBrowser === "mapped") fields.push({ name: "mapFrom", value: null, advanced: true }, { name: "mapTo", value: null, advanced: true });
    return {
        implementation: "MediaBrowser", implementationName: "Emby / Jellyfin", configContract: "MediaBrowserSettings", fields,
        template: triggerTemplate(k),
        validate: (v) => [
            ...validHost("Host", v.host),
            ...(typeof v.apiKey === "string" && v.apiKey.trim() ? [] : [failure("ApiKey", "'Api Key' must not be empty.")]),
        ],
        // MediaBrowserService.Test -> MediaBrowserProxy.Notify posts /Notifications/Admin, which Jellyfin removed in 10.9:
        // its 404 counts as success; a Jellyfin that does not answer fails on Host ("Unable to send test message").
        test: (v) => (opts.reach && !opts.reach(String(v.host), Number(v.port))
            ? [failure("Host", `Unable to send test message: Connection refused (${String(v.host)}:${String(v.port)})`)]
            : []),
    };
}

/** GotifySettings' fields after priority, per app (poster and metadata links; MetadataLinkType of each app). */
const GOTIFY_EXTRA: Record<ServarrKind, FieldSpec[]> = {
    sonarr: [{ name: "includeSeriesPoster", value: false, type: "checkbox" }, { name: "metadataLinks", value: [], type: "select" }, { name: "preferredMetadataLink", value: 1, type: "select" }],
    radarr: [{ name: "includeMoviePoster", value: false, type: "checkbox" }, { name: "metadataLinks", value: [], type: "select" }, { name: "preferredMetadataLink", value: 0, type: "select" }],
    lidarr: [{ name: "includeArtistPoster", value: false, type: "checkbox" }],
    readarr: [{ name: "includeAuthorPoster", value: false, type: "checkbox" }],
};

function triggerTemplate(k: KindSpec): Record<string, unknown> {
    return { link: "https://emby.media/", ...Object.fromEntries(k.triggers.map((t) => [t, false])) };
}

const KIND_PORTS: Record<ServarrKind, number> = { sonarr: 8989, radarr: 7878, lidarr: 8686, readarr: 8787 };

// ----------------------------------------------------------------------------------------------------------------

export interface RootFolder { id: number; path: string; [k: string]: unknown }

export interface ServarrState {
    rootFolders: RootFolder[];
    downloadClients: ProviderStore;
    notifications: ProviderStore;
    qualityProfiles: QualityProfile[];
    metadataProfiles: { id: number; name: string }[];
    mediaManagement: Record<string, unknown>;
    /** Directories that exist and are writable inside the app's container. */
    folders: Set<string>;
    /** The host config and the single forms user (none at first start: nobody can sign in). */
    login: LoginState;
}

export interface FakeServarrOptions {
    kind: ServarrKind;
    apiKey: string;
    /** Folders that exist (default: /data, /data/media and /data/media/<kind>). */
    folders?: string[];
    /** The qBittorrent the app can reach, for `downloadclient/test`: absent means it cannot connect. */
    qbittorrent?: { host?: string; port?: number; username: string; password: string };
    /** Another name for the qBittorrent category field (a build that renamed it). */
    categoryField?: string;
    /** Initial `copyUsingHardlinks` (the apps default to true). */
    hardlinks?: boolean;
    /** What answers inside the app's container, for the connection tests (default: everything). */
    reach?: Reach;
}

export interface FakeServarr extends FakeHttpServer {
    kind: ServarrKind;
    apiVersion: "v1" | "v3";
    state: ServarrState;
    options: FakeServarrOptions;
    /** Changes made through another door (the web UI, another tool), not counted as writes of the program. */
    behindBack: {
        removeRootFolder(path: string): void;
        addRootFolder(path: string): RootFolder;
        setHardlinks(on: boolean): void;
        setDownloadClientField(name: string, field: string, value: unknown): void;
        addDownloadClient(name: string, fields: Record<string, unknown>): number;
        addNotification(name: string, implementation: string, fields: Record<string, unknown>): number;
        addQualityProfile(name: string): QualityProfile;
    };
    /** A JSON snapshot of everything the app holds (secrets in clear), to compare "before" and "after". */
    snapshot(): unknown;
}

function cleanPath(p: string): string {
    return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

export async function startServarr(options: FakeServarrOptions): Promise<FakeServarr> {
    const kind = options.kind;
    const k = KINDS[kind];
    let lastId = 100;
    const nextId = (): number => ++lastId;
    const infoLink = (impl: string): string => `https://wiki.servarr.com/${kind}/supported#${impl.toLowerCase()}`;
    const notificationSpecs = [
        ...(k.mediaBrowser === "none" ? [] : [mediaBrowserSpec(k, options)]),
        ...alertNotificationSpecs({ template: triggerTemplate(k), gotifyExtra: GOTIFY_EXTRA[kind], webhookHeaders: true, reach: options.reach }),
    ];
    const state: ServarrState = {
        rootFolders: [],
        downloadClients: new ProviderStore([qbittorrentSpec(k, options)], nextId, infoLink, (props) =>
            typeof props.priority === "number" && props.priority >= 1 && props.priority <= 50 ? [] : [failure("Priority", "'Priority' must be between 1 and 50.", props.priority)]),
        // NotificationDefinition.Enable: any of the On* triggers.
        notifications: new ProviderStore(notificationSpecs, nextId, infoLink, undefined,
            (record) => Object.entries(record.props).some(([key, value]) => /^on[A-Z]/.test(key) && value === true)),
        qualityProfiles: [],
        metadataProfiles: k.richRootFolders ? [{ id: 1, name: "Standard" }, { id: 2, name: "None" }] : [],
        mediaManagement: {
            id: 1, autoUnmonitorPreviouslyDownloaded: false, recycleBin: "", recycleBinCleanupDays: 7,
            downloadPropersAndRepacks: "preferAndUpgrade", deleteEmptyFolders: false, fileDate: "none", rescanAfterRefresh: "always",
            setPermissionsLinux: false, chmodFolder: "755", chownGroup: "", skipFreeSpaceCheckWhenImporting: false,
            minimumFreeSpaceWhenImporting: 100, copyUsingHardlinks: options.hardlinks ?? true, useScriptImport: false,
            scriptImportPath: "", importExtraFiles: false, extraFileExtensions: "srt", enableMediaInfo: true,
        },
        folders: new Set(options.folders ?? ["/data", "/data/media", `/data/media/${k.mediaKind}`]),
        login: { user: null, hostConfig: defaultHostConfig(KIND_PORTS[kind], options.apiKey, k.title) },
    };
    if (k.qualities) {
        const schema = schemaProfile(kind);
        const allow = (pred: (q: Record<string, unknown>) => boolean): QualityItem[] =>
            schema.items.map((i) => {
                const qs = i.quality ? [i.quality] : i.items.map((x) => x.quality!);
                const allowed = qs.some(pred);
                return { ...i, allowed, items: i.items.map((x) => ({ ...x, allowed })) };
            });
        state.qualityProfiles.push(
            { ...schema, id: 1, name: "Any", cutoff: 1, items: allow((q) => q.id !== 0) },
            { ...schema, id: 4, name: "HD-1080p", cutoff: 9, items: allow((q) => q.resolution === 1080 && !/Remux|Raw|BR-DISK/.test(String(q.name))) },
        );
    } else {
        const names = kind === "lidarr" ? ["Any", "Lossless", "Standard"] : ["eBook", "Spoken"];
        names.forEach((name, i) => state.qualityProfiles.push({ id: i + 1, name, upgradeAllowed: false, cutoff: 0, items: [] }));
    }

    const rootFolderResource = (r: RootFolder): Record<string, unknown> => ({
        ...r, accessible: state.folders.has(r.path), freeSpace: 1_000_000_000_000, ...(k.richRootFolders ? { totalSpace: 2_000_000_000_000 } : { unmappedFolders: [] }),
    });

    const addRootFolder = (body: unknown): HttpAnswer => {
        const b = (body ?? {}) as Record<string, unknown>;
        const path = typeof b.path === "string" ? cleanPath(b.path) : "";
        const out: ValidationFailure[] = [];
        if (!path.startsWith("/")) out.push(failure("Path", "Invalid Path", b.path));
        else if (state.rootFolders.some((r) => r.path === path)) out.push(failure("Path", `Path '${path}' is already configured as a root folder`, b.path));
        else if (!state.folders.has(path)) out.push(failure("Path", `Path '${path}' does not exist`, b.path));
        const folder: RootFolder = { id: 0, path };
        if (k.richRootFolders) {
            if (typeof b.name !== "string" || !b.name.trim()) out.push(failure("Name", "'Name' must not be empty."));
            const qp = Number(b.defaultQualityProfileId ?? 0);
            if (!state.qualityProfiles.some((p) => p.id === qp)) out.push(failure("DefaultQualityProfileId", "Quality Profile does not exist", qp));
            const mp = Number(b.defaultMetadataProfileId ?? 0);
            if (!state.metadataProfiles.some((p) => p.id === mp)) out.push(failure("DefaultMetadataProfileId", "Metadata Profile does not exist", mp));
            Object.assign(folder, {
                name: b.name, defaultQualityProfileId: qp, defaultMetadataProfileId: mp, defaultMonitorOption: b.defaultMonitorOption ?? "all",
                defaultNewItemMonitorOption: b.defaultNewItemMonitorOption ?? "all", defaultTags: b.defaultTags ?? [],
                ...(kind === "readarr" ? { isCalibreLibrary: false, port: 0, outputProfile: "default", useSsl: false } : {}),
            });
        }
        rejectIfAny(out);
        folder.id = nextId();
        state.rootFolders.push(folder);
        return new HttpAnswer(201, rootFolderResource(folder));
    };

    const api = `/api/${k.apiVersion}`;
    const esc = api.replace(/\//g, "\\/");
    const route = (method: string, path: string, fn: RouteTable["route"], anonymous?: boolean): RouteTable => ({
        method, pattern: new RegExp(`^${path === "/ping" ? "" : esc}${path}$`), route: fn, anonymous,
    });
    const findProfile = (id: number): QualityProfile => {
        const p = state.qualityProfiles.find((x) => x.id === id);
        if (!p) throw new HttpAnswer(404, { message: "NotFound" });
        return p;
    };
    const routes: RouteTable[] = [
        route("GET", "/ping", () => ({ status: "OK" }), true),
        route("GET", "/system/status", () => ({ appName: k.title, instanceName: k.title, version: k.version, urlBase: "" })),
        ...loginRoutes(api, state.login),
        route("GET", "/rootfolder", () => state.rootFolders.map(rootFolderResource)),
        route("GET", "/rootfolder/(\\d+)", (_r, m) => {
            const f = state.rootFolders.find((r) => r.id === Number(m[1]));
            if (!f) throw new HttpAnswer(404, { message: "NotFound" });
            return rootFolderResource(f);
        }),
        route("POST", "/rootfolder", (r) => addRootFolder(r.body)),
        route("DELETE", "/rootfolder/(\\d+)", (_r, m) => {
            const i = state.rootFolders.findIndex((r) => r.id === Number(m[1]));
            if (i < 0) throw new HttpAnswer(404, { message: "NotFound" });
            state.rootFolders.splice(i, 1);
            return new HttpAnswer(200);
        }),
        ...state.downloadClients.routes(`${api}/downloadclient`),
        ...state.notifications.routes(`${api}/notification`),
        route("GET", "/config/mediamanagement", () => ({ ...state.mediaManagement })),
        route("PUT", "/config/mediamanagement/(\\d+)", (r, m) => {
            const b = (r.body ?? {}) as Record<string, unknown>;
            const next: Record<string, unknown> = { id: 1 };
            // SaveConfig stores every property of the resource: what the body leaves out becomes its zero value.
            for (const [key, current] of Object.entries(state.mediaManagement)) {
                if (key !== "id") next[key] = key in b ? b[key] : typeof current === "boolean" ? false : typeof current === "number" ? 0 : null;
            }
            const out: ValidationFailure[] = [];
            if (Number(next.minimumFreeSpaceWhenImporting) < 100) out.push(failure("MinimumFreeSpaceWhenImporting", "'Minimum Free Space When Importing' must be greater than or equal to '100'."));
            if (Number(next.recycleBinCleanupDays) < 0) out.push(failure("RecycleBinCleanupDays", "'Recycle Bin Cleanup Days' must be greater than or equal to '0'."));
            rejectIfAny(out);
            state.mediaManagement = next;
            return new HttpAnswer(202, { ...next, id: Number(m[1]) });
        }),
        route("GET", "/qualityprofile", () => state.qualityProfiles),
        route("GET", "/qualityprofile/(\\d+)", (_r, m) => findProfile(Number(m[1]))),
        route("GET", "/metadataprofile", () => {
            if (!k.richRootFolders) throw new HttpAnswer(404, { message: "NotFound" });
            return state.metadataProfiles;
        }),
    ];
    if (k.qualities) {
        routes.push(
            route("GET", "/qualityprofile/schema", () => schemaProfile(kind)),
            route("POST", "/qualityprofile", (r) => {
                const b = r.body as Partial<QualityProfile>;
                rejectIfAny(validateProfile(kind, b));
                const p = { ...b, id: nextId() } as QualityProfile;
                state.qualityProfiles.push(p);
                return new HttpAnswer(201, p);
            }),
            route("PUT", "/qualityprofile/(\\d+)", (r, m) => {
                const existing = findProfile(Number(m[1]));
                const b = r.body as Partial<QualityProfile>;
                rejectIfAny(validateProfile(kind, b));
                const record = existing as unknown as Record<string, unknown>;
                Object.keys(record).forEach((key) => delete record[key]);
                Object.assign(existing, b, { id: Number(m[1]) });
                return new HttpAnswer(202, existing);
            }),
            route("DELETE", "/qualityprofile/(\\d+)", (_r, m) => {
                const p = findProfile(Number(m[1]));
                state.qualityProfiles.splice(state.qualityProfiles.indexOf(p), 1);
                return new HttpAnswer(200);
            }),
        );
    }
    const server = await serveRoutes(() => options.apiKey, routes);

    const providerValues = (store: ProviderStore, name: string): Record<string, unknown> => {
        const p = store.items.find((x) => x.name === name);
        if (!p) throw new Error(`fake ${kind}: no provider named ${name}`);
        return p.values;
    };
    const addProvider = (store: ProviderStore, name: string, implementation: string, fields: Record<string, unknown>): number => {
        const spec = store.spec(implementation)!;
        const id = nextId();
        store.items.push({
            id, name, implementation, configContract: spec.configContract, tags: [],
            values: { ...Object.fromEntries(spec.fields.map((f) => [f.name, f.value])), ...fields }, props: { ...spec.template },
        });
        return id;
    };
    return {
        ...server,
        kind,
        apiVersion: k.apiVersion,
        state,
        options,
        behindBack: {
            removeRootFolder: (path) => { state.rootFolders = state.rootFolders.filter((r) => r.path !== cleanPath(path)); },
            addRootFolder: (path) => {
                state.folders.add(path);
                const folder: RootFolder = { id: nextId(), path: cleanPath(path) };
                if (k.richRootFolders) Object.assign(folder, { name: "existing", defaultQualityProfileId: 1, defaultMetadataProfileId: 1, defaultTags: [] });
                state.rootFolders.push(folder);
                return folder;
            },
            setHardlinks: (on) => { state.mediaManagement.copyUsingHardlinks = on; },
            setDownloadClientField: (name, field, value) => { providerValues(state.downloadClients, name)[field] = value; },
            addDownloadClient: (name, fields) => addProvider(state.downloadClients, name, "QBittorrent", fields),
            addNotification: (name, implementation, fields) => addProvider(state.notifications, name, implementation, fields),
            addQualityProfile: (name) => {
                const p = { ...schemaProfile(kind), id: nextId(), name } as QualityProfile;
                p.items = p.items.map((i, n) => (n === 1 ? { ...i, allowed: true } : i));
                p.cutoff = Number(p.items[1].quality?.id ?? p.items[1].id);
                state.qualityProfiles.push(p);
                return p;
            },
        },
        snapshot: () => JSON.parse(JSON.stringify({
            rootFolders: state.rootFolders, downloadClients: state.downloadClients.items, notifications: state.notifications.items,
            qualityProfiles: state.qualityProfiles, mediaManagement: state.mediaManagement,
        })),
    };
}
