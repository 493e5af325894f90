/**
 * What the Pulumi engine does with one wiring resource over its life, through the real dynamic-provider host:
 * `up` (check, then create, or diff and update when the diff finds a change), `refresh` (read) and `destroy`
 * (delete). Inputs are plain JS, as the engine sends them to a host that does not accept secrets.
 */
import * as net from "node:net";
import { DynamicProviderHost, Props } from "../support/dynamic-provider-host";

export interface Deployed { id: string; props: Props }
export interface UpResult { state: Deployed; operation: "create" | "update" | "same" }

export async function up(host: DynamicProviderHost, inputs: Props, previous?: Deployed): Promise<UpResult> {
    const checked = await host.check(previous?.props ?? {}, inputs);
    if (checked.failures.length > 0) throw new Error(checked.failures.map((f) => f.reason).join("; "));
    if (!previous) return { state: await host.create(checked.inputs), operation: "create" };
    const diff = await host.diff(previous.id, previous.props, checked.inputs);
    if (diff.changes === "none") return { state: previous, operation: "same" };
    return { state: { id: previous.id, props: await host.update(previous.id, previous.props, checked.inputs) }, operation: "update" };
}

/** `pulumi refresh`: the stored observed state becomes what the app holds now. */
export async function refresh(host: DynamicProviderHost, state: Deployed): Promise<Deployed> {
    const read = await host.read(state.id, state.props, state.props);
    return { id: read.id, props: read.props };
}

export async function destroy(host: DynamicProviderHost, state: Deployed): Promise<void> {
    await host.delete(state.id, state.props);
}

/** Runs `fn` expecting a failure; the message as the CLI prints it and how long it took. */
export async function failure(fn: () => Promise<unknown>): Promise<{ message: string; ms: number }> {
    const started = Date.now();
    try {
        await fn();
    } catch (err) {
        const e = err as { details?: string; message?: string };
        return { message: e.details ?? e.message ?? String(err), ms: Date.now() - started };
    }
    throw new Error("expected a failure, but it succeeded");
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}
