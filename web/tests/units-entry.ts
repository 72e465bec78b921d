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
