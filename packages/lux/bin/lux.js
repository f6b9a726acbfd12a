#!/usr/bin/env node
// The `lux` command: see @lux/cli.
import { main } from "@lux/cli";

process.exitCode = await main(process.argv.slice(2));
