/**
 * The pending plan of a stack (what `pulumi preview` would do) as CsClientPolicy cmdlet lines, for change boards that
 * approve cmdlets. Input: the engine's step events of a preview (Automation API `onEvent`), in the order the engine
 * would apply them, and the tenant's live policies. Output: one `#` comment per resource, then its lines:
 *
 * - ClientPolicy create / update (a `pulumi up` makes the tenant hold exactly the declared settings):
 *   `New-CsClientPolicy` with the declared settings when the policy does not exist; otherwise `Set-CsClientPolicy`
 *   with only the parameters whose live value differs (`$null` for a live setting the program leaves out).
 * - ClientPolicy delete: `Remove-CsClientPolicy` (`-Force` with `forceDeleteWhenGranted`; Global is reset).
 * - PolicyGrant: `Grant-CsClientPolicy -Identity <user> -PolicyName <name>` per user granted, `-PolicyName $null` per
 *   user unassigned.
 *
 * Parameter names are the catalogue's wire names (PascalCase, as Set-CsClientPolicy spells them); values are rendered by
 * `renderCmdlet` in api/cmdlets.ts and comments by `psComment` (api/powershell/emit.ts): resource names, identities and
 * user names come from the program, and a line break in one must never start a line of code in a change-board script. PolicyEntry needs PowerShell the shared grammar does not cover (a variable and a
 * hashtable, as the cmdlet reference shows: `$x = New-CsClientPolicyEntry …; Set-CsClientPolicy -PolicyEntry @{Add=$x}`);
 * those lines are written as such and listed in {@link CmdletPlan.notes}.
 */
import { isDeepStrictEqual } from "node:util";
import { SETTINGS, camelName, SettingDef } from "../../api/catalogue";
import { PsValue, renderCmdlet } from "../../api/cmdlets";
import { psAssignment, psCommand, psComment } from "../../api/powershell/emit";
import { WirePolicy } from "../../api/contract";
import { foldIdentity, isIdentityError, parseGrantPolicyName, parsePolicyIdentity, samePolicy } from "../../api/identity";
import { UNKNOWN } from "../../provider/values";
import { canonicalValue } from "../../provider/settings";
import { listedUsers } from "../../provider/resources/grantUsers";

/** The parts of an engine step event this module reads (Automation API `resourcePreEvent.metadata`). */
export interface StepMetadata {
    op: string;
    urn: string;
    type: string;
    old?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | null;
    new?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | null;
}

/** Reads a policy from the tenant as it is now (wire form), or undefined when it does not exist. */
export type LiveLookup = (identity: string) => Promise<WirePolicy | undefined>;

/** The rendered plan. */
export interface CmdletPlan {
    /** Comment and cmdlet lines, in apply order. */
    readonly lines: string[];
    /** Cmdlet lines (not comments), counted. */
    readonly commands: number;
    /** Things the reader must know (secret or unknown values not written, PolicyEntry lines beyond the shared grammar). */
    readonly notes: string[];
}

const TYPE_RE = /^pulumi-nodejs:dynamic\/clientpolicy:(ClientPolicy|PolicyGrant)$/;
const SECRET = "[secret]";

/** Our resources' steps from a preview's events, in event order ("same", "read" and "refresh" steps change nothing). */
export function stepsFromEvents(events: ReadonlyArray<{ resourcePreEvent?: { metadata: StepMetadata } }>): StepMetadata[] {
    return events.map((e) => e.resourcePreEvent?.metadata).filter((m): m is StepMetadata =>
        !!m && TYPE_RE.test(m.type) && !["same", "read", "refresh", "replace", "discard", "discard-replaced", "read-replacement", "import", "import-replacement"].includes(m.op));
}

const resourceName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** A setting's canonical wire value from a resource-form value, or null when unset. */
function wireOf(def: SettingDef, value: unknown, form: "input" | "wire"): unknown {
    return canonicalValue(def, value, form);
}

