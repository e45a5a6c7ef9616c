/**
 * The shell runner: a pool of long-lived Management Shell processes fed {@link ShellRequest}s on stdin and answering
 * JSON lines (api/powershell/protocol.ts). Opening a Skype for Business session is slow and remote sessions are limited per
 * user, so processes are kept and reused; one request runs in one process at a time. A process that exits, prints a
 * line that is not protocol, or answers another request id is killed and replaced, and its request fails with 503; a
 * process that does not answer within the timeout is killed and replaced, and its request fails with 504. Either way
 * the gateway never reports a write it did not see confirmed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { Errors } from "../server/errors";
import { parseShellMessage, type CommandResult, type LineResult, type ShellCommand, type ShellRequest } from "../api/powershell/protocol";

/** What the gateway needs from a shell: run commands and get confirmed results. */
export interface ShellRunner {
    /**
     * Runs `commands`; resolves with one result per command. Rejects with an `ApiError`: ServiceUnavailable (503) when
     * the shell died or broke the protocol (it is replaced), GatewayTimeout (504) when it did not answer in time.
     */
    run(commands: ShellCommand[], opts?: { stopOnError?: boolean }): Promise<CommandResult[]>;
    /** Stops every shell process. */
    close(): Promise<void>;
}

/** How to start one shell process. */
export interface ShellProcessSpec {
    /** Executable, e.g. `powershell.exe` or `pwsh`, or `node` for the stand-in. */
    command: string;
    args: string[];
    /** Extra environment (merged over the gateway's). */
    env?: Record<string, string>;
    cwd?: string;
}

/** Options of {@link ShellPool}. */
export interface ShellPoolOptions {
    shell: ShellProcessSpec;
    /** Processes kept (default 2). */
    size?: number;
    /** Milliseconds a request may take before the shell is declared hung: base (default 60000) … */
    commandTimeoutMs?: number;
    /** … plus this much per command of the request (default 50), so a 5,000-user resolution gets its time. */
    perLineTimeoutMs?: number;
    /** Milliseconds a new process has to print its ready line (default 120000: importing the module is slow). */
    startTimeoutMs?: number;
    /** Told about replacements and stderr output (never secrets: the shell's stderr is the shell's). */
    log?: (event: string, detail: Record<string, unknown>) => void;
}

type Pending = { resolve: (r: LineResult[]) => void; reject: (e: Error) => void; id: number; timer: NodeJS.Timeout };

/** One shell process. */
class ShellProcess {
    private readonly child: ChildProcessWithoutNullStreams;
    readonly ready: Promise<void>;
    private pending?: Pending;
    private nextId = 1;
    dead = false;

