// Tests of Trainer (see docs/architecture.md).
