import base from "./playwright.config";
import { defineConfig } from "@playwright/test";

// The two-server journey: the same browser setup, its own folder, run by ./test.sh against
// a round-robin proxy in front of two servers on one PostgreSQL.
export default defineConfig({ ...base, testDir: "./multi" });
