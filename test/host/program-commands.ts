/**
 * `node -r scripts/register-ts.js test/host/program-commands.ts '<config JSON>' '<secret keys JSON>'`: the program
 * under the mock engine in a process of its own (the program is imported once per process), printing the
 * create/delete strings of its remote commands as JSON, secrets revealed (for host suites that need a second
 * configuration of the program).
 */
import { readableInputs, runProgram } from "../../scripts/mock-engine";

async function main(): Promise<void> {
    const [config, secretKeys] = process.argv.slice(2).map((a) => JSON.parse(a) as unknown);
    const run = await runProgram({ config: config as Record<string, unknown>, secretKeys: secretKeys as string[], preview: false, revealSecrets: true });
    const commands = Object.fromEntries(run.resources.filter((r) => r.type === "command:remote:Command").map((r) => {
        const inputs = readableInputs(r.serializedInputs, true) as { create: string; delete: string; stdin?: string };
        return [r.name, { create: inputs.create, delete: inputs.delete, stdin: inputs.stdin }];
    }));
    process.stdout.write(JSON.stringify(commands));
}

main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
});
