// Runs the script named by its first argument as the unprivileged user nobody (uid and gid 65534). Root writes
// through every file mode, so for a test run as root a read-only folder or file is read-only only to someone else.

import { pathToFileURL } from "node:url";

process.setgroups([]);
process.setgid(65534);
process.setuid(65534);
process.argv.splice(1, 1);
await import(pathToFileURL(process.argv[1]).href);
