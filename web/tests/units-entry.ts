// The checks tests/units.mjs runs (bundled with the sources they check).
import { challengeAnswer, fromBase64, mbiResponse } from "../src/crypto";

type Assert = { equal(a: unknown, b: unknown, message?: string): void; deepEqual(a: unknown, b: unknown, message?: string): void };

export const checks: Record<string, (assert: Assert) => void> = {
  "the SSO proof matches the server's known answer"(assert) {
    const nonce = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const secret = fromBase64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    assert.equal(
      mbiResponse(secret, nonce, new Uint8Array(8)),
      "HAAAAAEAAAADZgAABIAAAAgAAAAUAAAASAAAAAAAAAAAAAAA7XgT5ohvaZdoXdrWUUcMF2G8OK2JohyYcK5l5MJSitab33scxJeK/RQXcUr0L+R2ZA9CEAzn0izmUzSMp2LZdxSbHtnuxCmptgtoScHp9E26HjQVkA9YJxgK/HM=",
    );
  },
  "the challenge answer matches the server's known answer"(assert) {
    assert.equal(challengeAnswer("22210219642164014968", "PROD0090YUAUV{2B", "YMM8C_H7KCQ2S_KL"), "85ecb0db8f32113df79ce0892b9a102c");
  },
};

import { pieces } from "../src/emoticons";

checks["emoticons are cut out of the text and give it back whole"] = (assert) => {
  assert.deepEqual(pieces("hi :-) (y)!"), ["hi ", { code: ":-)", emoji: "🙂" }, " ", { code: "(y)", emoji: "👍" }, "!"]);
  assert.deepEqual(pieces("no codes here"), ["no codes here"]);
  const text = "a:)b:Dc(L)";
  assert.equal(pieces(text).map((p) => (typeof p === "string" ? p : p.code)).join(""), text);
};

import { msnObject, pictureAddress } from "../src/pictures";

checks["a display picture's MSNObject names it, and the server's address follows"] = (assert) => {
  const data = new TextEncoder().encode("picture bytes");
  const object = msnObject("alice@example.com", data);
  // SHA1D is the SHA-1 of the bytes, SHA1C of the fields before it (both checked with Python's hashlib).
  assert.equal(
    object,
    '<msnobj Creator="alice@example.com" Size="13" Type="3" Location="0" Friendly="AAA=" SHA1D="aNVRL5YMAadSIFf/AvWtQWNakfA=" SHA1C="6mp4Kf4IuYxlxi02kkYLKBDR9b0="/>',
  );
  assert.equal(pictureAddress(object), "/storage/picture?creator=alice%40example.com&sha1d=aNVRL5YMAadSIFf%2FAvWtQWNakfA%3D");
  assert.equal(pictureAddress('<msnobj Creator="a@b.c" Type="2" SHA1D="x"/>'), undefined);
};

import { nowPlaying } from "../src/messenger";

checks["now playing reads as WLM wrote it"] = (assert) => {
  assert.equal(nowPlaying("\\0Music\\01\\0{0} - {1}\\0Song 2\\0Blur\\0Blur\\0\\0"), "♫ Song 2 - Blur");
  assert.equal(nowPlaying("\\0Music\\00\\0{0} - {1}\\0Song 2\\0Blur\\0"), "");
  assert.equal(nowPlaying("\\0Games\\01\\0Playing {0}\\0Chess\\0"), "Playing Chess");
  assert.equal(nowPlaying(""), "");
};
