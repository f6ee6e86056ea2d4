// The lab as a library: what tests and the lab stack's tooling use (the CLI is lab/cli.ts).
export { hostSpecs, Lab, openLab, startLab, stopLabSync } from "./controller";
export type { HostSpec, HostStatus, LabSpec, StartOptions } from "./controller";
export { inventoryPath, knownHostsLine, readInventory } from "./inventory";
export type { Distro, Inventory, InventoryHost } from "./inventory";
export { parseDuration } from "./shared";
export type { Fault, Faults } from "./shared";
export { teardownLabSync } from "./teardown";
export { DEFAULT_LAB, hostNs, labDir, nsPrefix } from "./names";
