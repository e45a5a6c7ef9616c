/**
 * `clientpolicy effective <user>`: the client policy a user gets now (per-user grant, else the site of the user's
 * Registrar pool, else Global) and every setting's effective value with where it comes from; with `--pending`, what the
 * user gets after the stack's pending plan, step by step and setting by setting (before → after). Read-only: the
 * tenant is only read and the preview writes nothing. The precedence rules are api/effective.ts's, nowhere else.
 */
import { Command, Option } from "commander";
import { Routes, type WirePage, type WirePolicy, type WireUser } from "../../api/contract";
import {
    changedSettings, policySet, resolveEffective, sourceText, type EffectivePolicy, type EffectiveSetting, type PolicySet, type SettingChange,
} from "../../api/effective";
import { ConflictError, NotFoundError, ValidationError } from "../../provider/errors";
import type { TenantClient } from "../../provider/client/tenantClient";
import { stepsFromEvents, type StepMetadata } from "../cmdlets/plan";
import { applyPolicyStep, planSteps, type PlanStep } from "../effective/plan";
import { CliError } from "../errors";
import { ConnectionFlags, clientFor, pulumiFailure, resolveConnection, stackDir } from "../export/connection";
import { connectionOptions } from "./export";

interface EffectiveFlags extends ConnectionFlags {
    pending?: boolean;
    refresh?: boolean;
    format: "text" | "json";
}

/** Registers `effective` on the program. */
export function register(program: Command): void {
    const cmd = program.command("effective")
        .description("Show the client policy a user gets (per-user grant, else the site of the user's Registrar pool, else Global) " +
            "and every setting's effective value; with --pending, what changes for the user after the stack's pending plan.")
        .argument("<user>", "the user: display name, SIP address, UPN, DOMAIN\\logon or object id");
    connectionOptions(cmd, true)
        .option("--pending", "also apply the stack's pending plan (a pulumi preview; needs --stack) and show each setting before → after")
        .option("--refresh", "with --pending: refresh the stack's state from the tenant before planning")
        .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
        .addHelpText("after", [
            "",
            "Which policy applies: the per-user (Tag:) policy granted to the user; otherwise the site:<name> policy of the site",
            "that hosts the user's Registrar pool; otherwise Global. Settings are not merged across scopes: a setting the",
            "applying policy leaves unset takes the client's default (the documented one where Microsoft documents it, else",
            "\"client default (not documented)\"). See docs/effective-policy.md for the sources.",
            "",
            "With --pending the plan is applied step by step; each step says whether it reaches the user (a Global change",
            "does not reach a user whose site has a site policy or who has a per-user policy).",
            "Exit codes: 0 shown; 1 bad flags, unknown or ambiguous user, configuration, preview or tenant error.",
            "",
            "Examples:",
            "  clientpolicy effective \"Tony Smith\" --stack contoso --pending",
            "  CLIENTPOLICY_CLIENT_SECRET=… clientpolicy effective sip:tony.smith@contoso.example --endpoint https://api.example --tenant contoso.example --client-id app --format json",
        ].join("\n"))
        .action(async (user: string, flags: EffectiveFlags) => {
            await runEffective(user, flags);
        });
}

/** Every policy of the tenant in wire form (every page). */
export async function readPolicies(client: TenantClient): Promise<WirePolicy[]> {
    const out: WirePolicy[] = [];
    let next: string | undefined = `${Routes.policies()}?$top=1000`;
    while (next) {
        const res: { json: WirePage<WirePolicy> } = await client.send("GET", next);
        out.push(...(res.json?.value ?? []));
        next = res.json?.["@nextLink"];
    }
    return out;
}

/** The one user `identity` names, or a CliError saying why not (unknown, ambiguous with the matches, malformed). */
export async function findUser(client: TenantClient, identity: string): Promise<WireUser> {
    if (identity.trim() === "") throw new CliError("<user> must name a user: display name, SIP address, UPN, DOMAIN\\logon or object id");
    const [r] = await client.resolveUsers([identity]);
    if (r?.User) return r.User;
    const code = r?.Error?.code;
    if (code === "AmbiguousIdentity") {
        const matches = r!.Error!.matches ?? [];
        throw new CliError(`<user> "${identity}" names ${matches.length || "several"} users${matches.length ? ` (${matches.join(", ")})` : ""}; give a SIP address, UPN or object id`);
    }
    if (code === "UserNotFound") throw new CliError(`<user> "${identity}": no such user in tenant ${client.tenantId}`);
    throw new CliError(`<user> "${identity}": ${r?.Error?.message ?? "the tenant did not resolve it"}`);
}

