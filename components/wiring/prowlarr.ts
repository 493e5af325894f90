/**
 * Wiring of Prowlarr (API `/api/v1`, same provider-object model as the library apps, see servarr.ts):
 * - `ProwlarrFlareSolverr`: a `flaresolverr` tag and the FlareSolverr indexer proxy carrying it (indexers tagged
 *   `flaresolverr` then go through it). Create it only when FlareSolverr is enabled, and only once FlareSolverr is
 *   healthy: the proxy is enabled by its tag (`IndexerProxyDefinition.Enable => Tags.Any()`), so its POST runs
 *   FlareSolverr's test whatever `forceSave` says (the program waits for FlareSolverr's container health).
 * - `ProwlarrApplication`: one library app (Sonarr, Radarr, Lidarr, Readarr) with full sync, so the indexers
 *   Prowlarr manages appear in the app. Create one per enabled library app; a switched-off app loses it.
 * URLs are the ones each side can really reach: `prowlarrUrl` as the app sees Prowlarr, `baseUrl` as Prowlarr
 * sees the app.
 */
import * as pulumi from "@pulumi/pulumi";
import { AppClient } from "./core/client";
import { WiringBaseInputs, WiringImplementation, wiringProvider, wiringSecretOutputs } from "./core/provider";
import { WiringResource } from "./core/resource";
import type { AppAddress, AppConnection } from "./core/types";
import { WIRING_VERSION } from "./core/version";
import {
    apiDelete, apiGet, apiSend, createdIds, fieldValue, findProvider, providerRewritingChangedSecrets, saveProvider, ServarrApi,
    storedCredentialsRejected, trackCreated, withFields,
} from "./servarr";

const PROWLARR_API = "/api/v1";
const PROWLARR_READY = { req: { method: "GET" as const, path: "/ping" }, expect: [200] };

function prowlarrApi(c: AppClient, apiKey: string): ServarrApi {
    return { c, prefix: PROWLARR_API, apiKey };
}

// ---------------------------------------------------------------------------------------------------------------
// FlareSolverr: tag + indexer proxy

export interface ProwlarrFlareSolverrInputs extends WiringBaseInputs {
    /** Prowlarr's API key (secret). */
    apiKey: string;
    /** FlareSolverr as Prowlarr reaches it (e.g. `http://localhost:8191/` inside the VPN namespace). */
    flaresolverrUrl: string;
    tag: string;
    proxyName: string;
    /** Seconds (Prowlarr accepts 1-180). */
    requestTimeout: number;
}

export interface ProwlarrFlareSolverrObserved {
    tag: { id: number; label: string } | null;
    proxy: { id: number; name: string; implementation: string; host: string; requestTimeout: number; tags: number[] } | null;
}

async function observeFlareSolverr(c: AppClient, inputs: ProwlarrFlareSolverrInputs): Promise<ProwlarrFlareSolverrObserved> {
    const api = prowlarrApi(c, inputs.apiKey);
    const tags = await apiGet<{ id: number; label: string }[]>(api, "list tags", "tag");
    const tag = tags.find((t) => t.label.toLowerCase() === inputs.tag.toLowerCase());
    const proxy = await findProvider(api, "indexerproxy", inputs.proxyName);
    return {
        tag: tag ? { id: tag.id, label: tag.label } : null,
        proxy: proxy ? {
            id: proxy.id, name: proxy.name, implementation: proxy.implementation, host: String(fieldValue(proxy, "host") ?? ""),
            requestTimeout: Number(fieldValue(proxy, "requestTimeout")), tags: proxy.tags ?? [],
        } : null,
    };
}

function flareSolverrMatches(inputs: ProwlarrFlareSolverrInputs, o: ProwlarrFlareSolverrObserved): boolean {
    return o.tag !== null && o.proxy !== null && o.proxy.implementation === "FlareSolverr" && o.proxy.host === inputs.flaresolverrUrl
        && o.proxy.requestTimeout === inputs.requestTimeout && o.proxy.tags.includes(o.tag.id);
}

async function convergeFlareSolverr(c: AppClient, inputs: ProwlarrFlareSolverrInputs, observed: ProwlarrFlareSolverrObserved | undefined, created: string[]) {
    const api = prowlarrApi(c, inputs.apiKey);
    const o = observed ?? await observeFlareSolverr(c, inputs);
    let track = [...created];
    let tagId = o.tag?.id;
    if (tagId === undefined) {
        const tag = await apiSend<{ id: number }>(api, `add tag ${inputs.tag}`, "POST", "tag", { label: inputs.tag });
        tagId = tag.id;
        track = trackCreated(track, "tag", tagId, true);
    } else {
        track = trackCreated(track, "tag", tagId, false);
    }
    if (!o.proxy || !flareSolverrMatches(inputs, { tag: { id: tagId, label: inputs.tag }, proxy: o.proxy })) {
        const existing = o.proxy ? await findProvider(api, "indexerproxy", inputs.proxyName) : undefined;
        const saved = await saveProvider(api, "indexerproxy", existing, "FlareSolverr", (base) => ({
            ...withFields(api, base, { host: inputs.flaresolverrUrl, requestTimeout: inputs.requestTimeout }),
            name: inputs.proxyName,
            tags: [...new Set([...(base.tags ?? []), tagId!])],
        }));
        track = trackCreated(track, "indexerproxy", saved.id, saved.createdNow);
    } else {
        track = trackCreated(track, "indexerproxy", o.proxy.id, false);
    }
    return { state: await observeFlareSolverr(c, inputs), created: track };
}

