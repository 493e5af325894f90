/**
 * Host safety for every container (CIS Docker Benchmark, section 5): nothing a container does may give it the
 * host. One policy per concern, so each can be tuned in the policy config on its own.
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { sensitiveHostPath } from "../../components/invariants";
import {
    ContainerView,
    containersOf,
    describe,
    isPinned,
    isSet,
    isUnder,
    isUnknown,
    isWildcardBind,
    knownItems,
    knownNumber,
    knownObjects,
    knownString,
    mountsOf,
    normalizePath,
    portLabel,
    portsOf,
} from "./graph";

type Check = (container: ContainerView, report: (message: string) => void) => void;

/** A stack policy that runs `check` on every container. */
function perContainer(name: string, description: string, check: Check): StackValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        validateStack: (args, reportViolation) => {
            for (const container of containersOf(args.resources)) {
                check(container, (message) => reportViolation(message, container.urn));
            }
        },
    };
}

export const containerNotPrivileged = perContainer(
    "container-not-privileged",
    "No container runs privileged.",
    (c, report) => {
        if (c.props.privileged === true || isUnknown(c.props.privileged)) {
            report(`${describe(c)} runs privileged (root on the host). Remove \`privileged\`; grant a single capability or device instead where one is allow-listed.`);
        }
    },
);

const HOST_NAMESPACES = ["networkMode", "pidMode", "ipcMode", "usernsMode", "cgroupnsMode"] as const;

export const containerNoHostNamespaces = perContainer(
    "container-no-host-namespaces",
    "No container shares the host's network, PID, IPC, user or cgroup namespace.",
    (c, report) => {
        for (const key of HOST_NAMESPACES) {
            if ((knownString(c.props[key]) ?? "").toLowerCase() === "host") {
                report(`${describe(c)} sets \`${key}: "host"\`, which shares the host's namespace. Remove it (use the stack's Docker network, or the VPN gateway's namespace for download clients).`);
            }
        }
    },
);

const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];

export const containerNoDockerSocket = perContainer(
    "container-no-docker-socket",
    "No container mounts the Docker socket.",
    (c, report) => {
        for (const m of mountsOf(c)) {
            // The socket itself, or any directory that holds it (even read-only: connecting needs no write).
            if (m.hostPath && DOCKER_SOCKETS.some((socket) => isUnder(socket, m.hostPath!))) {
                report(`${describe(c)} mounts ${normalizePath(m.hostPath)}, which exposes the Docker socket (root on the host), read-only or not. Remove the mount.`);
            }
        }
    },
);

export const containerNoSensitiveHostMounts = perContainer(
    "container-no-sensitive-host-mounts",
    "No container mounts a sensitive host path (/, /etc, /root, /boot, /proc, /sys, /dev, /usr, /var/lib/docker, /home or a home directory itself, ...) writable.",
    (c, report) => {
        for (const m of mountsOf(c)) {
            if (!m.hostPath || m.readOnly) continue;
            const path = normalizePath(m.hostPath);
            if (sensitiveHostPath(path) !== undefined) {
                report(`${describe(c)} mounts the host's ${path} writable at ${m.containerPath ?? "?"}. Mount it with \`readOnly: true\`, or mount a dedicated directory (e.g. under /srv) instead.`);
            }
        }
    },
);

export const containerNoNewPrivileges = perContainer(
    "container-no-new-privileges",
    "Every container sets the security option no-new-privileges.",
    (c, report) => {
        if (isUnknown(c.props.securityOpts)) return;
        const opts = knownItems(c.props.securityOpts).map((o) => String(o).replace(/\s+/g, "").toLowerCase());
        if (!opts.some((o) => o === "no-new-privileges" || o === "no-new-privileges:true" || o === "no-new-privileges=true")) {
            report(`${describe(c)} does not set no-new-privileges, so setuid binaries can raise privileges. Add \`securityOpts: ["no-new-privileges:true"]\`.`);
        }
    },
);

/** Capabilities and devices each role may add; anything else is refused. */
const ALLOWED_CAPS: Readonly<Partial<Record<ContainerView["role"], string[]>>> = { gateway: ["NET_ADMIN"] };
const ALLOWED_DEVICES: Readonly<Partial<Record<ContainerView["role"], string[]>>> = {
    gateway: ["/dev/net/tun"],
    "media-server": ["/dev/dri"],
};

export const containerCapabilitiesAllowlist = perContainer(
    "container-capabilities-allowlist",
    "Capabilities and devices are added only where allow-listed: NET_ADMIN and /dev/net/tun for Gluetun, /dev/dri for Jellyfin.",
    (c, report) => {
        const capabilities = c.props.capabilities;
        const adds = capabilities !== null && typeof capabilities === "object" ? (capabilities as Record<string, unknown>).adds : undefined;
        const allowedCaps = ALLOWED_CAPS[c.role] ?? [];
        if (isUnknown(capabilities) || isUnknown(adds)) {
            report(`${describe(c)} adds computed capabilities that cannot be checked. Use a literal list.`);
        }
        for (const cap of knownItems(adds).map((a) => String(a).toUpperCase().replace(/^CAP_/, ""))) {
            if (!allowedCaps.includes(cap)) {
                report(`${describe(c)} adds capability ${cap}, which is not allow-listed for it (${allowedCaps.length > 0 ? `allowed: ${allowedCaps.join(", ")}` : "it may add none"}). Remove it from \`capabilities.adds\`.`);
            }
        }
        const allowedDevices = ALLOWED_DEVICES[c.role] ?? [];
        if (isUnknown(c.props.devices)) {
            report(`${describe(c)} maps computed devices that cannot be checked. Use a literal list.`);
        }
        for (const d of knownObjects(c.props.devices)) {
            const host = knownString(d.hostPath);
            if (host === undefined) {
                report(`${describe(c)} maps a device whose host path is computed. Use a literal path.`);
                continue;
            }
            if (!allowedDevices.some((a) => isUnder(host, a))) {
                report(`${describe(c)} maps the host device ${host}, which is not allow-listed for it (${allowedDevices.length > 0 ? `allowed: ${allowedDevices.join(", ")}` : "it may map none"}). Remove it from \`devices\`.`);
            }
        }
    },
);

