// Tests of Kernels (see docs/architecture.md).
