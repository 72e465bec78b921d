// The classic Messenger emoticons: their text codes, shown as emoji. Only the
// display changes: what is sent and stored is the text as typed, so every
// other client shows it its own way.

/// Code → emoji, both cases where Messenger took both.
const TABLE: [string[], string][] = [
  [[":)", ":-)"], "🙂"],
  [[":D", ":d", ":-D", ":-d"], "😃"],
  [[";)", ";-)"], "😉"],
  [[":O", ":o", ":-O", ":-o"], "😮"],
  [[":P", ":p", ":-P", ":-p"], "😛"],
  [["(H)", "(h)"], "😎"],
  [[":@", ":-@"], "😠"],
  [[":$", ":-$"], "😳"],
  [[":S", ":s", ":-S", ":-s"], "😕"],
  [[":(", ":-("], "🙁"],
  [[":'("], "😢"],
  [[":|", ":-|"], "😐"],
  [["(6)"], "😈"],
  [["(A)", "(a)"], "😇"],
  [["(L)", "(l)"], "❤️"],
  [["(U)", "(u)"], "💔"],
  [["(M)", "(m)"], "💬"],
  [["(@)"], "🐱"],
  [["(&)"], "🐶"],
  [["(sn)"], "🐌"],
  [["(bah)"], "🐑"],
  [["(S)"], "🌙"],
  [["(*)"], "⭐"],
  [["(#)"], "☀️"],
  [["(R)", "(r)"], "🌈"],
  [["({)"], "🤗"],
  [["(})"], "🤗"],
  [["(K)", "(k)"], "💋"],
  [["(F)", "(f)"], "🌹"],
  [["(W)", "(w)"], "🥀"],
  [["(O)", "(o)"], "🕒"],
  [["(G)", "(g)"], "🎁"],
  [["(^)"], "🎂"],
  [["(P)", "(p)"], "📷"],
  [["(~)"], "🎞️"],
  [["(T)", "(t)"], "📞"],
  [["(I)", "(i)"], "💡"],
  [["(C)", "(c)"], "☕"],
  [["(B)", "(b)"], "🍺"],
  [["(D)", "(d)"], "🍸"],
  [["(pl)"], "🍽️"],
  [["(pi)"], "🍕"],
  [["(so)"], "⚽"],
  [["(au)"], "🚗"],
  [["(ap)"], "✈️"],
  [["(um)"], "☂️"],
  [["(ip)"], "🏝️"],
  [["(co)"], "💻"],
  [["(mp)"], "📱"],
  [["(st)"], "🌧️"],
  [["(li)"], "⚡"],
  [["(mo)"], "💰"],
  [["(E)", "(e)"], "✉️"],
  [["(8)"], "🎵"],
  [["(Y)", "(y)"], "👍"],
  [["(N)", "(n)"], "👎"],
  [["(X)", "(x)"], "👧"],
  [["(Z)", "(z)"], "👦"],
  [["(xx)"], "🎮"],
  [[":-#"], "🤐"],
  [["8o|"], "😬"],
  [["8-|"], "🤓"],
  [["^o)"], "🤨"],
  [[":-*"], "🤫"],
  [["+o("], "🤢"],
  [[":^)"], "🤔"],
  [["*-)"], "🤔"],
  [["<:o)"], "🥳"],
  [["|-)"], "😴"],
  [[":-["], "🦇"],
];

const EMOJI = new Map<string, string>();
for (const [codes, emoji] of TABLE) for (const code of codes) EMOJI.set(code, emoji);

// Longest first, so `:-)` is one emoticon and not `:-` and `)`.
const PATTERN = new RegExp(
  [...EMOJI.keys()]
    .sort((a, b) => b.length - a.length)
    .map((code) => code.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("|"),
  "g",
);

export type Piece = string | { code: string; emoji: string };

/// `text` cut into plain runs and emoticons, in order; joined back, the codes give `text` again.
export function pieces(text: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const match of text.matchAll(PATTERN)) {
    const index = match.index ?? 0;
    if (index > at) out.push(text.slice(at, index));
    out.push({ code: match[0], emoji: EMOJI.get(match[0]) ?? match[0] });
    at = index + match[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/// The emoticons a person can pick from: one code for each picture.
export const PICKER: { code: string; emoji: string }[] = TABLE.map(([codes, emoji]) => ({ code: codes[0], emoji }));
