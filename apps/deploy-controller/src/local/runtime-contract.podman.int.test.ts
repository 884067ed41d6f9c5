import { failUnderCi } from "@kli8nt/testkit";
import { describe, it } from "vitest";
import { runRuntimeContract } from "../runtime-contract.ts";
import { podmanSubject } from "./testing.ts";

const ready = process.env.KLI8NT_TEST_CONTAINERS === "1" && process.env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(!ready, "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers");

if (ready) runRuntimeContract("local runtime on podman", podmanSubject);
else
  describe.skip("Runtime port contract: local runtime on podman (podman not started)", () =>
    it("needs podman"));
