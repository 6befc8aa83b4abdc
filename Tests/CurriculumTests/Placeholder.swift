// Tests of Curriculum (see docs/architecture.md).
