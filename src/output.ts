// The CLI's one explicit writer to stdout. Nothing else in src/ writes there: in stdio mode stdout is JSON-RPC.

export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`, (err) => (err ? reject(err) : resolve()));
  });
}

export function writeStderr(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}
