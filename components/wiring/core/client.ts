/**
 * An HTTP client for one app, reached either directly (local mode) or through an SSH tunnel to the Docker
 * host. Over SSH, every request travels in its own `direct-tcpip` channel opened straight to the app's
 * address (no local listening port): the app sees its own address in the Host header, which qBittorrent's
 * WebUI insists on.
 *
 * This module is serialized into the dynamic provider with Pulumi's closure serializer: plain functions and
 * object literals, node_modules packages imported as modules, no module-level mutable state.
 */
import * as http from "node:http";
import type { Duplex } from "node:stream";
import * as ssh2 from "ssh2";
import { AppAddress, AppConnection, HttpRequest, HttpResponse } from "./types";

/** Error with one line: `<app> at <host>:<port><basePath>: <step> failed: <reason>` */
export class WiringError extends Error {
    constructor(
        public readonly app: string,
        public readonly address: AppAddress,
        public readonly step: string,
        public readonly reason: string,
        /** false for failures that waiting cannot cure (wrong host key, refused login to the host). */
        public readonly retryable: boolean = true,
    ) {
        const message = `${app} at ${describeAddress(address)}: ${step} failed: ${oneLine(reason)}`;
        super(message);
        // Set again: once serialized into the provider, `super(...)` becomes `Error.call(this, ...)`, which
        // sets nothing on `this`.
        this.message = message;
        this.name = "WiringError";
    }
}

/** One app, reached over one connection. `app` is the title used in messages ("Sonarr"). */
export interface AppClient {
    readonly app: string;
    readonly address: AppAddress;
    /**
     * One HTTP call. `step` names what it is for ("add root folder"). Throws WiringError on a network failure or
     * when the status is not in `expect` (default: any 2xx). Cookies set by the app are kept and re-sent by the
     * client (qBittorrent SID, Jellyseerr session), per client.
     */
    call(step: string, req: HttpRequest, expect?: number[]): Promise<HttpResponse>;
    /** Typed JSON convenience over call(): returns response.json<T>(). */
    json<T>(step: string, req: HttpRequest, expect?: number[]): Promise<T>;
    /** Waits for the app with bounded retries (default ~36 x 5 s) until `req` answers with a status in `expect`. */
    waitReady(step: string, req: HttpRequest, expect?: number[]): Promise<void>;
}

