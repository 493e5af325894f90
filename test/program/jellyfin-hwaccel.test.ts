/**
 * `homelab:jellyfinHardwareAcceleration` with a render group: Jellyfin (and only Jellyfin) gets /dev/dri
 * and the render group, and nothing becomes privileged.
 */
import { programOptions } from "../support/fixtures";
import { ProgramRun, runProgram } from "../../scripts/mock-engine";
import { container, containers, inputs } from "../support/graph";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions({ jellyfinHardwareAcceleration: true, renderGroupId: 105 }));
}, 30_000);

test("Jellyfin gets /dev/dri and the render group", () => {
    const jellyfin = inputs(container(run, "jellyfin"));
    expect(jellyfin.devices).toEqual([{ hostPath: "/dev/dri", containerPath: "/dev/dri" }]);
    expect(jellyfin.groupAdds).toEqual(["105"]);
    expect(jellyfin.privileged ?? false).toBe(false);
    expect(jellyfin.user).toBe("1000:1000");
});

test("no other container gets a GPU device or an extra group", () => {
    for (const [id, c] of containers(run)) {
        if (id === "jellyfin") continue;
        const args = inputs(c);
        expect(JSON.stringify(args.devices ?? [])).not.toContain("/dev/dri");
        expect(args.groupAdds ?? []).toEqual([]);
    }
});
