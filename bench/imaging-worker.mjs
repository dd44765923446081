// A child process for the effective-resolution row of the bench: times imaging/detail.ts's estimate on one file.
// node bench/imaging-worker.mjs <file> <rounds>

const [file, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 5);
const { estimateDetail } = await import(new URL("../dist/imaging/detail.js", import.meta.url).href);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await estimateDetail(file);
const times = [];
for (let i = 0; i < rounds; i++) {
  const t0 = performance.now();
  await estimateDetail(file);
  times.push(performance.now() - t0);
}
process.stdout.write(JSON.stringify({ median_ms: median(times) }));
