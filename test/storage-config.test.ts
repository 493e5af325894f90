/**
 * `homelab:storage`: the data root on the server's disk (default), an NFS export or an SMB share. Bad input is
 * refused at config time, one line each naming the key; the apps' config volumes can never be on the share.
 */
import { rawConfig } from "./support/fixtures";
import { ConfigError, isSharedDataRoot, parseConfig, SecretSetting } from "../components/config";
import { escapeUnitPath, mountSpec, mountUnitName, NFS_DEFAULT_OPTIONS } from "../components/data-mount";
import { execFileSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";

const allSecret = (): boolean => true;
const NFS = { type: "nfs", server: "nas.lan", export: "/volume1/data" };
const SMB = { type: "smb", server: "192.168.1.5", share: "data", username: "media", password: "nas-password-do-not-leak" };

function problemsOf(overrides: Record<string, unknown>, isSecret: (k: SecretSetting) => boolean = allSecret): string[] {
    try {
        parseConfig(rawConfig(overrides), isSecret);
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
    }
    throw new Error(`config was accepted: ${JSON.stringify(overrides)}`);
}

describe("a valid storage setting", () => {
    test("local is the default: today's data root on the server's disk", () => {
        const cfg = parseConfig(rawConfig(), allSecret);
        expect(cfg.storage).toEqual({ type: "local" });
        expect(isSharedDataRoot(cfg)).toBe(false);
    });

    test("nfs as a map or as the JSON text the engine hands over; options from a comma list", () => {
        const cfg = parseConfig(rawConfig({ storage: JSON.stringify({ ...NFS, options: "vers=4.1, noatime" }) }), allSecret);
        expect(cfg.storage).toEqual({ ...NFS, options: ["vers=4.1", "noatime"] });
        expect(isSharedDataRoot(cfg)).toBe(true);
    });

    test("smb keeps the password a secret output", async () => {
        const cfg = parseConfig(rawConfig({ storage: SMB }), allSecret);
        if (cfg.storage.type !== "smb") throw new Error("not smb");
        expect(pulumi.Output.isInstance(cfg.storage.password)).toBe(true);
        expect(await (cfg.storage.password as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(true);
    });
});

/** One bad setting each: [what, storage, key named, what is allowed]. */
const CASES: [string, unknown, string, RegExp][] = [
    ["server with a scheme", { ...NFS, server: "nfs://nas.lan" }, "homelab:storage.server", /host name or IPv4 address/],
    ["server with a port", { ...SMB, server: "nas.lan:445" }, "homelab:storage.server", /host name or IPv4 address/],
    ["server that is a broken address", { ...NFS, server: "192.168.1" }, "homelab:storage.server", /not a valid IPv4 address/],
    ["export without a leading /", { ...NFS, export: "volume1/data" }, "homelab:storage.export", /starting with \//],
    ["share with a slash", { ...SMB, share: "data/media" }, "homelab:storage.share", /share's name only.*without slashes/],
    ["options with a newline", { ...NFS, options: "noatime\nExecStart=/bin/sh" }, "homelab:storage.options", /one mount option on one line/],
    ["options with a comma-injected credentials=", { ...SMB, options: "noatime,credentials=/tmp/x" }, "homelab:storage.options", /must not set credentials=/],
    ["options with password=", { ...SMB, options: ["password=x"] }, "homelab:storage.options", /must not set password=/],
    ["a soft NFS mount", { ...NFS, options: "soft" }, "homelab:storage.options", /soft mount.*corrupts/],
    ["NFS version 3", { ...NFS, options: "vers=3" }, "homelab:storage.options", /4\.2 or 4\.1/],
    ["SMB version 2.1", { ...SMB, options: "vers=2.1" }, "homelab:storage.options", /SMB version must be 3\.x/],
    ["unknown type", { type: "iscsi" }, "homelab:storage.type", /local, nfs .* or smb/],
    ["unknown field", { ...NFS, share: "data" }, "homelab:storage", /"share" is not a setting here/],
    ["smb without password", { ...SMB, password: undefined }, "homelab:storage.password", /password/],
];

describe.each(CASES)("%s", (_what, storage, key, allowed) => {
    test("is one problem naming the key and saying what is allowed", () => {
        const problems = problemsOf({ storage });
        expect(problems).toHaveLength(1);
        expect(problems[0].startsWith(`${key}: `)).toBe(true);
        expect(problems[0]).toMatch(allowed);
    });
});

describe("refused with the reason", () => {
    test("an SMB password stored in plain text", () => {
        const problems = problemsOf({ storage: SMB }, (k) => k !== "storage");
        expect(problems).toEqual([expect.stringMatching(/^homelab:storage\.password: is stored in plain text.*--secret --path 'homelab:storage\.password'/)]);
        expect(problems.join("\n")).not.toContain(SMB.password);
    });

    test("Docker's data root (the apps' config volumes) inside a NAS data root", () => {
        const problems = problemsOf({ storage: NFS, dataRoot: "/srv/nas", dockerRoot: "/srv/nas/docker" });
        expect(problems).toEqual([expect.stringMatching(/^homelab:dockerRoot: .*config volumes \(SQLite databases\) would be on the share, where they lock or corrupt/)]);
    });

    test("a NAS data root inside Docker's data root", () => {
        const problems = problemsOf({ storage: SMB, dataRoot: "/srv/docker/media", dockerRoot: "/srv/docker" });
        expect(problems).toEqual([expect.stringMatching(/^homelab:dataRoot: .*inside homelab:dockerRoot/)]);
    });

    test("the same folders are fine on the server's disk", () => {
        expect(() => parseConfig(rawConfig({ dataRoot: "/srv/nas", dockerRoot: "/srv/nas/docker" }), allSecret)).not.toThrow();
    });

    test("a NAS without a server to mount it on", () => {
        const problems = problemsOf({ storage: NFS, host: undefined, sshHostKey: undefined, sshPrivateKey: undefined });
        expect(problems).toEqual([expect.stringMatching(/^homelab:storage: a NAS data root is mounted on the server over SSH: set homelab:host/)]);
    });
});

describe("the mount unit", () => {
    test("is named as systemd names it (systemd-escape --path)", () => {
        for (const p of ["/srv/homelab/data", "/mnt/nas-media", "/srv/my.data/x_y", "/data/ü"]) {
            const real = execFileSync("systemd-escape", ["--path", "--suffix=mount", p], { encoding: "utf8" }).trim();
            expect(mountUnitName(p)).toBe(real);
        }
        expect(escapeUnitPath("/srv/homelab/data")).toBe("srv-homelab-data");
    });

    test("NFS: 4.2 hard mount by default, a user's vers=4.1 replaces the default", () => {
        const base = { dataRoot: "/srv/homelab/data", puid: 1000, pgid: 1000 };
        expect(mountSpec(base, { type: "nfs", server: "nas.lan", export: "/volume1/data" })).toEqual({ what: "nas.lan:/volume1/data", type: "nfs", options: NFS_DEFAULT_OPTIONS });
        const options = mountSpec(base, { type: "nfs", server: "nas.lan", export: "/v", options: ["vers=4.1", "noac"] }).options;
        expect(options.filter((o) => o.startsWith("vers="))).toEqual(["vers=4.1"]);
        expect(options).toEqual(expect.arrayContaining(["hard", "noac"]));
    });

    test("SMB: 3.x, PUID/PGID owners, modes, nobrl, credentials from a root-only file named after the data root", () => {
        const spec = mountSpec({ dataRoot: "/srv/homelab/data", puid: 1001, pgid: 1002 }, { type: "smb", server: "nas.lan", share: "data", username: "media", password: pulumi.secret("x") });
        expect(spec.what).toBe("//nas.lan/data");
        expect(spec.type).toBe("cifs");
        expect(spec.options).toEqual(expect.arrayContaining(["vers=3", "uid=1001", "gid=1002", "file_mode=0664", "dir_mode=0775", "nobrl", "credentials=/etc/homelab/credentials/srv-homelab-data.smb"]));
        expect(spec.options.join(",")).not.toMatch(/password|username/);
    });
});
