#!/usr/bin/env node
// The `lux serve` commands (`lux serve …` runs this, git-style): see @lux/serve's cli.
import { main } from "../dist/cli.js";

process.exitCode = await main(process.argv.slice(2));
