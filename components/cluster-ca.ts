// The cluster CA, made on the machine running Pulumi before any host runs kubeadm, so that every join can pin its
// hash from the start and re-creating the first control plane keeps it. Either the CA the user brought
// (clusterCa.certPem/keyPem or certFile/keyFile) or one the tls provider generates: tls.PrivateKey and
// tls.SelfSignedCert, shaped like kubeadm's own CA (pkiutil.NewSelfSignedCACert: CN and DNS name "kubernetes", CA,
// digitalSignature + keyEncipherment + keyCertSign, a subject key identifier). Its key is PKCS#1 "RSA PRIVATE KEY"
// or SEC1 "EC PRIVATE KEY", as kubeadm writes them.
//
// The CA is never changed under a cluster: a new one means a new cluster, which the first control plane refuses to
// become by accident (providers/master-node/diff.ts). So what would make the tls provider replace the certificate
// on its own is kept out of its diff: a new validityDays applies to CAs made afterwards, as kubeadm's own does.
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { ClusterSpec } from "../config/spec";

/** The cluster CA's PEMs, the key a secret. */
export interface CaPems {
  certPem: pulumi.Output<string>;
  keyPem: pulumi.Output<string>;
}

/** kubeadm's CA common name (pkiutil: "kubernetes"), which its certificates name as their issuer. */
export const CA_COMMON_NAME = "kubernetes";

export function clusterCa(name: string, spec: ClusterSpec, parent: pulumi.Resource): CaPems {
  const supplied = spec.clusterCa.supplied;
  if (supplied) return { certPem: pulumi.output(supplied.certPem), keyPem: pulumi.secret(supplied.keyPem) };
  const { keyType, rsaBits, validityDays } = spec.clusterCa;
  const key = new tls.PrivateKey(
    `${name}-ca-key`,
    keyType === "rsa" ? { algorithm: "RSA", rsaBits } : { algorithm: "ECDSA", ecdsaCurve: "P256" },
    { parent },
  );
  const cert = new tls.SelfSignedCert(
    `${name}-ca`,
    {
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: CA_COMMON_NAME },
      dnsNames: [CA_COMMON_NAME],
      isCaCertificate: true,
      allowedUses: ["digital_signature", "key_encipherment", "cert_signing"],
      setSubjectKeyId: true,
      validityPeriodHours: validityDays * 24,
    },
    { parent, ignoreChanges: ["validityPeriodHours"] },
  );
  return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
}
