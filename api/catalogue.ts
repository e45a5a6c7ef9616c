/**
 * The CsClientPolicy settings catalogue: the single source of truth for the
 * wire format (emulator validation, OpenAPI schema), the provider's resource
 * inputs (check(), TypeScript types) and the documentation table.
 *
 * Facts come from ../shared/CSCLIENTPOLICY.md; descriptions are our own.
 * Adding a setting is one entry in {@link SETTINGS}.
 */
import { z } from "zod";

/** How a setting's value is typed. */
export type SettingKind = "boolean" | "enum" | "uint" | "timespan" | "string" | "policyEntry";

/** Why a setting is accepted but flagged: check() warns about these, never silently. */
export type SettingStatus = "deprecated" | "reserved" | "noEffect" | "legacy";

/** One entry of the catalogue. Wire names are the cmdlet parameter names (PascalCase). */
export interface SettingDef {
    /** Wire (cmdlet) name, e.g. `EnableIMAutoArchiving`. */
    readonly name: string;
    readonly kind: SettingKind;
    /** Inclusive bounds: integers for `uint`, seconds for `timespan`. */
    readonly min?: number;
    readonly max?: number;
    /** Canonical enum values (input is case-insensitive). */
    readonly values?: readonly string[];
    /** Maximum string length. */
    readonly maxLength?: number;
    /** Documented default, in wire form; reported for Global after a reset. */
    readonly default?: boolean | number | string;
    readonly status?: SettingStatus;
    /** One-line description (our own words). */
    readonly description: string;
}

const UINT16_MAX = 65535;
const UINT32_MAX = 4294967295;
/**
 * No length is documented for most strings; the emulator still caps them so a
 * runaway value is rejected rather than stored (listed under "Differences").
 */
export const DEFAULT_STRING_MAX = 1024;
/** IMWarning's documented limit. */
const IM_WARNING_MAX = 256;
/** hh:mm:ss cannot express a day or more. */
const TIMESPAN_FORMAT_MAX = 24 * 3600 - 1;
/** Emulator cap on PolicyEntry list size (none documented). */
export const POLICY_ENTRY_MAX_ITEMS = 100;

/** Extra fields of a definition; name, kind and values keep their literal types for the resource's TypeScript types. */
type Extra = Omit<Partial<SettingDef>, "name" | "kind" | "values">;
const b = <const N extends string>(name: N, description: string, extra: Extra = {}) =>
    ({ name, kind: "boolean" as const, description, ...extra });
const u = <const N extends string>(name: N, min: number, max: number, description: string, extra: Extra = {}) =>
    ({ name, kind: "uint" as const, min, max, description, ...extra });
const t = <const N extends string>(name: N, min: number, max: number, description: string, extra: Extra = {}) =>
    ({ name, kind: "timespan" as const, min, max, description, ...extra });
const s = <const N extends string>(name: N, description: string, extra: Extra = {}) =>
    ({ name, kind: "string" as const, maxLength: DEFAULT_STRING_MAX, description, ...extra });
const e = <const N extends string, const V extends readonly string[]>(name: N, values: V, description: string, extra: Extra = {}) =>
    ({ name, kind: "enum" as const, values, description, ...extra });
const l = <const N extends string>(name: N, description: string, extra: Extra = {}) =>
    ({ name, kind: "policyEntry" as const, description, ...extra });

