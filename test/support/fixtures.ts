/**
 * Shared stack settings for the program tests: a typical remote stack (a Debian server on a home LAN,
 * ProtonVPN over WireGuard) with its credentials stored as secrets, as `pulumi config` would hand them over.
 */
process.env.HOMELAB_NO_LOCAL_FILES = "1";

/** 32 bytes, base64: the shape of a ProtonVPN WireGuard PrivateKey line. Distinctive so leaks are findable. */
export const WIREGUARD_KEY = Buffer.from("homelab-test-wireguard-key-32byt").toString("base64");
export const SSH_PRIVATE_KEY = [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEAAAAAhomelabTestDeployKeyMaterialDoNotLeak",
    "-----END OPENSSH PRIVATE KEY-----",
    "",
].join("\n");
/** The part of the private key that must never show up outside a secret. */
export const SSH_KEY_MARKER = "homelabTestDeployKeyMaterialDoNotLeak";
export const SSH_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINIkGIsefXZqW6E3vBEugIe6Sbo4NsBvoku7b0llCsx3";
export const OPENVPN_USER = "protonUser123";
export const OPENVPN_PASSWORD = "openvpn-test-password-do-not-leak";

export const HOST = "192.168.1.10";
export const LAN_BIND = "192.168.1.10";
export const LAN_SUBNET = "192.168.1.0/24";
export const DATA_ROOT = "/srv/homelab/data";
export const DOMAIN = "media.example.com";

/** The settings without the `homelab:` prefix, as `parseConfig` takes them. */
export function rawConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const base: Record<string, unknown> = {
        host: HOST,
        sshHostKey: SSH_HOST_KEY,
        sshPrivateKey: SSH_PRIVATE_KEY,
        puid: 1000,
        pgid: 1000,
        timezone: "Europe/Berlin",
        dataRoot: DATA_ROOT,
        domain: DOMAIN,
        acmeEmail: "admin@example.com",
        lanSubnet: LAN_SUBNET,
        lanBindAddress: LAN_BIND,
        wireguardPrivateKey: WIREGUARD_KEY,
    };
    const merged: Record<string, unknown> = { ...base, ...overrides };
    // `undefined` in overrides means "not set".
    return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
}

export const SECRET_CONFIG_KEYS = ["sshPrivateKey", "wireguardPrivateKey", "openvpnPassword"];

/** Options for `runProgram`: `homelab:`-prefixed config, credentials marked as set with --secret. */
export function programOptions(overrides: Record<string, unknown> = {}, preview = false) {
    const raw = rawConfig(overrides);
    return {
        config: Object.fromEntries(Object.entries(raw).map(([k, v]) => [`homelab:${k}`, v])),
        secretKeys: SECRET_CONFIG_KEYS.filter((k) => k in raw).map((k) => `homelab:${k}`),
        preview,
    };
}
