/**
 * qBittorrent's wiring: one category per enabled library app (`tv`, `movies`, `music`, `books`) saving to
 * `/data/torrents/<kind>`, the default save path `/data/torrents`, automatic torrent management on and UPnP
 * off. The listening port belongs to Gluetun's port-forwarding hook: never written here.
 *
 * WebAPI (v2): `POST auth/login` (form; the SID cookie), `GET torrents/categories`, `POST
 * torrents/createCategory` (409 when it exists: adopted), `POST torrents/editCategory`, `POST
 * torrents/removeCategories`, `GET app/preferences`, `POST app/setPreferences` (form field `json`).
 */
import * as pulumi from "@pulumi/pulumi";
import { DATA_MOUNT_PATH, MediaKind } from "../catalog";
import { AppClient, WiringError } from "./core/client";
import { WiringBaseInputs, WiringImplementation, wiringProvider, wiringSecretOutputs } from "./core/provider";
import { WiringResource } from "./core/resource";
import { AppAddress, AppConnection } from "./core/types";
import { WIRING_VERSION } from "./core/version";

/** The preferences this wiring owns (qBittorrent's own names). */
export interface QbittorrentPreferences {
    save_path: string;
    auto_tmm_enabled: boolean;
    upnp: boolean;
}

export interface QbittorrentWiringInputs extends WiringBaseInputs {
    username: string;
    password: string;
    /** Category name -> save path. */
    categories: Record<string, string>;
    preferences: QbittorrentPreferences;
}

/** What qBittorrent holds of this wiring: the desired categories that exist, and the owned preferences. */
export interface QbittorrentObserved {
    categories: Record<string, string>;
    preferences: QbittorrentPreferences;
}

const CATEGORY_ID_PREFIX = "category:";
const PREFERENCE_KEYS: (keyof QbittorrentPreferences)[] = ["save_path", "auto_tmm_enabled", "upnp"];

/** Paths compare without a trailing slash (qBittorrent may keep one it was given). */
function samePath(a: string | undefined, b: string | undefined): boolean {
    const strip = (p: string | undefined) => (p ?? "").replace(/\/+$/, "");
    return a !== undefined && b !== undefined && strip(a) === strip(b);
}

function samePreference(key: keyof QbittorrentPreferences, want: unknown, have: unknown): boolean {
    return key === "save_path" ? samePath(want as string, have as string) : want === have;
}

/** The WebUI checks that Origin/Referer name the host it is asked for (CSRF protection). */
function origin(address: AppAddress): Record<string, string> {
    const url = `http://${address.host}:${address.port}`;
    return { Referer: `${url}${address.basePath.replace(/\/+$/, "")}/`, Origin: url };
}

async function login(c: AppClient, inputs: QbittorrentWiringInputs): Promise<void> {
    const res = await c.call("log in", {
        method: "POST",
        path: "/api/v2/auth/login",
        headers: origin(inputs.address),
        form: { username: inputs.username, password: inputs.password },
    }, [200, 204, 401, 403]);
    // Up to 5.1: 200 "Ok." or 200 "Fails."; 5.2 answers 204 with no body on success and 401 when refused
    // (AuthController::loginAction). The session cookie (SID, or QBT_SID_<port> in 5.2) is kept by the client.
    const accepted = (res.status === 200 && res.text.trim() === "Ok.") || res.status === 204;
    if (!accepted) {
        throw new WiringError(c.app, c.address, "log in", `the WebUI refused user ${inputs.username}: ${res.text.trim() || `HTTP ${res.status}`}`, false);
    }
}

async function categories(c: AppClient): Promise<Record<string, string>> {
    const all = await c.json<Record<string, { name: string; savePath: string }>>("read categories", { method: "GET", path: "/api/v2/torrents/categories" });
    return Object.fromEntries(Object.values(all).map((cat) => [cat.name, cat.savePath]));
}

