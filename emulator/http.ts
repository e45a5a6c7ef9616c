/** HTTP plumbing moved to the shared API layer (server/http.ts); re-exported for existing importers. */
export * from "../server/http";
