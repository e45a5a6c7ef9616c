/**
 * The exit codes of `clientpolicy report` and `report merge`, and the rule that picks one from a report and
 * `--fail-on`; shared, so a merged report exits exactly as an unsharded run would.
 */
import type { Report } from "../../api/report";
import type { FailOn } from "./flags";

/** Exit codes of `clientpolicy report` (and `report merge`). */
export const EXIT = { clean: 0, toolFailed: 1, changes: 2, partial: 3 } as const;

/**
 * The exit code: 3 when a tenant errored and `error` is in fail-on, else 2 when a change of a kind in fail-on was
 * found (`both` counts as drift and as pending, a new tenant as pending), else 0.
 */
export function exitCodeOf(r: Report, failOn: readonly FailOn[]): number {
    if (failOn.includes("error") && r.counts.error > 0) return EXIT.partial;
    const kinds = new Set(r.tenants.flatMap((t) => t.changes.flatMap((c) => [c.kind, ...c.properties.map((p) => p.kind)])));
    // A new tenant (declared by the repository, no stack yet) is pending work even when its preview listed nothing.
    const hit = (failOn.includes("drift") && (kinds.has("drift") || kinds.has("both"))) ||
        (failOn.includes("pending") && (kinds.has("pending") || kinds.has("both") || r.counts.new > 0));
    return hit ? EXIT.changes : EXIT.clean;
}
