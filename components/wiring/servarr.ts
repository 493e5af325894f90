/**
 * Wiring of a Servarr library app (Sonarr, Radarr, Lidarr: one resource class, the kind picks the
 * differences): root folder `/data/media/<kind>`, qBittorrent as download client (category = media kind),
 * hardlinks on, an Emby/Jellyfin connection that rescans Jellyfin on import, and for Sonarr/Radarr a 1080p
 * quality profile built from the app's own `qualityprofile/schema`.
 *
 * Facts from the apps' API code (pinned versions): Sonarr/Radarr `/api/v3`, Lidarr `/api/v1`; provider
 * objects (download clients, notifications) carry their settings as `fields: [{name, value}]` and a field left
 * out falls back to its default, so writes send the whole object (schema template or the object as read);
 * secrets come back as `********` and a `********` sent back keeps the stored value. Field names (the
 * qBittorrent category field differs per app) are taken from the app's schema.
 */
import * as pulumi from "@pulumi/pulumi";
import { AppClient, WiringError } from "./core/client";
import { WiringBaseInputs, WiringImplementation, wiringProvider, wiringSecretOutputs } from "./core/provider";
import { WiringResource } from "./core/resource";
import { secretHash } from "./core/secrets";
import type { AppAddress, AppConnection, HttpRequest } from "./core/types";
import { WIRING_VERSION } from "./core/version";

export type ServarrKind = "sonarr" | "radarr" | "lidarr";

interface KindFacts {
    title: string;
    apiVersion: "v1" | "v3";
    /** Media kind of the hardlink layout: root folder `/data/media/<kind>`, qBittorrent category. */
    mediaKind: "tv" | "movies" | "music";
    /** Notification triggers that make Jellyfin rescan (import, upgrade, rename, deletions); none: no MediaBrowser. */
    jellyfinTriggers: string[];
    /** Lidarr root folders need a name and default quality/metadata profiles. */
    richRootFolders: boolean;
    /** Sonarr/Radarr: the 1080p quality profile. */
    qualityProfile: boolean;
}

export const SERVARR_KINDS: Readonly<Record<ServarrKind, KindFacts>> = {
    sonarr: {
        title: "Sonarr", apiVersion: "v3", mediaKind: "tv", richRootFolders: false, qualityProfile: true,
        jellyfinTriggers: ["onDownload", "onUpgrade", "onRename", "onSeriesDelete", "onEpisodeFileDelete"],
    },
    radarr: {
        title: "Radarr", apiVersion: "v3", mediaKind: "movies", richRootFolders: false, qualityProfile: true,
        jellyfinTriggers: ["onDownload", "onUpgrade", "onRename", "onMovieDelete", "onMovieFileDelete"],
    },
    lidarr: {
        title: "Lidarr", apiVersion: "v1", mediaKind: "music", richRootFolders: true, qualityProfile: false,
        jellyfinTriggers: ["onReleaseImport", "onUpgrade", "onRename", "onArtistDelete", "onAlbumDelete", "onTrackRetag"],
    },
};

/** Names the wiring gives the objects it creates (objects of the same name are adopted). */
export const SERVARR_NAMES = { downloadClient: "qBittorrent", jellyfin: "Jellyfin", qualityProfile: "1080p" } as const;

// ---------------------------------------------------------------------------------------------------------------
// The Servarr API shared with Prowlarr (provider objects with fields, tests of stored credentials)

export interface ProviderField { name: string; value?: unknown; privacy?: string }
export interface ProviderResource {
    id: number;
    name: string;
    implementation: string;
    configContract: string;
    fields: ProviderField[];
    tags?: number[];
    [key: string]: unknown;
}

/** One app's API: path prefix (`/api/v3`) and the X-Api-Key header. */
export interface ServarrApi { c: AppClient; prefix: string; apiKey: string }

function request(api: ServarrApi, method: HttpRequest["method"], path: string, json?: unknown, query?: HttpRequest["query"]): HttpRequest {
    return { method, path: `${api.prefix}/${path}`, headers: { "X-Api-Key": api.apiKey }, json, query };
}

export function apiGet<T>(api: ServarrApi, step: string, path: string): Promise<T> {
    return api.c.json<T>(step, request(api, "GET", path), [200]);
}

