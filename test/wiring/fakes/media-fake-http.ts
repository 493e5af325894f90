/**
 * The small HTTP shell shared by the Jellyfin, Seerr and Bazarr fakes: a node:http server on 127.0.0.1
 * (random port) that reads the whole body, hands the app's handler a parsed request and writes its reply.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRequest {
    method: string;
    path: string;
    query: URLSearchParams;
    headers: http.IncomingHttpHeaders;
    /** The address of the peer that opened the connection (the proxy, for a proxied request). */
    remoteAddress: string;
    body: string;
    /** The JSON body, or undefined when the body is empty or not JSON. */
    json<T>(): T | undefined;
    /** The body parsed as application/x-www-form-urlencoded (empty unless that is the content type). */
    form(): URLSearchParams;
}

export interface FakeReply {
    status: number;
    json?: unknown;
    text?: string;
    headers?: Record<string, string>;
}

export type FakeHandler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
    port: number;
    close(): Promise<void>;
}

function parse(req: http.IncomingMessage, body: string): FakeRequest {
    const url = new URL(req.url ?? "/", "http://fake");
    const contentType = String(req.headers["content-type"] ?? "");
    return {
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        remoteAddress: req.socket.remoteAddress ?? "",
        body,
        json<T>(): T | undefined {
            if (!body || !contentType.includes("json")) return undefined;
            try {
                return JSON.parse(body) as T;
            } catch {
                return undefined;
            }
        },
        form(): URLSearchParams {
            return contentType.includes("application/x-www-form-urlencoded") ? new URLSearchParams(body) : new URLSearchParams();
        },
    };
}

export async function serveFake(handler: FakeHandler): Promise<FakeServer> {
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            void (async () => {
                let reply: FakeReply;
                try {
                    reply = await handler(parse(req, Buffer.concat(chunks).toString("utf8")));
                } catch (err) {
                    reply = { status: 500, json: { error: (err as Error).message } };
                }
                const payload = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? "");
                const headers: Record<string, string> = { ...(reply.headers ?? {}) };
                if (reply.json !== undefined) headers["content-type"] = "application/json; charset=utf-8";
                headers["content-length"] = String(Buffer.byteLength(payload));
                res.writeHead(reply.status, headers);
                res.end(payload);
            })();
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as AddressInfo).port,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** A status-only reply, or one with a JSON body. */
export const reply = (status: number, json?: unknown): FakeReply => (json === undefined ? { status } : { status, json });
