/**
 * One area's messages: the French dictionary is the reference, the English one must have exactly its keys
 * (a missing or extra key is a compile error). Spread `fr` and `en` into the dictionaries of `../i18n.ts`.
 */
export function defineMessages<F extends Record<string, string>>(
  fr: F,
  en: Record<keyof F, string>,
): { readonly fr: F; readonly en: Record<keyof F, string> } {
  return { fr, en }
}
