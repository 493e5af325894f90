/**
 * A THIN STAND-IN for qBittorrent 5.x's WebAPI, only the calls the wiring makes, for the behaviours Debian's
 * qbittorrent-nox (4.5.x, what test/wiring/qbittorrent.test.ts runs for real) does not have. Not a fake of the
 * whole app: each answer follows qbittorrent/qBittorrent at the tag named below.
 * - login: 5.1.4 answers 200 "Ok." and sets `SID`; 5.2.3 answers 204 with no body and sets `QBT_SID_<webui port>`,
 *   401 when refused (src/webui/api/authcontroller.cpp AuthController::loginAction, src/webui/webapplication.cpp
 *   SESSION_COOKIE_NAME_PREFIX);
 * - torrents/createCategory: 409 "Unable to create category" when it exists (TorrentsController::createCategoryAction);
 * - torrents/editCategory: 5.1.4 answers 409 "Unable to edit category" when the category does not exist OR the
 *   options are unchanged (SessionImpl::editCategory returns false, TorrentsController::editCategoryAction throws
 *   Conflict); 5.2.3 answers 200 when unchanged and 404 "Category does not exist" when missing
 *   (TorrentsController::editCategoryAction -> SessionImpl::setCategoryOptions);
 * - torrents/categories, app/preferences, app/setPreferences, app/webapiVersion: as the wiring reads them.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeProvenance } from "../fakes/provenance";

/** The WebAPI calls of the wiring, at the pinned 5.2.3 (and the previous pin's 5.1.4 where they differ). */
export const FAKE_OF: FakeProvenance = {
    app: "qbittorrent",
    version: "5.2.3",
    repository: "qbittorrent/qBittorrent",
    sources: [
        "src/webui/api/authcontroller.cpp: AuthController::loginAction",
        "src/webui/webapplication.cpp: SESSION_COOKIE_NAME_PREFIX, 204 for a result without data",
        "src/webui/api/torrentscontroller.cpp: createCategoryAction, editCategoryAction, removeCategoriesAction, categoriesAction",
        "src/base/bittorrent/sessionimpl.cpp: SessionImpl::editCategory (5.1.4), SessionImpl::setCategoryOptions (5.2.3)",
        "src/webui/api/appcontroller.cpp: preferencesAction, setPreferencesAction, webapiVersionAction",
    ],
    assumed: ["only the calls the wiring makes; everything else of the WebUI runs for real in Debian's qbittorrent-nox (4.5.x) in qbittorrent.test.ts"],
};

export type StandinVersion = "5.1.4" | "5.2.3";

export interface QbittorrentStandin {
    port: number;
    version: StandinVersion;
    categories: Map<string, string>;
    preferences: Record<string, unknown>;
    /** Every request as "METHOD path status". */
    log: string[];
    close(): Promise<void>;
}

export async function startQbittorrentStandin(version: StandinVersion, credentials: { username: string; password: string }): Promise<QbittorrentStandin> {
    const categories = new Map<string, string>();
    const preferences: Record<string, unknown> = { save_path: "/downloads", auto_tmm_enabled: false, upnp: true };
    const log: string[] = [];
    const sessions = new Set<string>();
    let port = 0;
    const cookieName = () => (version === "5.2.3" ? `QBT_SID_${port}` : "SID");
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const url = new URL(req.url ?? "/", "http://standin");
            const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
            const send = (status: number, body = "", headers: Record<string, string> = {}) => {
                log.push(`${req.method} ${url.pathname} ${status}`);
                res.writeHead(status, { "Content-Type": "text/plain; charset=UTF-8", "Content-Length": Buffer.byteLength(body), ...headers });
                res.end(body);
            };
            const sid = (String(req.headers.cookie ?? "").match(new RegExp(`${cookieName()}=([^;]+)`)) ?? [])[1];
            if (url.pathname === "/api/v2/auth/login") {
                if (form.get("username") !== credentials.username || form.get("password") !== credentials.password) {
                    return version === "5.2.3" ? send(401) : send(200, "Fails.");
                }
                const id = Math.random().toString(36).slice(2);
                sessions.add(id);
                const cookie = { "Set-Cookie": `${cookieName()}=${id}; HttpOnly; path=/; SameSite=Strict` };
                return version === "5.2.3" ? send(204, "", cookie) : send(200, "Ok.", cookie);
            }
            if (url.pathname === "/api/v2/app/webapiVersion") return send(sid && sessions.has(sid) ? 200 : 403, sid ? "2.15.1" : "Forbidden");
            if (!sid || !sessions.has(sid)) return send(403, "Forbidden");
            switch (url.pathname) {
                case "/api/v2/torrents/categories":
                    return send(200, JSON.stringify(Object.fromEntries([...categories].map(([name, savePath]) => [name, { name, savePath }]))), { "Content-Type": "application/json" });
                case "/api/v2/torrents/createCategory": {
                    const name = form.get("category") ?? "";
                    if (categories.has(name)) return send(409, "Unable to create category");
                    categories.set(name, form.get("savePath") ?? "");
                    return send(200);
                }
                case "/api/v2/torrents/editCategory": {
                    const name = form.get("category") ?? "";
                    const savePath = form.get("savePath") ?? "";
                    if (!categories.has(name)) return version === "5.2.3" ? send(404, "Category does not exist") : send(409, "Unable to edit category");
                    if (categories.get(name) === savePath) return version === "5.2.3" ? send(200) : send(409, "Unable to edit category");
                    categories.set(name, savePath);
                    return send(200);
                }
                case "/api/v2/torrents/removeCategories":
                    for (const name of (form.get("categories") ?? "").split("\n")) categories.delete(name);
                    return send(200);
                case "/api/v2/app/preferences":
                    return send(200, JSON.stringify(preferences), { "Content-Type": "application/json" });
                case "/api/v2/app/setPreferences":
                    Object.assign(preferences, JSON.parse(form.get("json") ?? "{}"));
                    return send(200);
                default:
                    return send(404);
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    return {
        port, version, categories, preferences, log,
        close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    };
}