/** All 92 settable parameters of Set-CsClientPolicy, in documented order. */
export const SETTINGS = [
    e("AddressBookAvailability", ["WebSearchAndFileDownload", "WebSearchOnly", "FileDownloadOnly"], "How users reach the Address Book: web query and/or file download."),
    b("AttendantSafeTransfer", "Attendant console: failed transfers come back to the incoming area with a notice."),
    t("AutoDiscoveryRetryInterval", 1, 3600, "Wait after a failed connection before the client retries the server."),
    b("BlockConversationFromFederatedContacts", "External contacts cannot start IM conversations; internal-initiated chats still work."),
    u("CalendarStatePublicationInterval", 0, UINT32_MAX, "Seconds before Outlook calendar data is pulled into presence."),
    t("ConferenceIMIdleTimeout", 0, 3600, "Idle time allowed in an IM session with nothing sent or received."),
    s("CustomizedHelpUrl", "Custom help URL (needs EnableEnterpriseCustomizedHelp).", { status: "deprecated" }),
    s("CustomLinkInErrorMessages", "Link added to the bottom of client error messages."),
    s("CustomStateUrl", "Location of the XML file defining custom presence states (HTTPS recommended)."),
    s("Description", "Administrator's notes about the policy."),
    t("DGRefreshInterval", 30, 28800, "Refresh interval for expanded distribution-group membership in Contacts.", { default: "08:00:00" }),
    b("DisableCalendarPresence", "Outlook calendar data is left out of presence."),
    b("DisableContactCardOrganizationTab", "Hides the Organization tab of the contact card."),
    b("DisableEmailComparisonCheck", "Skips the check that Outlook and the client belong to the same user."),
    b("DisableEmoticons", "Emoticons are shown as their text equivalents."),
    b("DisableFederatedPromptDisplayName", "Federated add-notifications show the SIP address instead of the display name."),
    b("DisableFeedsTab", "Hides the activity feeds tab."),
    b("DisableFreeBusyInfo", "Outlook free/busy information is not shown on the contact card."),
    b("DisableHandsetOnLockedMachine", "The USB handset cannot be used while the attached computer is locked."),
    b("DisableHtmlIm", "Pasted HTML becomes plain text in IM."),
    b("DisableICE", "Lync 2010 only: turns off ICE firewall/NAT traversal.", { status: "legacy" }),
    b("DisableInkIM", "Blocks IMs that contain Tablet PC ink."),
    b("DisableMeetingSubjectAndLocation", "Hides meeting subject and location in the free/busy tooltip."),
    b("DisableOneNote12Integration", "Turns off OneNote integration in the client."),
    b("DisableOnlineContextualSearch", "Removes Find Previous Conversations (non-cached Outlook only)."),
    b("DisablePhonePresence", "Phone calls do not change presence."),
    b("DisablePICPromptDisplayName", "Public-IM add-notifications show the SIP address instead of the display name."),
    b("DisablePoorDeviceWarnings", "Suppresses warnings about malfunctioning audio/video devices."),
    b("DisablePoorNetworkWarnings", "Suppresses poor network quality warnings."),
    b("DisablePresenceNote", "The Outlook out-of-office message is not shown as a presence note."),
    b("DisableRTFIM", "Together with DisableHtmlIm, forces IMs to plain text."),
    b("DisableSavingIM", "Removes the menu options that save IM transcripts."),
    e("DisplayPhoto", ["NoPhoto", "PhotosFromADOnly", "AllPhotos"], "Which photos the client displays.", { default: "AllPhotos" }),
    b("EnableAppearOffline", "Adds the Appear Offline presence state."),
    b("EnableCallLogAutoArchiving", "Call details (not audio) are saved to Outlook Conversation History."),
    b("EnableClientAutoPopulateWithTeam", "Online only: contacts are pre-populated with the user's team."),
    b("EnableClientMusicOnHold", "Music plays when a caller is put on hold.", { default: false }),
    b("EnableConversationWindowTabs", "IM supplemental information opens in a separate browser window.", { status: "deprecated" }),
    b("EnableEnterpriseCustomizedHelp", "The Help menu shows the organisation's custom help.", { status: "deprecated" }),
    b("EnableEventLogging", "Detailed client events go to the Application event log."),
    b("EnableExchangeContactsFolder", "Online only: false hides client contacts in Outlook/OWA."),
    b("EnableExchangeContactSync", "Creates an Outlook personal contact for each client contact.", { default: true }),
    b("EnableExchangeDelegateSync", "Outlook/Exchange delegates may schedule meetings for the user."),
    b("EnableFullScreenVideo", "Enables full-screen video and turns off the video preview."),
    b("EnableHighPerformanceConferencingAppSharing", "Better sharing of high-refresh applications in conferences, at a resource cost."),
    b("EnableHighPerformanceP2PAppSharing", "Peer-to-peer application sharing may exceed 2.5 frames per second.", { default: false }),
    b("EnableHotdesking", "Users may sign in to common-area phones."),
    b("EnableIMAutoArchiving", "Offline IM: every IM transcript is archived to Outlook Conversation History.", { default: true }),
    b("EnableMediaRedirection", "Audio/video streams are separated so devices encode and decode locally."),
    b("EnableMeetingEngagement", "Reserved for internal Microsoft use.", { status: "reserved" }),
    b("EnableNotificationForNewSubscribers", "Notifies the user when someone adds them as a contact."),
    b("EnableOnlineFeedback", "Online only: users may send feedback from the Help menu."),
    b("EnableOnlineFeedbackScreenshots", "Online only: screenshots may be attached to problem reports."),
    b("EnableServerConversationHistory", "Conversation history and missed-IM notices are stored on the server.", { default: false }),
    b("EnableSkypeUI", "Shows the Skype for Business user interface instead of the Lync one."),
    b("EnableSQMData", "Users are offered the customer experience improvement programme.", { status: "deprecated" }),
    b("EnableTracing", "Client software tracing is turned on."),
    b("EnableUnencryptedFileTransfer", "File transfer with external users that lack encryption is allowed."),
    b("EnableURL", "Hyperlinks in IMs are clickable."),
    b("EnableViewBasedSubscriptionMode", "Reserved for internal Microsoft use.", { status: "reserved" }),
    b("EnableVOIPCallDefault", "Click-to-call places a VoIP call by default."),
    s("ExcludedContactFolders", "Outlook contact folders (semicolon-separated) skipped in contact searches."),
    e("HelpEnvironment", ["Office 365"], "\"Office 365\" shows the Office 365 client help; unset means on-premises help."),
    t("HotdeskingTimeout", 30, TIMESPAN_FORMAT_MAX, "Idle time before a hot-desk phone signs the user out.", { default: "00:05:00" }),
    u("IMLatencyErrorThreshold", 0, UINT32_MAX, "IM latency in milliseconds above which the client files an error report."),
    u("IMLatencySpinnerDelay", 0, UINT32_MAX, "Milliseconds before a spinner shows while an IM is delayed."),
    s("IMWarning", "Plain-text notice shown in every IM conversation window.", { maxLength: IM_WARNING_MAX }),
    t("MAPIPollInterval", 1, 3600, "How often Exchange 2003 public-folder calendars are polled.", { status: "deprecated" }),
    u("MaximumDGsAllowedInContactList", 0, 64, "Maximum distribution groups a user may add as contacts.", { default: 10 }),
    u("MaximumNumberOfContacts", 0, 1000, "Maximum number of contacts per user (0 = none)."),
    u("MaxPhotoSizeKB", 0, UINT32_MAX, "Largest photo, in kilobytes, that the client displays.", { default: 30 }),
    s("MusicOnHoldAudioFile", "Audio file played on hold; when set, users cannot turn hold music off."),
    e("P2PAppSharingEncryption", ["Supported", "Enforced", "NotSupported"], "Encryption of peer-to-peer desktop and application sharing."),
    b("PlayAbbreviatedDialTone", "USB handsets play a 3-second dial tone instead of 30 seconds."),
    l("PolicyEntry", "Extra name/value settings not covered by other parameters (the whole list, in order)."),
    u("PublicationBatchDelay", 0, UINT32_MAX, "Reserved for internal Microsoft use.", { status: "reserved" }),
    b("RateMyCallAllowCustomUserFeedback", "The Rate My Call prompt has a free-text box."),
    u("RateMyCallDisplayPercentage", 0, 100, "Percentage of calls after which the feedback prompt appears.", { default: 10 }),
    s("RequireContentPin", "Reserved for internal Microsoft use.", { status: "reserved" }),
    u("SearchPrefixFlags", 0, UINT16_MAX, "Bit mask of Address Book attributes searched (bit 1 primary email … bit 7 last name)."),
    b("ShowManagePrivacyRelationships", "Shows the Relationships option (honoured by Lync 2010 only).", { default: false }),
    b("ShowRecentContacts", "Documented as having no effect on the client.", { status: "noEffect" }),
    b("ShowSharepointPhotoEditLink", "Shows a link to edit the personal photo on SharePoint.", { default: false }),
    s("SPSearchCenterExternalURL", "SharePoint search-center link for external users."),
    s("SPSearchCenterInternalURL", "SharePoint search-center link for internal users."),
    s("SPSearchExternalURL", "SharePoint site used for keyword/expert search by external users."),
    s("SPSearchInternalURL", "SharePoint site used for keyword/expert search by internal users."),
    b("SupportModernFilePicker", "Reserved for internal Microsoft use.", { status: "reserved" }),
    s("TabURL", "Location of the XML file that defines custom tabs.", { status: "deprecated" }),
    s("TelemetryTier", "Reserved for internal Microsoft use.", { status: "reserved" }),
    e("TracingLevel", ["Off", "Light", "Full"], "Client event tracing level.", { default: "Light" }),
    t("WebServicePollInterval", 1, 3600, "How often Exchange Web Services calendars are polled."),
] as const satisfies readonly SettingDef[];

