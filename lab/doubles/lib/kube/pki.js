"use strict";
// X.509 for the kube doubles with Node's built-in crypto only: DER encoding/decoding, PKCS#10 CSRs (what the
// kubelet posts during TLS bootstrap), certificates signed by the cluster CA (what the CSR signer returns), the
// discovery CA hash kubeadm pins, bootstrap-token JWS (cluster-info signatures) and the kubeadm-certs cipher.
const crypto = require("crypto");

// ---- DER ----
function len(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n >>= 8;
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag, content) {
  return Buffer.concat([Buffer.from([tag]), len(content.length), content]);
}
const seq = (...items) => tlv(0x30, Buffer.concat(items));
const set = (...items) => tlv(0x31, Buffer.concat(items));
const ctx = (n, content, constructed = true) => tlv((constructed ? 0xa0 : 0x80) | n, content);
const nul = () => Buffer.from([0x05, 0x00]);
const bool = (b) => tlv(0x01, Buffer.from([b ? 0xff : 0x00]));
const octets = (b) => tlv(0x04, b);
const utf8 = (s) => tlv(0x0c, Buffer.from(s, "utf8"));
const bitString = (b) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
function integer(buf) {
  let b = Buffer.from(buf);
  while (b.length > 1 && b[0] === 0 && !(b[1] & 0x80)) b = b.subarray(1);
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}
function oid(s) {
  const parts = s.split(".").map(Number);
  const out = [40 * parts[0] + parts[1]];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      stack.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}
function time(d) {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z"; // YYYYMMDDHHMMSSZ
  if (d.getUTCFullYear() < 2050) return tlv(0x17, Buffer.from(iso.slice(2), "ascii"));
  return tlv(0x18, Buffer.from(iso, "ascii"));
}

// Decoder: returns {tag, header, content, raw, children?}
function decode(buf, offset = 0) {
  const tag = buf[offset];
  let l = buf[offset + 1];
  let hdr = 2;
  if (l & 0x80) {
    const n = l & 0x7f;
    l = 0;
    for (let i = 0; i < n; i++) l = l * 256 + buf[offset + 2 + i];
    hdr = 2 + n;
  }
  const content = buf.subarray(offset + hdr, offset + hdr + l);
  const node = { tag, content, raw: buf.subarray(offset, offset + hdr + l), end: offset + hdr + l };
  if (tag & 0x20) {
    node.children = [];
    let p = 0;
    while (p < content.length) {
      const child = decode(content, p);
      node.children.push(child);
      p = child.end;
    }
  }
  return node;
}
function oidToString(content) {
  const out = [Math.floor(content[0] / 40), content[0] % 40];
  let v = 0;
  for (let i = 1; i < content.length; i++) {
    v = v * 128 + (content[i] & 0x7f);
    if (!(content[i] & 0x80)) {
      out.push(v);
      v = 0;
    }
  }
  return out.join(".");
}