export interface ClientOptions {
    /** Budget of waitReady, in seconds (default 180: about 36 tries 5 s apart). */
    readyTimeoutSeconds?: number;
    /** Budget of one HTTP exchange, in milliseconds (default 30 s). */
    requestTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_SECONDS = 180;
const DEFAULT_RETRY_INTERVAL_MS = 5_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const SSH_HANDSHAKE_TIMEOUT_MS = 20_000;
const SSH_CONNECT_ATTEMPTS = 4;
const SSH_RETRY_DELAY_MS = 300;
const MAX_REASON_CHARS = 300;

export function describeAddress(address: AppAddress): string {
    return `${address.host}:${address.port}${address.basePath}`;
}

function oneLine(text: string): string {
    const flat = text.replace(/\s+/g, " ").trim();
    return flat.length > MAX_REASON_CHARS ? `${flat.slice(0, MAX_REASON_CHARS)}...` : flat;
}

function reasonOf(err: unknown): string {
    // Not `instanceof Error`: errors of node's own modules may come from another realm (a Jest sandbox).
    if (typeof err === "object" && err !== null && typeof (err as Error).message === "string") {
        const { message, code } = err as NodeJS.ErrnoException;
        return code && !message.includes(code) ? `${code} ${message}` : message;
    }
    return String(err);
}

/** Opens a client, runs fn, always closes the tunnel. */
export async function withClient<T>(
    app: string,
    connection: AppConnection,
    address: AppAddress,
    fn: (c: AppClient) => Promise<T>,
    options: ClientOptions = {},
): Promise<T> {
    const opened = openClient(app, connection, address, options);
    try {
        return await fn(opened.client);
    } finally {
        opened.close();
    }
}

/** A client and the function that closes its tunnel (withClient is the usual way in). */
export function openClient(app: string, connection: AppConnection, address: AppAddress, options: ClientOptions = {}): { client: AppClient; close(): void } {
    const tunnel = connection.kind === "ssh" ? sshTunnel(app, connection, address) : undefined;
    const cookies = new Map<string, string>();
    const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const readyTimeoutMs = (options.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS) * 1000;

    const call = async (step: string, req: HttpRequest, expect?: number[]): Promise<HttpResponse> => {
        let stream: Duplex | undefined;
        try {
            stream = tunnel ? await tunnel.channel() : undefined;
        } catch (err) {
            if (err instanceof WiringError) throw err;
            throw new WiringError(app, address, step, `SSH channel to ${address.host}:${address.port}: ${reasonOf(err)}`);
        }
        let res: HttpResponse;
        try {
            res = await exchange(address, req, cookies, stream, requestTimeoutMs);
        } catch (err) {
            throw new WiringError(app, address, step, reasonOf(err));
        }
        const ok = expect ? expect.includes(res.status) : res.status >= 200 && res.status < 300;
        if (!ok) throw new WiringError(app, address, step, `HTTP ${res.status} ${res.text}`.trim());
        return res;
    };

    const json = async <T>(step: string, req: HttpRequest, expect?: number[]): Promise<T> => {
        const res = await call(step, req, expect);
        try {
            return res.json<T>();
        } catch {
            throw new WiringError(app, address, step, `answered HTTP ${res.status} with a body that is not JSON: ${res.text}`);
        }
    };

    const waitReady = async (step: string, req: HttpRequest, expect?: number[]): Promise<void> => {
        const deadline = Date.now() + readyTimeoutMs;
        const interval = Math.max(100, Math.min(DEFAULT_RETRY_INTERVAL_MS, Math.floor(readyTimeoutMs / 10)));
        let tries = 0;
        for (;;) {
            tries++;
            try {
                await call(step, req, expect);
                return;
            } catch (err) {
                const wiring = err as WiringError;
                if (!wiring.retryable) throw err;
                if (Date.now() + interval >= deadline) {
                    const seconds = Math.round(readyTimeoutMs / 1000);
                    const last = wiring.step === step ? wiring.reason : `${wiring.step}: ${wiring.reason}`;
                    throw new WiringError(app, address, step, `not ready after ${tries} tries in ${seconds} s: ${last}`, false);
                }
            }
            await new Promise((resolve) => setTimeout(resolve, interval));
        }
    };

    return {
        client: { app, address, call, json, waitReady },
        close: () => tunnel?.close(),
    };
}

/** The full request path: base path, path and query string. */
export function requestPath(address: AppAddress, req: HttpRequest): string {
    const base = address.basePath.replace(/\/+$/, "");
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query ?? {})) {
        if (value !== undefined) params.append(key, String(value));
    }
    const query = params.toString();
    return `${base}${req.path}${query ? `?${query}` : ""}`;
}

function requestBody(req: HttpRequest): { body: Buffer; contentType?: string } {
    if (req.json !== undefined) return { body: Buffer.from(JSON.stringify(req.json)), contentType: "application/json" };
    if (req.form !== undefined) return { body: Buffer.from(new URLSearchParams(req.form).toString()), contentType: "application/x-www-form-urlencoded" };
    return { body: Buffer.alloc(0) };
}

function rememberCookies(cookies: Map<string, string>, setCookie: string[] | undefined): void {
    for (const line of setCookie ?? []) {
        const [pair, ...attributes] = line.split(";");
        const eq = pair.indexOf("=");
        if (eq <= 0) continue;
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        const expired = attributes.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a));
        if (value === "" || expired) cookies.delete(name);
        else cookies.set(name, value);
    }
}