/** The only ports the reverse proxy may publish on all interfaces. */
export const PUBLIC_PROXY_PORTS = [80, 443];

export const containerPublishedPorts = perContainer(
    "container-published-ports",
    "Only the reverse proxy (Caddy) publishes on all interfaces, and only ports 80 and 443; every other published port names a specific address.",
    (c, report) => {
        if (c.props.publishAllPorts === true || isUnknown(c.props.publishAllPorts)) {
            report(`${describe(c)} sets publishAllPorts, which publishes every exposed port on all interfaces. Remove it and list the ports with an explicit \`ip\`.`);
        }
        for (const port of portsOf(c)) {
            if (!isWildcardBind(port)) continue;
            const publicProxyPort = c.role === "reverse-proxy" && port.external !== undefined && PUBLIC_PROXY_PORTS.includes(port.external);
            if (publicProxyPort) continue;
            report(
                c.role === "reverse-proxy"
                    ? `${describe(c)} publishes ${portLabel(port)} on all interfaces; the reverse proxy may do that only for ports 80 and 443. Set \`ip\` to 127.0.0.1 or the LAN address.`
                    : `${describe(c)} publishes ${portLabel(port)} on all interfaces (ip ${port.ipUnknown ? "computed" : port.ip ?? "missing"}); Docker's NAT bypasses the host firewall. Set \`ip\` to the server's LAN address or 127.0.0.1, or route it through the reverse proxy.`,
            );
        }
    },
);

export const containerImagePinned = perContainer(
    "container-image-pinned",
    "Every container image is pinned to a version tag or a digest (never `latest` or no tag).",
    (c, report) => {
        if (!c.image) {
            // During preview the image id is unknown: the RemoteImage it depends on names the image. A container
            // whose image cannot be traced to a name cannot be shown to be pinned.
            const literal = knownString(c.props.image);
            if (literal && /^sha256:[0-9a-f]{64}$/i.test(literal)) return;
            report(`${describe(c)} uses an image that cannot be traced to a reference. Use \`image: new docker.RemoteImage(..., { name: "repo:version" }).imageId\`.`);
            return;
        }
        if (!isPinned(c.image)) {
            report(`${describe(c)} uses ${c.image.ref}, which is not pinned: ${c.image.tag ? `the tag '${c.image.tag}' moves` : "no tag means latest"}. Pin a version tag (e.g. repo:1.2.3) or a digest (repo@sha256:...).`);
        }
    },
);

export const containerMemoryLimit = perContainer(
    "container-memory-limit",
    "Every container has a memory limit.",
    (c, report) => {
        if (isUnknown(c.props.memory)) return;
        const memory = knownNumber(c.props.memory);
        if (memory === undefined || memory <= 0) {
            report(`${describe(c)} has no memory limit, so one runaway app can take the whole host down. Set \`memory\` (MiB).`);
        }
    },
);

export const containerRestartPolicy = perContainer(
    "container-restart-policy",
    "Every container has a restart policy other than \"no\".",
    (c, report) => {
        if (isUnknown(c.props.restart)) return;
        const restart = knownString(c.props.restart);
        if (restart === undefined || restart === "" || restart === "no") {
            report(`${describe(c)} has restart policy '${restart ?? "no (default)"}', so it stays down after a crash or reboot. Set \`restart: "unless-stopped"\`.`);
        }
    },
);

export const containerHealthcheck = perContainer(
    "container-healthcheck",
    "Every container has a healthcheck (tests not NONE).",
    (c, report) => {
        const hc = c.props.healthcheck;
        if (isUnknown(hc)) return;
        const tests = hc !== null && typeof hc === "object" ? (hc as Record<string, unknown>).tests : undefined;
        if (isUnknown(tests)) return;
        const items = knownItems(tests).map(String);
        if (!isSet(hc) || items.length === 0 || items[0].toUpperCase() === "NONE") {
            report(`${describe(c)} has no healthcheck, so a hung app (or a member whose tunnel is gone) looks healthy. Set \`healthcheck: { tests: ["CMD-SHELL", "<probe>"], ... }\`.`);
        }
    },
);

export const hostSafetyPolicies: StackValidationPolicy[] = [
    containerNotPrivileged,
    containerNoHostNamespaces,
    containerNoDockerSocket,
    containerNoSensitiveHostMounts,
    containerNoNewPrivileges,
    containerCapabilitiesAllowlist,
    containerPublishedPorts,
    containerImagePinned,
    containerMemoryLimit,
    containerRestartPolicy,
    containerHealthcheck,
];