const OID = {
  CN: "2.5.4.3",
  O: "2.5.4.10",
  rsaSha256: "1.2.840.113549.1.1.11",
  ecdsaSha256: "1.2.840.10045.4.3.2",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  basicConstraints: "2.5.29.19",
  authorityKeyId: "2.5.29.35",
  subjectKeyId: "2.5.29.14",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

function name({ O = [], CN }) {
  const rdns = O.map((o) => set(seq(oid(OID.O), utf8(o))));
  if (CN !== undefined) rdns.push(set(seq(oid(OID.CN), utf8(CN))));
  return seq(...rdns);
}
function parseName(node) {
  const out = { O: [], CN: undefined };
  for (const rdn of node.children || []) {
    for (const atv of rdn.children || []) {
      const id = oidToString(atv.children[0].content);
      const val = atv.children[1].content.toString("utf8");
      if (id === OID.CN) out.CN = val;
      if (id === OID.O) out.O.push(val);
    }
  }
  return out;
}

function sigAlgFor(keyObject) {
  return keyObject.asymmetricKeyType === "rsa" ? seq(oid(OID.rsaSha256), nul()) : seq(oid(OID.ecdsaSha256));
}
function signWith(keyObject, data) {
  return crypto.sign(
    "sha256",
    data,
    keyObject.asymmetricKeyType === "rsa" ? keyObject : { key: keyObject, dsaEncoding: "der" },
  );
}

function pem(label, der) {
  const b64 = der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
function unpem(text, label) {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`);
  const m = re.exec(text);
  if (!m) throw new Error(`no ${label} PEM block`);
  return Buffer.from(m[1].replace(/\s+/g, ""), "base64");
}

// ---- CSR (PKCS#10), as the kubelet makes it: ECDSA P-256, subject O=system:nodes CN=system:node:<name> ----
function createCsr(subject) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const info = seq(integer(Buffer.from([0])), name(subject), spki, ctx(0, Buffer.alloc(0)));
  const sig = signWith(privateKey, info);
  const der = seq(info, sigAlgFor(privateKey), bitString(sig));
  return { csrPem: pem("CERTIFICATE REQUEST", der), keyPem: privateKey.export({ type: "sec1", format: "pem" }) };
}

function parseCsr(csrPem) {
  const der = unpem(csrPem, "CERTIFICATE REQUEST");
  const root = decode(der);
  const info = root.children[0];
  const subject = parseName(info.children[1]);
  const spkiDer = Buffer.from(info.children[2].raw);
  const publicKey = crypto.createPublicKey({ key: spkiDer, format: "der", type: "spki" });
  const sig = root.children[2].content.subarray(1);
  const ok = crypto.verify(
    "sha256",
    info.raw,
    publicKey.asymmetricKeyType === "rsa" ? publicKey : { key: publicKey, dsaEncoding: "der" },
    sig,
  );
  if (!ok) throw new Error("CSR signature is invalid");
  return { subject, spkiDer, publicKey };
}

// The CA's own subjectKeyIdentifier, for the issued certificate's authorityKeyIdentifier.
function subjectKeyIdOf(tbs) {
  const extsWrap = tbs.children.find((c) => c.tag === 0xa3);
  if (!extsWrap) return null;
  for (const ext of extsWrap.children[0].children) {
    if (oidToString(ext.children[0].content) === OID.subjectKeyId) {
      return decode(ext.children[ext.children.length - 1].content).content;
    }
  }
  return null;
}

/** Issues a client certificate for `spkiDer` signed by the CA (cert and key PEM), like the kube-controller-manager's signer. */
function issueClientCert({ caCertPem, caKeyPem, spkiDer, subject, notBefore, notAfter, serial }) {
  const caCert = new crypto.X509Certificate(caCertPem);
  const caKey = crypto.createPrivateKey(caKeyPem);
  const caRoot = decode(caCert.raw);
  const caTbs = caRoot.children[0];
  const hasVersion = caTbs.children[0].tag === 0xa0;
  const caSubject = caTbs.children[hasVersion ? 5 : 4].raw;
  const caEnd = new Date(caCert.validTo);
  const caSki = subjectKeyIdOf(caTbs);
  const end = notAfter > caEnd ? caEnd : notAfter;
  const pub = crypto.createPublicKey({ key: spkiDer, format: "der", type: "spki" });
  // keyUsage bits: digitalSignature (0x80), keyEncipherment (0x20) for RSA keys
  const ku = pub.asymmetricKeyType === "rsa" ? Buffer.from([0x05, 0xa0]) : Buffer.from([0x07, 0x80]);
  const exts = [
    seq(oid(OID.keyUsage), bool(true), octets(tlv(0x03, ku))),
    seq(oid(OID.extKeyUsage), octets(seq(oid(OID.clientAuth)))),
    seq(oid(OID.basicConstraints), bool(true), octets(seq())),
  ].concat(caSki ? [seq(oid(OID.authorityKeyId), octets(seq(ctx(0, caSki, false))))] : []);
  const tbs = seq(
    ctx(0, integer(Buffer.from([2]))),
    integer(serial || crypto.randomBytes(16)),
    sigAlgFor(caKey),
    caSubject,
    seq(time(notBefore), time(end)),
    name(subject),
    spkiDer,
    ctx(3, seq(...exts)),
  );
  const der = seq(tbs, sigAlgFor(caKey), bitString(signWith(caKey, tbs)));
  return pem("CERTIFICATE", der);
}

/** "sha256:<hex>" of the certificate's DER SubjectPublicKeyInfo (kubeadm's discovery-token-ca-cert-hash). */
function caCertHash(certPem) {
  const cert = new crypto.X509Certificate(certPem);
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return "sha256:" + crypto.createHash("sha256").update(spki).digest("hex");
}

function subjectOf(certPem) {
  const root = decode(new crypto.X509Certificate(certPem).raw);
  const tbs = root.children[0];
  const hasVersion = tbs.children[0].tag === 0xa0;
  return parseName(tbs.children[hasVersion ? 5 : 4]);
}

// ---- JWS (detached, HS256), as the bootstrap signer signs cluster-info with each token ----
const b64url = (b) => Buffer.from(b).toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
function jwsDetached(payload, tokenId, tokenSecret) {
  const header = b64url(JSON.stringify({ alg: "HS256", kid: tokenId }));
  const sig = b64url(
    crypto
      .createHmac("sha256", tokenSecret)
      .update(`${header}.${b64url(payload)}`)
      .digest(),
  );
  return `${header}..${sig}`;
}
function verifyJwsDetached(jws, payload, tokenId, tokenSecret) {
  return jws === jwsDetached(payload, tokenId, tokenSecret);
}

// ---- kubeadm-certs: AES-256-GCM with the certificate key, nonce prepended (kubeadm's cryptoutil.EncryptBytes) ----
function encryptBytes(data, keyHex) {
  const key = Buffer.from(keyHex, "hex");
  const nonce = crypto.randomBytes(12);
  const c = crypto.createCipheriv("aes-256-gcm", key, nonce);
  const enc = Buffer.concat([c.update(data), c.final()]);
  return Buffer.concat([nonce, enc, c.getAuthTag()]);
}
function decryptBytes(blob, keyHex) {
  const key = Buffer.from(keyHex, "hex");
  if (key.length !== 32) throw new Error("crypto/aes: invalid key size " + key.length);
  const nonce = blob.subarray(0, 12);
  const tag = blob.subarray(blob.length - 16);
  const d = crypto.createDecipheriv("aes-256-gcm", key, nonce);
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
  } catch {
    throw new Error("cipher: message authentication failed");
  }
}

module.exports = {
  createCsr,
  parseCsr,
  issueClientCert,
  caCertHash,
  subjectOf,
  jwsDetached,
  verifyJwsDetached,
  encryptBytes,
  decryptBytes,
  pem,
};
