/**
 * The VPN invariants: download clients live in Gluetun's network namespace, namespace members add no network
 * surface of their own, and the gateway publishes only its members' WebUIs with its kill switch intact.
 *
 * Stack policies, because the proof is a graph fact: during preview `networkMode` is the unknown
 * `container:<gluetun id>`, but `propertyDependencies.networkMode` already names the Gluetun container.
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { killSwitchSubnetProblem } from "../../components/invariants";
import {
    ContainerView,
    KNOWN_WEBUI_PORTS,
    Namespace,
    containersOf,
    describe,
    envMap,
    isSet,
    isUnknown,
    isWildcardBind,
    labelMap,
    namespaceMembers,
    namespaceOf,
    portLabel,
    portsOf,
} from "./graph";

/** Gluetun's control server: never published. */
export const GLUETUN_CONTROL_PORT = 8000;
/** The default BitTorrent listening port. */
export const DEFAULT_TORRENT_PORT = 6881;

function gatewayNames(gateways: ContainerView[]): string {
    return gateways.length > 0 ? gateways.map((g) => `'${g.name}'`).join(" or ") : "the Gluetun container";
}

const FIX_NAMESPACE =
    "Set `networkMode: pulumi.interpolate`container:${gluetun.id}`` (so Pulumi records the dependency on the Gluetun " +
    "container) and publish the client's WebUI port on the Gluetun container instead.";

export const downloadClientsBehindVpn: StackValidationPolicy = {
    name: "download-clients-behind-vpn",
    description:
        "Every download client (qBittorrent, Transmission, Deluge, rTorrent/ruTorrent, SABnzbd, NZBGet, aria2, ...) runs in the network namespace of the stack's Gluetun container.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const all = containersOf(args.resources);
        const gateways = all.filter((c) => c.role === "gateway");
        for (const client of all.filter((c) => c.role === "download-client")) {
            const ns = namespaceOf(client, all);
            const problem = clientNamespaceProblem(ns, gateways);
            if (problem) {
                reportViolation(
                    `${describe(client)} is a download client outside the VPN: ${problem}. ` +
                        (gateways.length === 0
                            ? "Add a Gluetun container (qmcgaw/gluetun) to the stack and put the client in its namespace. "
                            : "") +
                        FIX_NAMESPACE,
                    client.urn,
                );
            }
        }
    },
};

function clientNamespaceProblem(ns: Namespace, gateways: ContainerView[]): string | undefined {
    switch (ns.kind) {
        case "own":
            return `its networkMode is '${ns.value}', so its traffic leaves through the host's connection`;
        case "unknown":
            return "its networkMode is computed and does not depend on a Gluetun container, so nothing proves it uses the tunnel";
        case "shared-unresolved":
            return `its networkMode '${ns.value}' does not point at a container of this stack, let alone ${gatewayNames(gateways)}`;
        case "shared": {
            const strangers = ns.targets.filter((t) => t.role !== "gateway");
            if (gateways.length === 0) return "the stack has no Gluetun container";
            if (strangers.length > 0) {
                return `it shares the network namespace of ${strangers.map(describe).join(", ")}, which is not a Gluetun VPN gateway`;
            }
            return undefined;
        }
    }
}

const MEMBER_FORBIDDEN: ReadonlyArray<{ key: string; what: string }> = [
    { key: "ports", what: "publishes ports" },
    { key: "publishAllPorts", what: "publishes all exposed ports" },
    { key: "networksAdvanced", what: "joins networks (networksAdvanced)" },
    { key: "hostname", what: "sets a hostname" },
    { key: "domainname", what: "sets a domainname" },
    { key: "dns", what: "sets DNS servers" },
    { key: "dnsSearches", what: "sets DNS search domains" },
    { key: "dnsOpts", what: "sets DNS options" },
    { key: "hosts", what: "adds /etc/hosts entries" },
];

export const vpnNamespaceMembersIsolated: StackValidationPolicy = {
    name: "vpn-namespace-members-isolated",
    description:
        "Containers in another container's network namespace publish no ports, join no networks and set no hostname, domainname or DNS of their own.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const all = containersOf(args.resources);
        for (const { member } of namespaceMembers(all)) {
            for (const { key, what } of MEMBER_FORBIDDEN) {
                const value = member.props[key];
                const set = key === "publishAllPorts" ? value === true || isUnknown(value) : isSet(value);
                if (!set) continue;
                reportViolation(
                    `${describe(member)} shares the VPN gateway's network namespace but ${what} (\`${key}\`). ` +
                        `Remove \`${key}\` from it: ports are published on the Gluetun container, which owns the namespace's network, hostname and DNS.`,
                    member.urn,
                );
            }
        }
    },
};

