/**
 * Stand-in images for the stack on the test host (no registry): Debian's real qbittorrent-nox started like
 * the linuxserver image starts it, a Gluetun stand-in with Gluetun's tools, and the busybox image for the
 * apps that are not under test (running `httpd` on the app's port, where the real image runs the app).
 * Built from the cached Debian image (test/host/debian-host.sh apps-base) without a registry; the tag
 * carries a hash of what went into it, so a changed script makes a new image.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { BRINGUP, BUSYBOX, must, run } from "./host";
import { AppId, CATALOG } from "../../components/catalog";
import type { StandIn } from "./engine";

export const APPS_BASE = "homelab-test/apps-base:bookworm-v3";
const DIR = path.join(__dirname, "standins");

export function derive(name: string, file: string, dest: string): string {
    const content = fs.readFileSync(path.join(DIR, file));
    const hash = crypto.createHash("sha256").update(APPS_BASE).update(dest).update(content).digest("hex").slice(0, 12);
    const tag = `homelab-test/${name}:${hash}`;
    if (run("docker", ["image", "inspect", tag]).status === 0) return tag;
    const builder = `homelab-test-derive-${hash}`;
    run("docker", ["rm", "-f", builder]);
    must("docker", ["create", "--name", builder, APPS_BASE, "true"]);
    try {
        must("docker", ["cp", path.join(DIR, file), `${builder}:${dest}`]);
        must("docker", ["commit", "--change", `CMD ["${dest}"]`, builder, tag]);
    } finally {
        run("docker", ["rm", "-f", builder]);
    }
    return tag;
}

export interface StandIns { gluetun: string; qbittorrent: string; flaresolverr: string; busybox: string; all: string[] }

export function buildStandIns(): StandIns {
    must("bash", [BRINGUP, "apps-base"], { timeoutMs: 480_000 });
    must("bash", [BRINGUP, "busybox", BUSYBOX]);
    const gluetun = derive("gluetun-standin", "gluetun-entrypoint", "/gluetun-entrypoint");
    const qbittorrent = derive("qbittorrent-standin", "qbittorrent-init", "/init");
    // FlareSolverr's probe runs python3 (its image's); `pulumi up` waits for it to be healthy.
    const flaresolverr = derive("flaresolverr-standin", "python3-probe", "/usr/local/bin/python3");
    return { gluetun, qbittorrent, flaresolverr, busybox: BUSYBOX, all: [gluetun, qbittorrent, flaresolverr, BUSYBOX] };
}

/** Which image runs for an app: the real qBittorrent and the Gluetun stand-in; busybox serving the port for the rest. */
export function standInFor(images: StandIns, declared: (app: AppId) => string): (app: string, image: string) => StandIn {
    return (app, image) => {
        const id = app as AppId;
        if (!(id in CATALOG)) throw new Error(`no app ${app}`);
        if (image !== declared(id)) throw new Error(`${app}: declared image ${image}, expected ${declared(id)}`);
        if (id === "gluetun") return { image: images.gluetun };
        if (id === "qbittorrent") return { image: images.qbittorrent };
        if (id === "flaresolverr") {
            return { image: images.flaresolverr, cmd: ["sh", "-c", `mkdir -p /www && echo ok > /www/health && exec busybox httpd -f -p ${CATALOG[id].port} -h /www`] };
        }
        if (id === "caddy") return { image: images.busybox, cmd: ["sh", "-c", "httpd -p 80 && exec httpd -f -p 443"] };
        return { image: images.busybox, cmd: ["httpd", "-f", "-p", String(CATALOG[id].port)] };
    };
}
