/**
 * The invariants of a stack placed on several hosts (one Docker provider per host):
 * - a VPN namespace member's network mode names a gateway on its own provider (a `container:<id>` of another
 *   engine does not exist there, and a member that ends up outside the tunnel leaks);
 * - a port that only other hosts call (an app with no WebUI for people) is never opened to the whole LAN by the
 *   host firewall: the firewall step lists it among the peer ports, admitted from single host addresses only.
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { CATALOG, AppId } from "../../components/catalog";
import { containersOf, describe, knownString, namespaceMembers, portsOf, rawProps } from "./graph";

const REMOTE_COMMAND_TYPE = "command:remote:Command";

/** The provider URN a resource is created with ("" for the default provider). */
function providerUrn(resource: PolicyResource): string {
    return resource.provider?.urn ?? "";
}

function providerLabel(resource: PolicyResource): string {
    return resource.provider ? `provider '${resource.provider.name}'` : "the default provider";
}

export const vpnGatewaySameHost: StackValidationPolicy = {
    name: "vpn-gateway-same-host",
    description: "A container in another container's network namespace (a VPN member) is created on the same Docker provider (host) as that container.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const all = containersOf(args.resources);
        for (const { member, ns } of namespaceMembers(all)) {
            if (ns.kind !== "shared") continue;
            for (const target of ns.targets.filter((t) => providerUrn(t.resource) !== providerUrn(member.resource))) {
                reportViolation(
                    `${describe(member)} joins the network namespace of ${describe(target)}, but is created with ${providerLabel(member.resource)} ` +
                        `and the gateway with ${providerLabel(target.resource)}: a network namespace exists on one host only. ` +
                        "Create the member with the gateway's provider (place both on the same host).",
                    member.urn,
                );
            }
        }
    },
};

/** The variables a host script run exports (`export NAME='value'` lines of the heredoc). */
export function scriptVariables(script: string): Map<string, string> {
    const variables = new Map<string, string>();
    for (const match of script.matchAll(/^export ([A-Z_]+)='((?:[^']|'\\'')*)'$/gm)) variables.set(match[1], match[2].replace(/'\\''/g, "'"));
    return variables;
}

interface FirewallView {
    resource: PolicyResource;
    host?: string;
    lanPorts: Set<number>;
    peerPorts: Map<number, string[]>;
}

function firewallsOf(resources: PolicyResource[]): FirewallView[] {
    return resources.filter((r) => r.type === REMOTE_COMMAND_TYPE).flatMap((r) => {
        const props = rawProps(r);
        const create = knownString(props.create);
        if (!create || !/^STEP="firewall"$/m.test(create)) return [];
        const variables = scriptVariables(create);
        const connection = props.connection as Record<string, unknown> | undefined;
        const peerPorts = new Map<number, string[]>();
        for (const item of (variables.get("PEER_PORTS") ?? "").split(/\s+/).filter(Boolean)) {
            const [port, from = ""] = item.split("@");
            peerPorts.set(Number(port), from.split(",").filter(Boolean));
        }
        return [{
            resource: r,
            host: knownString(connection?.host),
            lanPorts: new Set((variables.get("LAN_APP_PORTS") ?? "").split(/\s+/).filter(Boolean).map(Number)),
            peerPorts,
        }];
    });
}

/** The host part of a provider's `ssh://user@host:port` (or undefined for the local socket). */
function providerHost(resource: PolicyResource): string | undefined {
    const uri = resource.provider ? knownString((resource.provider.props as Record<string, unknown>).host) : undefined;
    return uri ? /^ssh:\/\/(?:[^@]+@)?([^:/]+)/.exec(uri)?.[1] : undefined;
}

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

export const crossHostPortsPeersOnly: StackValidationPolicy = {
    name: "cross-host-ports-peers-only",
    description: "A port published only for apps on other hosts (no WebUI for people) is admitted by its host's firewall from those hosts' addresses, never from the whole LAN.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const firewalls = firewallsOf(args.resources);
        for (const firewall of firewalls) {
            for (const [port, from] of firewall.peerPorts) {
                if (firewall.lanPorts.has(port)) {
                    reportViolation(`The firewall of ${firewall.host ?? "a host"} admits port ${port} from other hosts only, yet also from the whole LAN (LAN_APP_PORTS). Remove it from LAN_APP_PORTS.`, firewall.resource.urn);
                }
                const wide = from.filter((source) => !IPV4.test(source));
                if (from.length === 0 || wide.length > 0) {
                    reportViolation(`The firewall of ${firewall.host ?? "a host"} admits peer port ${port} from ${from.length === 0 ? "no address" : wide.join(", ")}: list single host addresses (the calling hosts' LAN addresses).`, firewall.resource.urn);
                }
            }
        }
        if (new Set(args.resources.filter((r) => r.type === "pulumi:providers:docker").map((r) => r.urn)).size < 2) return;
        // Several hosts: a published port of an app without a WebUI for people is a cross-host API port.
        for (const container of containersOf(args.resources)) {
            const app = container.app as AppId | undefined;
            // The gateway publishes its members' WebUIs (vpn-gateway-ports checks those).
            if (container.role === "gateway" || !app || !(app in CATALOG) || CATALOG[app].exposure !== undefined) continue;
            const host = providerHost(container.resource);
            const firewall = firewalls.find((f) => f.host !== undefined && f.host === host);
            for (const port of portsOf(container)) {
                if (port.external !== undefined && firewall?.lanPorts.has(port.external)) {
                    reportViolation(`${describe(container)} publishes ${port.external}, a port only other hosts call, and the firewall of ${host} opens it to the whole LAN. Admit it from the calling hosts only (PEER_PORTS).`, container.urn);
                }
            }
        }
    },
};

export const placementPolicies: StackValidationPolicy[] = [vpnGatewaySameHost, crossHostPortsPeersOnly];
