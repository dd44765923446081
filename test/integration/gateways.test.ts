import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GenerationResult } from "../../src/contract/results.js";
import { DEFAULT_DOWNLOAD_POLICY, downloadImage, isPublicAddress } from "../../src/upstream/download.js";
import { connectWithSimulator, type SimHarness, textOf } from "../helpers/simulated.js";

const asResult = (r: unknown) => (r as { structuredContent: GenerationResult }).structuredContent;

describe("gateway behaviours of the simulator get the right verdict", () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await connectWithSimulator({ allowPrivateUrls: true });
  });
  afterAll(async () => h.close());
  beforeEach(() => h.sim.reset());

  it("url-only answers are downloaded, saved and verified", async () => {
    h.sim.setGateway({ urlOnly: true });
    const out = asResult(await h.call("generate_image", { prompt: "by url", size: "1536x1024", return_image: "none" }));
    expect(out.status).toBe("completed");
    expect(out.images[0]).toMatchObject({ width: 1536, height: 1024, verified: true });
    expect(out.provider).toBe("openai-compatible");
  });

  it("a silent downscale is reported in the first sentence, with the provider named", async () => {
    h.sim.setGateway({ downscaleAbove: 1672 });
    const result = await h.call("generate_image", { prompt: "downscaled", size: "3840x2160", return_image: "none" });
    const out = asResult(result);
    expect(out.images[0]).toMatchObject({ width: 1672, height: 941, verified: false });
    expect(textOf(result)).toMatch(
      /^Requested 3840x2160 but the saved file is 1672x941 \(delivered by openai-compatible\): \//,
    );
    expect(out.caveats.join(" ")).toMatch(/Delivered by openai-compatible/);
  });

  it("an ignored size is reported as a mismatch", async () => {
    h.sim.setGateway({ ignoreSizeWith: "1024x1024" });
    const result = await h.call("generate_image", { prompt: "ignored size", size: "2048x1152", return_image: "none" });
    expect(asResult(result).images[0]).toMatchObject({ width: 1024, height: 1024, verified: false });
    expect(textOf(result)).toMatch(/^Requested 2048x1152 but the saved file is 1024x1024/);
  });

  it("an ignored n is reported: fewer images than asked", async () => {
    h.sim.setGateway({ ignoreN: true });
    const result = await h.call("generate_image", { prompt: "ignored n", n: 3, return_image: "none" });
    const out = asResult(result);
    expect(out.images).toHaveLength(1);
    expect(textOf(result)).toMatch(/^Requested 3 images but openai-compatible delivered 1\./);
    expect(out.caveats.join(" ")).toMatch(/Requested 3 images but openai-compatible returned 1/);
  });

  it("sends gpt-image-2-pro sizes as the gateway's tier names and judges delivery by the tier's size", async () => {
    const out = asResult(
      await h.call("generate_image", {
        prompt: "pro",
        model: "gpt-image-2-pro",
        size: "3840x2160",
        return_image: "none",
      }),
    );
    expect(h.sim.stats.requests[0]?.size).toBe("16:9(4K)");
    expect(out.requested.size).toBe("16:9(4K)");
    expect(out.images[0]).toMatchObject({ width: 3840, height: 2160, verified: true });
  });

  it("a gateway that rejects response_format-style unknown parameters is never sent one", async () => {
    await h.call("generate_image", { prompt: "clean body", return_image: "none" });
    expect(h.sim.stats.requests[0]?.status).toBe(200);
  });
});

describe("profiles", () => {
  it("apiyi fans n out into single-image calls and refuses input_fidelity locally", async () => {
    const h = await connectWithSimulator({ profile: "apiyi" });
    try {
      expect(h.runtime.provider).toBe("apiyi");
      const out = asResult(await h.call("generate_image", { prompt: "fan out", n: 2, return_image: "none" }));
      expect(out.images).toHaveLength(2);
      expect(h.sim.stats.requests.map((r) => r.n)).toEqual([1, 1]);
      const refused = await h.call("generate_image", {
        prompt: "x",
        model: "gpt-image-1.5",
        input_fidelity: "high",
        reference_images: ["a.png"],
      });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/apiyi profile refuses input_fidelity/);
    } finally {
      await h.close();
    }
  });

  it("the openai profile refuses url answers it never expects", async () => {
    // An explicit profile wins over the base URL: a proxy in front of OpenAI stays strict.
    const h = await connectWithSimulator({ profile: "openai", allowPrivateUrls: true });
    try {
      h.sim.setGateway({ urlOnly: true });
      const out = asResult(await h.call("generate_image", { prompt: "url to strict", return_image: "none" }));
      expect(out.status).toBe("failed");
      expect(out.message).toMatch(/came as a URL, which the openai profile does not accept/);
      expect(h.files().filter((f) => f.endsWith(".png"))).toEqual([]);
    } finally {
      await h.close();
    }
  });
});