/**
 * Builds the lines for one stack's plan. `tenantRead` false: the steps compare the program with the recorded state
 * only (no refresh), so "no changes" says that rather than claiming the tenant matches.
 */
export async function planToCmdlets(steps: readonly StepMetadata[], live: LiveLookup, opts: { tenantRead?: boolean } = {}): Promise<CmdletPlan> {
    const lines: string[] = [];
    const notes: string[] = [];
    let commands = 0;
    const emit = (line: string) => { lines.push(line); if (!line.startsWith("#")) commands++; };

    for (const step of steps) {
        const kind = TYPE_RE.exec(step.type)![1];
        const name = resourceName(step.urn);
        const news = step.new?.inputs ?? {};
        const olds = step.old?.outputs ?? {};
        const creating = step.op === "create" || step.op === "create-replacement";
        const deleting = step.op === "delete" || step.op === "delete-replaced";
        if (kind === "ClientPolicy") {
            if (deleting) {
                const identity = String(olds.identity ?? step.old?.inputs?.identity);
                lines.push(psComment(`ClientPolicy "${name}": ${step.op} ${identity}${identity === "Global" ? " (Global cannot be removed: this resets it to the documented defaults)" : ""}`));
                emit(renderCmdlet("Remove-CsClientPolicy", [["Identity", identity], ...(olds.forceDeleteWhenGranted === true ? [["Force", true] as [string, PsValue]] : [])]));
                continue;
            }
            const parsed = parsePolicyIdentity(news.identity);
            if (news.identity === UNKNOWN || isIdentityError(parsed)) {
                lines.push(psComment(`ClientPolicy "${name}": ${step.op} — identity not known before apply; no lines written`));
                notes.push(`ClientPolicy "${name}": its identity is known only after apply, so its lines are missing`);
                continue;
            }
            const identity = parsed.canonical;
            const current = await live(identity);
            const params: Array<[string, PsValue]> = [];
            let entries: Array<{ name: string; value: string }> | null | undefined;
            for (const def of SETTINGS) {
                const key = camelName(def.name);
                const declared = news[key];
                if (declared === UNKNOWN || declared === SECRET) {
                    notes.push(`ClientPolicy "${name}": ${key} is ${declared === SECRET ? "secret" : "known only after apply"}; its parameter is not written`);
                    continue;
                }
                const want = wireOf(def, declared, "input");
                const have = current ? wireOf(def, current[def.name], "wire") : null;
                if (isDeepStrictEqual(want, have)) continue;
                if (def.kind === "policyEntry") {
                    entries = want === null ? null : (want as Array<{ Name: string; Value: string }>).map((e) => ({ name: e.Name, value: e.Value }));
                    continue;
                }
                params.push([def.name, want as PsValue]);
            }
            const verb = current ? "Set-CsClientPolicy" : "New-CsClientPolicy";
            const what = current ? `${params.length + (entries !== undefined ? 1 : 0)} changed setting(s)` : "new policy";
            lines.push(psComment(`ClientPolicy "${name}": ${step.op} ${identity} — ${what}`));
            if (current && params.length === 0 && entries === undefined) {
                lines.push(psComment("  settings already as declared (the update records this stack as the owner only)"));
            } else if (!current || params.length > 0) {
                emit(renderCmdlet(verb, [["Identity", identity], ...params]));
            }
            if (entries !== undefined) {
                // The list is replaced as a whole, as the provider writes it.
                if (current && wireOf(SETTINGS_BY_KIND.policyEntry, current.PolicyEntry, "wire") !== null) emit(renderCmdlet("Set-CsClientPolicy", [["Identity", identity], ["PolicyEntry", null]]));
                for (const e of entries ?? []) {
                    lines.push(psAssignment("entry", psCommand("New-CsClientPolicyEntry", [["Name", e.name], ["Value", e.value]])));
                    // The hashtable around the variable is fixed text; only the identity comes from data.
                    lines.push(`${renderCmdlet("Set-CsClientPolicy", [["Identity", identity]])} -PolicyEntry @{Add=$entry}`);
                    commands += 2;
                }
                if ((entries ?? []).length > 0) {
                    notes.push(`ClientPolicy "${name}": PolicyEntry is written as New-CsClientPolicyEntry and -PolicyEntry @{Add=$entry} ` +
                        "(real PowerShell; beyond the one-line grammar of the emulator's PowerShell endpoint)");
                }
            }
            continue;
        }
        // PolicyGrant
        // `users` is a list (outputs, older inputs) or keyed by user (inputs; provider/resources/grantUsers.ts).
        const spellings = (p: Record<string, unknown>): string[] =>
            typeof p.user === "string" ? [p.user] : (listedUsers(p.users) ?? []).filter((u): u is string => typeof u === "string" && u !== SECRET && u !== UNKNOWN);
        const policyOf = (v: unknown) => {
            if (v === UNKNOWN || v === SECRET) return undefined; // the sentinels are valid-looking names: never take them for one
            const p = parseGrantPolicyName(v);
            return isIdentityError(p) ? undefined : p.name;
        };
        const oldPolicy = policyOf(olds.policyName);
        const oldResolved = Array.isArray(olds.resolvedUsers) ? olds.resolvedUsers as Array<{ sipAddress?: string; requestedAs?: string }> : [];
        const oldUsers = oldResolved.length > 0 ? oldResolved.map((u) => ({ key: foldIdentity(String(u.requestedAs ?? "")), id: u.sipAddress ?? u.requestedAs ?? "" }))
            : spellings(olds).map((s) => ({ key: foldIdentity(s), id: s }));
        if (deleting) {
            lines.push(psComment(`PolicyGrant "${name}": ${step.op} — unassign Tag:${oldPolicy} from ${oldUsers.length} user(s)`));
            for (const u of oldUsers) emit(renderCmdlet("Grant-CsClientPolicy", [["Identity", u.id], ["PolicyName", null]]));
            continue;
        }
        const newPolicy = policyOf(news.policyName);
        const wanted = spellings(news);
        if (!newPolicy || news.users === UNKNOWN || news.user === UNKNOWN || news.users === SECRET || news.user === SECRET ||
            (listedUsers(news.users) ?? []).some((u) => u === UNKNOWN || u === SECRET)) {
            lines.push(psComment(`PolicyGrant "${name}": ${step.op} — policy or users not known before apply (or secret); no lines written`));
            notes.push(`PolicyGrant "${name}": its policy or users are known only after apply (or are secret), so its lines are missing`);
            continue;
        }
        const policyChanged = creating || !oldPolicy || !samePolicy(oldPolicy, newPolicy);
        const oldKeys = new Set(oldUsers.map((u) => u.key));
        const toGrant = policyChanged ? wanted : wanted.filter((s) => !oldKeys.has(foldIdentity(s)));
        const wantedKeys = new Set(wanted.map((s) => foldIdentity(s)));
        const toUnassign = oldUsers.filter((u) => !wantedKeys.has(u.key));
        lines.push(psComment(`PolicyGrant "${name}": ${step.op} — grant Tag:${newPolicy} to ${toGrant.length} user(s)` +
            (toUnassign.length > 0 ? `, unassign ${toUnassign.length}` : "")));
        for (const s of toGrant) emit(renderCmdlet("Grant-CsClientPolicy", [["Identity", s], ["PolicyName", newPolicy]]));
        for (const u of toUnassign) emit(renderCmdlet("Grant-CsClientPolicy", [["Identity", u.id], ["PolicyName", null]]));
    }
    if (steps.length === 0) {
        lines.push(psComment(opts.tenantRead === false ? "no changes compared with the stack's recorded state (the tenant was not read)"
            : "no changes: the tenant already matches the program"));
    }
    return { lines, commands, notes };
}

const SETTINGS_BY_KIND = { policyEntry: SETTINGS.find((d) => d.kind === "policyEntry")! as SettingDef };
