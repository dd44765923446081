// A throwaway redis-server for the replica tests: a free loopback port, a temp directory, no persistence. It can be
// stopped and started again on the same port (an outage the replicas must live through).

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, data dropped: it keeps none). */
  stop(): Promise<void>;
  /** Starts it again on the same port after stop(). */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function launch(port: number, dir: string, password?: string): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"];
  if (password) args.push("--requirepass", password);
  const child = spawn("redis-server", [...args, "--daemonize", "no", "--loglevel", "warning"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (err) =>
      reject(new Error(`redis-server could not start (${err.message}); install it: apt-get install redis-server`)),
    );
    child.once("exit", (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
    // Ready when the port accepts a PING.
    const started = Date.now();
    const poll = () => {
      ping(port).then(
        () => resolve(child),
        () => {
          if (Date.now() - started > 10_000) reject(new Error(`redis-server did not answer on ${port}: ${out}`));
          else setTimeout(poll, 50);
        },
      );
    };
    poll();
  });
}

async function ping(port: number): Promise<void> {
  const { connect } = await import("node:net");
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("error", reject);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.destroy();
      // A server that asks for a password is up all the same.
      if (/^(\+PONG|-NOAUTH)/.test(data.toString())) resolve();
      else reject(new Error(data.toString()));
    });
  });
}

function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** A throwaway redis-server; with `password`, clients must authenticate (the URL carries it). */
export async function startRedis(options: { password?: string } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "pixelwright-redis-"));
  const port = await freePort();
  let child: ChildProcess | null = await launch(port, dir, options.password);
  return {
    url: options.password ? `redis://:${options.password}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await stopChild(child);
      child = null;
    },
    async start() {
      if (!child) child = await launch(port, dir, options.password);
    },
    async close() {
      await stopChild(child);
      child = null;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
