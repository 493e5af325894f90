/**
 * Turns an app's WiringImplementation into a Pulumi dynamic ResourceProvider.
 *
 * - check: the implementation's problems, one CheckFailure each (no app contacted);
 * - diff: inputs (including providerVersion) against the state, and `matches(inputs, observed)` against the
 *   state observed last: no app is contacted, so `pulumi preview` never reaches the apps;
 * - create: observe, then converge (objects of the same name are adopted);
 * - read (refresh): observe again; the observed state replaces the stored one, so drift makes the next diff
 *   report a change and the next `up` repairs it; the refreshed inputs (see refreshedInputs) show the drift;
 * - update: observe, then converge (which writes only what differs from what it observed);
 * - delete: remove what this resource created, nothing else.
 *
 * Outputs: `{ ...inputs, observed, created }`. The provider captures only `impl` and the core client, never a
 * credential: credentials arrive as inputs.
 *
 * Provider code is serialized by Pulumi's closure serializer and run in the dynamic-provider host. Seen to
 * matter (tested): `super(...)` in a class becomes `Base.call(this, ...)`, so a class extending Error must set
 * `this.message` itself (WiringError does); a closure may not use a `const`/`let` declared after it in the
 * same scope; `instanceof Error` fails under Jest for errors of node's own modules.
 */
import * as pulumi from "@pulumi/pulumi";
import { AppClient, describeAddress, withClient } from "./client";
import { AppAddress, AppConnection, HttpRequest } from "./types";

/** Every wiring resource's inputs include these. */
export interface WiringBaseInputs {
    connection: AppConnection;
    address: AppAddress;
    /** WIRING_VERSION: a change of the wiring code makes every resource update. */
    providerVersion: string;
    /** Budget of the wait for the app, in seconds (default 180). */
    readyTimeoutSeconds?: number;
}

/**
 * What an app module implements; the framework turns it into a pulumi.dynamic.ResourceProvider with
 * check/diff/create/read/update/delete. `S` is the observed state (what read() returns), stored as outputs.
 * - observe: what the app holds now for this resource (undefined when nothing of it exists);
 * - converge: make the app hold `desired` (adopting same-named objects; PUT/DELETE as needed), writing only
 *   what differs from `observed`; returns the new observed state plus the ids of objects this resource
 *   CREATED (kept in state as `created`, so delete removes only those; objects it created that are no
 *   longer desired are its to remove);
 * - remove: delete only what is listed in `created` (objects that existed before were adopted: leave them);
 * - matches: does the observed state already equal the desired one (drives diff, and makes a no-op `up`
 *   write nothing).
 */
export interface WiringImplementation<I extends WiringBaseInputs, S> {
    /** Title used in messages ("Sonarr"). */
    app: string;
    /**
     * The title from the inputs, for an implementation shared by several apps: one provider object is
     * serialized once per program, where one per app would be serialized again for each.
     */
    appOf?(inputs: I): string;
    /** Problems, one line each. */
    check?(inputs: I): string[];
    /**
     * Budget of one HTTP exchange in ms (client default 30 s), for apps whose answers wait on something slow
     * (Prowlarr's FlareSolverr test makes FlareSolverr load a page through the tunnel, up to its requestTimeout).
     */
    requestTimeoutMs?(inputs: I): number;
    /** Waited for (bounded) before every operation that contacts the app, e.g. `GET /ping`. */
    ready?: { req: HttpRequest; expect?: number[] };
    observe(c: AppClient, inputs: I): Promise<S | undefined>;
    converge(c: AppClient, inputs: I, observed: S | undefined, created: string[]): Promise<{ state: S; created: string[] }>;
    remove(c: AppClient, inputs: I, created: string[]): Promise<void>;
    matches(inputs: I, observed: S): boolean;
    /**
     * Optional: the inputs that would describe what the app holds now. read() returns them as the refreshed
     * inputs, so after `pulumi refresh` the next preview shows the drift property by property (default: the
     * stored inputs; the drift then shows in `observed` and still makes the next diff report a change).
     */
    refreshedInputs?(inputs: I, observed: S): I;
    /** Keys of the outputs to mark secret (passed to additionalSecretOutputs by the resource class). */
    secretOutputs?: string[];
}

/** Outputs of every wiring resource: the inputs, the observed state and what the resource created. */
export type WiringOutputs<I extends WiringBaseInputs, S> = I & { observed: S | null; created: string[] };

/** Keys that are outputs only (never compared as inputs). `__provider` is the serialized provider itself. */
const OUTPUT_ONLY_KEYS = ["observed", "created", "__provider"];
/** Inputs that say how to talk to the app, not what it should hold: a change alone needs no update. */
const NOT_DESIRED_KEYS = ["readyTimeoutSeconds"];
/** How the engine sends a value that is not known yet (`pulumi preview` of something computed). */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when the value is, or holds, a value not known yet. */
export function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN_VALUE) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
    return false;
}

/** Outputs every wiring resource must mark secret: the connection holds the SSH private key. */
export const BASE_SECRET_OUTPUTS = ["connection"];

/** additionalSecretOutputs for a resource of this implementation: the connection and the app's credentials. */
export function wiringSecretOutputs<I extends WiringBaseInputs, S>(impl: WiringImplementation<I, S>): string[] {
    return [...BASE_SECRET_OUTPUTS, ...(impl.secretOutputs ?? [])];
}

/** The inputs as stored in a resource's state (its outputs without observed/created/__provider). */
export function inputsOf<I extends WiringBaseInputs>(props: Record<string, unknown>): I {
    const inputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(props)) {
        if (!OUTPUT_ONLY_KEYS.includes(key)) inputs[key] = value;
    }
    return inputs as I;
}

