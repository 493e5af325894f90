/**
 * Reading the stack the way the engine hands it to a stack policy, without ever tripping the
 * "can't run during preview" downgrade.
 *
 * `@pulumi/policy` wraps every resource's `props` in a proxy that throws as soon as a policy reads a value that
 * is unknown during preview (a container id, an image digest). A stack policy that throws is reported as an
 * advisory "can't run ... during preview" message instead of a verdict. These helpers take the proxy's target
 * (the plain deserialized inputs) and treat the engine's unknown sentinels as data, so every rule decides
 * explicitly what an unknown means. The VPN rules prove the namespace through the dependency graph
 * (`propertyDependencies.networkMode`), which is always known.
 */
import { PolicyResource } from "@pulumi/policy";
import { ImageRef, normalizePath, parseImageRef } from "../../components/invariants";

export { normalizePath };

/** Internals of `@pulumi/policy/proxy` that its typings do not declare. */
interface ProxyInternals {
    getSpecialProxyTarget: string;
    unknownBooleanValue: string;
    unknownNumberValue: string;
    unknownStringValue: string;
    unknownArrayValue: string;
    unknownAssetValue: string;
    unknownArchiveValue: string;
    unknownObjectValue: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as ProxyInternals;

const UNKNOWN_SENTINELS = new Set<string>([
    proxy.unknownBooleanValue,
    proxy.unknownNumberValue,
    proxy.unknownStringValue,
    proxy.unknownArrayValue,
    proxy.unknownAssetValue,
    proxy.unknownArchiveValue,
    proxy.unknownObjectValue,
]);

export const CONTAINER_TYPE = "docker:index/container:Container";
export const REMOTE_IMAGE_TYPE = "docker:index/remoteImage:RemoteImage";
export const BUILT_IMAGE_TYPE = "docker:index/image:Image";
export const DOCKER_PROVIDER_TYPE = "pulumi:providers:docker";

/** True for a value the engine does not know yet (preview). */
export function isUnknown(value: unknown): boolean {
    return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

type Props = Record<string, unknown>;

/** The plain inputs behind a resource's `props` proxy (or `props` itself when it is not proxied, as in unit tests). */
export function rawProps(resource: Pick<PolicyResource, "props">): Props {
    const props = resource.props as Props;
    const target = props[proxy.getSpecialProxyTarget];
    return (target !== null && typeof target === "object" ? target : props) as Props;
}

/** A known string, or undefined when absent, unknown or not a string. */
export function knownString(value: unknown): string | undefined {
    return typeof value === "string" && !isUnknown(value) ? value : undefined;
}

/** A known number, or undefined. */
export function knownNumber(value: unknown): number | undefined {
    return typeof value === "number" ? value : undefined;
}

/** The known elements of an array value; unknown elements are dropped. */
export function knownItems(value: unknown): unknown[] {
    return Array.isArray(value) ? value.filter((v) => !isUnknown(v)) : [];
}

/** Objects of an array value (ports, volumes, mounts, ...), unknown or non-object elements dropped. */
export function knownObjects(value: unknown): Props[] {
    return knownItems(value).filter((v): v is Props => v !== null && typeof v === "object" && !Array.isArray(v));
}

/** True when a property is present with a non-empty value, or unknown (it is set to something). */
export function isSet(value: unknown): boolean {
    if (value === undefined || value === null) return false;
    if (isUnknown(value)) return true;
    if (typeof value === "string") return value.length > 0;
    if (Array.isArray(value)) return value.length > 0;
    return true;
}

/** `envs: ["K=V", ...]` as a map of the known entries, and whether any entry (or the whole list) is unknown. */
export function envMap(value: unknown): { env: Map<string, string>; unknown: boolean } {
    const env = new Map<string, string>();
    if (isUnknown(value)) return { env, unknown: true };
    let unknown = false;
    for (const entry of Array.isArray(value) ? value : []) {
        const text = knownString(entry);
        if (text === undefined) {
            unknown = true;
            continue;
        }
        const eq = text.indexOf("=");
        if (eq > 0) env.set(text.slice(0, eq).trim(), text.slice(eq + 1).trim());
    }
    return { env, unknown };
}

/** `labels: [{label, value}]` as a map of the known labels. */
export function labelMap(value: unknown): Map<string, string> {
    const labels = new Map<string, string>();
    for (const l of knownObjects(value)) {
        const key = knownString(l.label);
        const val = knownString(l.value);
        if (key !== undefined && val !== undefined) labels.set(key, val);
    }
    return labels;
}

// ---------------------------------------------------------------------------------------------------------
// Images

export type { ImageRef } from "../../components/invariants";
export { isPinned, parseImageRef } from "../../components/invariants";

// ---------------------------------------------------------------------------------------------------------
// Containers

export type ContainerRole = "gateway" | "download-client" | "arr" | "media-server" | "reverse-proxy" | "other";

/** Download clients (torrent and usenet): must live behind the VPN. */
export const DOWNLOAD_CLIENT_PATTERN =
    /qbittorrent|transmission|deluge|rtorrent|rutorrent|flood|sabnzbd|nzbget|aria2|biglybt|vuze|tixati|ktorrent|rqbit|pyload|jdownloader/;
/** *arr apps that import from the download client: must share its /data mount (hardlinks). */
export const ARR_PATTERN = /^(sonarr|radarr|lidarr|readarr|whisparr)$/;

/** WebUI ports of known images inside the gateway's namespace (a `homelab.port` label or WEBUI_PORT env wins). */
export const KNOWN_WEBUI_PORTS: Readonly<Record<string, number>> = {
    qbittorrent: 8080,
    prowlarr: 9696,
    flaresolverr: 8191,
    transmission: 9091,
    deluge: 8112,
    sabnzbd: 8080,
    nzbget: 6789,
    jackett: 9117,
};

export interface ContainerView {
    resource: PolicyResource;
    urn: string;
    /** Pulumi resource name. */
    name: string;
    /** The container name Docker will use (`name` input), when known. */
    dockerName?: string;
    props: Props;
    /** The image reference, from the RemoteImage the `image` input depends on, or a literal reference. */
    image?: ImageRef;
    /** `homelab.app` label, when present. */
    app?: string;
    role: ContainerRole;
}

function basenameRole(basename: string): ContainerRole | undefined {
    if (basename === "gluetun") return "gateway";
    if (DOWNLOAD_CLIENT_PATTERN.test(basename)) return "download-client";
    if (ARR_PATTERN.test(basename)) return "arr";
    if (basename === "jellyfin") return "media-server";
    if (basename === "caddy") return "reverse-proxy";
    return undefined;
}

/**
 * The image of a container. During preview `image` is the unknown `imageId` of a RemoteImage, so follow
 * `propertyDependencies.image` to the RemoteImage (or a built Image) and read its name, which is known.
 */
export function imageOf(container: PolicyResource): ImageRef | undefined {
    for (const dep of container.propertyDependencies["image"] ?? []) {
        const props = rawProps(dep);
        if (dep.type === REMOTE_IMAGE_TYPE) {
            const name = knownString(props.name);
            if (name) return parseImageRef(name);
        } else if (dep.type === BUILT_IMAGE_TYPE) {
            const name = knownString(props.imageName);
            if (name) return parseImageRef(name);
        }
    }
    const literal = knownString(rawProps(container).image);
    if (literal && !/^sha256:/i.test(literal)) return parseImageRef(literal);
    return undefined;
}

export function containerView(resource: PolicyResource): ContainerView {
    const props = rawProps(resource);
    const image = imageOf(resource);
    const app = labelMap(props.labels).get("homelab.app");
    // The image decides a privileged role (gateway, proxy, media server: allow-lists hang off it). A client
    // is recognised by its image or, when the image cannot be read, by its app label or names, so a second
    // client cannot hide behind an unreadable image.
    let role: ContainerRole = (image && basenameRole(image.basename)) ?? "other";
    if (role === "other") {
        const dockerName = knownString(props.name) ?? "";
        for (const hint of [app ?? "", dockerName, resource.name]) {
            const hinted = basenameRole(hint.toLowerCase());
            if (hinted === "download-client" || (hinted === "arr" && !image)) {
                role = hinted;
                break;
            }
        }
    }
    return { resource, urn: resource.urn, name: resource.name, dockerName: knownString(props.name), props, image, app, role };
}

export function containersOf(resources: PolicyResource[]): ContainerView[] {
    return resources.filter((r) => r.type === CONTAINER_TYPE).map(containerView);
}

/** How a container's network namespace is set. */
export type Namespace =
    | { kind: "shared"; targets: ContainerView[]; value?: string }
    /** `container:<x>` but the graph does not say which container x is. */
    | { kind: "shared-unresolved"; value?: string }
    /** Its own namespace: bridge (default), host, none or a user-defined network. */
    | { kind: "own"; value: string }
    /** Unknown value and no dependency that proves where it points. */
    | { kind: "unknown" };

/**
 * The namespace a container joins. `networkMode: container:<id>` is unknown during preview, so the target is
 * read from `propertyDependencies.networkMode` (the container whose id was interpolated); a known value must
 * agree with it.
 */
export function namespaceOf(view: ContainerView, all: ContainerView[]): Namespace {
    const raw = view.props.networkMode;
    const value = knownString(raw);
    const byUrn = new Map(all.map((c) => [c.urn, c]));
    const targets = (view.resource.propertyDependencies["networkMode"] ?? [])
        .filter((d) => d.type === CONTAINER_TYPE)
        .map((d) => byUrn.get(d.urn) ?? containerView(d));
    if (value !== undefined) {
        if (!value.startsWith("container:")) return { kind: "own", value };
        if (targets.length > 0) return { kind: "shared", targets, value };
        const ref = value.slice("container:".length);
        const named = all.filter((c) => c !== view && c.dockerName === ref);
        return named.length > 0 ? { kind: "shared", targets: named, value } : { kind: "shared-unresolved", value };
    }
    if (isUnknown(raw)) return targets.length > 0 ? { kind: "shared", targets } : { kind: "unknown" };
    // Absent: Docker's default bridge.
    return { kind: "own", value: "bridge (default)" };
}

/** Containers that share another container's namespace, keyed by member URN. */
export function namespaceMembers(all: ContainerView[]): Array<{ member: ContainerView; ns: Namespace }> {
    return all
        .map((member) => ({ member, ns: namespaceOf(member, all) }))
        .filter(({ ns }) => ns.kind === "shared" || ns.kind === "shared-unresolved");
}

export function describe(view: ContainerView): string {
    const image = view.image ? ` (${view.image.ref})` : "";
    return `container '${view.name}'${image}`;
}

// ---------------------------------------------------------------------------------------------------------
// Ports, mounts and paths

export interface PortView {
    internal?: number;
    external?: number;
    /** undefined when absent (Docker binds all interfaces). */
    ip?: string;
    ipUnknown: boolean;
    protocol: string;
}

export function portsOf(view: ContainerView): PortView[] {
    return knownObjects(view.props.ports).map((p) => ({
        internal: knownNumber(p.internal),
        external: knownNumber(p.external) ?? knownNumber(p.internal),
        ip: knownString(p.ip),
        ipUnknown: isUnknown(p.ip),
        protocol: (knownString(p.protocol) ?? "tcp").toLowerCase(),
    }));
}

/** Binds every interface: ip absent or a wildcard address. An unknown ip is not provably specific either. */
export function isWildcardBind(port: PortView): boolean {
    if (port.ipUnknown) return true;
    const ip = (port.ip ?? "").trim().replace(/^\[|\]$/g, "");
    return ip === "" || ip === "0.0.0.0" || ip === "::" || ip === "0:0:0:0:0:0:0:0";
}

export function portLabel(port: PortView): string {
    return `${port.ip ?? "0.0.0.0"}:${port.external ?? "?"}->${port.internal ?? "?"}/${port.protocol}`;
}

export interface MountView {
    /** Host path of a bind mount. */
    hostPath?: string;
    /** Named volume. */
    volumeName?: string;
    containerPath?: string;
    readOnly: boolean;
    /** The source is unknown during preview. */
    sourceUnknown: boolean;
}

/** `volumes` and `mounts` in one shape. */
export function mountsOf(view: ContainerView): MountView[] {
    const fromVolumes = knownObjects(view.props.volumes).map((v) => ({
        hostPath: knownString(v.hostPath),
        volumeName: knownString(v.volumeName),
        containerPath: knownString(v.containerPath),
        readOnly: v.readOnly === true,
        sourceUnknown: isUnknown(v.hostPath) || isUnknown(v.volumeName),
    }));
    const fromMounts = knownObjects(view.props.mounts).map((m) => {
        const type = (knownString(m.type) ?? "").toLowerCase();
        const source = knownString(m.source);
        return {
            hostPath: type === "bind" ? source : undefined,
            volumeName: type === "volume" ? source : undefined,
            containerPath: knownString(m.target),
            readOnly: m.readOnly === true,
            sourceUnknown: isUnknown(m.source),
        };
    });
    return [...fromVolumes, ...fromMounts];
}

export function isUnder(p: string, root: string): boolean {
    const np = normalizePath(p);
    const nr = normalizePath(root);
    return nr === "/" || np === nr || np.startsWith(nr + "/");
}
