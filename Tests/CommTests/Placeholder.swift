// Tests of Comm (see docs/architecture.md).
