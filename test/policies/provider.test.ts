/** docker-provider-ssh-host-key: how the deploy reaches the Docker engine. */
import { judge, syntheticStack } from "./fixtures";

const POLICY = "docker-provider-ssh-host-key";

async function verdictFor(inputs: Record<string, unknown>) {
    const g = syntheticStack("preview");
    g.provider().serializedInputs = inputs;
    return judge(g.resources);
}

describe(POLICY, () => {
    it.each([
        ["ssh with a pinned known_hosts file", { host: "ssh://root@nas:22", sshOpts: JSON.stringify(["-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/home/me/.ssh/nas.known_hosts"]) }],
        ["ssh with default options (checking on)", { host: "ssh://deploy@nas" }],
        ["local mode over the unix socket", { host: "unix:///var/run/docker.sock" }],
        ["tcp with TLS client certificates", { host: "tcp://nas:2376", certPath: "/home/me/.docker" }],
        ["no host (local default socket)", {}],
    ])("accepts %s", async (_title, inputs) => {
        expect((await verdictFor(inputs)).all).toEqual([]);
    });

    it.each([
        ["StrictHostKeyChecking=no", { host: "ssh://root@nas", sshOpts: JSON.stringify(["-o", "StrictHostKeyChecking=no"]) }, "StrictHostKeyChecking=no"],
        ["-oStrictHostKeyChecking=no (list form)", { host: "ssh://root@nas", sshOpts: ["-oStrictHostKeyChecking=no"] }, "StrictHostKeyChecking=no"],
        ["UserKnownHostsFile=/dev/null", { host: "ssh://root@nas", sshOpts: JSON.stringify(["-o", "UserKnownHostsFile=/dev/null"]) }, "/dev/null"],
        ["plain tcp", { host: "tcp://192.168.1.10:2375" }, "without TLS"],
        ["an unknown scheme", { host: "fd://" }, "unsupported scheme"],
    ])("catches %s", async (_title, inputs, expected) => {
        const verdict = await verdictFor(inputs);
        expect(verdict.failed).toEqual([POLICY]);
        expect(verdict.mandatory[0].message).toContain(expected);
        expect(verdict.mandatory[0].urn).toContain("pulumi:providers:docker::homelab-docker");
    });
});
