/**
 * Settings validation for programs that read declarations from files (YAML, JSON) before building resources: the same
 * rules and messages as ClientPolicy's check(), without constructing a resource. Exported from the package entry.
 */
import { settingsByProperty, suggestName, validateSetting } from "../api/catalogue";

/** One problem: the setting's camelCase name and what was expected (`must be an integer 0–1000, got 5000`). */
export interface SettingsValidation {
    readonly property: string;
    readonly reason: string;
}

/**
 * Validates a map of settings in resource form (camelCase names, values as a program writes them). Returns every
 * problem (an empty list when all are valid); unknown names get a "did you mean" suggestion.
 */
export function validateSettings(settings: Readonly<Record<string, unknown>>): SettingsValidation[] {
    const problems: SettingsValidation[] = [];
    const defs = settingsByProperty();
    for (const [property, value] of Object.entries(settings)) {
        const def = defs.get(property);
        if (!def) {
            const guess = suggestName(property, defs.keys());
            problems.push({ property, reason: `is not a client policy setting${guess ? `; did you mean "${guess}"?` : " (use the camelCase names, e.g. enableIMAutoArchiving)"}` });
            continue;
        }
        const result = validateSetting(def, value, "input");
        if (!result.ok) problems.push({ property, reason: result.message });
    }
    return problems;
}
