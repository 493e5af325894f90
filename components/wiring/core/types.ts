/**
 * Shapes shared by every app's wiring: how the provider reaches the Docker host's network, where an app
 * listens, and one HTTP exchange.
 */

/** How the provider reaches the Docker host's network: directly (local mode) or through an SSH tunnel. */
export type AppConnection =
    | { kind: "local" }
    /** `hostKey` is the pinned host key, `<type> <base64>` (as in known_hosts, without the host name). */
    | { kind: "ssh"; host: string; port: number; user: string; hostKey: string; privateKey: string };

/** Where an app listens, as seen from the Docker host (its fixed stack address and port). */
export interface AppAddress {
    host: string;
    port: number;
    /** URL base of the app ("" when it serves at the root). */
    basePath: string;
}

export interface HttpRequest {
    method: "GET" | "POST" | "PUT" | "DELETE";
    /** Relative to basePath, e.g. "/api/v3/rootfolder". */
    path: string;
    query?: Record<string, string | number | boolean | undefined>;
    headers?: Record<string, string>;
    /** JSON body (Content-Length always set, never chunked). */
    json?: unknown;
    /** application/x-www-form-urlencoded body. */
    form?: Record<string, string>;
}

export interface HttpResponse {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;
    json<T>(): T;
}
