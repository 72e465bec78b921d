// Display pictures: the MSNObject that names one in presence, the address
// the server gives a stored one at, a picture drawn for whoever has none,
// and a chosen file made into a 96 × 96 PNG as Messenger used.

import { sha1 } from "@noble/hashes/legacy.js";
import { toBase64 } from "./crypto";
import { escapeXml } from "./services";

const encoder = new TextEncoder();

/// `<msnobj …/>` for a display picture (type 3) of `creator` with these bytes.
export function msnObject(creator: string, data: Uint8Array): string {
  const fields: [string, string][] = [
    ["Creator", creator],
    ["Size", String(data.length)],
    ["Type", "3"],
    ["Location", "0"],
    ["Friendly", "AAA="],
    ["SHA1D", toBase64(sha1(data))],
  ];
  // SHA1C: the SHA-1 of the fields before it, names and values run together.
  const sha1c = toBase64(sha1(encoder.encode(fields.map(([k, v]) => k + v).join(""))));
  return `<msnobj ${fields.map(([k, v]) => `${k}="${escapeXml(v)}"`).join(" ")} SHA1C="${sha1c}"/>`;
}

/// Where the server has the picture an MSNObject names, if it names one.
export function pictureAddress(msnobj: string): string | undefined {
  const attribute = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(msnobj)?.[1];
  const creator = attribute("Creator");
  const digest = attribute("SHA1D");
  if (!creator || !digest || attribute("Type") !== "3") return undefined;
  return `/storage/picture?creator=${encodeURIComponent(creator)}&sha1d=${encodeURIComponent(digest)}`;
}

const COLOURS = ["#1f6fd1", "#2e7d32", "#8e24aa", "#c62828", "#00838f", "#ef6c00"];

/// A picture for someone without one: their initial on a colour of their own.
export function defaultPicture(email: string, name: string): string {
  const hue = [...email].reduce((n, c) => n + c.charCodeAt(0), 0) % COLOURS.length;
  const initial = escapeXml(([...name.trim()][0] ?? "?").toUpperCase());
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" rx="14" fill="${COLOURS[hue]}"/>` +
    `<text x="48" y="64" font-family="sans-serif" font-size="48" font-weight="700" text-anchor="middle" fill="#fff">${initial}</text></svg>`;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/// A picture file made into a 96 × 96 PNG, cropped to its middle square.
export async function shrink(file: Blob): Promise<Uint8Array> {
  const image = await createImageBitmap(file);
  const side = Math.min(image.width, image.height);
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 96;
  const context = canvas.getContext("2d");
  if (!context) throw new Error("This browser cannot draw pictures.");
  context.drawImage(image, (image.width - side) / 2, (image.height - side) / 2, side, side, 0, 0, 96, 96);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/png"));
  if (!blob) throw new Error("The picture could not be made.");
  return new Uint8Array(await blob.arrayBuffer());
}
