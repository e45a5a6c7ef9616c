/**
 * Wire views of stored policies: how the tenant service (server/tenant.ts) renders a {@link DirectoryPolicy} in the
 * shape of the wire contract (api/contract.ts).
 */
import { SETTINGS } from "../api/catalogue";
import { OWNER_ANNOTATION, type WirePolicy } from "../api/contract";
import type { DirectoryPolicy } from "./directory";

/**
 * Every key of a policy view in wire order, all null: built by JSON.parse so it has a fixed shape, which makes the
 * per-view spread copy below a fast clone rather than 94 keyed stores.
 */
const EMPTY_VIEW: Readonly<Record<string, null>> = JSON.parse(JSON.stringify(Object.fromEntries(["Identity", OWNER_ANNOTATION, ...SETTINGS.map((d) => d.name)].map((k) => [k, null]))));

/** A policy: `Identity`, its `@owner` (null when none), then every setting in catalogue order (null when unset). */
export function renderPolicy(p: Omit<DirectoryPolicy, "etag">): WirePolicy {
    const view: Record<string, unknown> = { ...EMPTY_VIEW };
    view.Identity = p.identity;
    view[OWNER_ANNOTATION] = p.owner;
    // A record holds only set settings, each under its catalogue name.
    for (const [name, value] of Object.entries(p.settings)) if (value !== null && Object.hasOwn(EMPTY_VIEW, name)) view[name] = value;
    return view as WirePolicy;
}

/** The last view rendered per record, valid while the record's ETag is the one it was rendered at. */
const renderedViews = new WeakMap<DirectoryPolicy, { etag: string; view: WirePolicy }>();

/**
 * {@link renderPolicy}, frozen and shared: one object per record version (every change to a record gives it a new
 * ETag), so repeated reads of a directory that keeps its records (the emulator's) neither rebuild it nor, in
 * server/http.ts `send`, re-serialize it.
 */
export function policyView(p: DirectoryPolicy): WirePolicy {
    const cached = renderedViews.get(p);
    if (cached && cached.etag === p.etag) return cached.view;
    const view = Object.freeze(renderPolicy(p));
    renderedViews.set(p, { etag: p.etag, view });
    return view;
}
