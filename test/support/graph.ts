/**
 * Helpers that read the recorded resource graph the way a reviewer would: find a container by the name
 * Docker will show, read its env, ports and mounts, and reveal stack outputs that are secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import { CapturedResource, isSecretEnvelope, ProgramRun, readableInputs } from "../../scripts/mock-engine";

export const CONTAINER = "docker:index/container:Container";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const REMOTE_COMMAND = "command:remote:Command";
export const DOCKER_PROVIDER = "pulumi:providers:docker";

export interface Port { internal: number; external: number; ip: string; protocol: string }
export interface Mount { hostPath?: string; volumeName?: string; containerPath: string; readOnly?: boolean }
export interface ContainerInputs {
    name: string;
    image: string;
    networkMode?: string;
    networksAdvanced?: { name: string; aliases?: string[]; ipv4Address?: string }[];
    hostname?: string;
    dns?: string[];
    ports?: Port[];
    volumes?: Mount[];
    envs?: string[];
    restart?: string;
    healthcheck?: { tests: string[]; interval: string; timeout: string; retries: number; startPeriod: string };
    securityOpts?: string[];
    memory?: number;
    logDriver?: string;
    logOpts?: Record<string, string>;
    devices?: { hostPath: string; containerPath: string }[];
    groupAdds?: string[];
    capabilities?: { adds?: string[]; drops?: string[] };
    uploads?: { file: string; content: string }[];
    user?: string;
    privileged?: boolean;
}

export function ofType(run: ProgramRun, type: string): CapturedResource[] {
    return run.resources.filter((r) => r.type === type);
}

/** Containers keyed by their Docker name (the app id). */
export function containers(run: ProgramRun): Map<string, CapturedResource> {
    return new Map(ofType(run, CONTAINER).map((r) => [String(r.serializedInputs.name), r]));
}

export function container(run: ProgramRun, name: string): CapturedResource {
    const found = containers(run).get(name);
    if (!found) throw new Error(`no container named ${name}; have ${[...containers(run).keys()].join(", ")}`);
    return found;
}

/** Readable inputs: secrets "[secret]" unless revealed, unknowns "[unknown]". */
export function inputs(resource: CapturedResource, reveal = false): ContainerInputs {
    return readableInputs(resource.serializedInputs, reveal) as ContainerInputs;
}

export interface EnvVar { value: string; secret: boolean }

/** A container's environment as name -> value, remembering which entries travel as secrets. */
export function envOf(resource: CapturedResource): Map<string, EnvVar> {
    const envs = (resource.serializedInputs.envs ?? []) as unknown[];
    const vars = new Map<string, EnvVar>();
    for (const entry of envs) {
        const secret = isSecretEnvelope(entry);
        const text = String(readableInputs(entry, true));
        const eq = text.indexOf("=");
        vars.set(text.slice(0, eq), { value: text.slice(eq + 1), secret });
    }
    return vars;
}

export function env(resource: CapturedResource, name: string): string | undefined {
    return envOf(resource).get(name)?.value;
}

export function portsOf(resource: CapturedResource): Port[] {
    return inputs(resource).ports ?? [];
}

export function upload(resource: CapturedResource, file: string): { raw: unknown; revealed: string } {
    const uploads = (resource.serializedInputs.uploads ?? []) as { file: string; content: unknown }[];
    const found = uploads.find((u) => u.file === file);
    if (!found) throw new Error(`${resource.name} uploads no ${file}`);
    return { raw: found.content, revealed: String(readableInputs(found.content, true)) };
}

/** Everything about a resource that is not inside a secret envelope, as one searchable string. */
export function nonSecretText(resource: CapturedResource): string {
    return JSON.stringify({ ...resource, serializedInputs: readableInputs(resource.serializedInputs, false) });
}

/** The resolved value of a (possibly secret) stack output, read from the program module itself. */
export async function revealOutput<T>(value: pulumi.Output<T> | T): Promise<T> {
    if (!pulumi.Output.isInstance(value)) return value as T;
    return (value as unknown as { promise(withUnknowns?: boolean): Promise<T> }).promise(true);
}

/** The program's module as evaluated by `runProgram` (same module registry, so no second evaluation). */
export function programModule(): Record<string, unknown> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("../../index") as Record<string, unknown>;
}