/** Runs the preview of `flags.stack` and returns its steps (our resources only). */
async function previewSteps(flags: EffectiveFlags): Promise<StepMetadata[]> {
    const dir = stackDir(flags);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
    const stack = await LocalWorkspace.selectStack({ stackName: flags.stack!, workDir: dir }).catch((err: unknown) => {
        throw new CliError(`--stack ${flags.stack}: ${pulumiFailure(err)}`);
    });
    const events: Array<{ resourcePreEvent?: { metadata: StepMetadata }; diagnosticEvent?: { severity: string; message: string } }> = [];
    try {
        await stack.preview({ onEvent: (e) => { events.push(e as (typeof events)[number]); }, refresh: flags.refresh === true });
    } catch (err) {
        const problems = events.map((e) => e.diagnosticEvent).filter((d) => d && d.severity === "error").map((d) => d!.message.trim()).filter(Boolean);
        throw new CliError(`the preview of stack ${flags.stack} failed, so there is no plan to apply:\n  ` + (problems.length > 0 ? problems.join("\n  ") : pulumiFailure(err)));
    }
    return stepsFromEvents(events);
}

/** What one plan step does to the user. */
export interface StepEffect {
    readonly resource: string;
    readonly op: string;
    /** What the step changes in the tenant, in words. */
    readonly what: string;
    readonly reaches: boolean | null;
    /** Why it does or does not reach the user. */
    readonly why: string;
    readonly changes: readonly SettingChange[];
}

/** The answer of the command (the `--format json` document). */
export interface EffectiveReport {
    readonly user: { Id: string; DisplayName: string; SipAddress: string; UserPrincipalName: string; RegistrarPool: string | null; Site: string | null; ClientPolicy: string | null };
    readonly now: EffectivePolicy;
    readonly pending?: { stack: string; steps: StepEffect[]; after: EffectivePolicy; changes: SettingChange[]; notes: string[] };
}

/**
 * Applies the plan step by step to (policies, the user's grant); a step reaches the user when the user's effective
 * settings differ after it. `granted(identities)` answers which of a grant step's user identities are this user.
 */
export async function pendingEffects(user: WireUser, live: PolicySet, steps: readonly PlanStep[], isUser: (identity: string) => boolean) {
    let policies = live;
    let grant = user.ClientPolicy;
    const effects: StepEffect[] = [];
    let current = resolveEffective(user, policies);
    for (const step of steps) {
        if (step.kind === "unknown") {
            effects.push({ resource: step.resource, op: step.op, what: step.why, reaches: null, why: "not known before apply", changes: [] });
            continue;
        }
        let what: string;
        if (step.kind === "policy") {
            policies = applyPolicyStep(policies, step);
            what = step.policy ? `${step.op} ${step.identity}` : `${step.op} ${step.identity}${step.identity === "Global" ? " (reset to the documented defaults)" : ""}`;
        } else {
            const granted = step.grant.some(isUser);
            const unassigned = step.unassign.some(isUser);
            if (granted) grant = step.policy;
            else if (unassigned) grant = null;
            what = `${step.op} grant of ${step.policy ? `Tag:${step.policy}` : "a policy"} (${step.grant.length} granted, ${step.unassign.length} unassigned)`;
        }
        const next = resolveEffective({ ClientPolicy: grant, Site: user.Site }, policies);
        const changes = changedSettings(current.settings, next.settings);
        let why: string;
        if (changes.length > 0) why = `${changes.length} setting${changes.length === 1 ? "" : "s"} change${changes.length === 1 ? "s" : ""}; ${next.identity} applies (${reasonText(next)})`;
        else if (step.kind === "policy" && !samePolicyIdentity(step.identity, current.identity) && !samePolicyIdentity(step.identity, next.identity)) {
            why = `${current.identity} applies to ${user.DisplayName} (${reasonText(current)}), not ${step.identity}`;
        } else why = `no effective setting changes; ${next.identity} applies (${reasonText(next)})`;
        effects.push({ resource: step.resource, op: step.op, what, reaches: changes.length > 0, why, changes });
        current = next;
    }
    return { effects, after: current, grant };
}

function samePolicyIdentity(a: string, b: string): boolean {
    return a.toLowerCase() === b.toLowerCase();
}

function reasonText(p: EffectivePolicy): string {
    const base = p.reason === "Granted" ? "granted to the user" : p.reason === "Site" ? "the policy of the user's site" : "no per-user or site policy applies";
    return p.note ? `${base}; ${p.note}` : base;
}

