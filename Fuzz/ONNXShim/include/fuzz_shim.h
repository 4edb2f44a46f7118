// The shim has no interface of its own; the linker finds its entry point.
