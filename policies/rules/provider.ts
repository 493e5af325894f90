/**
 * The Docker provider reaches the host over SSH with host-key checking on. A unix socket is the local mode
 * ("try it on my laptop"); plain TCP without TLS hands the Docker API (root on the host) to the network.
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { CONTAINER_TYPE, DOCKER_PROVIDER_TYPE, isSet, isUnknown, knownItems, knownString, rawProps } from "./graph";

/**
 * `sshOpts` as a list. Provider inputs that are not strings travel JSON-encoded (the engine's provider config
 * convention), so the list usually arrives as the string '["-o","StrictHostKeyChecking=yes",...]'.
 */
export function sshOptions(value: unknown): string[] {
    if (typeof value === "string" && !isUnknown(value)) {
        try {
            const parsed: unknown = JSON.parse(value);
            if (Array.isArray(parsed)) return knownItems(parsed).map(String);
        } catch {
            // a single option as plain text
        }
        return [value];
    }
    return knownItems(value).map(String);
}

/** What is wrong with a provider's connection settings, if anything. */
export function providerProblems(props: Record<string, unknown>): string[] {
    const problems: string[] = [];
    const host = knownString(props.host);
    if (host === undefined) {
        // No host: the provider uses DOCKER_HOST or the local socket (local mode). A computed host is checked on update.
        return problems;
    }
    const scheme = (/^([a-z0-9+.-]+):\/\//i.exec(host)?.[1] ?? "").toLowerCase();
    if (scheme === "unix" || scheme === "npipe") return problems;
    if (scheme === "ssh") {
        const opts = sshOptions(props.sshOpts).join(" ");
        if (/StrictHostKeyChecking\s*[= ]\s*["']?(no|off|false)\b/i.test(opts)) {
            problems.push(`sshOpts turn host-key checking off (StrictHostKeyChecking=no), so anyone on the path can impersonate the server and receive root-equivalent Docker access. Pin the key: write it to a known_hosts file and pass \`-o UserKnownHostsFile=<file> -o StrictHostKeyChecking=yes\`.`);
        }
        if (/UserKnownHostsFile\s*[= ]\s*["']?\/dev\/null\b/i.test(opts)) {
            problems.push(`sshOpts discard known hosts (UserKnownHostsFile=/dev/null), which defeats host-key checking. Point UserKnownHostsFile at a file holding the server's pinned key.`);
        }
        if (isUnknown(props.sshOpts)) {
            problems.push(`sshOpts are computed, so host-key checking cannot be verified. Build them from values known at preview.`);
        }
        return problems;
    }
    if (scheme === "tcp" || scheme === "http" || scheme === "https") {
        const tls = ["caMaterial", "certMaterial", "keyMaterial", "certPath"].some((k) => isSet(props[k]));
        if (!tls) {
            problems.push(`host ${host} speaks the Docker API over plain TCP without TLS: anyone on the network gets root on the server. Use \`ssh://user@host\` with a pinned host key (or TLS client certificates).`);
        }
        return problems;
    }
    problems.push(`host ${host} uses an unsupported scheme. Use \`ssh://user@host:port\` (or \`unix:///var/run/docker.sock\` for local mode).`);
    return problems;
}

export const dockerProviderSsh: StackValidationPolicy = {
    name: "docker-provider-ssh-host-key",
    description:
        "The Docker provider reaches the server over ssh:// with host-key checking on (or a local unix socket in local mode); never plain tcp://.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const providers = new Map<string, { urn: string; name: string; props: Record<string, unknown> }>();
        const add = (p: Pick<PolicyResource, "urn" | "name" | "props">) => providers.set(p.urn, { urn: p.urn, name: p.name, props: rawProps(p) });
        for (const r of args.resources) {
            if (r.type === DOCKER_PROVIDER_TYPE) add(r);
            if (r.type === CONTAINER_TYPE && r.provider && r.provider.type === DOCKER_PROVIDER_TYPE && !providers.has(r.provider.urn)) add(r.provider);
        }
        for (const p of providers.values()) {
            for (const problem of providerProblems(p.props)) {
                reportViolation(`Docker provider '${p.name}': ${problem}`, p.urn);
            }
        }
    },
};