function valueText(s: EffectiveSetting): string {
    if (s.value === null) return "(client default, not documented)";
    if (typeof s.value === "boolean") return s.value ? "True" : "False";
    return typeof s.value === "object" ? JSON.stringify(s.value) : String(s.value);
}

/** Text rendering of a report. */
export function renderText(r: EffectiveReport): string {
    const lines: string[] = [];
    const u = r.user;
    lines.push(`${u.DisplayName} (${u.SipAddress}): Registrar pool ${u.RegistrarPool ?? "(none)"}, site ${u.Site ?? "(none)"}, per-user policy ${u.ClientPolicy ? `Tag:${u.ClientPolicy}` : "(none)"}`);
    const block = (title: string, e: EffectivePolicy) => {
        lines.push("", `${title}: ${e.identity} — ${reasonText(e)}`);
        const shown = e.settings.filter((s) => s.source !== "undocumentedDefault");
        const width = Math.max(...shown.map((s) => s.name.length), 10);
        for (const s of shown) lines.push(`  ${s.name.padEnd(width)}  ${valueText(s).padEnd(10)}  ${sourceText(s, e.identity)}`);
        const rest = e.settings.length - shown.length;
        if (rest > 0) lines.push(`  (${rest} other settings are not configured in ${e.identity} and have no documented default: the client decides)`);
    };
    block("Now", r.now);
    if (r.pending) {
        const p = r.pending;
        lines.push("", `Pending plan of stack ${p.stack}, step by step:`);
        if (p.steps.length === 0) lines.push("  (no changes)");
        for (const s of p.steps) {
            lines.push(`  ${s.reaches === null ? "?" : s.reaches ? "REACHES" : "does not reach"} ${u.DisplayName}: ${s.resource} — ${s.what}: ${s.why}`);
            for (const c of s.changes) lines.push(`      ${c.name}: ${valueText(c.before)} → ${valueText(c.after)}`);
        }
        lines.push("", `After the plan: ${p.after.identity} — ${reasonText(p.after)}`);
        if (p.changes.length === 0) lines.push("  No effective setting changes for this user.");
        else {
            lines.push("  setting: before → after");
            for (const c of p.changes) {
                lines.push(`  ${c.name}: ${valueText(c.before)} (${sourceText(c.before, r.now.identity)}) → ${valueText(c.after)} (${sourceText(c.after, p.after.identity)})`);
            }
        }
        for (const n of p.notes) lines.push(`  note: ${n}`);
    }
    return lines.join("\n") + "\n";
}

/** Runs the command. */
export async function runEffective(identity: string, flags: EffectiveFlags): Promise<void> {
    if (flags.pending && flags.stack === undefined) throw new CliError("--pending needs --stack: the stack whose pending plan to apply (with --dir, its project folder)");
    if (flags.refresh && !flags.pending) throw new CliError("--refresh applies to --pending only");
    const connection = await resolveConnection(flags);
    const client = clientFor(connection);
    let user: WireUser;
    let live: WirePolicy[];
    try {
        [user, live] = await Promise.all([findUser(client, identity), readPolicies(client)]);
    } catch (err) {
        if (err instanceof NotFoundError || err instanceof ConflictError || err instanceof ValidationError) throw new CliError(`<user> "${identity}": ${err.message}`);
        throw err;
    }
    if (user.Site === undefined) process.stderr.write("effective: note: the tenant does not report users' sites; site policies are not considered\n");
    const set = policySet(live);
    const now = resolveEffective(user, set);
    const report: { -readonly [K in keyof EffectiveReport]: EffectiveReport[K] } = {
        user: {
            Id: user.Id, DisplayName: user.DisplayName, SipAddress: user.SipAddress, UserPrincipalName: user.UserPrincipalName,
            RegistrarPool: user.RegistrarPool ?? null, Site: user.Site ?? null, ClientPolicy: user.ClientPolicy,
        },
        now,
    };
    if (flags.pending) {
        const notes: string[] = [];
        const steps = planSteps(await previewSteps(flags), live, notes);
        const named = [...new Set(steps.flatMap((s) => (s.kind === "grant" ? [...s.grant, ...s.unassign] : [])))];
        const resolved = named.length > 0 ? await client.resolveUsers(named) : [];
        const mine = new Set(resolved.filter((x) => x.User?.Id === user.Id).map((x) => x.Identity));
        const { effects, after } = await pendingEffects(user, set, steps, (id) => mine.has(id));
        report.pending = { stack: flags.stack!, steps: effects, after, changes: changedSettings(now.settings, after.settings), notes };
    }
    process.stdout.write(flags.format === "json" ? JSON.stringify(report, null, 2) + "\n" : renderText(report));
}
