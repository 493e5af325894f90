/**
 * What the Servarr family (Sonarr, Radarr, Lidarr, Readarr, Prowlarr) shares on the wire, for the stateful fakes:
 * the X-Api-Key check, FluentValidation-style 400 answers, and the "provider" resources (download clients,
 * notifications, indexer proxies, applications) whose settings travel as `fields: [{name, value}]`.
 *
 * Written from the apps' API code (ProviderControllerBase, ProviderResource, SchemaBuilder): on read, fields
 * whose privacy is `password` or `apiKey` come back as `********`; on write, a field sent as `********` keeps
 * the stored value, and a field not sent at all falls back to the settings class default (the app builds a
 * fresh settings object from the fields it receives). Unknown field names are ignored by the real apps; the
 * fakes answer 400 instead, so that a typo in a field name fails a test rather than silently doing nothing.
 */
import * as crypto from "node:crypto";
import * as http from "node:http";
import { AddressInfo } from "node:net";

export const MASK = "********";

export interface ValidationFailure { propertyName: string; errorMessage: string; attemptedValue?: unknown; severity: "error" }

export class HttpAnswer {
    constructor(readonly status: number, readonly body?: unknown, readonly headers: Record<string, string> = {}) {}
}

export function failure(propertyName: string, errorMessage: string, attemptedValue?: unknown): ValidationFailure {
    return { propertyName, errorMessage, attemptedValue, severity: "error" };
}

/** 400 with the list of failures, as the apps' ValidationException handler answers. */
export function rejectIfAny(failures: ValidationFailure[]): void {
    if (failures.length > 0) throw new HttpAnswer(400, failures);
}

export interface FakeRequest { method: string; path: string; query: URLSearchParams; body: unknown; headers: http.IncomingHttpHeaders }
export type Route = (req: FakeRequest, match: RegExpMatchArray) => HttpAnswer | unknown;

/** One line per request the fake answered, for assertions and for counting writes. */
export interface RequestLogEntry { method: string; path: string; status: number }

export interface FakeHttpServer {
    port: number;
    log: RequestLogEntry[];
    /** Writes (POST/PUT/DELETE) that changed or tried to change state; `test`, `testall` and `/login` excluded. */
    writes(): RequestLogEntry[];
    close(): Promise<void>;
}

export interface RouteTable { method: string; pattern: RegExp; route: Route; anonymous?: boolean }

