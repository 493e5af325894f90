/**
 * Security facts that both the config validation and the policy pack enforce, kept in one place so that a
 * config the program accepts can never be one the pack rejects (and the other way round). Plain functions,
 * no Pulumi: the policy pack imports this file too.
 */

// ---- IPv4 networks -----------------------------------------------------------------------------------------

export interface Cidr {
    base: number;
    bits: number;
}

function ipv4ToNumber(ip: string): number | undefined {
    const octets = ip.split(".");
    if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return undefined;
    return octets.reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function mask(bits: number): number {
    return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** An IPv4 network in CIDR form with its host bits zero, or undefined. */
export function parseCidr(value: string): Cidr | undefined {
    const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(value.trim());
    if (!match) return undefined;
    const base = ipv4ToNumber(match[1]);
    const bits = Number(match[2]);
    if (base === undefined || bits > 32 || ((base & mask(bits)) >>> 0) !== base) return undefined;
    return { base, bits };
}

export function isIpv4Address(value: string): boolean {
    return ipv4ToNumber(value) !== undefined;
}

export function cidrContains(cidr: string, ip: string): boolean {
    const network = parseCidr(cidr);
    const address = ipv4ToNumber(ip);
    return network !== undefined && address !== undefined && ((address & mask(network.bits)) >>> 0) === network.base;
}

export function cidrsOverlap(a: string, b: string): boolean {
    const pa = parseCidr(a);
    const pb = parseCidr(b);
    if (!pa || !pb) return false;
    const common = mask(Math.min(pa.bits, pb.bits));
    return ((pa.base & common) >>> 0) === ((pb.base & common) >>> 0);
}

/** The address `offset` hosts into a network, e.g. (172.30.0.0/24, 10) -> 172.30.0.10. */
export function addressInSubnet(cidr: string, offset: number): string {
    const network = parseCidr(cidr);
    if (!network || offset >= 2 ** (32 - network.bits) - 1) throw new Error(`${cidr} has no host number ${offset}`);
    const value = network.base + offset;
    return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

/** RFC 1918: the only ranges a home LAN or a Docker network lives in. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/** The addresses ProtonVPN's WireGuard tunnel uses inside Gluetun; a LAN or Docker subnet must not overlap. */
export const VPN_TUNNEL_RANGE = "10.2.0.0/16";

/**
 * The widest network Gluetun's kill switch may let its members reach outside the tunnel: anything wider
 * (a /16, a whole private range, 0.0.0.0/0) covers more than a home LAN and is a leak.
 */
export const NARROWEST_PREFIX_FOR_KILL_SWITCH = 17;

/**
 * Why a subnet may not be opened in the kill switch (`FIREWALL_OUTBOUND_SUBNETS`), or undefined when it may:
 * it must be a private IPv4 network narrower than a /16 that does not overlap the tunnel's own addresses.
 */
export function killSwitchSubnetProblem(cidr: string): string | undefined {
    const network = parseCidr(cidr);
    if (!network) return "is not an IPv4 network in CIDR form";
    const inPrivateRange = PRIVATE_RANGES.some((range) => {
        const r = parseCidr(range)!;
        return network.bits >= r.bits && cidrContains(range, addressOf(network));
    });
    if (!inPrivateRange) return `is not a private network (${PRIVATE_RANGES.join(", ")}): traffic to it would leave outside the tunnel with your home IP`;
    if (network.bits < NARROWEST_PREFIX_FOR_KILL_SWITCH) return `is a /${network.bits}, wider than any home LAN: use a /${NARROWEST_PREFIX_FOR_KILL_SWITCH} or narrower`;
    if (cidrsOverlap(cidr, VPN_TUNNEL_RANGE)) return `overlaps the VPN tunnel's own addresses (${VPN_TUNNEL_RANGE})`;
    return undefined;
}

function addressOf(network: Cidr): string {
    return [24, 16, 8, 0].map((shift) => (network.base >>> shift) & 255).join(".");
}

// ---- host paths -------------------------------------------------------------------------------------------

/** Host directories that nothing may mount writable, nor be the data root (which gets chowned to PUID). */
export const SYSTEM_PATHS = [
    "/etc", "/root", "/boot", "/proc", "/sys", "/dev", "/usr", "/bin", "/sbin", "/lib", "/lib64",
    "/var/lib/docker", "/var/run", "/run",
] as const;

export function normalizePath(p: string): string {
    const out: string[] = [];
    for (const segment of p.split("/")) {
        if (segment === "" || segment === ".") continue;
        if (segment === "..") out.pop();
        else out.push(segment);
    }
    return `/${out.join("/")}`;
}

function isUnder(path: string, root: string): boolean {
    return path === root || path.startsWith(`${root}/`);
}

/**
 * The sensitive place a host path is, or undefined: `/` itself, a system directory or anything below it, or
 * `/home`, `/var` or a user's home directory itself (its .ssh). `/home/alice/media` is fine.
 */
export function sensitiveHostPath(path: string): string | undefined {
    const normalized = normalizePath(path);
    if (normalized === "/" || normalized === "/var") return normalized;
    if (/^\/home(\/[^/]+)?$/.test(normalized)) return "/home";
    return SYSTEM_PATHS.find((root) => isUnder(normalized, root));
}

// ---- ports inside the VPN namespace ------------------------------------------------------------------------

/**
 * Ports Gluetun itself uses inside its namespace (control server, health server, HTTP proxy, Shadowsocks):
 * no member may listen on them, and the gateway never publishes the control server.
 */
export const GLUETUN_OWN_PORTS = [8000, 9999, 8888, 8388] as const;
export const GLUETUN_CONTROL_PORT = 8000;

// ---- image references --------------------------------------------------------------------------------

export interface ImageRef {
    /** The reference as written, e.g. "lscr.io/linuxserver/qbittorrent:5.1.2". */
    ref: string;
    /** Repository path without registry host, tag or digest, lower case, e.g. "linuxserver/qbittorrent". */
    repository: string;
    /** Last path segment of the repository, e.g. "qbittorrent". */
    basename: string;
    tag?: string;
    digest?: string;
}

export function parseImageRef(ref: string): ImageRef {
    let rest = ref.trim();
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    let tag: string | undefined;
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
    }
    const parts = rest.toLowerCase().split("/");
    // A first segment with a dot or a port (or "localhost") is a registry host, not part of the repository.
    if (parts.length > 1 && (parts[0].includes(".") || parts[0].includes(":") || parts[0] === "localhost")) parts.shift();
    return { ref, repository: parts.join("/"), basename: parts[parts.length - 1] ?? "", tag, digest };
}

const FLOATING_TAG = /(^|[-_.])(latest|stable|release|nightly|develop|dev|edge|main|master|testing|unstable|beta|rolling)$/i;

/** Pinned: a digest, or a tag that names a version (has a digit) and is not a floating channel such as `latest`. */
export function isPinned(image: ImageRef): boolean {
    if (image.digest && /^sha256:[0-9a-f]{64}$/i.test(image.digest)) return true;
    if (!image.tag) return false;
    if (/(^|[-_.])latest($|[-_.])/i.test(image.tag)) return false;
    return /\d/.test(image.tag) && !FLOATING_TAG.test(image.tag);
}