async function removeFlareSolverr(c: AppClient, inputs: ProwlarrFlareSolverrInputs, created: string[]): Promise<void> {
    const api = prowlarrApi(c, inputs.apiKey);
    for (const id of createdIds(created, "indexerproxy")) await apiDelete(api, "remove FlareSolverr proxy", `indexerproxy/${id}`);
    // A tag the user has since put on indexers is still in use (409): it stays with them.
    for (const id of createdIds(created, "tag")) await apiDelete(api, "remove flaresolverr tag", `tag/${id}`, [409]);
}

export const prowlarrFlareSolverrImplementation: WiringImplementation<ProwlarrFlareSolverrInputs, ProwlarrFlareSolverrObserved> = {
    app: "Prowlarr",
    check: (inputs) => {
        const problems: string[] = [];
        if (typeof inputs.tag === "string" && !/^[a-z0-9-]+$/i.test(inputs.tag)) problems.push(`tag may contain only a-z, 0-9 and -, got "${inputs.tag}"`);
        if (typeof inputs.requestTimeout === "number" && (inputs.requestTimeout < 1 || inputs.requestTimeout > 180)) problems.push("requestTimeout must be 1-180 seconds");
        return problems;
    },
    ready: PROWLARR_READY,
    // Creating the tagged (so enabled) proxy runs its test: FlareSolverr loads a page, up to requestTimeout seconds.
    requestTimeoutMs: (inputs) => ((typeof inputs.requestTimeout === "number" ? inputs.requestTimeout : 180) + 30) * 1000,
    observe: observeFlareSolverr,
    converge: convergeFlareSolverr,
    remove: removeFlareSolverr,
    matches: flareSolverrMatches,
    refreshedInputs: (inputs, o) => ({
        ...inputs, flaresolverrUrl: o.proxy?.host ?? "", requestTimeout: o.proxy?.requestTimeout ?? inputs.requestTimeout, tag: o.tag?.label ?? "",
    }),
    secretOutputs: ["apiKey"],
};

const flareSolverrProvider = wiringProvider(prowlarrFlareSolverrImplementation);

export interface ProwlarrFlareSolverrArgs {
    connection: pulumi.Input<AppConnection>;
    /** Prowlarr as the provider reaches it. */
    address: pulumi.Input<AppAddress>;
    apiKey: pulumi.Input<string>;
    flaresolverrUrl: pulumi.Input<string>;
    /** Default "flaresolverr". */
    tag?: pulumi.Input<string>;
    /** Default "FlareSolverr". */
    proxyName?: pulumi.Input<string>;
    /** Default 60 seconds (Prowlarr's own default). */
    requestTimeout?: pulumi.Input<number>;
    readyTimeoutSeconds?: pulumi.Input<number>;
}

export class ProwlarrFlareSolverr extends WiringResource {
    declare public readonly observed: pulumi.Output<ProwlarrFlareSolverrObserved | null>;
    declare public readonly created: pulumi.Output<string[]>;

    constructor(name: string, args: ProwlarrFlareSolverrArgs, opts?: pulumi.CustomResourceOptions) {
        super("prowlarr-flaresolverr", flareSolverrProvider, name, {
            connection: args.connection,
            address: args.address,
            apiKey: args.apiKey,
            flaresolverrUrl: args.flaresolverrUrl,
            tag: args.tag ?? "flaresolverr",
            proxyName: args.proxyName ?? "FlareSolverr",
            requestTimeout: args.requestTimeout ?? 60,
            readyTimeoutSeconds: args.readyTimeoutSeconds,
            providerVersion: WIRING_VERSION,
            observed: undefined,
            created: undefined,
        }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(prowlarrFlareSolverrImplementation)],
        });
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Applications

export type ProwlarrAppImplementation = "Sonarr" | "Radarr" | "Lidarr" | "Readarr";

export interface ProwlarrApplicationInputs extends WiringBaseInputs {
    /** Prowlarr's API key (secret). */
    apiKey: string;
    name: string;
    implementation: ProwlarrAppImplementation;
    /** Prowlarr as the library app reaches it (e.g. `http://gluetun:9696`). */
    prowlarrUrl: string;
    /** The library app as Prowlarr reaches it (e.g. `http://sonarr:8989`). */
    baseUrl: string;
    /** The library app's API key (secret). */
    appApiKey: string;
}

export interface ProwlarrApplicationObserved {
    application: {
        id: number; name: string; implementation: string; syncLevel: string; prowlarrUrl: string; baseUrl: string; credentialsRejected: boolean;
    } | null;
}

