// `kubeadm certs check-expiration -o json`: kubeadm's own reading of a control plane's certificates, and of the
// certificates embedded in its kubeconfig files (admin.conf, controller-manager.conf, ...), with their expiry.
// Entries kubeadm reports missing (super-admin.conf on a joined control plane) or externally managed (kubeadm does
// not renew those) do not count.

export const CHECK_EXPIRATION_COMMAND = ["kubeadm", "certs", "check-expiration", "-o", "json"];

interface ExpirationEntry {
  name: string;
  expirationDate: string | null;
  externallyManaged?: boolean;
  missing?: boolean;
}

export interface CertificateExpiration {
  /** The earliest expiry of the certificates `kubeadm certs renew all` renews, ISO 8601. */
  certificates: string;
  /** The earliest expiry of the certificate authorities (the cluster CA, etcd's and the front proxy's), ISO 8601. */
  authorities: string;
  /** The certificate that expires first, for messages. */
  firstToExpire: string;
}

function earliest(entries: ExpirationEntry[]): ExpirationEntry | undefined {
  return entries
    .filter((entry) => !entry.missing && !entry.externallyManaged && entry.expirationDate)
    .sort((a, b) => Date.parse(a.expirationDate as string) - Date.parse(b.expirationDate as string))[0];
}

export function parseCertificateExpiration(json: string): CertificateExpiration {
  let info: { kind?: string; certificates?: ExpirationEntry[]; certificateAuthorities?: ExpirationEntry[] };
  try {
    info = JSON.parse(json);
  } catch {
    throw new Error(`kubeadm certs check-expiration did not print JSON: ${json.trim().split("\n")[0] ?? ""}`);
  }
  if (info.kind !== "CertificateExpirationInfo") {
    throw new Error(`kubeadm certs check-expiration printed a ${info.kind ?? "document without a kind"}`);
  }
  const certificate = earliest(info.certificates ?? []);
  const authority = earliest(info.certificateAuthorities ?? []);
  if (!certificate || !authority) {
    throw new Error("kubeadm certs check-expiration found no certificate on this host: is it a control-plane node?");
  }
  return {
    certificates: new Date(certificate.expirationDate as string).toISOString(),
    authorities: new Date(authority.expirationDate as string).toISOString(),
    firstToExpire: certificate.name,
  };
}

const DAY_MS = 86_400_000;

/** Whole days from `now` until `iso` (negative once it has passed). */
export function daysUntil(iso: string, now = Date.now()): number {
  return Math.floor((Date.parse(iso) - now) / DAY_MS);
}

/** Whether certificates expiring at `iso` are within `renewBeforeDays` of `now`, and so due for renewal. */
export function renewalDue(iso: string, renewBeforeDays: number, now = Date.now()): boolean {
  return Date.parse(iso) - now < renewBeforeDays * DAY_MS;
}