    constructor(cmd: ShellProcessSpec, startTimeoutMs: number, private readonly onDeath: (p: ShellProcess, why: string) => void, log: ShellPoolOptions["log"]) {
        this.child = spawn(cmd.command, cmd.args, { cwd: cmd.cwd, env: { ...process.env, ...cmd.env }, stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
        let markReady: () => void;
        let failStart: (e: Error) => void;
        this.ready = new Promise<void>((res, rej) => { markReady = res; failStart = rej; });
        this.ready.catch(() => undefined);
        const startTimer = setTimeout(() => this.die("did not start in time", failStart), startTimeoutMs);
        let started = false;
        createInterface({ input: this.child.stdout }).on("line", (line) => {
            const msg = parseShellMessage(line);
            if (!started) {
                if (msg && "ready" in msg) {
                    started = true;
                    clearTimeout(startTimer);
                    markReady();
                } else this.die(`printed ${JSON.stringify(line.slice(0, 80))} before its ready line`, failStart);
                return;
            }
            const p = this.pending;
            if (!msg || "ready" in msg || !p || msg.id !== p.id) {
                this.die(`answered outside the protocol: ${JSON.stringify(line.slice(0, 80))}`);
                return;
            }
            this.pending = undefined;
            clearTimeout(p.timer);
            p.resolve(msg.results);
        });
        this.child.stderr.on("data", (d: Buffer) => log?.("shell-stderr", { pid: this.child.pid, text: d.toString("utf8").slice(0, 500) }));
        this.child.on("error", (e) => this.die(`could not run ${cmd.command}: ${e.message}`, failStart!));
        this.child.on("exit", (code, signal) => this.die(`exited (${signal ?? `code ${code}`})`, failStart!));
        this.child.stdin.on("error", () => undefined);
    }

    /** Kills the process (if alive) and fails whatever was waiting on it. */
    die(why: string, failStart?: (e: Error) => void, error = Errors.shellUnavailable(`the shell ${why}`)): void {
        if (this.dead) return;
        this.dead = true;
        failStart?.(error);
        const p = this.pending;
        this.pending = undefined;
        if (p) {
            clearTimeout(p.timer);
            p.reject(error);
        }
        if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
        this.onDeath(this, why);
    }

    run(commands: ShellCommand[], stopOnError: boolean, timeoutMs: number): Promise<LineResult[]> {
        if (this.dead) return Promise.reject(Errors.shellUnavailable("the shell died"));
        return new Promise((resolve, reject) => {
            const id = this.nextId++;
            const timer = setTimeout(() => this.die("did not answer in time", undefined, Errors.gatewayTimeout(Math.round(timeoutMs / 1000))), timeoutMs);
            this.pending = { resolve, reject, id, timer };
            const req: ShellRequest = { id, commands, stopOnError };
            this.child.stdin.write(JSON.stringify(req) + "\n");
        });
    }

    /** Ends the process: stdin closes (the host loop ends), then a kill after a grace period. */
    async stop(): Promise<void> {
        if (this.dead) return;
        const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
        this.dead = true;
        this.child.stdin.end();
        const t = setTimeout(() => this.child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(t);
    }
}

/** A pool of shell processes behind {@link ShellRunner}. */
export class ShellPool implements ShellRunner {
    private readonly idle: ShellProcess[] = [];
    private readonly all = new Set<ShellProcess>();
    private readonly waiters: Array<{ give: (p: ShellProcess) => void; fail: (e: Error) => void }> = [];
    private closed = false;
    private startFailures = 0;
    /** Processes replaced after dying or hanging, since start. */
    replaced = 0;
    /** Replacements spawned and not yet ready (or failed). */
    private starting = 0;
    private readonly fullWaiters: Array<() => void> = [];

    constructor(private readonly opts: ShellPoolOptions) {}

    /** Starts the processes and waits until every one is ready; rejects with the first start failure. */
    async start(): Promise<void> {
        const procs = Array.from({ length: this.opts.size ?? 2 }, () => this.spawn());
        await Promise.all(procs.map((p) => p.ready));
        for (const p of procs) this.release(p);
    }

    private spawn(): ShellProcess {
        const p = new ShellProcess(this.opts.shell, this.opts.startTimeoutMs ?? 120000, (dead, why) => this.onDeath(dead, why), this.opts.log);
        this.all.add(p);
        return p;
    }

    private onDeath(p: ShellProcess, why: string): void {
        this.all.delete(p);
        const i = this.idle.indexOf(p);
        if (i >= 0) this.idle.splice(i, 1);
        if (this.closed) return;
        this.replaced++;
        this.opts.log?.("shell-replaced", { why });
        // A shell that cannot even start (bad path, broken module) is retried with a growing pause, not in a tight loop.
        const wait = Math.min(5000, 100 * 2 ** Math.min(this.startFailures, 6));
        this.starting++;
        setTimeout(() => {
            if (this.closed) return;
            const next = this.spawn();
            next.ready.then(() => { this.startFailures = 0; this.starting--; this.release(next); this.notifyFull(); }, () => { this.startFailures++; this.starting--; });
        }, this.startFailures === 0 ? 0 : wait).unref();
    }

    private notifyFull(): void {
        if (this.starting > 0) return;
        for (const w of this.fullWaiters.splice(0)) w();
    }

    /**
     * Resolves when no replacement is starting any more (every process of the pool is up again). A request that
     * arrives while replacements start may wait for one up to the command timeout and then answers 503 "no shell
     * became free"; callers that must not meet that window (tests injecting one fault after another) wait here first.
     */
    whenFull(): Promise<void> {
        if (this.starting === 0 || this.closed) return Promise.resolve();
        return new Promise((r) => this.fullWaiters.push(r));
    }

    private release(p: ShellProcess): void {
        if (p.dead || this.closed) return;
        const w = this.waiters.shift();
        if (w) w.give(p);
        else this.idle.push(p);
    }

    /**
     * An idle shell, waiting for one to be released or started; after the command timeout without one (every shell busy
     * or failing to start) the request is answered 503 rather than left waiting.
     */
    private acquire(): Promise<ShellProcess> {
        if (this.closed) return Promise.reject(Errors.shellUnavailable("the gateway is shutting down"));
        const p = this.idle.shift();
        if (p) return Promise.resolve(p);
        return new Promise((resolve, reject) => {
            const waiter = {
                give: (shell: ShellProcess) => { clearTimeout(timer); resolve(shell); },
                fail: (e: Error) => { clearTimeout(timer); reject(e); },
            };
            const timer = setTimeout(() => {
                const i = this.waiters.indexOf(waiter);
                if (i >= 0) this.waiters.splice(i, 1);
                reject(Errors.shellUnavailable("no shell became free in time"));
            }, this.opts.commandTimeoutMs ?? 60000);
            this.waiters.push(waiter);
        });
    }

    async run(commands: ShellCommand[], opts: { stopOnError?: boolean } = {}): Promise<LineResult[]> {
        if (commands.length === 0) return [];
        const p = await this.acquire();
        const timeout = (this.opts.commandTimeoutMs ?? 60000) + commands.length * (this.opts.perLineTimeoutMs ?? 50);
        try {
            return await p.run(commands, opts.stopOnError ?? true, timeout);
        } finally {
            this.release(p);
        }
    }

    async close(): Promise<void> {
        this.closed = true;
        for (const w of this.waiters.splice(0)) w.fail(Errors.shellUnavailable("the gateway is shutting down"));
        for (const w of this.fullWaiters.splice(0)) w();
        await Promise.all([...this.all].map((p) => p.stop()));
    }
}
