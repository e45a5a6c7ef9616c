/**
 * One `pulumi` process: the primitive behind the project-folder runner (testkit/projectFolder.ts) and the
 * Automation API helpers' secret config (testkit/stack.ts). Secret values go on stdin, never on a command line
 * (visible in `ps`, and echoed whole when a command fails).
 */
import { spawn } from "node:child_process";

/** Result of one `pulumi` command. */
export interface PulumiResult {
    code: number;
    stdout: string;
    stderr: string;
    /** stdout and stderr together. */
    output: string;
}

/**
 * Runs `pulumi <args> --non-interactive` in `dir`. Never throws on a non-zero exit (check `code`); rejects only when the
 * process cannot be started. `input` goes to stdin; `echo` copies output to this process's stdout/stderr as it arrives.
 */
export function runPulumi(dir: string, env: NodeJS.ProcessEnv, args: string[], opts: { input?: string; echo?: boolean } = {}): Promise<PulumiResult> {
    return new Promise<PulumiResult>((resolve, reject) => {
        const child = spawn("pulumi", [...args, "--non-interactive"], { cwd: dir, env, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let output = "";
        child.stdout!.on("data", (d: Buffer) => { stdout += d; output += d; if (opts.echo) process.stdout.write(d); });
        child.stderr!.on("data", (d: Buffer) => { stderr += d; output += d; if (opts.echo) process.stderr.write(d); });
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, output }));
        if (opts.input !== undefined) child.stdin!.end(opts.input);
    });
}
