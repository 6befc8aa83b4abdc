// Tests of Transformer (see docs/architecture.md).
