/** Bearer tokens moved to the shared API layer (server/auth.ts); re-exported for existing importers. */
export * from "../server/auth";