/** The WebUI port a member serves, from its `homelab.port` label, WEBUI_PORT env or the known image table. */
export function webUiPorts(member: ContainerView): number[] {
    const ports = new Set<number>();
    const label = Number(labelMap(member.props.labels).get("homelab.port"));
    if (Number.isInteger(label) && label > 0) ports.add(label);
    const env = Number(envMap(member.props.envs).env.get("WEBUI_PORT"));
    if (Number.isInteger(env) && env > 0) ports.add(env);
    const known = member.image ? KNOWN_WEBUI_PORTS[member.image.basename] : undefined;
    if (known !== undefined) ports.add(known);
    return [...ports];
}

/** Torrent listening ports of the members: 6881 and any TORRENTING_PORT they set. */
export function torrentPorts(members: ContainerView[]): Set<number> {
    const ports = new Set<number>([DEFAULT_TORRENT_PORT]);
    for (const m of members) {
        const p = Number(envMap(m.props.envs).env.get("TORRENTING_PORT"));
        if (Number.isInteger(p) && p > 0) ports.add(p);
    }
    return ports;
}

function membersOf(gateway: ContainerView, all: ContainerView[]): ContainerView[] {
    return namespaceMembers(all)
        .filter(({ ns }) => ns.kind === "shared" && ns.targets.some((t) => t.urn === gateway.urn))
        .map(({ member }) => member);
}

export const vpnGatewayPorts: StackValidationPolicy = {
    name: "vpn-gateway-ports",
    description:
        "The Gluetun gateway publishes only its members' WebUI ports, each on a specific address (never 0.0.0.0), and never its control API (8000) or a torrent listening port.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const all = containersOf(args.resources);
        for (const gateway of all.filter((c) => c.role === "gateway")) {
            const members = membersOf(gateway, all);
            const allowed = new Set(members.flatMap(webUiPorts));
            const torrent = torrentPorts(members);
            if (gateway.props.publishAllPorts === true || isUnknown(gateway.props.publishAllPorts)) {
                reportViolation(
                    `${describe(gateway)} sets publishAllPorts, which publishes the control API and every exposed port on all interfaces. Remove it and list only the members' WebUI ports.`,
                    gateway.urn,
                );
            }
            if (isUnknown(gateway.props.ports)) {
                reportViolation(
                    `${describe(gateway)} has a computed \`ports\` list, so nothing proves it keeps the control API and torrent port private. Build the list from configuration values known at preview.`,
                    gateway.urn,
                );
            }
            for (const port of portsOf(gateway)) {
                const numbers = [port.internal, port.external].filter((n): n is number => n !== undefined);
                const label = portLabel(port);
                if (numbers.includes(GLUETUN_CONTROL_PORT)) {
                    reportViolation(
                        `${describe(gateway)} publishes ${label}, Gluetun's control API (port ${GLUETUN_CONTROL_PORT}), which can read the public IP and stop the VPN. Remove this port; reach the control server from inside the namespace only.`,
                        gateway.urn,
                    );
                } else if (numbers.some((n) => torrent.has(n))) {
                    reportViolation(
                        `${describe(gateway)} publishes ${label}, a torrent listening port (${[...torrent].join(", ")}), on the host: peers would reach the client outside the tunnel. Remove it; use Gluetun's VPN port forwarding for incoming peers.`,
                        gateway.urn,
                    );
                } else if (port.internal === undefined || !allowed.has(port.internal)) {
                    const expected = allowed.size > 0 ? [...allowed].sort((a, b) => a - b).join(", ") : "none (the namespace has no members with a WebUI)";
                    reportViolation(
                        `${describe(gateway)} publishes ${label}, which is not the WebUI port of a container in its namespace (allowed: ${expected}). Remove it, or add the app to the namespace (label it \`homelab.port=<port>\`).`,
                        gateway.urn,
                    );
                }
                if (isWildcardBind(port)) {
                    reportViolation(
                        `${describe(gateway)} publishes ${label} on all interfaces (ip ${port.ipUnknown ? "computed" : port.ip ?? "missing"}): Docker's NAT bypasses the host firewall. Set \`ip\` to the server's LAN address (or 127.0.0.1) and let the reverse proxy serve the internet.`,
                        gateway.urn,
                    );
                }
            }
        }
    },
};

