/**
 * `--shard i/n`: a stable subset of the stacks. A stack belongs to shard `1 + (first 32 bits of sha256(name)) mod n`,
 * so its shard depends only on its own name and n: adding or removing other stacks never moves it, and the shards of
 * one n partition the fleet.
 */
import * as crypto from "node:crypto";
import { CliError } from "../errors";

/** Parsed `--shard` value (1-based index). */
export interface Shard {
    index: number;
    count: number;
}

/** Parses `i/n` (1 ≤ i ≤ n ≤ 1000). */
export function parseShard(text: string): Shard {
    const m = /^(\d+)\/(\d+)$/.exec(text.trim());
    const index = m ? Number(m[1]) : NaN;
    const count = m ? Number(m[2]) : NaN;
    if (!m || count < 1 || count > 1000 || index < 1 || index > count) {
        throw new CliError(`--shard: expected i/n with 1 ≤ i ≤ n ≤ 1000 (e.g. 2/4), got ${JSON.stringify(text)}`);
    }
    return { index, count };
}

/** The shard (1-based) a stack belongs to among `count`. */
export function shardOf(stack: string, count: number): number {
    return 1 + (crypto.createHash("sha256").update(stack).digest().readUInt32BE(0) % count);
}

/** The stacks of one shard, in the given order. */
export function pickShard(stacks: readonly string[], shard: Shard): string[] {
    return stacks.filter((s) => shardOf(s, shard.count) === shard.index);
}
