/**
 * `npm run status` with a NAS data root: a `mount` line (mounted, from where, answering) before free space and
 * the hardlink check; a local data root has no mount line. The probe runs for real in test/host/nas.test.ts.
 */
import { rawConfig } from "./support/fixtures";
import { parseConfig } from "../components/config";
import { evaluateStatus, parseFacts, probeScript } from "../scripts/status";

const GIB = 1024 ** 3;
const nas = parseConfig(rawConfig({ storage: { type: "nfs", server: "nas.lan", export: "/volume1/data" } }), () => true);

function storage(mount: string | undefined, cfg = nas) {
    const facts = parseFacts([`now\t1800000000`, `storage.df\t${400 * GIB} ${2000 * GIB}`, "storage.devices\t41 41 ",
        ...(mount === undefined ? [] : [`storage.mount\t${mount}`])].join("\n"));
    return evaluateStatus(cfg, facts).filter((l) => l.section === "storage").map((l) => `${l.ok ? "ok" : "BAD"} ${l.name}: ${l.text}`);
}

test("mounted from the configured share: mount, free space and hardlinks are fine", () => {
    expect(storage("mounted nas.lan:/volume1/data nfs4")).toEqual([
        "ok mount: /srv/homelab/data mounted from nas.lan:/volume1/data (nfs4)",
        "ok free: 400.0 GiB free of 2000.0 GiB under /srv/homelab/data",
        "ok hardlinks: torrents/ and media/ on one filesystem",
    ]);
});

test("not mounted, not answering, or another share: one failing line that says so", () => {
    expect(storage("ERROR not mounted (srv-homelab-data.mount is failed)")).toEqual([
        "BAD mount: /srv/homelab/data from nas.lan:/volume1/data: not mounted (srv-homelab-data.mount is failed) (apps that use the data root stay stopped until it is back; journalctl -u srv-homelab-data.mount)"]);
    expect(storage("ERROR nas.lan:/volume1/data does not answer: no reply in 10 s")[0]).toMatch(/^BAD mount: .*does not answer: no reply in 10 s/);
    expect(storage("mounted nas.lan:/volume1/other nfs4")).toEqual([
        "BAD mount: /srv/homelab/data is mounted from nas.lan:/volume1/other (nfs4), not nas.lan:/volume1/data (pulumi up)"]);
    expect(storage(undefined)[0]).toMatch(/^BAD mount: .*no answer/);
});

test("a local data root has no mount line, and the probe is told which unit to look at", () => {
    const local = parseConfig(rawConfig(), () => true);
    expect(storage(undefined, local).map((l) => l.split(":")[0])).toEqual(["ok free", "ok hardlinks"]);
    expect(probeScript(local)).toContain("export MOUNT_UNIT=''\n");
    expect(probeScript(nas)).toContain("export MOUNT_UNIT='srv-homelab-data.mount'\n");
});
