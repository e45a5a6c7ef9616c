/**
 * Generators of hostile text for the property tests of every code emitter (PowerShell, TypeScript, YAML).
 */
import fc from "fast-check";

/** Characters always in the generators' alphabet: every quote and dash PowerShell knows, line breaks of every kind, syntax. */
export const HOSTILE = ["'", "\u2018", "\u2019", "\u201a", "\u201b", '"', "\u201c", "\u201d", "\u201e", "-", "\u2013", "\u2014", "\u2015",
    "\r", "\n", "\r\n", "\0", "\u0085", "\u2028", "\u2029", "$(", ")", "$", "`", ";", "|", "}", "{", "#", "<#", "#>", "@'", "'@", '@"', '"@',
    " ", "\t", "\\", "//", "/*", "*/", "a", "Z", "0", "é", "名", "\u{1f600}", "\ud800", "\u202e", "\ufeff"];
/** Strings drawn from {@link HOSTILE} mixed with arbitrary code points. */
export const hostile = (maxLength = 16, minLength = 0) =>
    fc.string({ unit: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...HOSTILE) }, { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) }), minLength, maxLength });