describe("the Responses route", () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await connectWithSimulator();
  });
  afterAll(async () => h.close());
  beforeEach(() => h.sim.reset());

  it("returns a verified image with revised_prompt, assistant_text, call and response ids", async () => {
    const result = await h.call("generate_image", {
      prompt: "a fox in snow",
      size: "1536x1024",
      route: "responses",
      responses_model: "gpt-5-mini",
      return_image: "none",
    });
    const out = asResult(result);
    expect(out).toMatchObject({
      status: "completed",
      route: "responses",
      endpoint: "/v1/responses",
      responses_model: "gpt-5-mini",
    });
    expect(out.images[0]).toMatchObject({ width: 1536, height: 1024, verified: true });
    expect(out.images[0]?.revised_prompt).toMatch(/a fox in snow/);
    expect(out.assistant_text).toMatch(/Here is your 1536x1024 image/);
    expect(out.response_ids[0]).toMatch(/^resp_/);
    expect(out.image_call_ids[0]).toMatch(/^ig_/);
    expect(h.sim.stats.requests[0]?.path).toBe("/v1/responses");
  });

  it("streams partial images as progress notifications", async () => {
    const messages: string[] = [];
    const result = await h.client.callTool(
      {
        name: "generate_image",
        arguments: { prompt: "streamed fox", route: "responses", partial_images: 2, return_image: "none" },
      },
      { onprogress: (p) => messages.push(p.message ?? "") },
    );
    expect(asResult(result).status).toBe("completed");
    expect(messages.filter((m) => /partial image \d of 2/.test(m))).toHaveLength(2);
  });

  it("fails clearly when the answer holds no image data", async () => {
    h.sim.enqueueFaults("no_image");
    const before = h.files();
    const out = asResult(
      await h.call("generate_image", { prompt: "refused", route: "responses", return_image: "none" }),
    );
    expect(out.status).toBe("failed");
    expect(out.message).toMatch(/held no image data.*The assistant said: "I can't create that image/);
    expect(h.files()).toEqual(before);
  });

  it("sends reference images as input images", async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: "blue" } })
      .png()
      .toBuffer();
    (await import("node:fs")).writeFileSync(`${h.workspace}/ref-in.png`, png);
    const out = asResult(
      await h.call("generate_image", {
        prompt: "restyle",
        route: "responses",
        reference_images: ["ref-in.png"],
        return_image: "none",
      }),
    );
    expect(out.status).toBe("completed");
  });
});

describe("download guards", () => {
  let server: Server;
  let base: string;
  let png: Buffer;
  beforeAll(async () => {
    png = await sharp({ create: { width: 32, height: 32, channels: 3, background: "red" } })
      .png()
      .toBuffer();
    server = createServer((req, res) => {
      const port = (server.address() as AddressInfo).port;
      switch (req.url) {
        case "/ok.png":
          res.writeHead(200, { "content-type": "image/png" }).end(png);
          break;
        case "/big.png":
          res.writeHead(200, { "content-type": "image/png" });
          res.end(Buffer.alloc(2 * 1024 * 1024, 1));
          break;
        case "/page":
          res.writeHead(200, { "content-type": "text/html" }).end("<html></html>");
          break;
        case "/garbage.png":
          res.writeHead(200, { "content-type": "image/png" }).end(Buffer.from("definitely not a png"));
          break;
        case "/to-private":
          res.writeHead(302, { location: `http://127.0.0.2:${port}/ok.png` }).end();
          break;
        default:
          res.writeHead(404).end();
      }
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  // 127.0.0.1 stands in for a public host; 127.0.0.2 for the private address a redirect must not reach.
  const policy = {
    ...DEFAULT_DOWNLOAD_POLICY,
    allowHttp: true,
    maxBytes: 1024 * 1024,
    isAllowedAddress: (a: string) => a === "127.0.0.1",
  };

  it("downloads an image that passes every guard", async () => {
    const got = await downloadImage(`${base}/ok.png`, policy);
    expect(got.bytes.equals(png)).toBe(true);
  });

  it.each([
    ["an oversized body", "/big.png", /download cap/],
    ["a wrong content type", "/page", /not an image: content-type 'text\/html'/],
    ["bytes that are not an image", "/garbage.png", /not a PNG, JPEG, WebP or GIF/],
    ["a redirect to a private address", "/to-private", /private, loopback or reserved address/],
  ])("refuses %s", async (_name, path, pattern) => {
    await expect(downloadImage(`${base}${path}`, policy)).rejects.toThrow(pattern);
  });

  it("refuses plain http and loopback by default", async () => {
    await expect(downloadImage(`${base}/ok.png`)).rejects.toThrow(/only https/);
    await expect(downloadImage(`${base.replace("http:", "https:")}/ok.png`)).rejects.toThrow(/private, loopback/);
  });

  it.each([
    ["127.0.0.1", false],
    ["10.1.2.3", false],
    ["172.20.0.1", false],
    ["192.168.1.1", false],
    ["169.254.169.254", false],
    ["100.64.0.1", false],
    ["::1", false],
    ["fd00::1", false],
    ["::ffff:10.0.0.1", false],
    ["8.8.8.8", true],
    ["2606:4700::1111", true],
  ])("classifies %s as public: %s", (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it("verify_image measures a remote image against expected_size, and refuses a bad one without saving", async () => {
    const h = await connectWithSimulator({ allowPrivateUrls: true });
    try {
      const ok = await h.call("verify_image", { url: `${base}/ok.png`, expected_size: "32x32" });
      expect(ok.structuredContent).toMatchObject({ status: "verified", images: [{ width: 32, height: 32 }] });
      const wrong = await h.call("verify_image", { url: `${base}/ok.png`, expected_size: "64x64" });
      expect(wrong.structuredContent).toMatchObject({ status: "mismatch" });
      const bad = await h.call("verify_image", { url: `${base}/page` });
      expect(bad.isError).toBe(true);
      expect(textOf(bad)).toMatch(/content-type/);
      expect(h.files()).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
