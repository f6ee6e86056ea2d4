// The two ways into the configuration: from the engine (the Pulumi program) and from a stack file
// (the validate CLI). They live in separate modules so that the CLI does not load the Pulumi SDK.
export { loadFromPulumiConfig, projectConfig, type LoadedConfig, type PulumiConfigSource } from "./load-pulumi-config";
export {
  loadFromStackFile,
  stackFilePath,
  StackFileNotFoundError,
  SECRET_PLACEHOLDER,
  type StackFileResult,
} from "./load-stack-file";