async function observeApplication(c: AppClient, inputs: ProwlarrApplicationInputs): Promise<ProwlarrApplicationObserved> {
    const api = prowlarrApi(c, inputs.apiKey);
    const app = await findProvider(api, "applications", inputs.name);
    if (!app) return { application: null };
    return {
        application: {
            id: app.id, name: app.name, implementation: app.implementation, syncLevel: String(app.syncLevel),
            prowlarrUrl: String(fieldValue(app, "prowlarrUrl") ?? ""), baseUrl: String(fieldValue(app, "baseUrl") ?? ""),
            credentialsRejected: await storedCredentialsRejected(api, "applications", app, ["apiKey"]),
        },
    };
}

function applicationMatches(inputs: ProwlarrApplicationInputs, o: ProwlarrApplicationObserved): boolean {
    const a = o.application;
    return a !== null && a.implementation === inputs.implementation && a.syncLevel === "fullSync" && !a.credentialsRejected
        && a.prowlarrUrl === inputs.prowlarrUrl && a.baseUrl === inputs.baseUrl;
}

async function convergeApplication(c: AppClient, inputs: ProwlarrApplicationInputs, observed: ProwlarrApplicationObserved | undefined, created: string[]) {
    const api = prowlarrApi(c, inputs.apiKey);
    const o = observed ?? await observeApplication(c, inputs);
    if (o.application && applicationMatches(inputs, o)) {
        return { state: o, created: trackCreated(created, "applications", o.application.id, false) };
    }
    const existing = o.application ? await findProvider(api, "applications", inputs.name) : undefined;
    const saved = await saveProvider(api, "applications", existing, inputs.implementation, (base) => ({
        ...withFields(api, base, { prowlarrUrl: inputs.prowlarrUrl, baseUrl: inputs.baseUrl, apiKey: inputs.appApiKey }),
        name: inputs.name,
        syncLevel: "fullSync",
    }));
    return { state: await observeApplication(c, inputs), created: trackCreated(created, "applications", saved.id, saved.createdNow) };
}

async function removeApplication(c: AppClient, inputs: ProwlarrApplicationInputs, created: string[]): Promise<void> {
    const api = prowlarrApi(c, inputs.apiKey);
    for (const id of createdIds(created, "applications")) await apiDelete(api, `remove application ${inputs.name}`, `applications/${id}`);
}

export const prowlarrApplicationImplementation: WiringImplementation<ProwlarrApplicationInputs, ProwlarrApplicationObserved> = {
    app: "Prowlarr",
    check: (inputs) => {
        const problems: string[] = [];
        for (const key of ["prowlarrUrl", "baseUrl"] as const) {
            const v = inputs[key];
            if (typeof v === "string" && !/^https?:\/\/[^/]+/.test(v)) problems.push(`${key} must be an http(s) URL, got "${v}"`);
        }
        if (!["Sonarr", "Radarr", "Lidarr", "Readarr"].includes(inputs.implementation)) problems.push(`implementation must be Sonarr, Radarr, Lidarr or Readarr`);
        return problems;
    },
    ready: PROWLARR_READY,
    observe: observeApplication,
    converge: convergeApplication,
    remove: removeApplication,
    matches: applicationMatches,
    refreshedInputs: (inputs, o) => ({ ...inputs, prowlarrUrl: o.application?.prowlarrUrl ?? "", baseUrl: o.application?.baseUrl ?? "" }),
    secretOutputs: ["apiKey", "appApiKey"],
};

const applicationProvider = providerRewritingChangedSecrets(prowlarrApplicationImplementation, ["appApiKey"], (o) => ({
    application: o.application && { ...o.application, credentialsRejected: true },
}));

export interface ProwlarrApplicationArgs {
    connection: pulumi.Input<AppConnection>;
    /** Prowlarr as the provider reaches it. */
    address: pulumi.Input<AppAddress>;
    apiKey: pulumi.Input<string>;
    implementation: ProwlarrAppImplementation;
    /** Default: the implementation ("Sonarr"). */
    name?: pulumi.Input<string>;
    prowlarrUrl: pulumi.Input<string>;
    baseUrl: pulumi.Input<string>;
    appApiKey: pulumi.Input<string>;
    readyTimeoutSeconds?: pulumi.Input<number>;
}

export class ProwlarrApplication extends WiringResource {
    declare public readonly observed: pulumi.Output<ProwlarrApplicationObserved | null>;
    declare public readonly created: pulumi.Output<string[]>;

    constructor(name: string, args: ProwlarrApplicationArgs, opts?: pulumi.CustomResourceOptions) {
        super("prowlarr-application", applicationProvider, name, {
            connection: args.connection,
            address: args.address,
            apiKey: args.apiKey,
            name: args.name ?? args.implementation,
            implementation: args.implementation,
            prowlarrUrl: args.prowlarrUrl,
            baseUrl: args.baseUrl,
            appApiKey: args.appApiKey,
            readyTimeoutSeconds: args.readyTimeoutSeconds,
            providerVersion: WIRING_VERSION,
            observed: undefined,
            created: undefined,
        }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(prowlarrApplicationImplementation)],
        });
    }
}
