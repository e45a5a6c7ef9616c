/** The error factory moved to the shared API layer (server/errors.ts); re-exported for the emulator's domain model. */
export * from "../server/errors";
