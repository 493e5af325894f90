/**
 * The single-host graph before stacks could span several hosts (test/fixtures/single-host-graph.json, recorded
 * from main at a520ba5, before the hosts merge): every resource's URN, parent and provider. A stack upgraded to this code must
 * see no resource replaced or re-parented and no container moved to another provider.
 */
import * as fs from "fs";
import * as path from "path";
import type { ProgramRun } from "../../scripts/mock-engine";

export type BaselineVariant = "default" | "backup" | "local";

interface Row {
    urn: string;
    parent: string;
    provider: string;
}

export function graphRows(run: ProgramRun): Row[] {
    return run.resources
        .map((r) => ({ urn: r.urn, parent: r.parent, provider: (r.provider ?? "").replace(/::[^:]*$/, "") }))
        .sort((a, b) => a.urn.localeCompare(b.urn));
}

export function recordedSingleHostGraph(variant: BaselineVariant): Row[] {
    const file = path.join(__dirname, "..", "fixtures", "single-host-graph.json");
    return (JSON.parse(fs.readFileSync(file, "utf8")) as Record<BaselineVariant, Row[]>)[variant];
}
