/**
 * The emulator's public start API, for tests, the demo and benchmarks: start a tenant emulator on a free port with its
 * own data directory, read a tenant's credentials, poke it out of band, stop it.
 *
 * ```ts
 * import { startEmulator } from "./emulator";
 * const emu = await startEmulator({ dataDir, port: 0, users: 100, rate: 0 });
 * const { tenantId, clientId, clientSecret } = emu.credentials("contoso.example");
 * await emu.powershell("contoso.example", "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True");
 * emu.stats("contoso.example"); // { requests, writes }
 * await emu.close();
 * ```
 */
export { startEmulator, type EmulatorHandle, type EmulatorOptions, type PowerShellOutcome, type TenantCredentials } from "./server";
export { FAULT_CLI_FLAGS, NO_FAULTS, type FaultConfig } from "./faults";
export type { TenantStats } from "./tenant";
export type { SeedFile, TenantSpec, UserSpec } from "./tenants";
export type { PsResult } from "./powershell";
