/**
 * Validation of policy bodies against the settings catalogue, shared by both backends (the emulator's domain model and
 * the gateway): every failure is reported in `details`, the first one is the error's target; names are case-sensitive
 * with a "did you mean". Also the owner annotation's shape and `If-Match` against an ETag.
 */
import { SETTINGS, SETTINGS_BY_NAME, suggestName, validateSetting, type WireValue } from "../api/catalogue";
import { OWNER_ANNOTATION, OWNER_MAX_LENGTH } from "../api/contract";
import { controlCharacterProblem, isIdentityError, parsePolicyIdentity, userIdentityProblem, type PolicyIdentity } from "../api/identity";
import { ApiError, Errors, type ErrorDetail } from "./errors";

/** A validated policy body: settings to apply (`null` = unset) and the owner (`undefined` when the body has none). */
export interface PolicyChanges {
    settings: Record<string, WireValue | null>;
    owner?: string | null;
}

/**
 * An owner id from a body: a non-empty string of at most {@link OWNER_MAX_LENGTH} characters, or null; 400 naming
 * `target` otherwise.
 */
export function parseOwner(value: unknown, target: string): string | null {
    if (value === null) return null;
    if (typeof value === "string" && value.length >= 1 && value.length <= OWNER_MAX_LENGTH) {
        const problem = controlCharacterProblem(value);
        if (problem !== undefined) throw Errors.invalidParameter(target, `${target} ${problem}.`);
        return value;
    }
    const got = typeof value === "string" ? `${value.length} characters` : value === undefined ? "nothing" : typeof value;
    throw Errors.invalidParameter(target, `${target} must be a string of 1–${OWNER_MAX_LENGTH} characters or null, got ${got}.`);
}

/** Parses a policy identity or answers 400 naming `target`. */
export function parseIdentityOrFail(text: string, target = "Identity"): PolicyIdentity {
    const id = parsePolicyIdentity(text);
    if (isIdentityError(id)) throw Errors.invalidParameter(target, `${target} ${id.error}`);
    return id;
}

/** Validates a wire body (settings, optional Identity matching `identity`, optional `@owner`). */
export function validatePolicyBody(body: unknown, identity: PolicyIdentity): PolicyChanges {
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
        throw Errors.invalidRequestContent("The body must be a JSON object of policy settings.");
    }
    const changes: PolicyChanges = { settings: {} };
    const failures: ErrorDetail[] = [];
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
        if (key === "Identity") {
            const given = typeof value === "string" ? parsePolicyIdentity(value) : undefined;
            if (!given || isIdentityError(given) || given.key !== identity.key) {
                failures.push({ code: "InvalidParameter", target: "Identity", message: `Identity in the body must match the URL ("${identity.canonical}"), got ${JSON.stringify(value)}.` });
            }
            continue;
        }
        if (key === OWNER_ANNOTATION) {
            try {
                changes.owner = parseOwner(value, OWNER_ANNOTATION);
            } catch (e) {
                if (!(e instanceof ApiError)) throw e;
                failures.push({ code: e.code, target: OWNER_ANNOTATION, message: e.message });
            }
            continue;
        }
        const def = SETTINGS_BY_NAME.get(key);
        if (!def) {
            const near = suggestName(key, SETTINGS.map((d) => d.name));
            const caseOnly = near?.toLowerCase() === key.toLowerCase();
            const hint = near ? `; did you mean ${near}?${caseOnly ? " (names are case-sensitive)" : ""}` : "";
            failures.push({ code: "InvalidParameter", target: key, message: `${key} is not a ClientPolicy setting${hint}.` });
            continue;
        }
        const result = validateSetting(def, value, "wire");
        const problem = result.ok ? plainTextProblem(result.value) : result.message;
        if (problem === undefined) changes.settings[key] = result.ok ? result.value : null;
        else failures.push({ code: "InvalidParameter", target: key, message: `${key} ${problem}.` });
    }
    if (failures.length > 0) throw Errors.invalidParameter(failures[0].target!, failures[0].message, failures);
    return changes;
}

/**
 * The one rule for text in settings, shared by every backend: string settings and PolicyEntry names and values hold
 * plain text only, no line breaks or other control characters (`controlCharacterProblem`, api/identity.ts, which says
 * why). Undefined when `value` passes.
 */
export function plainTextProblem(value: WireValue | null): string | undefined {
    if (typeof value === "string") return controlCharacterProblem(value);
    if (Array.isArray(value)) {
        for (const [i, entry] of value.entries()) {
            for (const part of ["Name", "Value"] as const) {
                const problem = controlCharacterProblem(String(entry[part]));
                if (problem) return `[${i}].${part} ${problem}`;
            }
        }
    }
    return undefined;
}

/**
 * A user identity from a request (a path segment, a grant, a batch's `Users[i]`), or 400 naming `target` when it is
 * empty, has a wildcard or a control character (`userIdentityProblem`, api/identity.ts). Both backends call this
 * before resolving a user, so they answer the same.
 */
export function checkUserIdentity(identity: unknown, target = "Identity"): string {
    const problem = userIdentityProblem(identity);
    if (problem !== undefined) throw Errors.invalidParameter(target, `${target} ${problem}.`);
    return identity as string;
}

/** 412 unless `ifMatch` (a list of tags, `W/` ignored, `*` matching anything) names `etag`; no header passes. */
export function checkIfMatch(etag: string, ifMatch: string | undefined, identity: string): void {
    if (ifMatch === undefined) return;
    const tags = ifMatch.split(",").map((t) => t.trim().replace(/^W\//, ""));
    if (!tags.includes("*") && !tags.includes(etag)) throw Errors.preconditionFailed(identity);
}
