/**
 * The StackInstance dynamic provider object. This module's whole `module.exports` is the provider, so when the package
 * is installed in node_modules Pulumi serializes it as a one-line `require()` of this file. No module-level state here.
 */
import { providerFor } from "./providerObject";
import * as impl from "./stackInstance";

export = providerFor(impl);