async function preferences(c: AppClient): Promise<QbittorrentPreferences> {
    const all = await c.json<Record<string, unknown>>("read preferences", { method: "GET", path: "/api/v2/app/preferences" });
    return { save_path: all.save_path as string, auto_tmm_enabled: all.auto_tmm_enabled as boolean, upnp: all.upnp as boolean };
}

async function observe(c: AppClient, inputs: QbittorrentWiringInputs): Promise<QbittorrentObserved> {
    await login(c, inputs);
    const held = await categories(c);
    const wanted = Object.fromEntries(Object.keys(inputs.categories).filter((name) => name in held).map((name) => [name, held[name]]));
    return { categories: wanted, preferences: await preferences(c) };
}

/**
 * editCategory, where "nothing to change" counts as done: 5.0/5.1 answer 409 when the options equal the current
 * ones (`SessionImpl::editCategory` returns false, `TorrentsController::editCategoryAction` throws Conflict),
 * 5.2 answers 200. 409 also means "no such category" up to 5.1 (404 in 5.2), so a 409 is accepted only when the
 * category holds the wanted path.
 */
async function editCategory(c: AppClient, name: string, savePath: string): Promise<void> {
    const res = await c.call(`edit category ${name}`, { method: "POST", path: "/api/v2/torrents/editCategory", form: { category: name, savePath } }, [200, 204, 409]);
    if (res.status !== 409) return;
    const held = (await categories(c))[name];
    if (!samePath(held, savePath)) throw new WiringError(c.app, c.address, `edit category ${name}`, `HTTP 409 ${res.text.trim()} (it holds ${held === undefined ? "no such category" : held})`.trim(), false);
}

async function createCategory(c: AppClient, name: string, savePath: string): Promise<boolean> {
    const res = await c.call(`create category ${name}`, { method: "POST", path: "/api/v2/torrents/createCategory", form: { category: name, savePath } }, [200, 204, 409]);
    if (res.status !== 409) return true;
    // It appeared since it was observed: adopt it.
    await editCategory(c, name, savePath);
    return false;
}

async function removeCategories(c: AppClient, names: string[]): Promise<void> {
    if (names.length === 0) return;
    await c.call(`remove categories ${names.join(", ")}`, { method: "POST", path: "/api/v2/torrents/removeCategories", form: { categories: names.join("\n") } });
}

async function converge(c: AppClient, inputs: QbittorrentWiringInputs, observed: QbittorrentObserved | undefined, created: string[]): Promise<{ state: QbittorrentObserved; created: string[] }> {
    const held = observed ?? (await observe(c, inputs));
    const ours = new Set(created);
    for (const [name, savePath] of Object.entries(inputs.categories)) {
        if (!(name in held.categories)) {
            if (await createCategory(c, name, savePath)) ours.add(`${CATEGORY_ID_PREFIX}${name}`);
        } else if (!samePath(held.categories[name], savePath)) {
            await editCategory(c, name, savePath);
        }
    }
    // Categories this wiring created that are no longer wanted (their app was switched off).
    const stale = [...ours].filter((id) => !(id.slice(CATEGORY_ID_PREFIX.length) in inputs.categories));
    await removeCategories(c, stale.map((id) => id.slice(CATEGORY_ID_PREFIX.length)));
    stale.forEach((id) => ours.delete(id));

    const changed = Object.fromEntries(PREFERENCE_KEYS
        .filter((key) => !samePreference(key, inputs.preferences[key], held.preferences[key]))
        .map((key) => [key, inputs.preferences[key]]));
    if (Object.keys(changed).length > 0) {
        await c.call("set preferences", { method: "POST", path: "/api/v2/app/setPreferences", form: { json: JSON.stringify(changed) } });
    }
    return { state: { categories: await categories(c).then((all) => pick(all, Object.keys(inputs.categories))), preferences: await preferences(c) }, created: [...ours].sort() };
}

function pick(all: Record<string, string>, names: string[]): Record<string, string> {
    return Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]]));
}

async function remove(c: AppClient, inputs: QbittorrentWiringInputs, created: string[]): Promise<void> {
    await login(c, inputs);
    const names = created.filter((id) => id.startsWith(CATEGORY_ID_PREFIX)).map((id) => id.slice(CATEGORY_ID_PREFIX.length));
    await removeCategories(c, names);
}

