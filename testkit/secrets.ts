/**
 * The secret scan of the reliability suite and the e2e suites it runs (ownership, bad-input corpus): where to look
 * (files, CLI output, the emulator's log) and how to report a hit without printing the secret.
 */
import * as fs from "node:fs";
import type { TestTenant } from "./emulator";

/**
 * Looks for every secret in the files and in the named texts (CLI output, emulator log), case-insensitively.
 * Returns `secret → places` for each hit; a test asserts it is empty. The secrets themselves are never printed in
 * full: the key of the map is the secret's first 4 characters and its length.
 */
export function scanForSecrets(secrets: string[], files: string[], texts: Record<string, string>): Record<string, string[]> {
    const hits: Record<string, string[]> = {};
    const label = (s: string) => `${s.slice(0, 4)}… (${s.length} chars)`;
    const look = (text: string, where: string) => {
        const lower = text.toLowerCase();
        for (const s of secrets) if (lower.includes(s.toLowerCase())) (hits[label(s)] ??= []).push(where);
    };
    for (const f of files) look(fs.readFileSync(f).toString("utf8"), f);
    for (const [where, text] of Object.entries(texts)) look(text, where);
    return hits;
}

/**
 * Collects what an emulator started as a child process (`startTenant({ inProcess: false })`) prints from now on,
 * minus its startup banner's credentials line (`tenant … client-id … client-secret …`, emulator/main.ts): a local
 * test double announcing the demo credentials it was started with, for its user to configure; every line after it
 * (requests, faults, shutdown) is scanned.
 */
export function emulatorLog(tenant: TestTenant): () => string {
    let text = "";
    tenant.child?.stdout?.on("data", (d: Buffer) => { text += d; });
    tenant.child?.stderr?.on("data", (d: Buffer) => { text += d; });
    return () => text.split("\n").filter((l) => !/^tenant \S+ client-id \S+ client-secret \S+$/.test(l)).join("\n");
}

