/**
 * Masking of what a report prints: stack secrets and `--mask` patterns become `[masked]` in every string, before
 * anything is written.
 */
import { CliError } from "../errors";

/** Replaces every secret value and `--mask` match in every string of a value (deep). */
export class Masker {
    private readonly literals = new Set<string>();
    constructor(private readonly patterns: RegExp[] = []) {}

    /** Adds a secret value (values shorter than 4 characters would mask ordinary words; they are still masked). */
    addSecret(value: string): void {
        if (value) this.literals.add(value);
    }

    text(s: string): string {
        let out = s;
        for (const v of [...this.literals].sort((a, b) => b.length - a.length)) {
            out = out.split(v).join("[masked]");
            const escaped = JSON.stringify(v).slice(1, -1);
            if (escaped !== v) out = out.split(escaped).join("[masked]");
        }
        for (const p of this.patterns) out = out.replace(p, "[masked]");
        return out;
    }

    deep<T>(v: T): T {
        if (typeof v === "string") return this.text(v) as T;
        if (Array.isArray(v)) return v.map((x) => this.deep(x)) as T;
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.deep(x)])) as T;
        return v;
    }
}

/** Compiles `--mask` patterns (JavaScript regular expressions), naming the bad one. */
export function maskPatterns(patterns: readonly string[]): RegExp[] {
    return patterns.map((p) => {
        try {
            return new RegExp(p, "g");
        } catch (e) {
            throw new CliError(`--mask ${JSON.stringify(p)}: not a valid regular expression (${(e as Error).message})`);
        }
    });
}
