// The SSH layer's public API, for providers and components.
export { connectionSecrets, withSession } from "./session";
export type { OutputStream, RemoteSession, RunOptions, RunResult, SessionOptions, UploadOptions } from "./session";
export { shellCommand, shellQuote } from "../config/quote";
export { SecretMasker, LineSplitter, SECRET_PLACEHOLDER, MIN_SECRET_LENGTH } from "./mask";
export type { StreamMasker } from "./mask";
export {
  describeTarget,
  HostKeyVerificationError,
  RemoteCommandError,
  RemoteCommandTimeoutError,
  SshConnectionError,
} from "./errors";
export type { ConnectFailure } from "./errors";
export { sha256Fingerprint, parseHostKeyPins } from "../config/host-key-pins";
