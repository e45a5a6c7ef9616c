/**
 * The ClientPolicy dynamic provider object. This module's whole `module.exports` is the provider, so when the package is
 * installed in node_modules Pulumi serializes it as a one-line `require()` of this file instead of walking its
 * closure. Keep it that way: no module-level state here.
 */
import { providerFor } from "./providerObject";
import * as impl from "./clientPolicy";

export = providerFor(impl);
