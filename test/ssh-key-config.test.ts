/**
 * A deploy key with a passphrase cannot be used by `pulumi up` (nobody types it): refused at config time.
 * The keys are made by the real ssh-keygen, in each format it writes.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { rawConfig } from "./support/fixtures";
import { ConfigError, isEncryptedPrivateKey, parseConfig } from "../components/config";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-keys-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function keygen(name: string, passphrase: string, ...args: string[]): string {
    const file = path.join(tmp, name);
    const r = spawnSync("ssh-keygen", ["-q", "-N", passphrase, "-C", "homelab-test", "-f", file, ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ssh-keygen ${args.join(" ")}: ${r.stderr}`);
    return fs.readFileSync(file, "utf8");
}

const problemsOf = (sshPrivateKey: string): string[] => {
    try {
        parseConfig(rawConfig({ sshPrivateKey }), () => true);
        return [];
    } catch (error) {
        return (error as ConfigError).problems;
    }
};

const hasSshKeygen = spawnSync("ssh-keygen", ["-?"], { encoding: "utf8" }).error === undefined;
if (!hasSshKeygen) console.warn("ssh-keygen is not installed: the deploy-key format tests are skipped");
const withKeygen = hasSshKeygen ? describe : describe.skip;

withKeygen("the deploy key", () => {
    test.each([
        ["OpenSSH ed25519", ["-t", "ed25519"]],
        ["PEM ECDSA (Proc-Type: 4,ENCRYPTED)", ["-t", "ecdsa", "-m", "PEM"]],
        ["PKCS#8 ECDSA (ENCRYPTED PRIVATE KEY)", ["-t", "ecdsa", "-m", "PKCS8"]],
    ])("%s with a passphrase is refused, saying the key must work without one", (name, args) => {
        const key = keygen(`locked-${name.replace(/\W+/g, "-")}`, "correct horse", ...args);
        expect(isEncryptedPrivateKey(key)).toBe(true);
        expect(problemsOf(key)).toEqual([expect.stringMatching(/^homelab:sshPrivateKey: is protected by a passphrase.*must be usable without a passphrase.*ssh-keygen -t ed25519 -N ''/)]);
    });

    test.each([
        ["OpenSSH ed25519", ["-t", "ed25519"]],
        ["PEM ECDSA", ["-t", "ecdsa", "-m", "PEM"]],
        ["PKCS#8 ECDSA", ["-t", "ecdsa", "-m", "PKCS8"]],
    ])("%s without a passphrase is accepted", (name, args) => {
        const key = keygen(`open-${name.replace(/\W+/g, "-")}`, "", ...args);
        expect(isEncryptedPrivateKey(key)).toBe(false);
        expect(problemsOf(key)).toEqual([]);
    });
});
