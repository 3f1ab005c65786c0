/** ISO 639-1 two-letter language codes (the 184 codes of the standard, including the deprecated `bh`; the withdrawn `iw`, `in`, `ji` are not listed). */
export const ISO_639_1: ReadonlySet<string> = new Set(
  (
    'aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu ' +
    'fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko ' +
    'kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi ' +
    'pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ' +
    'ur uz ve vi vo wa wo xh yi yo za zh zu'
  ).split(' '),
);

/** Codes the Hub accepts besides ISO 639 ones. */
const HUB_EXTRAS = new Set(['multilingual', 'code']);

export type LanguageVerdict = { ok: true } | { ok: false; reason: string; suggestion?: string };

/** ISO 639-1 (`en`), ISO 639-2/3 (`eng`, `yue`) with an optional region or script (`en-US`, `zh-Hant`), or a Hub extra. */
export function checkLanguageCode(code: string): LanguageVerdict {
  if (HUB_EXTRAS.has(code)) return { ok: true };
  const m = /^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}|[A-Za-z]{2}|[0-9]{3}))*$/.exec(code);
  if (!m)
    return {
      ok: false,
      reason: 'it is not an ISO 639 language code (two or three letters, e.g. `en`, `fr`, `yue`)',
      suggestion: NAMES[code.toLowerCase()],
    };
  const base = m[1];
  if (base !== base.toLowerCase())
    return { ok: false, reason: 'language codes are lower case', suggestion: code.replace(base, base.toLowerCase()) };
  if (base.length === 2 && !ISO_639_1.has(base)) return { ok: false, reason: `\`${base}\` is not an ISO 639-1 code` };
  return { ok: true };
}

/** Language names people write instead of codes. */
const NAMES: Readonly<Record<string, string>> = {
  english: 'en',
  french: 'fr',
  german: 'de',
  spanish: 'es',
  italian: 'it',
  portuguese: 'pt',
  chinese: 'zh',
  japanese: 'ja',
  korean: 'ko',
  russian: 'ru',
  arabic: 'ar',
  hindi: 'hi',
  dutch: 'nl',
  polish: 'pl',
  turkish: 'tr',
  swedish: 'sv',
  ukrainian: 'uk',
  vietnamese: 'vi',
  indonesian: 'id',
};
