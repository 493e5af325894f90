/**
 * What the Wiring component composes for a config, read from the plan itself (no program run): optional apps
 * bring their wiring along or leave nothing behind, and the addresses follow where Prowlarr and FlareSolverr
 * live (VPN namespace or bridge).
 */
import { rawConfig } from "./support/fixtures";
import { parseConfig } from "../components/config";
import { appAddress, seenFrom, wiringPlan, wiringSummary } from "../components/wiring";

const config = (overrides: Record<string, unknown> = {}) => parseConfig(rawConfig(overrides), () => true);
const keys = (overrides: Record<string, unknown> = {}) => wiringPlan(config(overrides)).map((s) => s.key).sort();

test("every optional app off: only the core wiring remains", () => {
    expect(keys({ apps: { lidarr: false, readarr: false, bazarr: false, seerr: false, flaresolverr: false } })).toEqual([
        "jellyfin", "jellyfin-setup", "prowlarr-radarr", "prowlarr-sonarr", "qbittorrent", "radarr", "sonarr",
    ]);
});

test("Bazarr and Seerr are wired only when they run; the setups the public routes wait for follow", () => {
    const withBoth = wiringPlan(config());
    expect(withBoth.filter((s) => s.setup).map((s) => s.key)).toEqual(["jellyfin-setup", "seerr"]);
    const without = wiringPlan(config({ apps: { seerr: false, bazarr: false } }));
    expect(without.map((s) => s.key)).not.toContain("bazarr");
    expect(without.filter((s) => s.setup).map((s) => s.key)).toEqual(["jellyfin-setup"]);
});

test("wiring off: an empty plan, but the links to enter by hand are still listed", () => {
    const cfg = config({ wiring: false });
    expect(wiringPlan(cfg)).toEqual([]);
    expect(wiringSummary(cfg).links["Prowlarr -> Sonarr"]).toBe("http://172.30.0.14:8989");
});

test("with the indexers on the bridge, Prowlarr is reached at its own address and by its Docker name", () => {
    const cfg = config({ indexersThroughVpn: false });
    expect(appAddress(cfg, "prowlarr")).toEqual({ host: "172.30.0.12", port: 9696, basePath: "" });
    expect(seenFrom(cfg, "prowlarr", "sonarr").url).toBe("http://sonarr:8989");
    expect(seenFrom(cfg, "sonarr", "prowlarr").url).toBe("http://prowlarr:9696");
    expect(seenFrom(cfg, "prowlarr", "flaresolverr").url).toBe("http://flaresolverr:8191");
    // qBittorrent never leaves the namespace: bridge apps reach it through the gateway's alias.
    expect(seenFrom(cfg, "radarr", "qbittorrent").url).toBe("http://gluetun:8080");
    expect(appAddress(cfg, "qbittorrent")).toEqual({ host: "172.30.0.10", port: 8080, basePath: "" });
});

test("a qBittorrent host port moves the address the wiring calls and writes", () => {
    const cfg = config({ hostPorts: { qbittorrent: 8090 } });
    expect(appAddress(cfg, "qbittorrent")).toEqual({ host: "172.30.0.10", port: 8090, basePath: "" });
    expect(seenFrom(cfg, "sonarr", "qbittorrent").url).toBe("http://gluetun:8090");
});

test("the Jellyfin administrator's name comes from homelab:jellyfinAdmin", () => {
    const plan = wiringPlan(config({ jellyfinAdmin: "media boss" }));
    expect(plan.find((s) => s.key === "jellyfin-setup")?.settings).toEqual(["administrator media boss (startup wizard completed)"]);
});
