/**
 * Fault injection for the emulator (`--fault-*` flags, `PUT /_emulator/faults`): a share of requests answered with
 * 429, 500 or 503, a reset connection, or added latency. Decided before a request is handled, so a faulted request
 * never has any effect on the tenant. Throttling (the token bucket) is a tenant rule and lives in server/throttle.ts.
 */
import type { ServerResponse } from "node:http";
import { Errors } from "../server/errors";
import { errorReply, type Reply } from "../server/http";

/** Fractions (0–1) of requests that fail, and latency added to every request. */
export interface FaultConfig {
    fault429: number;
    fault500: number;
    fault503: number;
    faultReset: number;
    latencyMs: number;
}

/** What to do with a request instead of handling it, if anything. */
export type FaultOutcome = "429" | "500" | "503" | "reset" | undefined;

export const NO_FAULTS: FaultConfig = { fault429: 0, fault500: 0, fault503: 0, faultReset: 0, latencyMs: 0 };

/** Command-line flag of each fault setting (emulator/main.ts parses them; tools that spawn the CLI build them). */
export const FAULT_CLI_FLAGS: Readonly<Record<keyof FaultConfig, string>> = {
    fault429: "--fault-429", fault500: "--fault-500", fault503: "--fault-503", faultReset: "--fault-reset", latencyMs: "--latency-ms",
};

/** Validates a (partial) fault configuration; returns the message of the first bad field. */
export function checkFaults(input: unknown): { ok: Partial<FaultConfig> } | { error: string; target: string } {
    if (input === null || typeof input !== "object" || Array.isArray(input)) return { error: "must be a JSON object", target: "body" };
    const out: Partial<FaultConfig> = {};
    for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
        if (!(k in NO_FAULTS)) return { error: `${k} is not a fault setting; expected one of ${Object.keys(NO_FAULTS).join(", ")}`, target: k };
        const max = k === "latencyMs" ? 60000 : 1;
        if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > max) return { error: `${k} must be a number 0–${max}`, target: k };
        out[k as keyof FaultConfig] = v;
    }
    return { ok: out };
}

/** Rolls the dice for one request. */
export function pickFault(f: FaultConfig, random: () => number = Math.random): FaultOutcome {
    let r = random();
    for (const [p, outcome] of [[f.fault429, "429"], [f.fault500, "500"], [f.fault503, "503"], [f.faultReset, "reset"]] as const) {
        if (r < p) return outcome;
        r -= p;
    }
    return undefined;
}

/**
 * The API server's `preflight` for injected faults: `faults.latencyMs` of delay, then, drawn per request, a 429, 500 or
 * 503 answer in the contract's error shape, or a connection reset (the socket destroyed, nothing answered). `faults` is
 * read on every request, so changing it (the emulator's admin route) applies at once. Used by the emulator and, in
 * tests, in front of the gateway.
 */
export function faultPreflight(faults: FaultConfig): (res: ServerResponse) => Promise<Reply | "reset" | undefined> {
    return async (res) => {
        if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
        switch (pickFault(faults)) {
            case "429": return errorReply(Errors.throttled(1));
            case "500": return errorReply(Errors.internal("Injected fault."));
            case "503": return errorReply(Errors.serviceUnavailable());
            case "reset":
                res.socket?.destroy();
                return "reset";
        }
        return undefined;
    };
}

