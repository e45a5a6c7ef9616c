/**
 * `clientpolicy cmdlets --stack <s>`: the stack's pending plan (a `pulumi preview` through the Automation API, with the
 * engine's event stream) as the equivalent CsClientPolicy cmdlet lines, in apply order, a `#` comment per resource.
 * Writes nothing: the preview is read-only and the tenant is only read (GET) to know which settings really change.
 * Logic in cli/cmdlets/.
 *
 * The tenant is read by default (`pulumi preview --refresh --run-program`): a plan of code vs recorded state alone
 * would say "no changes" where an administrator changed the tenant, and the change board would approve a script that
 * repairs nothing. `--run-program` registers the provider from today's program and config, so a rotated secret or a
 * key added after a failed `up` works at once (a plain refresh uses the configuration recorded in state at the last
 * update, pulumi/pulumi#13860). `--no-refresh` compares with the recorded state and says so in the script.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { psComment } from "../../api/powershell/emit";
import { NotFoundError } from "../../provider/errors";
import { CliError } from "../errors";
import { StepMetadata, planToCmdlets, stepsFromEvents } from "../cmdlets/plan";
import { ConnectionFlags, clientFor, pulumiFailure, resolveConnection, stackDir } from "../export/connection";
import { connectionOptions } from "./export";
import { errorMessages, type EventLike } from "../report/changes";
import { classifyError } from "../report/run";
import { causeOf } from "../report/text";

interface CmdletsFlags extends ConnectionFlags {
    out?: string;
    refresh?: boolean;
}

/** Registers `cmdlets` on the program. */
export function register(program: Command): void {
    const cmd = program.command("cmdlets")
        .description("Print the stack's pending plan (what `pulumi preview` would do) as New/Set/Remove/Grant-CsClientPolicy lines in apply order.");
    connectionOptions(cmd, false)
        .option("--out <file>", "write the lines to this file instead of stdout")
        .option("--no-refresh", "do not read the tenant: compare the program with the stack's recorded state only (the script says so)")
        .addHelpText("after", [
            "",
            "Runs `pulumi preview --refresh --run-program` of the stack's program with today's configuration (nothing is",
            "written), so what the tenant changed since the last `up` is planned back; then reads the tenant's policies, so a",
            "Set-CsClientPolicy line lists only the parameters that really change ($null unsets one). Grants are one",
            "Grant-CsClientPolicy line per user (-PolicyName $null unassigns). Progress and notes go to stderr.",
            "Exit codes: 0 lines written (a plan without changes prints a comment saying so); 1 bad flags, configuration,",
            "a failing preview (its errors are shown) or a tenant error.",
            "",
            "Example:",
            "  clientpolicy cmdlets --stack prod --dir ./infra > change-request.ps1",
        ].join("\n"))
        .action(async (flags: CmdletsFlags) => {
            await runCmdlets(flags);
        });
}

/** The script's note when the tenant was not read (`--no-refresh`). */
export const NOT_READ = "compared with the stack's recorded state; the tenant was not read (--no-refresh), so changes made in the tenant since the last `pulumi up` are not in this plan";

/** Runs the preview and prints the lines. */
export async function runCmdlets(flags: CmdletsFlags): Promise<void> {
    const progress = (line: string) => process.stderr.write(`cmdlets: ${line}\n`);
    if (flags.stack === undefined) throw new CliError("--stack is required: the stack whose pending plan to show (with --dir, its project folder)");
    if (flags.out !== undefined && fs.existsSync(flags.out) && fs.statSync(flags.out).isDirectory()) throw new CliError(`--out: ${flags.out} is a directory; give a file`);
    const connection = await resolveConnection(flags);
    const dir = stackDir(flags);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
    const stack = await LocalWorkspace.selectStack({ stackName: flags.stack, workDir: dir }).catch((err: unknown) => {
        throw new CliError(`--stack ${flags.stack}: ${pulumiFailure(err)}`);
    });
    const readTenant = flags.refresh !== false;
    progress(`previewing stack ${flags.stack} in ${dir}${readTenant ? " (reading the tenant with today's configuration)" : " (the tenant is not read: --no-refresh)"}`);
    const events: Array<{ resourcePreEvent?: { metadata: StepMetadata }; diagnosticEvent?: { severity: string; message: string } }> = [];
    const client = clientFor(connection);
    try {
        await stack.preview({ onEvent: (e) => { events.push(e as (typeof events)[number]); }, ...(readTenant ? { refresh: true, runProgram: true } : {}) });
    } catch (err) {
        const problems = errorMessages(events as EventLike[]);
        if (problems.length === 0) problems.push(pulumiFailure(err));
        let message = causeOf(problems, dir);
        const kind = classifyError(problems, false);
        if ((kind === "auth" || kind === "config") && await client.token().then(() => true, () => false)) {
            // Today's configuration is accepted by the tenant, so the failing step used the provider configuration
            // recorded in state at the last update (a resource the program no longer declares is read with it).
            message += `\nThe stack's current configuration is accepted by the tenant: this failure came from the provider configuration recorded in state at the last update. ` +
                `Run \`pulumi up --stack ${flags.stack}\` (or \`pulumi refresh --run-program --stack ${flags.stack}\`) to record today's configuration.`;
        }
        throw new CliError(`the preview of stack ${flags.stack} failed, so there is no plan to show:\n  ${message.split("\n").join("\n  ")}`);
    }
    const live = async (identity: string) => {
        try {
            return (await client.getPolicy(identity)).policy;
        } catch (err) {
            if (err instanceof NotFoundError) return undefined;
            throw err;
        }
    };
    const steps = stepsFromEvents(events);
    const plan = await planToCmdlets(steps, live, { tenantRead: readTenant });
    const header = [
        psComment(`Pending plan of stack ${flags.stack} (tenant ${connection.config.tenantId}) as cmdlets, in apply order; ` +
            `generated by \`clientpolicy cmdlets\` on ${new Date().toISOString()}.`),
        ...(readTenant ? [] : [psComment(NOT_READ)]),
    ];
    const text = [...header, ...plan.lines].join("\n") + "\n";
    if (flags.out !== undefined) {
        fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
        fs.writeFileSync(flags.out, text);
    } else {
        process.stdout.write(text);
    }
    for (const note of plan.notes) progress(`note: ${note}`);
    progress(`${steps.length} resource change(s), ${plan.commands} cmdlet line(s)${flags.out ? ` → ${flags.out}` : ""}`);
}