export function apiSend<T>(api: ServarrApi, step: string, method: "POST" | "PUT", path: string, body: unknown, query?: HttpRequest["query"]): Promise<T> {
    return api.c.json<T>(step, request(api, method, path, body, query), method === "POST" ? [200, 201] : [200, 202]);
}

/** DELETE; an object already gone (404) is fine: it is what delete wants. */
export async function apiDelete(api: ServarrApi, step: string, path: string, alsoFine: number[] = []): Promise<void> {
    await api.c.call(step, request(api, "DELETE", path), [200, 202, 204, 404, ...alsoFine]);
}

export function fieldValue(p: ProviderResource, name: string): unknown {
    return p.fields.find((f) => f.name === name)?.value;
}

/** The object with these field values set; a name the app does not know is a wiring bug, reported as such. */
export function withFields(api: ServarrApi, p: ProviderResource, values: Record<string, unknown>): ProviderResource {
    for (const name of Object.keys(values)) {
        if (!p.fields.some((f) => f.name === name)) {
            throw new WiringError(api.c.app, api.c.address, `set ${p.implementation} settings`, `the app has no field "${name}" (fields: ${p.fields.map((f) => f.name).join(", ")})`, false);
        }
    }
    return { ...p, fields: p.fields.map((f) => (f.name in values ? { name: f.name, value: values[f.name] } : { name: f.name, value: f.value })) };
}

export async function findProvider(api: ServarrApi, collection: string, name: string): Promise<ProviderResource | undefined> {
    const all = await apiGet<ProviderResource[]>(api, `list ${collection}`, collection);
    return all.find((p) => p.name.toLowerCase() === name.toLowerCase());
}

export async function providerTemplate(api: ServarrApi, collection: string, implementation: string): Promise<ProviderResource> {
    const templates = await apiGet<ProviderResource[]>(api, `read ${collection} schema`, `${collection}/schema`);
    const template = templates.find((t) => t.implementation === implementation);
    if (!template) {
        throw new WiringError(api.c.app, api.c.address, `read ${collection} schema`, `no ${implementation} among ${templates.map((t) => t.implementation).join(", ")}`, false);
    }
    const { presets: _presets, ...rest } = template;
    return { ...rest, id: 0 };
}

/**
 * Creates (`existing` absent: from the schema template) or updates the named provider object. The POST of an
 * enabled object runs the app's connection test whatever `forceSave` says (`ProviderControllerBase.CreateProvider`:
 * `Test(definition, !forceSave)`; forceSave only lets warnings through), so every create is ordered after what
 * its test reaches (the wiring plan's `after`). A PUT with `forceSave` skips the test (`UpdateProvider`); stored
 * credentials are checked on read instead, with `storedCredentialsRejected`.
 */
export async function saveProvider(
    api: ServarrApi, collection: string, existing: ProviderResource | undefined, implementation: string,
    build: (base: ProviderResource) => ProviderResource,
): Promise<{ id: number; createdNow: boolean }> {
    if (existing) {
        const current = await apiGet<ProviderResource>(api, `read ${collection} ${existing.name}`, `${collection}/${existing.id}`);
        const body = build(current);
        await apiSend(api, `update ${collection} ${existing.name}`, "PUT", `${collection}/${existing.id}`, body, { forceSave: true });
        return { id: existing.id, createdNow: false };
    }
    const body = build(await providerTemplate(api, collection, implementation));
    const saved = await apiSend<ProviderResource>(api, `add ${collection} ${body.name}`, "POST", collection, body, { forceSave: true });
    return { id: saved.id, createdNow: true };
}

/**
 * Whether the app refuses the credentials it stores for this object: `POST <collection>/test` with the object
 * as read (masked secrets make the app use the stored ones) answers 400 with failures; a failure on one of
 * `properties` (e.g. Username for qBittorrent, ApiKey for Jellyfin) means the stored secret is wrong. Other
 * failures (the other side down) say nothing about the credentials and count as accepted.
 */
export async function storedCredentialsRejected(api: ServarrApi, collection: string, stored: ProviderResource, properties: string[]): Promise<boolean> {
    const res = await api.c.call(`test ${collection} ${stored.name}`, request(api, "POST", `${collection}/test`, stored), [200, 400]);
    if (res.status === 200) return false;
    let failures: { propertyName?: string }[] = [];
    try {
        const body = res.json<unknown>();
        failures = Array.isArray(body) ? (body as { propertyName?: string }[]) : [];
    } catch {
        return false;
    }
    const wanted = properties.map((p) => p.toLowerCase());
    return failures.some((f) => wanted.includes(String(f.propertyName ?? "").toLowerCase()));
}

