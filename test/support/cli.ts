/** The project's CLIs (scripts/<name>.ts) run as `npm run <name>` runs them, in a child process. */
import { spawn } from "child_process";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

export interface CliRun { status: number | null; stdout: string; stderr: string }

export function cli(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["-r", path.join(ROOT, "scripts", "register-ts.js"), path.join(ROOT, "scripts", `${script}.ts`), ...args],
            { env: { ...process.env, ...env } });
        let stdout = "", stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c));
        child.stderr.on("data", (c: Buffer) => (stderr += c));
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}
