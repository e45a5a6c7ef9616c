/**
 * CLI: `npm run emulator -- --port <n> --data <dir> [--seed <file>] [--client-secret <s>]
 * [--users N] [--token-ttl s] [--rate r] [--fault-429 p] [--fault-500 p] [--fault-503 p]
 * [--fault-reset p] [--latency-ms ms]`. The first stdout line is exactly
 * `emulator listening on http://127.0.0.1:<port>` (tools wait for it). `--data` is the data directory: the tenants'
 * SQLite database `emulator.sqlite` (a directory of the former `tenant-<id>.json` files is imported once) and the
 * token signing key.
 */
import * as path from "node:path";
import { checkFaults, FAULT_CLI_FLAGS, type FaultConfig } from "./faults";
import { startEmulator, type EmulatorOptions } from "./server";

const USAGE = "usage: emulator --port <n> --data <dir> [--seed <file>] [--client-secret <s>] [--users N] [--token-ttl s] [--rate r] " +
    "[--fault-429 p] [--fault-500 p] [--fault-503 p] [--fault-reset p] [--latency-ms ms]";

/** Flag → fault setting. */
const FAULT_FLAGS: Record<string, keyof FaultConfig> = Object.fromEntries(
    Object.entries(FAULT_CLI_FLAGS).map(([key, flag]) => [flag, key as keyof FaultConfig]));

const KNOWN_FLAGS = new Set(["--port", "--data", "--seed", "--client-secret", "--users", "--token-ttl", "--rate", ...Object.keys(FAULT_FLAGS)]);

/** Parses argv into options; throws with a usage message on bad input. */
export function parseArgs(argv: string[]): EmulatorOptions {
    const opts: EmulatorOptions = { dataDir: path.resolve(".emulator-data"), port: 0 };
    const faults: Record<string, number> = {};
    const int = (flag: string, v: string | undefined, min: number): number => {
        const n = Number(v);
        if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer ≥ ${min}\n${USAGE}`);
        return n;
    };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        if (!KNOWN_FLAGS.has(flag)) throw new Error(`unknown flag ${flag}\n${USAGE}`);
        const v = argv[++i];
        if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
        switch (flag) {
            case "--port": opts.port = int(flag, v, 0); break;
            case "--data": opts.dataDir = path.resolve(v); break;
            case "--seed": opts.seed = path.resolve(v); break;
            case "--client-secret": opts.clientSecret = v; break;
            case "--users": opts.users = int(flag, v, 0); break;
            case "--token-ttl": opts.tokenTtlSeconds = int(flag, v, 1); break;
            case "--rate": {
                const r = Number(v);
                if (!(r >= 0)) throw new Error(`--rate needs a number ≥ 0 (0 disables throttling)\n${USAGE}`);
                opts.rate = r;
                break;
            }
            default:
                faults[FAULT_FLAGS[flag]] = Number(v);
        }
    }
    const checked = checkFaults(faults);
    if ("error" in checked) throw new Error(`${checked.target} ${checked.error}\n${USAGE}`);
    opts.faults = checked.ok;
    return opts;
}

async function main(): Promise<void> {
    let opts: EmulatorOptions;
    try {
        opts = parseArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(2);
    }
    // Scripts often read only the first line (`| head -1`) and close the pipe; the server must outlive its reader.
    process.stdout.on("error", (e: NodeJS.ErrnoException) => { if (e.code !== "EPIPE") throw e; });
    const emu = await startEmulator(opts);
    process.stdout.write(`emulator listening on ${emu.url}\n`);
    if (emu.clientSecret !== undefined) {
        process.stdout.write(`tenant contoso.example client-id demo-client client-secret ${emu.clientSecret}\n`);
    }
    let stopping = false;
    const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`${signal}: shutting down\n`);
        emu.close().then(() => process.exit(0), (e) => {
            process.stderr.write(`shutdown failed: ${(e as Error).message}\n`);
            process.exit(1);
        });
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
}

if (require.main === module) {
    main().catch((e) => {
        process.stderr.write(`emulator failed to start: ${(e as Error).stack ?? e}\n`);
        process.exit(1);
    });
}