/** `created` entries are `<collection>:<id>`; keeps those still pointing at `currentId`, adds it when created now. */
export function trackCreated(created: string[], collection: string, currentId: number | undefined, createdNow: boolean): string[] {
    const others = created.filter((e) => !e.startsWith(`${collection}:`));
    const ours = created.filter((e) => e === `${collection}:${currentId}`);
    return [...others, ...(createdNow || ours.length > 0 ? [`${collection}:${currentId}`] : [])];
}

export function createdIds(created: string[], collection: string): number[] {
    return created.filter((e) => e.startsWith(`${collection}:`)).map((e) => Number(e.slice(collection.length + 1))).filter((n) => Number.isInteger(n));
}

/**
 * Credentials the app masks cannot be read back: when a secret input changes (compared by secretHash), the
 * next update must write it even though everything the app shows still matches, and converge writes only what
 * differs from what it observed. So this wraps the provider: on a changed secret, observe marks the objects
 * holding it as holding a rejected credential, which makes converge rewrite them.
 */
export function providerRewritingChangedSecrets<I extends WiringBaseInputs, S>(
    impl: WiringImplementation<I, S>, secretKeys: string[], markStale: (observed: S, staleKeys: string[]) => S,
): pulumi.dynamic.ResourceProvider {
    const base = wiringProvider(impl);
    return {
        ...base,
        update: (id: string, olds: Record<string, unknown>, news: Record<string, unknown>) => {
            const hash = (v: unknown): string => secretHash(typeof v === "string" ? v : JSON.stringify(v ?? null));
            const stale = secretKeys.filter((k) => hash(olds[k]) !== hash(news[k]));
            if (stale.length === 0) return base.update!(id, olds, news);
            const rewriting = wiringProvider<I, S>({
                ...impl,
                observe: async (c, inputs) => {
                    const observed = await impl.observe(c, inputs);
                    return observed === undefined ? undefined : markStale(observed, stale);
                },
            });
            return rewriting.update!(id, olds, news);
        },
    };
}

// ---------------------------------------------------------------------------------------------------------------
// The 1080p quality profile

export interface Quality { id: number; name: string; source: string; resolution: number; modifier?: string }
export interface QualityItem { id?: number; name?: string | null; quality?: Quality | null; items: QualityItem[]; allowed: boolean }
export interface QualityProfile {
    id: number;
    name: string;
    upgradeAllowed: boolean;
    cutoff: number;
    items: QualityItem[];
    [key: string]: unknown;
}

const WEB_AND_BLURAY_SOURCES = ["web", "webdl", "webrip", "bluray"];

/**
 * WEB and Bluray from 720p up to 1080p, without remuxes, disc images and raw HD (Sonarr's `blurayRaw`
 * source, Radarr's `remux`/`brdisk`/`rawhd` modifiers): the qualities a 1080p library wants.
 */
export function wanted1080p(q: Quality): boolean {
    return WEB_AND_BLURAY_SOURCES.includes(q.source.toLowerCase())
        && (q.modifier === undefined || q.modifier === null || q.modifier.toLowerCase() === "none")
        && q.resolution >= 720 && q.resolution <= 1080;
}

function qualitiesOf(item: QualityItem): Quality[] {
    return item.quality ? [item.quality] : item.items.flatMap(qualitiesOf);
}

/**
 * The schema's items with the wanted qualities allowed (a group is allowed when one of its qualities is
 * wanted, as the UI does), and the cutoff at the first allowed item holding a 1080p quality (items are
 * listed from lowest to highest): upgrades stop once a 1080p release is in.
 */
export function tune1080p(schema: Pick<QualityProfile, "items">): { items: QualityItem[]; cutoff: number } {
    const items = schema.items.map((item): QualityItem => {
        const allowed = qualitiesOf(item).some(wanted1080p);
        return { ...item, allowed, items: item.items.map((i) => ({ ...i, allowed })) };
    });
    const cutoffItem = items.find((i) => i.allowed && qualitiesOf(i).some((q) => q.resolution === 1080));
    if (!cutoffItem) throw new Error("the quality schema has no WEB or Bluray 1080p quality");
    return { items, cutoff: cutoffItem.quality ? cutoffItem.quality.id : Number(cutoffItem.id) };
}