/**
 * Subnets a kill switch must never open, with why: for IPv4 the rule the program's config applies too
 * (private, narrower than a /16, clear of the tunnel's range); an IPv6 entry must be narrower than a /48.
 */
export function killSwitchLeaks(list: string): { subnet: string; problem: string }[] {
    return list
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
        .flatMap((subnet) => {
            const v6 = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(subnet);
            if (v6) return Number(v6[2]) <= 48 ? [{ subnet, problem: "is an IPv6 /48 or wider" }] : [];
            const problem = killSwitchSubnetProblem(subnet);
            return problem ? [{ subnet, problem }] : [];
        });
}

const OFF = /^(off|no|false|0|disabled?)$/i;
const ON = /^(on|yes|true|1|enabled?)$/i;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;

export const vpnGatewayKillSwitch: StackValidationPolicy = {
    name: "vpn-gateway-kill-switch",
    description:
        "The Gluetun gateway keeps its kill switch and DNS-over-TLS: firewall on, no wide outbound subnets, no host nameserver or plain DNS, not privileged.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const gateway of containersOf(args.resources).filter((c) => c.role === "gateway")) {
            const report = (problem: string, fix: string) => reportViolation(`${describe(gateway)} ${problem}. ${fix}`, gateway.urn);
            if (gateway.props.privileged === true || isUnknown(gateway.props.privileged)) {
                report("runs privileged", "Gluetun needs only `capabilities.adds: [\"NET_ADMIN\"]` and the device /dev/net/tun; remove `privileged`.");
            }
            if (isUnknown(gateway.props.envs)) {
                report(
                    "has a computed `envs` list, so the kill switch settings cannot be verified",
                    "Build the list entry by entry so that the FIREWALL_* and DNS_* entries are known at preview.",
                );
                continue;
            }
            const { env } = envMap(gateway.props.envs);
            const firewall = env.get("FIREWALL");
            if (firewall !== undefined && OFF.test(firewall)) {
                report(`sets FIREWALL=${firewall}, which turns off the kill switch`, "Remove FIREWALL (it defaults to on).");
            }
            const leaks = killSwitchLeaks(env.get("FIREWALL_OUTBOUND_SUBNETS") ?? "");
            if (leaks.length > 0) {
                report(
                    `lets namespace members reach ${leaks.map((l) => `${l.subnet} (${l.problem})`).join("; ")} outside the tunnel (FIREWALL_OUTBOUND_SUBNETS)`,
                    "List only your LAN and the stack's Docker subnet, e.g. 192.168.1.0/24 (a /16 or wider range, a public range or 0.0.0.0/0 is a leak).",
                );
            }
            const keep = env.get("DNS_KEEP_NAMESERVER");
            if (keep !== undefined && ON.test(keep)) {
                report(`sets DNS_KEEP_NAMESERVER=${keep}, so DNS queries can leak to the host's resolver`, "Remove DNS_KEEP_NAMESERVER.");
            }
            const dot = env.get("DOT");
            const dnsAddress = env.get("DNS_ADDRESS");
            if (dot !== undefined && OFF.test(dot) && dnsAddress !== undefined && dnsAddress !== "" && !LOOPBACK.test(dnsAddress)) {
                report(
                    `sets DOT=${dot} with DNS_ADDRESS=${dnsAddress}: plain, unencrypted DNS`,
                    "Remove DOT and DNS_ADDRESS so Gluetun resolves over TLS.",
                );
            }
            const plain = env.get("DNS_UPSTREAM_PLAIN_ADDRESSES");
            const resolverType = env.get("DNS_UPSTREAM_RESOLVER_TYPE");
            if ((plain !== undefined && plain !== "") || (resolverType !== undefined && /^plain$/i.test(resolverType))) {
                report(
                    `uses plain upstream DNS (${plain ? `DNS_UPSTREAM_PLAIN_ADDRESSES=${plain}` : `DNS_UPSTREAM_RESOLVER_TYPE=${resolverType}`})`,
                    "Remove it and keep the DNS-over-TLS default.",
                );
            }
        }
    },
};

export const vpnPolicies: StackValidationPolicy[] = [
    downloadClientsBehindVpn,
    vpnNamespaceMembersIsolated,
    vpnGatewayPorts,
    vpnGatewayKillSwitch,
];
