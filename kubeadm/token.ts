// Bootstrap tokens and certificate keys generated locally, so that their values are known to the program
// (and kept as Pulumi secrets) instead of being scraped from kubeadm's output.
import { randomBytes, randomInt } from "crypto";

/** k8s.io/cluster-bootstrap's BootstrapTokenRegexp: a public 6-character id and a 16-character secret. */
const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const CERTIFICATE_KEY_PATTERN = /^[0-9a-f]{64}$/;

function randomTokenChars(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    // randomInt rejects out-of-range draws instead of taking a modulo, so every character is equally likely.
    out += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  }
  return out;
}

export function generateBootstrapToken(): string {
  return `${randomTokenChars(6)}.${randomTokenChars(16)}`;
}

export function isBootstrapToken(candidate: string): boolean {
  return BOOTSTRAP_TOKEN_PATTERN.test(candidate);
}

/** The public half of a token: the name of its Secret (bootstrap-token-<id>) and what `token list` shows first. */
export function tokenId(token: string): string {
  const match = BOOTSTRAP_TOKEN_PATTERN.exec(token);
  if (!match) {
    throw new Error("not a bootstrap token (expected [a-z0-9]{6}.[a-z0-9]{16})");
  }
  return match[1];
}

/** The AES-256 key kubeadm uses to encrypt the kubeadm-certs Secret: 32 random bytes as lowercase hex. */
export function generateCertificateKey(): string {
  return randomBytes(32).toString("hex");
}

export function isCertificateKey(candidate: string): boolean {
  return CERTIFICATE_KEY_PATTERN.test(candidate);
}