/** The quality ids a profile allows, and those of its cutoff item, sorted. */
export function profileShape(p: Pick<QualityProfile, "items" | "cutoff" | "upgradeAllowed">): { allowed: number[]; cutoff: number[]; upgradeAllowed: boolean } {
    const allowed = p.items.filter((i) => i.allowed).flatMap(qualitiesOf).map((q) => q.id).sort((a, b) => a - b);
    const cutoffItem = p.items.find((i) => (i.quality ? i.quality.id === p.cutoff : i.id === p.cutoff));
    const cutoff = cutoffItem ? qualitiesOf(cutoffItem).map((q) => q.id).sort((a, b) => a - b) : [];
    return { allowed, cutoff, upgradeAllowed: p.upgradeAllowed };
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs, observed state

export interface DownloadClientSettings {
    /** qBittorrent's address as seen from this app's container (e.g. `gluetun`), and its WebUI port. */
    host: string;
    port: number;
    useSsl: boolean;
    username: string;
    /** qBittorrent category = the media kind. */
    category: string;
}

export interface JellyfinSettings {
    /** Jellyfin's address as seen from this app's container. */
    host: string;
    port: number;
    useSsl: boolean;
}

export interface ServarrInputs extends WiringBaseInputs {
    kind: ServarrKind;
    /** The app's API key (secret). */
    apiKey: string;
    rootFolderPath: string;
    downloadClient: DownloadClientSettings;
    /** qBittorrent WebUI password (secret). */
    downloadClientPassword: string;
    /** Absent: no Jellyfin connection (and one this resource created is removed). */
    jellyfin?: JellyfinSettings;
    /** Jellyfin API key (secret); required with `jellyfin`. */
    jellyfinApiKey?: string;
    /** Sonarr/Radarr: name of the 1080p quality profile. */
    qualityProfileName?: string;
}

export interface ObservedDownloadClient extends DownloadClientSettings { id: number; name: string; enable: boolean; credentialsRejected: boolean }
export interface ObservedJellyfin extends JellyfinSettings {
    id: number; name: string; updateLibrary: boolean; notify: boolean; triggers: string[]; credentialsRejected: boolean;
}

export interface ServarrObserved {
    rootFolder: { id: number; path: string; accessible: boolean } | null;
    downloadClient: ObservedDownloadClient | null;
    jellyfin: ObservedJellyfin | null;
    hardlinks: boolean;
    /** Sonarr/Radarr: the profile of that name; `tuned` when it allows and cuts off as the 1080p design says. */
    qualityProfile: { id: number; name: string; tuned: boolean } | null;
}

const CREDENTIAL_KEYS = ["downloadClientPassword", "jellyfinApiKey"];

function apiOf(c: AppClient, inputs: ServarrInputs): ServarrApi {
    return { c, prefix: `/api/${SERVARR_KINDS[inputs.kind].apiVersion}`, apiKey: inputs.apiKey };
}

function cleanPath(p: string): string {
    return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

/** The category field of the app's qBittorrent settings (`tvCategory`, `movieCategory`, `musicCategory`). */
export function categoryField(p: ProviderResource): string {
    const field = p.fields.find((f) => /Category$/.test(f.name) && !/ImportedCategory$/.test(f.name));
    if (!field) throw new Error(`${p.implementation} settings have no category field`);
    return field.name;
}

async function observeServarr(c: AppClient, inputs: ServarrInputs): Promise<ServarrObserved> {
    const api = apiOf(c, inputs);
    const facts = SERVARR_KINDS[inputs.kind];

    const folders = await apiGet<{ id: number; path: string; accessible?: boolean }[]>(api, "list root folders", "rootfolder");
    const folder = folders.find((f) => cleanPath(f.path) === cleanPath(inputs.rootFolderPath));

    const client = await findProvider(api, "downloadclient", SERVARR_NAMES.downloadClient);
    let downloadClient: ObservedDownloadClient | null = null;
    if (client) {
        downloadClient = {
            id: client.id, name: client.name, enable: client.enable === true,
            host: String(fieldValue(client, "host") ?? ""), port: Number(fieldValue(client, "port")),
            useSsl: fieldValue(client, "useSsl") === true, username: String(fieldValue(client, "username") ?? ""),
            category: String(fieldValue(client, categoryField(client)) ?? ""),
            credentialsRejected: await storedCredentialsRejected(api, "downloadclient", client, ["username", "password"]),
        };
    }

    const connection = facts.jellyfinTriggers.length > 0 ? await findProvider(api, "notification", SERVARR_NAMES.jellyfin) : undefined;
    let jellyfin: ObservedJellyfin | null = null;
    if (connection) {
        jellyfin = {
            id: connection.id, name: connection.name,
            host: String(fieldValue(connection, "host") ?? ""), port: Number(fieldValue(connection, "port")),
            useSsl: fieldValue(connection, "useSsl") === true, updateLibrary: fieldValue(connection, "updateLibrary") === true,
            notify: fieldValue(connection, "notify") === true,
            triggers: facts.jellyfinTriggers.filter((t) => connection[t] === true),
            // Not testable: the app's test posts to Jellyfin's /Notifications/Admin, gone since Jellyfin 10.9
            // (404, which the apps count as success), so a stored key is only rewritten when the input changes.
            credentialsRejected: connection.implementation !== "MediaBrowser",
        };
    }

    const mediaManagement = await apiGet<{ copyUsingHardlinks?: boolean }>(api, "read media management settings", "config/mediamanagement");

    let qualityProfile: ServarrObserved["qualityProfile"] = null;
    if (facts.qualityProfile && inputs.qualityProfileName) {
        const profiles = await apiGet<QualityProfile[]>(api, "list quality profiles", "qualityprofile");
        const profile = profiles.find((p) => p.name.toLowerCase() === inputs.qualityProfileName!.toLowerCase());
        if (profile) {
            const schema = await apiGet<QualityProfile>(api, "read quality profile schema", "qualityprofile/schema");
            const design = tune1080p(schema);
            const tuned = JSON.stringify(profileShape(profile)) === JSON.stringify(profileShape({ ...design, upgradeAllowed: true }));
            qualityProfile = { id: profile.id, name: profile.name, tuned };
        }
    }

    return {
        rootFolder: folder ? { id: folder.id, path: cleanPath(folder.path), accessible: folder.accessible !== false } : null,
        downloadClient,
        jellyfin,
        hardlinks: mediaManagement.copyUsingHardlinks === true,
        qualityProfile,
    };
}

function downloadClientMatches(inputs: ServarrInputs, d: ObservedDownloadClient | null): boolean {
    const want = inputs.downloadClient;
    return d !== null && d.enable && !d.credentialsRejected && d.host === want.host && d.port === want.port
        && d.useSsl === want.useSsl && d.username === want.username && d.category === want.category;
}

function jellyfinMatches(inputs: ServarrInputs, j: ObservedJellyfin | null): boolean {
    const want = inputs.jellyfin;
    // Jellyfin off: a connection this resource created is removed by the update the input change causes; one
    // it adopted stays, and must not make every later diff report a change.
    if (!want) return true;
    const triggers = SERVARR_KINDS[inputs.kind].jellyfinTriggers;
    return j !== null && !j.credentialsRejected && j.host === want.host && j.port === want.port && j.useSsl === want.useSsl
        && j.updateLibrary && !j.notify && triggers.every((t) => j.triggers.includes(t));
}

export function servarrMatches(inputs: ServarrInputs, o: ServarrObserved): boolean {
    const wantsProfile = SERVARR_KINDS[inputs.kind].qualityProfile;
    return o.rootFolder !== null
        && downloadClientMatches(inputs, o.downloadClient)
        && jellyfinMatches(inputs, o.jellyfin)
        && o.hardlinks
        && (!wantsProfile || (o.qualityProfile !== null && o.qualityProfile.tuned));
}

async function addRootFolder(api: ServarrApi, inputs: ServarrInputs): Promise<number> {
    const facts = SERVARR_KINDS[inputs.kind];
    const body: Record<string, unknown> = { path: inputs.rootFolderPath };
    if (facts.richRootFolders) {
        const [quality] = await apiGet<{ id: number }[]>(api, "list quality profiles", "qualityprofile");
        const [metadata] = await apiGet<{ id: number }[]>(api, "list metadata profiles", "metadataprofile");
        if (!quality || !metadata) {
            throw new WiringError(api.c.app, api.c.address, "add root folder", "the app has no quality or metadata profile to default to", false);
        }
        Object.assign(body, {
            name: facts.mediaKind[0].toUpperCase() + facts.mediaKind.slice(1), defaultQualityProfileId: quality.id,
            defaultMetadataProfileId: metadata.id, defaultMonitorOption: "all", defaultNewItemMonitorOption: "all", defaultTags: [],
        });
    }
    const saved = await apiSend<{ id: number }>(api, `add root folder ${inputs.rootFolderPath}`, "POST", "rootfolder", body);
    return saved.id;
}

async function setHardlinks(api: ServarrApi, on: boolean): Promise<void> {
    const current = await apiGet<Record<string, unknown> & { id: number }>(api, "read media management settings", "config/mediamanagement");
    await apiSend(api, `turn hardlinks ${on ? "on" : "off"}`, "PUT", `config/mediamanagement/${current.id}`, { ...current, copyUsingHardlinks: on });
}

async function saveQualityProfile(api: ServarrApi, inputs: ServarrInputs, existing: { id: number } | null): Promise<{ id: number; createdNow: boolean }> {
    const schema = await apiGet<QualityProfile>(api, "read quality profile schema", "qualityprofile/schema");
    const { items, cutoff } = tune1080p(schema);
    const name = inputs.qualityProfileName!;
    if (existing) {
        const current = await apiGet<QualityProfile>(api, `read quality profile ${name}`, `qualityprofile/${existing.id}`);
        await apiSend(api, `update quality profile ${name}`, "PUT", `qualityprofile/${existing.id}`, { ...current, upgradeAllowed: true, items, cutoff });
        return { id: existing.id, createdNow: false };
    }
    const { id: _id, ...template } = schema;
    const saved = await apiSend<QualityProfile>(api, `add quality profile ${name}`, "POST", "qualityprofile", { ...template, name, upgradeAllowed: true, items, cutoff });
    return { id: saved.id, createdNow: true };
}

const HARDLINKS_WERE_OFF = "hardlinks:were-off";
const HARDLINKS_WERE_ON = "hardlinks:were-on";

async function convergeServarr(c: AppClient, inputs: ServarrInputs, observed: ServarrObserved | undefined, created: string[]): Promise<{ state: ServarrObserved; created: string[] }> {
    const api = apiOf(c, inputs);
    const facts = SERVARR_KINDS[inputs.kind];
    const o = observed ?? await observeServarr(c, inputs);
    let track = [...created];

    if (!o.rootFolder) {
        const id = await addRootFolder(api, inputs);
        track = trackCreated(track, "rootfolder", id, true);
    } else {
        track = trackCreated(track, "rootfolder", o.rootFolder.id, false);
    }

    if (!downloadClientMatches(inputs, o.downloadClient)) {
        const existing = o.downloadClient ? { id: o.downloadClient.id, name: o.downloadClient.name } as ProviderResource : undefined;
        const want = inputs.downloadClient;
        const saved = await saveProvider(api, "downloadclient", existing, "QBittorrent", (base) => ({
            ...withFields(api, base, {
                host: want.host, port: want.port, useSsl: want.useSsl, username: want.username,
                password: inputs.downloadClientPassword, [categoryField(base)]: want.category,
            }),
            name: SERVARR_NAMES.downloadClient, enable: true, protocol: "torrent", priority: typeof base.priority === "number" && base.priority > 0 ? base.priority : 1,
        }));
        track = trackCreated(track, "downloadclient", saved.id, saved.createdNow);
    } else {
        track = trackCreated(track, "downloadclient", o.downloadClient!.id, false);
    }

    if (inputs.jellyfin && !jellyfinMatches(inputs, o.jellyfin)) {
        const want = inputs.jellyfin;
        const existing = o.jellyfin ? { id: o.jellyfin.id, name: o.jellyfin.name } as ProviderResource : undefined;
        const saved = await saveProvider(api, "notification", existing, "MediaBrowser", (base) => ({
            ...withFields(api, base, { host: want.host, port: want.port, useSsl: want.useSsl, apiKey: inputs.jellyfinApiKey ?? "", updateLibrary: true, notify: false }),
            name: SERVARR_NAMES.jellyfin,
            ...Object.fromEntries(facts.jellyfinTriggers.map((t) => [t, true])),
        }));
        track = trackCreated(track, "notification", saved.id, saved.createdNow);
    } else if (!inputs.jellyfin && o.jellyfin && createdIds(track, "notification").includes(o.jellyfin.id)) {
        await apiDelete(api, `remove notification ${o.jellyfin.name}`, `notification/${o.jellyfin.id}`);
        track = trackCreated(track, "notification", undefined, false);
    } else {
        track = trackCreated(track, "notification", o.jellyfin?.id, false);
    }

    if (!track.includes(HARDLINKS_WERE_OFF) && !track.includes(HARDLINKS_WERE_ON)) track.push(o.hardlinks ? HARDLINKS_WERE_ON : HARDLINKS_WERE_OFF);
    if (!o.hardlinks) await setHardlinks(api, true);

    if (facts.qualityProfile && inputs.qualityProfileName && !o.qualityProfile?.tuned) {
        const saved = await saveQualityProfile(api, inputs, o.qualityProfile);
        track = trackCreated(track, "qualityprofile", saved.id, saved.createdNow);
    } else {
        track = trackCreated(track, "qualityprofile", o.qualityProfile?.id, false);
    }

    return { state: await observeServarr(c, inputs), created: track };
}

async function removeServarr(c: AppClient, inputs: ServarrInputs, created: string[]): Promise<void> {
    const api = apiOf(c, inputs);
    for (const id of createdIds(created, "notification")) await apiDelete(api, "remove Jellyfin connection", `notification/${id}`);
    for (const id of createdIds(created, "downloadclient")) await apiDelete(api, "remove download client", `downloadclient/${id}`);
    // A profile still used by series/movies cannot be deleted (the app answers 400): it stays with them.
    for (const id of createdIds(created, "qualityprofile")) await apiDelete(api, "remove quality profile", `qualityprofile/${id}`, [400]);
    for (const id of createdIds(created, "rootfolder")) await apiDelete(api, "remove root folder", `rootfolder/${id}`);
    if (created.includes(HARDLINKS_WERE_OFF)) await setHardlinks(api, false);
}

function servarrProblems(inputs: ServarrInputs): string[] {
    const problems: string[] = [];
    const facts = SERVARR_KINDS[inputs.kind];
    if (!facts) return [`kind must be one of ${Object.keys(SERVARR_KINDS).join(", ")}`];
    if (typeof inputs.rootFolderPath === "string" && !inputs.rootFolderPath.startsWith("/")) problems.push(`rootFolderPath must be an absolute path, got "${inputs.rootFolderPath}"`);
    const dc = inputs.downloadClient;
    if (dc && typeof dc.port === "number" && (dc.port < 1 || dc.port > 65535)) problems.push(`downloadClient.port must be 1-65535, got ${dc.port}`);
    if (dc && typeof dc.category === "string" && !/^([^\\/](\/?[^\\/])*)?$/.test(dc.category)) problems.push(`downloadClient.category cannot contain '\\', '//', or start/end with '/'`);
    if (inputs.jellyfin && facts.jellyfinTriggers.length === 0) problems.push(`${facts.title} has no Emby/Jellyfin connection: leave jellyfin unset`);
    if (inputs.jellyfin && !inputs.jellyfinApiKey) problems.push("jellyfinApiKey is required with jellyfin");
    if (facts.qualityProfile && !inputs.qualityProfileName) problems.push("qualityProfileName is required for Sonarr and Radarr");
    return problems;
}

/** The inputs that describe what the app holds, so a refresh shows drift property by property. */
function servarrRefreshedInputs(inputs: ServarrInputs, o: ServarrObserved): ServarrInputs {
    const d = o.downloadClient;
    const j = o.jellyfin;
    return {
        ...inputs,
        rootFolderPath: o.rootFolder ? o.rootFolder.path : "",
        downloadClient: d ? { host: d.host, port: d.port, useSsl: d.useSsl, username: d.username, category: d.category } : { ...inputs.downloadClient, host: "" },
        jellyfin: j ? { host: j.host, port: j.port, useSsl: j.useSsl } : undefined,
    };
}

export const servarrImplementation: WiringImplementation<ServarrInputs, ServarrObserved> = {
    app: "Servarr",
    check: servarrProblems,
    ready: { req: { method: "GET", path: "/ping" }, expect: [200] },
    observe: observeServarr,
    converge: convergeServarr,
    remove: removeServarr,
    matches: servarrMatches,
    refreshedInputs: servarrRefreshedInputs,
    secretOutputs: ["apiKey", ...CREDENTIAL_KEYS],
};

function markStaleCredentials(o: ServarrObserved, staleKeys: string[]): ServarrObserved {
    return {
        ...o,
        downloadClient: o.downloadClient && staleKeys.includes("downloadClientPassword") ? { ...o.downloadClient, credentialsRejected: true } : o.downloadClient,
        jellyfin: o.jellyfin && staleKeys.includes("jellyfinApiKey") ? { ...o.jellyfin, credentialsRejected: true } : o.jellyfin,
    };
}

/** One provider for the four apps; messages still name the app ("Sonarr at 10.0.0.5:8989: ..."). */
const servarrProvider = providerRewritingChangedSecrets({
    ...servarrImplementation,
    appOf: (inputs: ServarrInputs) => SERVARR_KINDS[inputs.kind]?.title ?? servarrImplementation.app,
}, CREDENTIAL_KEYS, markStaleCredentials);

// ---------------------------------------------------------------------------------------------------------------
// The resource

export interface ServarrWiringArgs {
    kind: ServarrKind;
    connection: pulumi.Input<AppConnection>;
    /** The app as the provider reaches it (its stack address and port, as seen from the Docker host). */
    address: pulumi.Input<AppAddress>;
    apiKey: pulumi.Input<string>;
    /** Default `/data/media/<media kind>` (tv, movies, music, books). */
    rootFolderPath?: pulumi.Input<string>;
    /** qBittorrent as this app's container reaches it; `category` defaults to the media kind, `useSsl` to false. */
    downloadClient: pulumi.Input<{ host: pulumi.Input<string>; port: pulumi.Input<number>; username: pulumi.Input<string>; useSsl?: pulumi.Input<boolean>; category?: pulumi.Input<string> }>;
    downloadClientPassword: pulumi.Input<string>;
    /** Jellyfin as this app's container reaches it. */
    jellyfin?: pulumi.Input<{ host: pulumi.Input<string>; port: pulumi.Input<number>; useSsl?: pulumi.Input<boolean> }>;
    jellyfinApiKey?: pulumi.Input<string>;
    /** Sonarr/Radarr: default "1080p" (sorts before the built-in profiles, so the add dialogs preselect it). */
    qualityProfileName?: pulumi.Input<string>;
    /** Budget of the wait for the app, in seconds (framework default 180). */
    readyTimeoutSeconds?: pulumi.Input<number>;
}

/**
 * Sonarr, Radarr or Lidarr wired to the stack. `qualityProfileId`/`qualityProfileName` (Sonarr/Radarr)
 * are what Jellyseerr needs to pick the 1080p profile.
 */
export class ServarrWiring extends WiringResource {
    declare public readonly observed: pulumi.Output<ServarrObserved | null>;
    declare public readonly created: pulumi.Output<string[]>;
    public readonly qualityProfileId: pulumi.Output<number | undefined>;
    public readonly qualityProfileName: pulumi.Output<string | undefined>;

    constructor(name: string, args: ServarrWiringArgs, opts?: pulumi.CustomResourceOptions) {
        const facts = SERVARR_KINDS[args.kind];
        const downloadClient = pulumi.output(args.downloadClient).apply((d) => ({
            host: d.host, port: d.port, username: d.username, useSsl: d.useSsl ?? false, category: d.category ?? facts.mediaKind,
        }));
        const jellyfin = args.jellyfin === undefined ? undefined
            : pulumi.output(args.jellyfin).apply((j) => ({ host: j.host, port: j.port, useSsl: j.useSsl ?? false }));
        super("servarr", servarrProvider, name, {
            kind: args.kind,
            connection: args.connection,
            address: args.address,
            apiKey: args.apiKey,
            rootFolderPath: args.rootFolderPath ?? `/data/media/${facts.mediaKind}`,
            downloadClient,
            downloadClientPassword: args.downloadClientPassword,
            jellyfin,
            jellyfinApiKey: args.jellyfinApiKey,
            qualityProfileName: facts.qualityProfile ? (args.qualityProfileName ?? SERVARR_NAMES.qualityProfile) : undefined,
            readyTimeoutSeconds: args.readyTimeoutSeconds,
            providerVersion: WIRING_VERSION,
            observed: undefined,
            created: undefined,
        }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(servarrImplementation)],
        });
        this.qualityProfileId = this.observed.apply((o) => o?.qualityProfile?.id);
        this.qualityProfileName = this.observed.apply((o) => o?.qualityProfile?.name);
    }
}
