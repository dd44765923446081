import { afterEach, describe, expect, it } from "vitest";
import { clearSecrets, redactDeep, redactText, registerSecret } from "../../src/secrets.js";
import { memoryLog } from "../helpers/memory-log.js";

const KEY = "sk-proj-Q7vR2mXk9LpT4wYz8NcB3hJd6FgA1sEu";
const TOKEN = "f3c9a1b7e2d84f60a5b1c3d7e9f20486";

afterEach(() => clearSecrets());

describe("redaction of text that comes from outside", () => {
  it("removes the key when a provider glues it after an underscore", () => {
    registerSecret(KEY);
    const out = redactText(`req_${KEY}`);
    expect(out).not.toContain("Q7vR2mXk");
    expect(out).toContain("[redacted]");
  });

  it("removes the key inside a word", () => {
    registerSecret(KEY);
    expect(redactText(`abc${KEY}xyz`)).not.toContain(KEY.slice(8, 16));
  });

  it("removes an 8-character fragment of the key", () => {
    registerSecret(KEY);
    const out = redactText(`Incorrect API key provided: ${KEY.slice(10, 18)}`);
    expect(out).toBe("Incorrect API key provided: [redacted]");
  });

  it("removes the HTTP token and 8-character fragments of it", () => {
    registerSecret(TOKEN);
    expect(redactText(`token=${TOKEN}`)).toBe("token=[redacted]");
    expect(redactText(`the tail is ${TOKEN.slice(-8)}.`)).toBe("the tail is [redacted].");
  });

  it("removes any sk- key shape after an underscore, even unregistered", () => {
    expect(redactText("id_sk-live1234567890abcdef")).toBe("id_sk-[redacted]");
  });

  it("removes a long key-shaped token glued to a word", () => {
    expect(redactText("prefixsk-Ab3dEf6hIj9kLm2nOp5qRs8t")).toBe("prefixsk-[redacted]");
  });

  it("leaves ordinary prose alone", () => {
    registerSecret(KEY);
    registerSecret(TOKEN);
    const prose = "a risk-assessment chart of a lighthouse at dawn, 16:9, task-oriented layout";
    expect(redactText(prose)).toBe(prose);
  });

  it("leaves ordinary prose alone when it holds percent escapes and base64", () => {
    registerSecret(KEY);
    registerSecret(TOKEN);
    const prose = "100%25 sure: a%20lighthouse, aGVsbG8gd29ybGQ= and data:image/png;base64,iVBORw0KGgo";
    expect(redactText(prose)).toBe(prose);
  });

  it("redacts every string inside nested objects and arrays, and leaves bytes alone", () => {
    registerSecret(KEY);
    const bytes = Buffer.from(KEY);
    const out = redactDeep({ a: [{ b: `x-request-id: ${KEY}` }], bytes });
    expect(JSON.stringify(out.a)).not.toContain("Q7vR2mXk");
    expect(out.bytes).toBe(bytes);
  });

  it.each([0, 1, 2])("removes a base64 copy of the key after %i bytes of other text", (offset) => {
    registerSecret(KEY);
    for (const alphabet of ["base64", "base64url"] as const) {
      const encoded = Buffer.from(`${"x".repeat(offset)}${KEY}`).toString(alphabet);
      const out = redactText(`Authorization: Basic ${encoded}`);
      expect(out).toContain("[redacted]");
      // What is left of the encoded text decodes to no 8-character piece of the key.
      const rest = out.replace(/\[redacted\]/g, " ").split(/\s+/);
      for (const word of rest) expect(Buffer.from(word, alphabet).toString("latin1")).not.toMatch(/Q7vR2mXk|9LpT4wYz/);
    }
  });

  it("removes a percent-encoded copy of the key, every character or only some escaped", () => {
    registerSecret(TOKEN);
    const all = [...TOKEN].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("");
    expect(redactText(`token=${all}&x=1`)).toBe("token=[redacted]&x=1");
    const some = TOKEN.replace(/[a-f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    expect(redactText(`?t=${some}`)).toBe("?t=[redacted]");
  });

  it("turns a value that is not a string into text before redacting it", () => {
    registerSecret(KEY);
    expect(redactText(404)).toBe("404");
    expect(redactText({ detail: { echo: KEY } })).toBe('{"detail":{"echo":"[redacted]"}}');
    expect(redactText(null)).toBe("null");
  });

  it("scans a long text in one pass and still finds a fragment at its end", () => {
    registerSecret(KEY);
    const long = `${"a".repeat(2_000_000)}${KEY.slice(3, 12)}`;
    expect(redactText(long).endsWith("[redacted]")).toBe(true);
  });
});

describe("log lines", () => {
  it("scrub the key from nested fields and error messages", () => {
    registerSecret(KEY);
    const log = memoryLog("info");
    log.logger.warn(
      { headers: { "x-request-id": `req_${KEY}` }, err: new Error(`upstream said ${KEY.slice(4, 20)}`) },
      "upstream",
    );
    expect(log.text()).not.toContain(KEY.slice(8, 16));
    expect(log.text()).not.toContain(KEY.slice(4, 12));
    expect(log.text()).toContain("[redacted]");
  });
});
