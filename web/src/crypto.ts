// What a Messenger client computes itself: the SSO proof of MSNP15+ (an
// HMAC-SHA1 and a 3DES encryption of the server's nonce under keys derived
// from the Passport proof key) and the MSNP11+ challenge answer (QRY, and
// the offline-message lock key). Pure code, no Web Crypto: a page served
// over plain HTTP has none.

import { hmac } from "@noble/hashes/hmac.js";
import { md5, sha1 } from "@noble/hashes/legacy.js";
import * as des from "des.js";

const encoder = new TextEncoder();

/// WLM 2009's product: the challenge answers are computed with its key, as
/// other third-party clients do with the id of the client they speak like.
export const PRODUCT_ID = "PROD0120PW!CCV9@";
const PRODUCT_KEY = "C1BX{V4W}Q3*10SM";

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const hmacSha1 = (key: Uint8Array, ...parts: Uint8Array[]) => hmac(sha1, key, concat(...parts));

/// The WS-SecureConversation key derivation: 24 bytes from the secret and a label.
function deriveKey(secret: Uint8Array, label: string): Uint8Array {
  const magic = encoder.encode(label);
  const h1 = hmacSha1(secret, magic);
  const h2 = hmacSha1(secret, h1, magic);
  const h3 = hmacSha1(secret, h1);
  const h4 = hmacSha1(secret, h3, magic);
  return concat(h2, h4.subarray(0, 4));
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text.trim());
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/// The `USR SSO S` proof for `nonce`: a header naming CBC, 3DES and SHA-1,
/// the IV, the HMAC of the nonce and the nonce encrypted (base64).
export function mbiResponse(secret: Uint8Array, nonce: string, iv = crypto.getRandomValues(new Uint8Array(8))): string {
  const text = encoder.encode(nonce);
  const hash = hmacSha1(deriveKey(secret, "WS-SecureConversationSESSION KEY HASH"), text);
  const key = deriveKey(secret, "WS-SecureConversationSESSION KEY ENCRYPTION");
  const cipher = des.CBC.instantiate(des.EDE).create({ type: "encrypt", key, iv });
  const encrypted = Uint8Array.from([...cipher.update(text), ...cipher.final()]);
  const header = new DataView(new ArrayBuffer(28));
  [28, 1, 0x6603, 0x8004, 8, 20, encrypted.length].forEach((word, i) => header.setUint32(i * 4, word, true));
  return toBase64(concat(new Uint8Array(header.buffer), iv, hash, encrypted));
}

/// The MSNP11 challenge answer (`QRY`, and the offline-message lock key).
export function challengeAnswer(challenge: string, productId = PRODUCT_ID, productKey = PRODUCT_KEY): string {
  const MASK = 0x7fffffffn;
  const digest = md5(encoder.encode(challenge + productKey));
  const view = new DataView(digest.buffer, digest.byteOffset, 16);
  const words = [0, 1, 2, 3].map((i) => view.getUint32(i * 4, true));
  const h = words.map((w) => BigInt(w) & MASK);
  let text = challenge + productId;
  while (text.length % 8 !== 0) text += "0";
  const bytes = encoder.encode(text);
  const input = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let high = 0n;
  let low = 0n;
  for (let i = 0; i < bytes.length; i += 8) {
    const first = BigInt(input.getUint32(i, true));
    const second = BigInt(input.getUint32(i + 4, true));
    let t = (first * 0x0e79a9c1n) % MASK;
    t = (h[0] * (t + low) + h[1]) % MASK;
    high += t;
    t = (second + t) % MASK;
    low = (h[2] * t + h[3]) % MASK;
    high += low;
  }
  low = (low + h[1]) % MASK;
  high = (high + h[3]) % MASK;
  const out = new DataView(new ArrayBuffer(16));
  [words[0] ^ Number(low), words[1] ^ Number(high), words[2] ^ Number(low), words[3] ^ Number(high)].forEach((w, i) =>
    out.setUint32(i * 4, w >>> 0, true),
  );
  return [...new Uint8Array(out.buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
