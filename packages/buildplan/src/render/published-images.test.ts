import { describe, expect, it } from "vitest";
import { basePlan } from "../plan-base.ts";
import type { BuildPlan } from "../types.ts";
import { type Runtime, VERSION_TABLE } from "../versions.ts";
import { type BaseImageKey, baseImage } from "./base-images.ts";

/**
 * Tags the official images publish (from their Docker Hub tag lists, reviewed by hand with VERSION_TABLE in
 * 2026-12). A table entry whose default image does not exist renders a Dockerfile that cannot build, as
 * `golang:1.14-bookworm` did (issue 26). Deno, Bun and Elixir are outside this review.
 */
const PUBLISHED: Partial<
  Record<BaseImageKey, { runtime: Runtime; versions: string[]; ref: (v: string) => string }>
> = {
  python: {
    runtime: "python",
    versions: ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"],
    ref: (v) => `python:${v}-slim`,
  },
  go: {
    runtime: "go",
    // golang:<v>-bookworm exists from 1.20 (bookworm's release) on.
    versions: ["1.20", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26"],
    ref: (v) => `golang:${v}-bookworm`,
  },
  ruby: { runtime: "ruby", versions: ["3.1", "3.2", "3.3", "3.4"], ref: (v) => `ruby:${v}-slim` },
  // FrankenPHP builds PHP 8.2 and newer only.
  php: { runtime: "php", versions: ["8.2", "8.3", "8.4"], ref: (v) => `dunglas/frankenphp:1-php${v}` },
  jdk: { runtime: "java", versions: ["11", "17", "21", "25"], ref: (v) => `eclipse-temurin:${v}-jdk` },
  jre: { runtime: "java", versions: ["11", "17", "21", "25"], ref: (v) => `eclipse-temurin:${v}-jre` },
  maven: { runtime: "java", versions: ["11", "17", "21", "25"], ref: (v) => `maven:3-eclipse-temurin-${v}` },
  gradle: {
    runtime: "java",
    versions: ["11", "17", "21", "25"],
    ref: (v) => `gradle:${v === "25" ? 9 : 8}-jdk${v}`,
  },
  rust: { runtime: "rust", versions: ["1"], ref: () => "rust:1-slim-bookworm" },
  node: { runtime: "node", versions: ["18", "20", "22", "24"], ref: (v) => `node:${v}-slim` },
};

const planWith = (runtime: Runtime, version: string): BuildPlan => {
  const plan = basePlan("static", null);
  plan.runtimeVersions[runtime] = version;
  return plan;
};

describe("every version table entry has a published base image", () => {
  for (const [key, spec] of Object.entries(PUBLISHED)) {
    it(`${key}: ${VERSION_TABLE[spec.runtime].versions.join(", ")}`, () => {
      const published = new Set(spec.versions.map(spec.ref));
      const table = VERSION_TABLE[spec.runtime];
      for (const v of [...table.versions, table.default]) {
        expect(published, `${key} for ${spec.runtime} ${v}`).toContain(
          baseImage(key as BaseImageKey, planWith(spec.runtime, v)),
        );
      }
    });
  }
});