/** Structural equality of plain JSON values (key order does not matter). */
export function sameValue(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ao), ...Object.keys(bo)].filter((k) => ao[k] !== undefined || bo[k] !== undefined));
    return [...keys].every((k) => sameValue(ao[k], bo[k]));
}

/** The input keys whose values differ between the state and the new inputs. */
export function changedInputs(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    const oldInputs = inputsOf(olds) as unknown as Record<string, unknown>;
    const newInputs = inputsOf(news) as unknown as Record<string, unknown>;
    const keys = new Set([...Object.keys(oldInputs), ...Object.keys(newInputs)].filter((k) => !NOT_DESIRED_KEYS.includes(k)));
    return [...keys].filter((k) => !sameValue(oldInputs[k], newInputs[k])).sort();
}

/** Problems of the inputs every wiring resource has; values not known yet (preview) are not judged. */
function baseInputProblems(inputs: Record<string, unknown>): string[] {
    const problems: string[] = [];
    if (containsUnknown(inputs.address) || containsUnknown(inputs.connection) || containsUnknown(inputs.providerVersion)) return problems;
    const address = inputs.address as Partial<AppAddress> | undefined;
    if (!address || typeof address.host !== "string" || address.host === "" || typeof address.port !== "number" || typeof address.basePath !== "string") {
        problems.push("address must be { host, port, basePath }");
    }
    const connection = inputs.connection as Partial<Extract<AppConnection, { kind: "ssh" }>> | { kind?: string } | undefined;
    if (!connection || (connection.kind !== "local" && connection.kind !== "ssh")) {
        problems.push(`connection.kind must be "local" or "ssh"`);
    } else if (connection.kind === "ssh") {
        const ssh = connection as Partial<Extract<AppConnection, { kind: "ssh" }>>;
        if (!ssh.host || !ssh.user || typeof ssh.port !== "number" || !ssh.privateKey) problems.push("connection over SSH needs host, port, user and privateKey");
        if (!ssh.hostKey || ssh.hostKey.trim().split(/\s+/).length !== 2) problems.push("connection.hostKey must be `<type> <base64>` (the pinned host key)");
    }
    if (typeof inputs.providerVersion !== "string" || inputs.providerVersion === "") problems.push("providerVersion must be WIRING_VERSION");
    return problems;
}

export function wiringProvider<I extends WiringBaseInputs, S>(impl: WiringImplementation<I, S>): pulumi.dynamic.ResourceProvider {
    const title = (inputs: I): string => (impl.appOf ? impl.appOf(inputs) : impl.app);
    const connect = <T>(inputs: I, fn: (c: AppClient) => Promise<T>): Promise<T> =>
        withClient(title(inputs), inputs.connection, inputs.address, async (c) => {
            if (impl.ready) await c.waitReady("wait until ready", impl.ready.req, impl.ready.expect);
            return fn(c);
        }, { readyTimeoutSeconds: inputs.readyTimeoutSeconds, requestTimeoutMs: impl.requestTimeoutMs?.(inputs) });

    const outputs = (inputs: I, observed: S | undefined, created: string[]): WiringOutputs<I, S> =>
        ({ ...inputs, observed: observed ?? null, created });

    const converge = async (c: AppClient, inputs: I, created: string[]): Promise<WiringOutputs<I, S>> => {
        const observed = await impl.observe(c, inputs);
        const result = await impl.converge(c, inputs, observed, created);
        return outputs(inputs, result.state, result.created);
    };

    return {
        check: async (_olds: Record<string, unknown>, news: Record<string, unknown>) => {
            const problems = baseInputProblems(news);
            // The implementation judges complete inputs only: during preview some may not be known yet.
            if (problems.length === 0 && impl.check && !containsUnknown(news)) problems.push(...impl.check(inputsOf<I>(news)));
            return { inputs: news, failures: problems.map((reason) => ({ property: "", reason: `${title(inputsOf<I>(news))}: ${reason}` })) };
        },

        diff: async (_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) => {
            if (changedInputs(olds, news).length > 0) return { changes: true };
            const observed = olds.observed as S | null | undefined;
            if (observed === null || observed === undefined) return { changes: true };
            let matches: boolean;
            try {
                matches = impl.matches(inputsOf<I>(news), observed);
            } catch {
                matches = false; // state written by an older provider version, or unknown values during preview
            }
            return { changes: !matches };
        },

        create: async (inputs: Record<string, unknown>) => {
            const desired = inputsOf<I>(inputs);
            const outs = await connect(desired, (c) => converge(c, desired, []));
            return { id: `${title(desired).toLowerCase()}@${describeAddress(desired.address)}`, outs };
        },

        read: async (id: string, props: Record<string, unknown>) => {
            const stored = inputsOf<I>(props);
            const created = (props.created as string[] | undefined) ?? [];
            const observed = await connect(stored, (c) => impl.observe(c, stored));
            const inputs = observed !== undefined && impl.refreshedInputs ? impl.refreshedInputs(stored, observed) : stored;
            return { id, props: outputs(stored, observed, created), inputs };
        },

        update: async (_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) => {
            const desired = inputsOf<I>(news);
            const created = (olds.created as string[] | undefined) ?? [];
            const outs = await connect(desired, (c) => converge(c, desired, created));
            return { outs };
        },

        delete: async (_id: string, props: Record<string, unknown>) => {
            const stored = inputsOf<I>(props);
            const created = (props.created as string[] | undefined) ?? [];
            if (created.length === 0) return; // everything was adopted: nothing of ours to remove
            await connect(stored, (c) => impl.remove(c, stored, created));
        },
    };
}