/** The literal type of one catalogue entry (name, kind and enum values as literals), for typed resource inputs. */
export type CatalogueEntry = (typeof SETTINGS)[number];

/** Wire name → definition (exact case). */
export const SETTINGS_BY_NAME: ReadonlyMap<string, SettingDef> = new Map(SETTINGS.map((d) => [d.name, d]));

/**
 * camelCase resource property name for a wire name: the leading run of capitals
 * is lowered as one acronym (`IMWarning` → `imWarning`, `DGRefreshInterval` →
 * `dgRefreshInterval`), otherwise only the first letter (`EnableIMAutoArchiving`
 * → `enableIMAutoArchiving`). These names are public API: never change the rule.
 */
export function camelName(wire: string): string {
    const m = /^([A-Z]+)([A-Z][a-z].*)$/.exec(wire);
    if (m) return m[1].toLowerCase() + m[2];
    return wire.charAt(0).toLowerCase() + wire.slice(1);
}

let byProperty: ReadonlyMap<string, SettingDef> | undefined;
let byLowerWire: ReadonlyMap<string, SettingDef> | undefined;

/** Catalogue entries keyed by resource (camelCase) property name, in catalogue order. The one such lookup. */
export function settingsByProperty(): ReadonlyMap<string, SettingDef> {
    byProperty ??= new Map(SETTINGS.map((d) => [camelName(d.name), d]));
    return byProperty;
}

