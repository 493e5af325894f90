/**
 * What the Pulumi engine does with one wiring resource over its life, through the real dynamic-provider host:
 * `up` (check, then create, or diff and update when the diff finds a change), `refresh` (read) and `destroy`
 * (delete). Inputs are plain JS, as the engine sends them to a host that does not accept secrets.
 */
import { DynamicProviderHost, Props, grpcMessage } from "./dynamic-provider-host";
import { freePort } from "./sshd";

export interface Deployed {
    id: string;
    /** The outputs the engine keeps in its state. */
    props: Props;
    /** The inputs a refresh handed back (what the app holds), shown against the program's in the next preview. */
    inputs?: Props;
}

export interface UpResult {
    state: Deployed;
    /** What the engine did: create, update, or nothing (the diff found no change). */
    operation: "create" | "update" | "same";
}

export async function up(host: DynamicProviderHost, inputs: Props, previous?: Deployed): Promise<UpResult> {
    const checked = await host.check(previous?.inputs ?? previous?.props ?? {}, inputs);
    if (checked.failures.length > 0) throw new Error(checked.failures.map((f) => f.reason).join("; "));
    if (!previous) return { state: await host.create(checked.inputs), operation: "create" };
    const diff = await host.diff(previous.id, previous.props, checked.inputs);
    if (diff.changes === "none") return { state: previous, operation: "same" };
    if (diff.replaces.length > 0) throw new Error(`the diff asks to replace the resource (${diff.replaces.join(", ")})`);
    return { state: { id: previous.id, props: await host.update(previous.id, previous.props, checked.inputs) }, operation: "update" };
}

/** `pulumi refresh`: the stored observed state becomes what the app holds now. */
export async function refresh(host: DynamicProviderHost, state: Deployed): Promise<Deployed> {
    const read = await host.read(state.id, state.props, state.inputs ?? state.props);
    return { id: read.id, props: read.props, inputs: read.inputs };
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
        return { message: grpcMessage(err), ms: Date.now() - started };
    }
    throw new Error("expected a failure, but it succeeded");
}

/** A loopback port nothing listens on. */
export const closedPort = freePort;