/** Starts a node:http server on 127.0.0.1 (random port) answering the routes, checking X-Api-Key first. */
export async function serveRoutes(apiKey: () => string, routes: RouteTable[]): Promise<FakeHttpServer> {
    const log: RequestLogEntry[] = [];
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const url = new URL(req.url ?? "/", "http://fake");
            const answer = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
                log.push({ method: req.method ?? "", path: url.pathname, status });
                const text = body === undefined ? "" : JSON.stringify(body);
                res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), ...headers });
                res.end(text);
            };
            const found = routes.map((r) => ({ r, m: req.method === r.method ? url.pathname.match(r.pattern) : null })).find((x) => x.m);
            if (!found || !found.m) return answer(404, { message: "NotFound" });
            const key = req.headers["x-api-key"] ?? url.searchParams.get("apikey");
            if (!found.r.anonymous && key !== apiKey()) return answer(401);
            let body: unknown;
            const raw = Buffer.concat(chunks).toString("utf8");
            if (raw.length > 0 && String(req.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded")) {
                body = Object.fromEntries(new URLSearchParams(raw));
            } else if (raw.length > 0) {
                try {
                    body = JSON.parse(raw);
                } catch {
                    return answer(400, { message: "Invalid JSON body" });
                }
            }
            try {
                const result = found.r.route({ method: req.method ?? "", path: url.pathname, query: url.searchParams, body, headers: req.headers }, found.m);
                if (result instanceof HttpAnswer) return answer(result.status, result.body, result.headers);
                return answer(200, result);
            } catch (e) {
                if (e instanceof HttpAnswer) return answer(e.status, e.body, e.headers);
                return answer(500, { message: String(e) });
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as AddressInfo).port,
        log,
        // A sign-in (POST /login) changes nothing the program manages.
        writes: () => log.filter((l) => l.method !== "GET" && !/\/test(all)?$/.test(l.path) && l.path !== "/login" && l.status < 400),
        close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Providers (downloadclient, notification, indexerproxy, applications)

export type Privacy = "normal" | "password" | "apiKey" | "userName";
export interface FieldSpec { name: string; value: unknown; label?: string; type?: string; privacy?: Privacy; advanced?: boolean }

/** One implementation of a provider kind (e.g. QBittorrent among download clients), with its settings class. */
export interface ImplementationSpec {
    implementation: string;
    implementationName: string;
    configContract: string;
    fields: FieldSpec[];
    /** Resource-level properties besides the fields, with the template value shown by `/schema`. */
    template: Record<string, unknown>;
    /** The settings validator: failures for the given field values. */
    validate(values: Record<string, unknown>): ValidationFailure[];
    /** What `POST .../test` finds when the app tries the settings for real (credentials, reachability). */
    test?(values: Record<string, unknown>): ValidationFailure[];
}

export interface ProviderRecord {
    id: number;
    name: string;
    implementation: string;
    configContract: string;
    tags: number[];
    values: Record<string, unknown>;
    props: Record<string, unknown>;
}

/** The zero value C# gives a property that the JSON body left out. */
function zeroOf(template: unknown): unknown {
    if (typeof template === "boolean") return false;
    if (typeof template === "number") return 0;
    if (Array.isArray(template)) return [];
    return template === undefined ? undefined : null;
}

function coerce(template: unknown, value: unknown): unknown {
    if (typeof template === "number" && typeof value === "string" && /^-?\d+$/.test(value)) return Number(value);
    return value;
}

export function isSecret(f: FieldSpec): boolean {
    return f.privacy === "password" || f.privacy === "apiKey";
}

/**
 * A provider collection with the behaviour of ProviderControllerBase: list, get, schema, create (201), update
 * (202), delete (200, `{}`), test. `extraValidation` adds the controller's own rules (e.g. priority 1..50).
 */
export class ProviderStore {
    readonly items: ProviderRecord[] = [];
    constructor(
        private readonly specs: ImplementationSpec[],
        private readonly nextId: () => number,
        private readonly infoLink: (impl: string) => string,
        private readonly extraValidation: (props: Record<string, unknown>) => ValidationFailure[] = () => [],
        /**
         * ProviderDefinition.Enable: `enable` for download clients and applications; overridden where the app
         * derives it (NotificationDefinition: any trigger on; IndexerProxyDefinition: `Tags.Any()`).
         */
        private readonly enabled: (record: ProviderRecord) => boolean = (record) => record.props.enable === true,
    ) {}

    spec(implementation: string): ImplementationSpec | undefined {
        return this.specs.find((s) => s.implementation === implementation);
    }

    toResource(p: ProviderRecord): Record<string, unknown> {
        const spec = this.spec(p.implementation)!;
        return {
            id: p.id,
            name: p.name,
            fields: spec.fields.map((f, order) => ({
                order, name: f.name, label: f.label ?? f.name, type: f.type ?? "textbox", advanced: f.advanced ?? false,
                privacy: f.privacy ?? "normal",
                value: isSecret(f) && p.values[f.name] !== undefined && p.values[f.name] !== null && p.values[f.name] !== "" ? MASK : p.values[f.name],
            })),
            implementationName: spec.implementationName,
            implementation: spec.implementation,
            configContract: spec.configContract,
            infoLink: this.infoLink(spec.implementation),
            tags: p.tags,
            ...p.props,
        };
    }

    schema(): unknown[] {
        return this.specs.map((s) =>
            this.toResource({
                id: 0, name: "", implementation: s.implementation, configContract: s.configContract, tags: [],
                values: Object.fromEntries(s.fields.map((f) => [f.name, f.value])), props: { ...s.template },
            }),
        );
    }

    find(id: number): ProviderRecord {
        const p = this.items.find((x) => x.id === id);
        if (!p) throw new HttpAnswer(404, { message: "NotFound" });
        return p;
    }

    /** Builds a record from a request body as the app's resource mapper does; validation as on POST/PUT. */
    private fromBody(body: unknown, existing: ProviderRecord | undefined, isPost: boolean): ProviderRecord {
        const b = (body ?? {}) as Record<string, unknown>;
        const failures: ValidationFailure[] = [];
        const name = typeof b.name === "string" ? b.name : "";
        if (!name.trim()) failures.push(failure("Name", "'Name' must not be empty.", b.name));
        else if (this.items.some((p) => p.name.toLowerCase() === name.toLowerCase() && p.id !== existing?.id)) {
            failures.push(failure("Name", "Should be unique", name));
        }
        if (!b.implementation) failures.push(failure("Implementation", "'Implementation' must not be empty."));
        if (!b.configContract) failures.push(failure("ConfigContract", "'Config Contract' must not be empty."));
        if (isPost && !Array.isArray(b.fields)) failures.push(failure("Fields", "'Fields' must not be empty."));
        rejectIfAny(failures);
        const spec = this.spec(String(b.implementation));
        if (!spec || spec.configContract !== b.configContract) {
            throw new HttpAnswer(400, [failure("ConfigContract", `Unknown implementation ${String(b.implementation)} / ${String(b.configContract)}`)]);
        }
        const sent = (Array.isArray(b.fields) ? b.fields : []) as { name?: unknown; value?: unknown }[];
        for (const f of sent) {
            if (!spec.fields.some((s) => s.name === f.name)) {
                failures.push(failure(`fields[${String(f.name)}]`, `Unknown field '${String(f.name)}' for ${spec.implementation}`));
            }
        }
        rejectIfAny(failures);
        const values: Record<string, unknown> = {};
        for (const f of spec.fields) {
            const got = sent.find((s) => s.name === f.name);
            if (!got) values[f.name] = f.value;
            else if (isSecret(f) && got.value === MASK && existing) values[f.name] = existing.values[f.name];
            else values[f.name] = coerce(f.value, got.value);
        }
        const props: Record<string, unknown> = {};
        for (const [k, template] of Object.entries(spec.template)) props[k] = k in b ? b[k] : zeroOf(template);
        const tags = Array.isArray(b.tags) ? (b.tags as number[]) : [];
        return { id: existing?.id ?? 0, name, implementation: spec.implementation, configContract: spec.configContract, tags, values, props };
    }

    /**
     * ProviderControllerBase.GetDefinition: `if (validate && (definition.Enable || forceValidate))` validates the
     * settings; a disabled definition (a connection with every trigger off) is saved unchecked. The controller's
     * own rules (extraValidation) apply to every body.
     */
    private validate(record: ProviderRecord): void {
        const spec = this.spec(record.implementation)!;
        rejectIfAny([...(this.enabled(record) ? spec.validate(record.values) : []), ...this.extraValidation(record.props)]);
    }

    create(body: unknown, _forceSave: boolean): HttpAnswer {
        const record = this.fromBody(body, undefined, true);
        this.validate(record);
        // ProviderControllerBase.CreateProvider: `if (providerDefinition.Enable) Test(providerDefinition, !forceSave)`:
        // the test runs whatever forceSave says, which only lets warnings through (the fakes' tests give errors only).
        if (this.enabled(record)) rejectIfAny(this.spec(record.implementation)!.test?.(record.values) ?? []);
        record.id = this.nextId();
        this.items.push(record);
        return new HttpAnswer(201, this.toResource(record));
    }

    update(id: number, body: unknown, forceSave: boolean): HttpAnswer {
        const existing = this.find(id);
        const record = this.fromBody(body, existing, false);
        this.validate(record);
        // ProviderControllerBase.UpdateProvider: tested only when enabled, not forceSave, and changed (not modelled).
        if (this.enabled(record) && !forceSave) rejectIfAny(this.spec(record.implementation)!.test?.(record.values) ?? []);
        Object.assign(existing, record, { id: existing.id });
        return new HttpAnswer(202, this.toResource(existing));
    }

    remove(id: number): HttpAnswer {
        const existing = this.find(id);
        this.items.splice(this.items.indexOf(existing), 1);
        return new HttpAnswer(200, {});
    }

    /** POST .../test: the body's masked secrets are the stored ones when the body carries an existing id. */
    test(body: unknown): HttpAnswer {
        const b = (body ?? {}) as Record<string, unknown>;
        const existing = typeof b.id === "number" && b.id > 0 ? this.items.find((p) => p.id === b.id) : undefined;
        const record = this.fromBody({ ...b, name: b.name || "test" }, existing, false);
        const spec = this.spec(record.implementation)!;
        rejectIfAny([...spec.validate(record.values), ...(spec.test?.(record.values) ?? [])]);
        return new HttpAnswer(200, {});
    }

    /** The routes of one provider collection under `base` (e.g. "/api/v3/downloadclient"). */
    routes(base: string): RouteTable[] {
        const esc = base.replace(/\//g, "\\/");
        const force = (q: URLSearchParams): boolean => q.get("forceSave") === "true";
        return [
            { method: "GET", pattern: new RegExp(`^${esc}$`), route: () => [...this.items].sort((a, b) => a.name.localeCompare(b.name)).map((p) => this.toResource(p)) },
            { method: "GET", pattern: new RegExp(`^${esc}/schema$`), route: () => this.schema() },
            { method: "GET", pattern: new RegExp(`^${esc}/(\\d+)$`), route: (_r, m) => this.toResource(this.find(Number(m[1]))) },
            { method: "POST", pattern: new RegExp(`^${esc}/test$`), route: (r) => this.test(r.body) },
            { method: "POST", pattern: new RegExp(`^${esc}$`), route: (r) => this.create(r.body, force(r.query)) },
            { method: "PUT", pattern: new RegExp(`^${esc}/(\\d+)$`), route: (r, m) => this.update(Number(m[1]), r.body, force(r.query)) },
            { method: "DELETE", pattern: new RegExp(`^${esc}/(\\d+)$`), route: (_r, m) => this.remove(Number(m[1])) },
        ];
    }
}

/** `ValidHost()` of the apps: not empty, a host name or address, no scheme. */
export function validHost(property: string, v: unknown): ValidationFailure[] {
    const s = typeof v === "string" ? v : "";
    if (!s.trim()) return [failure(property, "'Host' must not be empty.", v)];
    if (/[:/]{2}|\s|\//.test(s)) return [failure(property, "Must be a valid Hostname or IP Address", v)];
    return [];
}

/** `IsValidUrl()` of the apps: an absolute http(s) URL. */
export function validUrl(property: string, v: unknown): ValidationFailure[] {
    try {
        const u = new URL(String(v));
        return u.protocol === "http:" || u.protocol === "https:" ? [] : [failure(property, "Invalid Url", v)];
    } catch {
        return [failure(property, "Invalid Url", v)];
    }
}

// ---------------------------------------------------------------------------------------------------------------
// What a fake app reaches by the addresses written into it

/**
 * The network as seen from inside the app's container: whether something answers at `host:port` (Docker's DNS
 * and the VPN namespace, as a test sets them up). The create-time connection tests ask it before anything else,
 * and fail as the app does when nothing answers.
 */
export type Reach = (host: string, port: number) => boolean;

/** Host and port of an http(s) URL, as the app's HttpClient would connect (default ports by scheme). */
export function hostPortOf(url: unknown): { host: string; port: number } | undefined {
    try {
        const u = new URL(String(url));
        return { host: u.hostname, port: u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80 };
    } catch {
        return undefined;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The forms login: host config and /login (same code in Sonarr, Radarr, Lidarr and Prowlarr)

export interface FakeUser { username: string; salt: string; password: string }

/** The single user (UserRepository), null until the host config upserts one. */
export interface LoginState { user: FakeUser | null; hostConfig: Record<string, unknown> }

/** UserService.SetUserHashedPassword: PBKDF2 (HMAC-SHA512, 10000 iterations, 16-byte salt, 32 bytes) in base64. */
function hashedPassword(password: string, salt: string): string {
    return crypto.pbkdf2Sync(password, Buffer.from(salt, "base64"), 10000, 32, "sha512").toString("base64");
}

function newSalt(): string {
    return crypto.randomBytes(16).toString("base64");
}

/** The host config resource an app starts with (HostConfigResourceMapper.ToResource), forms login from the env. */
export function defaultHostConfig(port: number, apiKey: string, instanceName: string): Record<string, unknown> {
    return {
        bindAddress: "*", port, sslPort: 9898, enableSsl: false, launchBrowser: true, authenticationMethod: "forms",
        authenticationRequired: "enabled", analyticsEnabled: true, logLevel: "debug", logSizeLimit: 1, consoleLogLevel: "",
        branch: "main", apiKey, sslCertPath: "", sslCertPassword: "", urlBase: "", instanceName, applicationUrl: "",
        updateAutomatically: false, updateMechanism: "docker", updateScriptPath: "", proxyEnabled: false, proxyType: "http",
        proxyHostname: "", proxyPort: 8080, proxyUsername: "", proxyPassword: "", proxyBypassFilter: "",
        proxyBypassLocalAddresses: true, certificateValidation: "enabled", backupFolder: "Backups", backupInterval: 7,
        backupRetention: 28, trustCgnatIpAddresses: false,
    };
}

/**
 * `config/host` under `api` and the anonymous `POST /login`, as HostConfigController, UserService and
 * AuthenticationController do at the pinned versions:
 * - GET returns the resource with `username` and `password` = the stored hash ("" with no user) and
 *   `passwordConfirmation` "" (GetHostConfig);
 * - PUT validates (Username and Password NotEmpty with forms/basic; PasswordConfirmation must match unless the
 *   password sent is the stored hash: IsMatchingPassword), saves, and upserts the user when both are set (Upsert
 *   keeps the hash when the password sent is the stored hash, stores the name lower-cased); answers 202;
 * - POST /login answers 302 to `/` on success and to `/login?returnUrl=...&loginFailed=true` otherwise; with no
 *   user every login fails (FindUser(username, password) returns null).
 */
export function loginRoutes(api: string, login: LoginState): RouteTable[] {
    const esc = api.replace(/\//g, "\\/");
    const resource = (): Record<string, unknown> => ({
        ...login.hostConfig, id: 1, username: login.user?.username ?? "", password: login.user?.password ?? "", passwordConfirmation: "",
    });
    return [
        { method: "GET", pattern: new RegExp(`^${esc}/config/host$`), route: () => resource() },
        { method: "GET", pattern: new RegExp(`^${esc}/config/host/(\\d+)$`), route: () => resource() },
        {
            method: "PUT", pattern: new RegExp(`^${esc}/config/host/(\\d+)$`), route: (r) => {
                const b = (r.body ?? {}) as Record<string, unknown>;
                const str = (v: unknown): string => (typeof v === "string" ? v : "");
                const forms = ["forms", "basic"].includes(str(b.authenticationMethod).toLowerCase());
                const out: ValidationFailure[] = [];
                if (forms && !str(b.username).trim()) out.push(failure("Username", "'Username' must not be empty."));
                if (forms && !str(b.password).trim()) out.push(failure("Password", "'Password' must not be empty."));
                const matching = (login.user !== null && login.user.password === b.password) || b.password === b.passwordConfirmation;
                if (!matching) out.push(failure("PasswordConfirmation", "Must match Password"));
                rejectIfAny(out);
                const { id: _id, username, password, passwordConfirmation: _c, ...rest } = b;
                login.hostConfig = { ...login.hostConfig, ...rest };
                if (str(username).trim() && str(password).trim()) {
                    if (!login.user) {
                        const salt = newSalt();
                        login.user = { username: str(username).toLowerCase(), salt, password: hashedPassword(str(password), salt) };
                    } else {
                        if (login.user.password !== password) {
                            login.user.salt = newSalt();
                            login.user.password = hashedPassword(str(password), login.user.salt);
                        }
                        login.user.username = str(username).toLowerCase();
                    }
                }
                return new HttpAnswer(202, resource());
            },
        },
        {
            method: "POST", pattern: /^\/login$/, anonymous: true, route: (r) => {
                const b = (r.body ?? {}) as Record<string, unknown>;
                const username = typeof b.username === "string" ? b.username : "";
                const password = typeof b.password === "string" ? b.password : "";
                const returnUrl = r.query.get("returnUrl") ?? "";
                const user = login.user;
                const ok = user !== null && username.trim() !== "" && password.trim() !== ""
                    && user.username === username.toLowerCase() && user.password === hashedPassword(password, user.salt);
                return new HttpAnswer(302, undefined, { Location: ok ? "/" : `/login?returnUrl=${returnUrl}&loginFailed=true` });
            },
        },
    ];
}