function matches(inputs: QbittorrentWiringInputs, observed: QbittorrentObserved): boolean {
    const categoriesMatch = Object.entries(inputs.categories).every(([name, path]) => samePath(observed.categories[name], path));
    const preferencesMatch = PREFERENCE_KEYS.every((key) => samePreference(key, inputs.preferences[key], observed.preferences[key]));
    return categoriesMatch && preferencesMatch;
}

/** The inputs that describe what qBittorrent holds: a refresh then shows drift category by category. */
function refreshedInputs(inputs: QbittorrentWiringInputs, observed: QbittorrentObserved): QbittorrentWiringInputs {
    return { ...inputs, categories: { ...observed.categories }, preferences: { ...observed.preferences } };
}

function check(inputs: QbittorrentWiringInputs): string[] {
    const problems: string[] = [];
    if (!inputs.username) problems.push("username is required");
    if (!inputs.password) problems.push("password is required");
    for (const [name, path] of Object.entries(inputs.categories ?? {})) {
        if (!/^[A-Za-z0-9][A-Za-z0-9 _-]*$/.test(name)) problems.push(`category name ${JSON.stringify(name)} must be letters, digits, space, _ or -`);
        if (!path.startsWith("/")) problems.push(`category ${name}: save path ${JSON.stringify(path)} must be absolute`);
    }
    if (!inputs.preferences?.save_path?.startsWith("/")) problems.push("preferences.save_path must be an absolute path");
    return problems;
}

export const qbittorrentWiring: WiringImplementation<QbittorrentWiringInputs, QbittorrentObserved> = {
    app: "qBittorrent",
    // Answers 403 until logged in: any answer means the WebUI is up.
    ready: { req: { method: "GET", path: "/api/v2/app/webapiVersion" }, expect: [200, 401, 403] },
    check,
    observe,
    converge,
    remove,
    matches,
    refreshedInputs,
    secretOutputs: ["password"],
};

export const qbittorrentProvider = wiringProvider(qbittorrentWiring);

/** The categories and preferences of the hardlink layout: `<data>/torrents/<kind>` per library kind. */
export function qbittorrentDesired(kinds: readonly MediaKind[], dataMount: string = DATA_MOUNT_PATH): Pick<QbittorrentWiringInputs, "categories" | "preferences"> {
    const torrents = `${dataMount}/torrents`;
    return {
        categories: Object.fromEntries(kinds.map((kind) => [kind, `${torrents}/${kind}`])),
        preferences: { save_path: torrents, auto_tmm_enabled: true, upnp: false },
    };
}

export interface QbittorrentWiringArgs {
    connection: pulumi.Input<AppConnection>;
    /** The WebUI as seen from the Docker host (the gateway's stack address and the WebUI port). */
    address: pulumi.Input<AppAddress>;
    username: pulumi.Input<string>;
    password: pulumi.Input<string>;
    /** Media kinds whose library app is enabled: one category each. */
    kinds: readonly MediaKind[];
    /** Container path of the data tree (default DATA_MOUNT_PATH, `/data`). */
    dataMount?: string;
    /** Budget of the wait for the WebUI, in seconds (default 180). */
    readyTimeoutSeconds?: number;
}

export class QbittorrentWiring extends WiringResource {
    public readonly observed!: pulumi.Output<QbittorrentObserved>;
    /** Ids of what this resource created (`category:<name>`): all destroy removes. */
    public readonly created!: pulumi.Output<string[]>;

    constructor(name: string, args: QbittorrentWiringArgs, opts?: pulumi.CustomResourceOptions) {
        const { kinds, dataMount, ...rest } = args;
        super("qbittorrent", qbittorrentProvider, name, {
            ...rest,
            ...qbittorrentDesired(kinds, dataMount),
            providerVersion: WIRING_VERSION,
            observed: undefined,
            created: undefined,
        }, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(qbittorrentWiring)] });
    }
}