/**
 * A setting by its wire (cmdlet parameter) name. `exact` (the JSON wire: names are case-sensitive) or
 * `caseInsensitive` (PowerShell parameter binding, which ignores case).
 */
export function settingByWireName(name: string, match: "exact" | "caseInsensitive" = "exact"): SettingDef | undefined {
    if (match === "exact") return SETTINGS_BY_NAME.get(name);
    byLowerWire ??= new Map(SETTINGS.map((d) => [d.name.toLowerCase(), d]));
    return byLowerWire.get(name.toLowerCase());
}

function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const cur = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = cur;
        }
    }
    return row[b.length];
}

/**
 * "Did you mean": the closest of `known` to `name` if it is close enough to be a typo (a case-only difference always
 * is; otherwise an edit distance of at most max(2, length/5)). The one suggestion rule for every layer.
 */
export function suggestName(name: string, known: Iterable<string>): string | undefined {
    const lower = name.toLowerCase();
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of known) {
        const d = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
        if (d < bestDistance) { best = candidate; bestDistance = d; }
    }
    return bestDistance <= Math.max(2, Math.floor(name.length / 5)) ? best : undefined;
}

// ---------------------------------------------------------------- TimeSpan

const TIMESPAN_RE = /^(\d{1,2}):([0-5]\d):([0-5]\d)$/;

