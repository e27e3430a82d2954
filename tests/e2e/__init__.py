"""Browser end-to-end tests. A package, so that the server and browser fixtures are package
scoped: they stop when the last test here ends, before other browser tests start their own
playwright (two sync playwrights cannot run at once)."""