/** One HTTP exchange on its own connection (a fresh SSH channel or TCP socket), never chunked. */
function exchange(address: AppAddress, req: HttpRequest, cookies: Map<string, string>, stream: Duplex | undefined, timeoutMs: number): Promise<HttpResponse> {
    const { body, contentType } = requestBody(req);
    const headers: Record<string, string> = {
        Connection: "close",
        "Content-Length": String(body.length),
        ...(contentType ? { "Content-Type": contentType } : {}),
        ...(cookies.size > 0 ? { Cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") } : {}),
        ...req.headers,
    };
    return new Promise((resolve, reject) => {
        let settled = false;
        // Declared before the functions that use it: the closure serializer cannot follow later declarations.
        let timer: NodeJS.Timeout | undefined = undefined;
        const finish = (err: Error | undefined, res?: HttpResponse) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            stream?.destroy();
            if (err) reject(err);
            else resolve(res!);
        };
        const request = http.request({
            host: address.host,
            port: address.port,
            method: req.method,
            path: requestPath(address, req),
            headers,
            agent: false,
            ...(stream ? { createConnection: () => stream as unknown as import("node:net").Socket } : {}),
        }, (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("error", (err) => finish(err));
            response.on("end", () => {
                rememberCookies(cookies, response.headers["set-cookie"]);
                const text = Buffer.concat(chunks).toString("utf8");
                finish(undefined, {
                    status: response.statusCode ?? 0,
                    headers: response.headers,
                    text,
                    json: <T>() => JSON.parse(text) as T,
                });
            });
        });
        timer = setTimeout(() => {
            request.destroy();
            finish(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        request.on("error", (err) => finish(err));
        request.end(body);
    });
}

/** The algorithms to offer for a pinned host key of this type (RSA keys sign with SHA-2 nowadays). */
function hostKeyAlgorithms(keyType: string): string[] {
    return keyType === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [keyType];
}

/**
 * One SSH connection to the Docker host, opened on first use, that hands out a `direct-tcpip` channel to
 * the app per request. The host key must be the pinned one (`<type> <base64>`).
 */
function sshTunnel(app: string, connection: Extract<AppConnection, { kind: "ssh" }>, address: AppAddress): { channel(): Promise<Duplex>; close(): void } {
    const target = `${connection.user}@${connection.host}:${connection.port}`;
    let session: Promise<ssh2.Client> | undefined;
    let client: ssh2.Client | undefined;

    const connect = (): Promise<ssh2.Client> => new Promise((resolve, reject) => {
        const [keyType, keyBase64] = connection.hostKey.trim().split(/\s+/);
        let hostKeyRefused = false;
        let ready = false;
        const c = new ssh2.Client();
        client = c;
        c.on("ready", () => {
            ready = true;
            resolve(c);
        });
        c.on("error", (err: Error & { level?: string }) => {
            if (ready) return;
            if (hostKeyRefused) {
                reject(new WiringError(app, address, `SSH to ${target}`, `the host key does not match the pinned one (${keyType})`, false));
            } else if (err.level === "client-authentication") {
                reject(new WiringError(app, address, `SSH to ${target}`, `the host refused the key of user ${connection.user}`, false));
            } else {
                reject(new WiringError(app, address, `SSH to ${target}`, reasonOf(err)));
            }
        });
        c.on("close", () => {
            if (!ready) reject(new WiringError(app, address, `SSH to ${target}`, "connection closed during the handshake"));
            // A connection that was up and dropped: the next call opens a new one.
            else if (client === c) session = undefined;
        });
        c.connect({
            host: connection.host,
            port: connection.port,
            username: connection.user,
            privateKey: connection.privateKey,
            readyTimeout: SSH_HANDSHAKE_TIMEOUT_MS,
            algorithms: { serverHostKey: hostKeyAlgorithms(keyType) as ssh2.ServerHostKeyAlgorithm[] },
            hostVerifier: (key: Buffer) => {
                const ok = key.toString("base64") === keyBase64;
                if (!ok) hostKeyRefused = true;
                return ok;
            },
        });
    });

    // A few quick tries when sshd drops the handshake: parallel deploys meet its MaxStartups, which drops some at
    // random.
    const connectWithRetries = async (): Promise<ssh2.Client> => {
        for (let attempt = 1; ; attempt++) {
            try {
                return await connect();
            } catch (err) {
                // Only a handshake the server cut short; anything else is waitReady's to retry, on its own clock.
                const dropped = /before handshake|ECONNRESET|closed during the handshake/.test((err as WiringError).reason ?? "");
                if (!dropped || attempt >= SSH_CONNECT_ATTEMPTS) throw err;
                // Growing, with jitter, so parallel clients that were dropped together do not return together.
                await new Promise((resolve) => setTimeout(resolve, SSH_RETRY_DELAY_MS * (attempt + Math.random())));
            }
        }
    };

    const open = (): Promise<ssh2.Client> => {
        if (!session) {
            session = connectWithRetries();
            // A failed handshake may be retried by the next call (the host may still be booting).
            session.catch(() => (session = undefined));
        }
        return session;
    };

    return {
        channel: async () => {
            const c = await open();
            return new Promise<Duplex>((resolve, reject) =>
                c.forwardOut("127.0.0.1", 0, address.host, address.port, (err, channel) => (err ? reject(err) : resolve(channel))),
            );
        },
        close: () => {
            client?.end();
        },
    };
}
