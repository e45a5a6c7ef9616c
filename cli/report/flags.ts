/**
 * The words `clientpolicy report` and `report merge` take in their list flags (`--format`, `--fail-on`), and the parser
 * of such a comma list.
 */
import { CliError } from "../errors";

/** Output formats of `--format`. */
export const FORMATS = ["md", "json"] as const;
export type Format = (typeof FORMATS)[number];

/** What `--fail-on` may list. */
export const FAIL_ON = ["drift", "pending", "error"] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** Parses a comma list against allowed words, naming the flag when a word is unknown. */
export function parseList<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
    const words = text.split(",").map((s) => s.trim()).filter(Boolean);
    if (words.length === 0) throw new CliError(`${flag}: expected a comma-separated list of ${allowed.join(", ")}, got nothing`);
    for (const w of words) if (!allowed.includes(w as T)) throw new CliError(`${flag}: ${JSON.stringify(w)} is not one of ${allowed.join(", ")}`);
    return [...new Set(words)] as T[];
}