/** Parses `hh:mm:ss` into seconds; undefined when malformed. */
export function parseTimeSpan(text: string): number | undefined {
    const m = TIMESPAN_RE.exec(text);
    if (!m) return undefined;
    const h = Number(m[1]);
    if (h > 23) return undefined;
    return h * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/** Seconds → canonical `hh:mm:ss`. */
export function formatTimeSpan(seconds: number): string {
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

function describeRange(def: SettingDef): string {
    if (def.kind === "timespan") return `a duration "hh:mm:ss" from ${formatTimeSpan(def.min!)} to ${formatTimeSpan(def.max!)}`;
    return `an integer ${def.min}–${def.max}`;
}

/** Human wording of what a setting accepts, used in error messages and docs. */
export function expectation(def: SettingDef, form: ValueForm = "wire"): string {
    switch (def.kind) {
        case "boolean": return "a boolean (true or false)";
        case "uint": return describeRange(def);
        case "timespan":
            return form === "input"
                ? `${describeRange(def)} or a number of seconds ${def.min}–${def.max}`
                : describeRange(def);
        case "enum": return `one of ${def.values!.map((v) => `"${v}"`).join(", ")}`;
        case "string": return `a string of at most ${def.maxLength} characters`;
        case "policyEntry":
            return form === "input"
                ? `a list (at most ${POLICY_ENTRY_MAX_ITEMS}) of { name, value } non-empty strings`
                : `a list (at most ${POLICY_ENTRY_MAX_ITEMS}) of { Name, Value } non-empty strings`;
    }
}

/**
 * How a rejected value is described. Free text (`string` settings) is never echoed: it may be a secret or personal
 * data, and error messages end up in CI logs; its length is enough to act on.
 */
function describeGot(def: SettingDef, value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return `a list of ${value.length}`;
    if (typeof value === "string") {
        if (def.kind === "string" || def.kind === "policyEntry") return `${value.length} characters`;
        return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value) + (value.length > 40 ? ` (${value.length} characters)` : "");
    }
    if (typeof value === "object") return "an object";
    return String(value);
}

/** The message for a value that does not fit a setting: "must be X, got Y". */
export function mismatch(def: SettingDef, value: unknown, form: ValueForm = "wire"): string {
    return `must be ${expectation(def, form)}, got ${describeGot(def, value)}`;
}

// ---------------------------------------------------------------- zod schemas

/**
 * Which form a value is in. `wire`: the tenant API (strict JSON types, `hh:mm:ss` durations, `{Name, Value}`
 * entries). `input`: a resource input as a program writes it (durations also as seconds, `{name, value}` entries);
 * the provider's canonical resource form (outputs in state) is a subset of it. Callers always say which one they hold.
 */
export type ValueForm = "wire" | "input";

function enumSchema(def: SettingDef, form: ValueForm) {
    const byLower = new Map(def.values!.map((v) => [v.toLowerCase(), v]));
    return z.string().transform((v, ctx) => {
        const canonical = byLower.get(v.toLowerCase());
        if (canonical === undefined) {
            ctx.addIssue({ code: "custom", message: mismatch(def, v, form) });
            return z.NEVER;
        }
        return canonical;
    });
}

function timeSpanSchema(def: SettingDef, form: ValueForm) {
    const fromString = z.string().transform((v, ctx) => {
        const secs = parseTimeSpan(v);
        if (secs === undefined || secs < def.min! || secs > def.max!) {
            ctx.addIssue({ code: "custom", message: mismatch(def, v, form) });
            return z.NEVER;
        }
        return formatTimeSpan(secs);
    });
    if (form === "wire") return fromString;
    const fromNumber = z.number().int().min(def.min!).max(def.max!).transform(formatTimeSpan);
    return z.union([fromString, fromNumber]);
}

function policyEntrySchema(form: ValueForm) {
    const [nameKey, valueKey] = form === "wire" ? ["Name", "Value"] : ["name", "value"];
    const text = z.string().min(1).max(DEFAULT_STRING_MAX);
    const list = z.array(z.object({ [nameKey]: text, [valueKey]: text }).strict()).max(POLICY_ENTRY_MAX_ITEMS);
    if (form === "wire") return list;
    return list.transform((items) => items.map((x) => ({ Name: (x as Record<string, string>).name, Value: (x as Record<string, string>).value })));
}

/**
 * zod schema for one setting's value in `form`; both forms output the canonical wire value. Transforms report
 * {@link mismatch} themselves; {@link validateSetting} gives zod's built-in checks (type, range, item shape) the same
 * message, so every issue carries the one sentence a user reads ("must be X, got Y").
 */
export function settingSchema(def: SettingDef, form: ValueForm): z.ZodType<unknown> {
    switch (def.kind) {
        case "boolean": return z.boolean();
        case "uint": return z.number().int().min(def.min!).max(def.max!);
        case "timespan": return timeSpanSchema(def, form);
        case "enum": return enumSchema(def, form);
        case "string": return z.string().max(def.maxLength!);
        case "policyEntry": return policyEntrySchema(form);
    }
}

/** Canonical wire value of a setting. */
export type WireValue = boolean | number | string | Array<{ Name: string; Value: string }>;

/** Result of validating one value against the catalogue. */
export type SettingResult = { ok: true; value: WireValue | null } | { ok: false; message: string };

const CANONICAL_TIMESPAN = /^\d\d:[0-5]\d:[0-5]\d$/;

/**
 * The canonical wire value when `value` is already in canonical form (the common case: values that went through
 * check(), or that the tenant sent), else undefined, in which case the zod schema decides and words any error. A
 * fast path only: it accepts exactly what the schema would return unchanged, so both paths agree.
 */
function alreadyCanonical(def: SettingDef, value: unknown, form: ValueForm): WireValue | undefined {
    switch (def.kind) {
        case "boolean": return typeof value === "boolean" ? value : undefined;
        case "uint": return Number.isInteger(value) && (value as number) >= def.min! && (value as number) <= def.max! ? value as number : undefined;
        case "string": return typeof value === "string" && value.length <= def.maxLength! ? value : undefined;
        case "enum": return typeof value === "string" && def.values!.includes(value) ? value : undefined;
        case "timespan": {
            if (typeof value !== "string" || !CANONICAL_TIMESPAN.test(value)) return undefined;
            const secs = parseTimeSpan(value);
            return secs !== undefined && secs >= def.min! && secs <= def.max! ? value : undefined;
        }
        case "policyEntry": {
            if (!Array.isArray(value) || value.length > POLICY_ENTRY_MAX_ITEMS) return undefined;
            const [n, v] = form === "wire" ? ["Name", "Value"] : ["name", "value"];
            const out: Array<{ Name: string; Value: string }> = [];
            for (const item of value) {
                if (!item || typeof item !== "object" || Array.isArray(item) || Object.keys(item).length !== 2) return undefined;
                const name = (item as Record<string, unknown>)[n];
                const val = (item as Record<string, unknown>)[v];
                if (typeof name !== "string" || typeof val !== "string" || name.length < 1 || val.length < 1 ||
                    name.length > DEFAULT_STRING_MAX || val.length > DEFAULT_STRING_MAX) return undefined;
                out.push({ Name: name, Value: val });
            }
            return out;
        }
    }
}

/** Compiled schemas, built on first use per setting and form, then reused (a schema is never built per value). */
const compiled = new Map<SettingDef, Partial<Record<ValueForm, z.ZodType<unknown>>>>();

function compiledSchema(def: SettingDef, form: ValueForm): z.ZodType<unknown> {
    let entry = compiled.get(def);
    if (!entry) compiled.set(def, (entry = {}));
    return (entry[form] ??= settingSchema(def, form));
}

/**
 * Validates one setting value given in `form`. `null` (wire) or `undefined` (input) means "unset" and is always
 * valid. The message says what was expected and what came (never the text of a free-text value).
 */
export function validateSetting(def: SettingDef, value: unknown, form: ValueForm): SettingResult {
    if (value === null || value === undefined) return { ok: true, value: null };
    const canonical = alreadyCanonical(def, value, form);
    if (canonical !== undefined) return { ok: true, value: canonical };
    const parsed = compiledSchema(def, form).safeParse(value, { error: () => mismatch(def, value, form) });
    if (parsed.success) return { ok: true, value: parsed.data as WireValue };
    return { ok: false, message: parsed.error.issues[0]?.message ?? mismatch(def, value, form) };
}

/** Documented defaults in wire form, e.g. for Global after a reset. */
export function documentedDefaults(): Record<string, WireValue> {
    const out: Record<string, WireValue> = {};
    for (const d of SETTINGS) if (d.default !== undefined) out[d.name] = d.default;
    return out;
}

/** JSON Schema (OpenAPI 3.1 dialect) of one setting's wire value, generated from the catalogue. */
export function wireJsonSchema(def: SettingDef): Record<string, unknown> {
    const base: Record<string, unknown> = { description: def.description + (def.status ? ` (${def.status})` : "") };
    if (def.default !== undefined) base.default = def.default;
    if (def.status === "deprecated") base.deprecated = true;
    switch (def.kind) {
        case "boolean": return { ...base, type: ["boolean", "null"] };
        case "uint": return { ...base, type: ["integer", "null"], minimum: def.min, maximum: def.max };
        case "timespan": return {
            ...base, type: ["string", "null"], pattern: "^\\d{2}:[0-5]\\d:[0-5]\\d$",
            "x-min-seconds": def.min, "x-max-seconds": def.max,
        };
        case "enum": return { ...base, enum: [...def.values!, null], "x-case-insensitive": true };
        case "string": return { ...base, type: ["string", "null"], maxLength: def.maxLength };
        case "policyEntry": return {
            ...base, type: ["array", "null"], maxItems: POLICY_ENTRY_MAX_ITEMS,
            items: {
                type: "object", additionalProperties: false, required: ["Name", "Value"],
                properties: {
                    Name: { type: "string", minLength: 1, maxLength: DEFAULT_STRING_MAX },
                    Value: { type: "string", minLength: 1, maxLength: DEFAULT_STRING_MAX },
                },
            },
        };
    }
}
