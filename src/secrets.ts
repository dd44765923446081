// One place that knows which strings must never leave the process: the configured secrets, and anything shaped
// like an OpenAI key (provider error messages echo partial keys).

const known = new Set<string>();
const KEY_SHAPE = /\bsk-[A-Za-z0-9_*.-]{6,}/g;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/*-]{6,}=*/gi;

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) known.add(value);
}

export function redactText(text: string): string {
  let out = text;
  for (const secret of known) out = out.split(secret).join("[redacted]");
  return out.replace(KEY_SHAPE, "sk-[redacted]").replace(BEARER, "$1 [redacted]");
}
