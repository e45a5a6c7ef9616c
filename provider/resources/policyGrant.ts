/**
 * The `PolicyGrant` resource class: grants one per-user (tag) client policy to one user or to a list of users. The
 * program-side class and its args only; the model (inputs, state, outputs, diff rules) is policyGrant.model.ts, the
 * provider (check, diff, CRUD, ownership rules of user assignments; provider/ownership.ts) policyGrant.provider.ts.
 *
 * State model: outputs hold the canonical `policyName`, the requested spellings that are actually granted (`user` or
 * `users`) and `resolvedUsers` (id, SIP address, display name and the spelling each came from). A user that could not
 * be granted, or that was unassigned or re-granted outside this resource (seen by refresh), is missing from both, so
 * the next diff shows a change and the next `up` grants exactly the missing users. Nothing is ever replaced: changing
 * the policy re-grants in place, because create-before-delete would leave users unassigned in between.
 *
 * Inputs hold `users` keyed by user (provider/resources/grantUsers.ts), so `preview --diff` names the users added and
 * removed; outputs keep the list the class documents.
 */
import * as pulumi from "@pulumi/pulumi";
import { declareInProgram, declaredLater, ownerId } from "../ownership";
import { DECLARATION_PROBLEM, DeclarationProblem } from "../checkInputs";
import { userKey } from "./grantUsers";
import { MODULE, type ResolvedUser, TYPE } from "./policyGrant.model";
import { stackInstance } from "./stackInstance";

export { INPUTS, MODULE, REPLACE_ON_CHANGE, TYPE } from "./policyGrant.model";
export type { ResolvedUser } from "./policyGrant.model";

// ---------------------------------------------------------------- class and args

/** Inputs of a {@link PolicyGrant}: the policy and exactly one of `user` / `users`. */
export interface PolicyGrantArgs {
    /** A per-user policy: `Tag:OfflineIM` or `OfflineIM` (typically `policy.identity`). Changing it re-grants in place. */
    policyName: pulumi.Input<string>;
    /** One user: SIP address, UPN, `DOMAIN\logon`, display name or object id. No wildcards. */
    user?: pulumi.Input<string>;
    /** Many users (any identity forms, thousands are fine: the batch API is used, 5,000 per call). */
    users?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Take over users whose current assignment another PolicyGrant (of this or another stack) made. Without it, such
     * users fail the preview, naming the other owner.
     */
    adopt?: pulumi.Input<boolean>;
}

/**
 * Grants a per-user client policy to users. Adding or removing users assigns or unassigns only the difference;
 * destroying it unassigns the users whose assignment is still this grant's. Each assignment records this resource
 * (`project/stack/name`) as its owner.
 */
export class PolicyGrant extends pulumi.dynamic.Resource {
    /** Canonical policy name (without `Tag:`). */
    declare public readonly policyName: pulumi.Output<string>;
    /** The requested user, once granted. */
    declare public readonly user: pulumi.Output<string | undefined>;
    /** The requested users that are granted. */
    declare public readonly users: pulumi.Output<string[] | undefined>;
    /**
     * The granted users as the tenant resolved them (names and SIP addresses: personal data). Secret whenever the
     * users are given as outputs (which may be secret), so a `pulumi.secret([...])` list never reaches state in clear.
     */
    declare public readonly resolvedUsers: pulumi.Output<ResolvedUser[]>;
    /** This resource's owner id, recorded on every assignment it makes. */
    declare public readonly owner: pulumi.Output<string>;

    constructor(name: string, args: PolicyGrantArgs, opts?: pulumi.CustomResourceOptions) {
        // Problems only the program can see are reported by check() (see DECLARATION_PROBLEM), not thrown here.
        let problem: DeclarationProblem | Promise<DeclarationProblem | undefined> | undefined;
        const spellings = typeof args.user === "string" ? [args.user]
            : Array.isArray(args.users) ? args.users.filter((u): u is string => typeof u === "string") : [];
        const propertyOf = (spelling: string) => (typeof args.user === "string" ? "user" : `users[${(args.users as unknown[]).indexOf(spelling)}]`);
        const clash = (spelling: string, a: string, b: string): DeclarationProblem => ({
            property: propertyOf(spelling),
            reason: `PolicyGrant "${a}" and PolicyGrant "${b}" both grant "${spelling}"; a user can hold one client policy, so list each user in one grant`,
        });
        const keys = new Map<string, string>();
        for (const spelling of spellings) {
            const key = `user:${userKey(spelling)}`;
            keys.set(key, spelling);
            const other = declareInProgram(key, name);
            if (other !== undefined && !problem) problem = clash(spelling, name, other);
        }
        if (!problem && keys.size > 0) {
            problem = declaredLater([...keys.keys()], name).then((later) => (later ? clash(keys.get(later.key)!, later.other, name) : undefined));
        }
        if (opts?.import !== undefined) {
            problem = { property: "", reason: `PolicyGrant "${name}": the \`import\` resource option does not work for dynamic resources ` +
                `(pulumi/pulumi#16175). Remove it; to take over users another grant assigned, set \`adopt: true\`.` };
            opts = { ...opts, import: undefined };
        }
        const fromOutputs = pulumi.Output.isInstance(args.users) || pulumi.Output.isInstance(args.user) ||
            (Array.isArray(args.users) && args.users.some((u) => pulumi.Output.isInstance(u)));
        const props: Record<string, unknown> = {
            user: undefined, users: undefined, resolvedUsers: undefined, ...args, owner: ownerId(pulumi.getProject(), pulumi.getStack(), name),
            stackInstance: stackInstance(),
            ...(problem ? { [DECLARATION_PROBLEM]: problem } : {}),
        };
        const secretOpts = fromOutputs
            ? { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "resolvedUsers"] }
            : opts;
        super(require("./policyGrant.provider"), name, props, secretOpts, MODULE, TYPE);
    }
}
